/** GET /v1/audit: the audit log, for admin keys only. */
import { createRoute } from "@hono/zod-openapi";
import { adminOnly, requireAdmin } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";
import { AuditPage, AuditQuery } from "./schemas.js";

export function registerAuditRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/audit",
      tags: ["admin"],
      security,
      middleware: [adminOnly],
      summary:
        "List audit events, newest first: changes and admin reads of users' data (never texts or keys)",
      request: { query: AuditQuery },
      responses: { 200: jsonResponse(AuditPage, "Audit events"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.audit.list(c.req.valid("query")), 200);
    },
  );
}
