/** GET /v1/stats: the admin overview's numbers (service.ts). */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAdmin } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";
import { StatsSchema } from "./schemas.js";

const StatsQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(365)
    .default(30)
    .openapi({ description: "How many UTC days, today included (1 to 365; default 30)" }),
});

export function registerStatsRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/stats",
      tags: ["admin"],
      security,
      middleware: [adminOnly],
      summary: "Totals, and per UTC day new users, active users, memories added and searches",
      description: "Every day of the window is present, oldest first, with zeros where nothing happened.",
      request: { query: StatsQuery },
      responses: { 200: jsonResponse(StatsSchema, "The overview"), ...errorResponses },
    }),
    async (c) => {
      requireAdmin(c);
      return c.json(await c.var.services.stats.stats(c.req.valid("query").days), 200);
    },
  );
}
