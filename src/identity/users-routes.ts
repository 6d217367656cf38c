/** Admin REST routes under /v1/users: users, and each user's keys. */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAdmin, requireAdminBy } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  ApiKeySchema,
  CreatedKeySchema,
  CreatedUserSchema,
  CreateKeyBody,
  CreateUserBody,
  DeletedUserSchema,
  ListUsersQuery,
  TenantQuery,
  UpdateUserBody,
  UserIdSchema,
  UserSchema,
} from "./schemas.js";

const tags = ["admin"];
const UserParam = z.object({ user_id: UserIdSchema.openapi({ param: { name: "user_id", in: "path" } }) });
const UserPage = z.object({ users: z.array(UserSchema), next_cursor: z.string().nullable() });

export function registerUserRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/users",
      tags,
      security,
      middleware: [adminOnly],
      summary: "Create a user and its first API key",
      request: { body: jsonBody(CreateUserBody) },
      responses: {
        201: jsonResponse(CreatedUserSchema, "The user and its key, shown once"),
        409: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      return c.json(await c.var.services.identity.createUser(c.req.valid("json"), by), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/users",
      tags,
      security,
      middleware: [adminOnly],
      summary:
        "List users with their counts and last activity; search by id, name or email; find inactive users",
      request: { query: ListUsersQuery },
      responses: { 200: jsonResponse(UserPage, "Users"), ...errorResponses },
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
      middleware: [adminOnly],
      summary: "Get a user, with its memory, session and key counts",
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
      middleware: [adminOnly],
      summary: "Update a user's name or email",
      request: { params: UserParam, query: TenantQuery, body: jsonBody(UpdateUserBody) },
      responses: { 200: jsonResponse(UserSchema, "The user"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      return c.json(
        await c.var.services.identity.updateUser(
          tenant,
          c.req.valid("param").user_id,
          c.req.valid("json"),
          by,
        ),
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
      middleware: [adminOnly],
      summary: "Delete a user and every row it owns, in one transaction",
      request: { params: UserParam, query: TenantQuery },
      responses: { 200: jsonResponse(DeletedUserSchema, "Deleted"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      const { user_id } = c.req.valid("param");
      const result = await c.var.services.identity.deleteUser(tenant, user_id, by);
      return c.json({ deleted: true as const, user_id, ...result }, 200);
    },
  );
}

/** /v1/users/{user_id}/keys: a user's own keys. */
export function registerUserKeyRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/users/{user_id}/keys",
      tags,
      security,
      middleware: [adminOnly],
      summary: "Create another key for a user",
      request: { params: UserParam, query: TenantQuery, body: jsonBody(CreateKeyBody) },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      const tenant = c.req.valid("query").tenant ?? "default";
      const created = await c.var.services.identity.createUserKey(
        tenant,
        c.req.valid("param").user_id,
        c.req.valid("json"),
        by,
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
      middleware: [adminOnly],
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
}
