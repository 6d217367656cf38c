/** GET /v1/me: who the calling key is, for any key. */
import { createRoute } from "@hono/zod-openapi";
import { requestedUser } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";
import { DEFAULT_USER_ID } from "./principal.js";
import { MeSchema } from "./schemas.js";

export function registerMeRoutes(app: App): void {
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
      if (p.kind === "user") userId = (await identity.identifyActor(p, requested)).userId;
      else if (p.kind !== "admin") userId = requested ?? DEFAULT_USER_ID;
      return c.json(
        { kind: p.kind, key_id: p.keyId, tenant: p.tenantId, user_id: userId, scopes: [...p.scopes].sort() },
        200,
      );
    },
  );
}
