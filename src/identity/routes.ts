/** Admin REST routes for tenants, users and keys, plus /v1/me for any key. */
import { createRoute, z } from "@hono/zod-openapi";
import { requestedUser, requireAdmin } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  ApiKeySchema,
  CreatedKeySchema,
  CreateKeyBody,
  CreateTenantBody,
  CreateUserBody,
  MeSchema,
  TenantIdSchema,
  TenantSchema,
  UpdateUserBody,
  UserIdSchema,
  UserSchema,
} from "./schemas.js";

const tags = ["admin"];
const UserParam = z.object({ user_id: UserIdSchema.openapi({ param: { name: "user_id", in: "path" } }) });
const TenantQuery = z.object({
  tenant: TenantIdSchema.optional().openapi({ description: "Defaults to `default`" }),
});
const KeyParam = z.object({
  key_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "key_id", in: "path" } }),
});

export function registerIdentityRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me",
      tags: ["identity"],
      security,
      summary: "Who this key is, and which user a request with these headers acts as",
      responses: { 200: jsonResponse(MeSchema, "The caller"), ...errorResponses },
    }),
    async (c) => {
      const p = c.var.principal;
      const { identity } = c.var.services;
      let userId: string | null = null;
      const requested = requestedUser(c);
      // A read: say who a request would act as without creating the user a client key would create on first use.
      if (p.kind === "user") userId = (await identity.resolveActor(p, requested)).userId;
      else if (p.kind !== "admin") userId = requested ?? "0";
      return c.json(
        { kind: p.kind, key_id: p.keyId, tenant: p.tenantId, user_id: userId, scopes: [...p.scopes].sort() },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants",
      tags,
      security,
      summary: "Create a tenant",
      request: { body: jsonBody(CreateTenantBody) },
      responses: {
        201: jsonResponse(TenantSchema, "The tenant"),
        409: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      const body = c.req.valid("json");
      return c.json(await c.var.services.identity.createTenant(body.id, body.name), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants",
      tags,
      security,
      summary: "List tenants",
      responses: {
        200: jsonResponse(z.object({ tenants: z.array(TenantSchema) }), "Tenants"),
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json({ tenants: await c.var.services.identity.listTenants() }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants/{id}/keys",
      tags,
      security,
      summary: "Create a client key: it acts for any user of the tenant named in X-User-Id / X-Muxi-User-Id",
      request: {
        params: z.object({ id: TenantIdSchema.openapi({ param: { name: "id", in: "path" } }) }),
        body: jsonBody(CreateKeyBody),
      },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(
        await c.var.services.identity.createClientKey(c.req.valid("param").id, c.req.valid("json")),
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/users",
      tags,
      security,
      summary: "Create a user and its first API key",
      request: { body: jsonBody(CreateUserBody) },
      responses: {
        201: jsonResponse(CreatedKeySchema.extend({ user: UserSchema }), "The user and its key, shown once"),
        409: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.identity.createUser(c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/users",
      tags,
      security,
      summary: "List users with their memory counts and last activity",
      request: {
        query: TenantQuery.extend({
          limit: z.coerce.number().int().min(1).max(500).default(100),
          cursor: z.string().max(64).optional(),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({ users: z.array(UserSchema), next_cursor: z.string().nullable() }),
          "Users",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.identity.listUsers(c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/users/{user_id}",
      tags,
      security,
      summary: "Get a user",
      request: { params: UserParam, query: TenantQuery },
      responses: { 200: jsonResponse(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      return c.json(await c.var.services.identity.getUser(tenant, c.req.valid("param").user_id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/users/{user_id}",
      tags,
      security,
      summary: "Update a user's name or email",
      request: { params: UserParam, query: TenantQuery, body: jsonBody(UpdateUserBody) },
      responses: { 200: jsonResponse(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      return c.json(
        await c.var.services.identity.updateUser(tenant, c.req.valid("param").user_id, c.req.valid("json")),
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/users/{user_id}",
      tags,
      security,
      summary: "Delete a user and every row it owns, in one transaction",
      request: { params: UserParam, query: TenantQuery },
      responses: {
        200: jsonResponse(
          z.object({ deleted: z.literal(true), user_id: z.string(), deleted_memories: z.number().int() }),
          "Deleted",
        ),
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      const { user_id } = c.req.valid("param");
      const result = await c.var.services.identity.deleteUser(tenant, user_id);
      return c.json({ deleted: true as const, user_id, ...result }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/users/{user_id}/keys",
      tags,
      security,
      summary: "Create another key for a user",
      request: { params: UserParam, query: TenantQuery, body: jsonBody(CreateKeyBody) },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      const created = await c.var.services.identity.createUserKey(
        tenant,
        c.req.valid("param").user_id,
        c.req.valid("json"),
      );
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/users/{user_id}/keys",
      tags,
      security,
      summary: "List a user's keys (never the secrets)",
      request: { params: UserParam, query: TenantQuery },
      responses: { 200: jsonResponse(z.object({ keys: z.array(ApiKeySchema) }), "Keys"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      return c.json(
        { keys: await c.var.services.identity.listUserKeys(tenant, c.req.valid("param").user_id) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys",
      tags,
      security,
      summary: "Create another admin key (`engram keys create --admin` while a server holds the store)",
      request: { body: jsonBody(CreateKeyBody) },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.identity.createAdminKey(c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/keys",
      tags,
      security,
      summary: "List keys, optionally of one tenant",
      request: { query: TenantQuery },
      responses: { 200: jsonResponse(z.object({ keys: z.array(ApiKeySchema) }), "Keys"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(
        { keys: await c.var.services.identity.listKeys({ tenant: c.req.valid("query").tenant }) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/keys/{key_id}",
      tags,
      security,
      summary: "Revoke a key (it stops working at once)",
      request: { params: KeyParam },
      responses: { 200: jsonResponse(ApiKeySchema, "The revoked key"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.identity.revokeKey(c.req.valid("param").key_id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys/{key_id}/rotate",
      tags,
      security,
      summary: "Replace a key with a new one of the same kind, owner and scopes; the old one stops at once",
      request: { params: KeyParam },
      responses: {
        201: jsonResponse(CreatedKeySchema.extend({ rotated_from: z.string() }), "The new key, shown once"),
        ...errorResponses,
      },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.identity.rotateKey(c.req.valid("param").key_id), 201);
    },
  );
}
