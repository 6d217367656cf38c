/** Admin REST routes under /v1/keys: admin keys, and listing, revoking and rotating any key. */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAdmin, requireAdminBy } from "../http/auth.js";
import type { App } from "../http/context.js";
import { emptyBodyIsEmptyObject } from "../http/empty-body.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  ApiKeySchema,
  CreatedKeySchema,
  CreateKeyBody,
  RotatedKeySchema,
  RotateKeyBody,
  TenantQuery,
} from "./schemas.js";

const tags = ["admin"];
const KeyParam = z.object({
  key_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "key_id", in: "path" } }),
});

export function registerKeyRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys",
      tags,
      security,
      middleware: [adminOnly],
      summary: "Create another admin key (`engram keys create --admin` while a server holds the store)",
      request: { body: jsonBody(CreateKeyBody) },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      return c.json(await c.var.services.identity.createAdminKey(c.req.valid("json"), undefined, by), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/keys",
      tags,
      security,
      middleware: [adminOnly],
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
      middleware: [adminOnly],
      summary: "Revoke a key (it stops working at once)",
      request: { params: KeyParam },
      responses: { 200: jsonResponse(ApiKeySchema, "The revoked key"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      return c.json(await c.var.services.identity.revokeKey(c.req.valid("param").key_id, by), 200);
    },
  );

  // The body is optional: `curl -X POST …/rotate` with none rotates with no grace period, as before there was one.
  app.use("/v1/keys/:key_id/rotate", emptyBodyIsEmptyObject);
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/keys/{key_id}/rotate",
      tags,
      security,
      middleware: [adminOnly],
      summary:
        "Replace a key with a new one of the same kind, owner and scopes; the old one stops at once, or after grace_seconds",
      description:
        "With `grace_seconds` the old key keeps working until then (never past its own expiry) and is refused as " +
        "expired afterwards; `old_key_expires_at` says when. A key already rotated cannot be rotated again (409); " +
        "revoke it to end its grace period early.",
      request: { params: KeyParam, body: { ...jsonBody(RotateKeyBody), required: false } },
      responses: {
        201: jsonResponse(RotatedKeySchema, "The new key, shown once"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      const { key_id } = c.req.valid("param");
      return c.json(await c.var.services.identity.rotateKey(key_id, c.req.valid("json"), by), 201);
    },
  );
}
