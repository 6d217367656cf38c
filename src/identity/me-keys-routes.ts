/** /v1/me/keys: a user key lists, creates and revokes its own user's keys (rules in own-keys.ts). */
import { createRoute, z } from "@hono/zod-openapi";
import { byPrincipal } from "../audit/store.js";
import { requestContext, userKeyOnly } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import { ApiKeySchema, CreatedKeySchema, CreateKeyBody, OwnKeySchema } from "./schemas.js";

const tags = ["identity"];
const KeyParam = z.object({
  key_id: z
    .string()
    .min(1)
    .max(64)
    .openapi({ param: { name: "key_id", in: "path" } }),
});
const CreateOwnKeyBody = CreateKeyBody.omit({ app: true })
  .extend({
    scopes: CreateKeyBody.shape.scopes.openapi({
      description:
        "A subset of the calling key's scopes (403 insufficient_scope otherwise); defaults to all of them",
    }),
    expires_at: CreateKeyBody.shape.expires_at.openapi({
      description:
        "Defaults to the calling key's expiry; a key with an expiry cannot create one that outlives it (403)",
    }),
  })
  .strict()
  .openapi("CreateOwnKey");
const FOR_USER_KEYS =
  "For user keys only (admin and client keys: 403 forbidden; admins use /v1/users/{user_id}/keys and /v1/keys). " +
  "No scope is needed.";

export function registerMeKeyRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/me/keys",
      tags,
      security,
      middleware: [userKeyOnly],
      summary: "List this key's user's keys (never the secrets); the calling key is marked `current`",
      description: FOR_USER_KEYS,
      responses: { 200: jsonResponse(z.object({ keys: z.array(OwnKeySchema) }), "Keys"), ...errorResponses },
    }),
    async (c) => {
      return c.json({ keys: await c.var.services.identity.listOwnKeys(c.var.principal) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/me/keys",
      tags,
      security,
      middleware: [userKeyOnly],
      summary: "Create another key for this key's user, no stronger than this key",
      description:
        `${FOR_USER_KEYS} The new key has a subset of this key's scopes, expires no later than this key, and is ` +
        "bound to this key's app (or to none, like this key).",
      request: { body: jsonBody(CreateOwnKeyBody) },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      const p = c.var.principal;
      const created = await c.var.services.identity.createOwnKey(
        p,
        c.req.valid("json"),
        byPrincipal(p, requestContext(c)),
      );
      return c.json(created, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/me/keys/{key_id}",
      tags,
      security,
      middleware: [userKeyOnly],
      summary: "Revoke one of this key's user's keys (this key too: it stops working at once)",
      description: `${FOR_USER_KEYS} Another user's key id is 404 key_not_found.`,
      request: { params: KeyParam },
      responses: { 200: jsonResponse(ApiKeySchema, "The revoked key"), ...errorResponses },
    }),
    async (c) => {
      const p = c.var.principal;
      const key = await c.var.services.identity.revokeOwnKey(
        p,
        c.req.valid("param").key_id,
        byPrincipal(p, requestContext(c)),
      );
      return c.json(key, 200);
    },
  );
}
