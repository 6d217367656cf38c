/** Admin REST routes under /v1/tenants: tenants and their client keys. */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAdmin, requireAdminBy } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  CreatedKeySchema,
  CreateKeyBody,
  CreateTenantBody,
  TenantIdSchema,
  TenantSchema,
} from "./schemas.js";

const tags = ["admin"];

export function registerTenantRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/tenants",
      tags,
      security,
      middleware: [adminOnly],
      summary: "Create a tenant",
      request: { body: jsonBody(CreateTenantBody) },
      responses: {
        201: jsonResponse(TenantSchema, "The tenant"),
        409: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      const body = c.req.valid("json");
      return c.json(await c.var.services.identity.createTenant(body.id, body.name, by), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/tenants",
      tags,
      security,
      middleware: [adminOnly],
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
      middleware: [adminOnly],
      summary: "Create a client key: it acts for any user of the tenant named in X-User-Id / X-Muxi-User-Id",
      request: {
        params: z.object({ id: TenantIdSchema.openapi({ param: { name: "id", in: "path" } }) }),
        body: jsonBody(CreateKeyBody),
      },
      responses: { 201: jsonResponse(CreatedKeySchema, "The key, shown once"), ...errorResponses },
    }),
    async (c) => {
      const by = requireAdminBy(c);
      return c.json(
        await c.var.services.identity.createClientKey(c.req.valid("param").id, c.req.valid("json"), by),
        201,
      );
    },
  );
}
