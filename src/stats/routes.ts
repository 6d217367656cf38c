/** GET /v1/stats: the admin overview's numbers (service.ts). */
import { createRoute, z } from "@hono/zod-openapi";
import { adminOnly, requireAdmin } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";

const Count = z.number().int();

const StatsQuery = z.object({
  days: z.coerce
    .number()
    .int()
    .min(1)
    .max(365)
    .default(30)
    .openapi({ description: "How many UTC days, today included (1 to 365; default 30)" }),
});

const StatsSchema = z
  .object({
    totals: z.object({
      tenants: Count,
      users: Count,
      memories: Count.openapi({ description: "Memories not in state `deleted`" }),
      sessions: Count,
      keys: Count.openapi({ description: "Keys of every kind not revoked (expired ones included)" }),
    }),
    days: z.array(
      z.object({
        day: z.string().openapi({ example: "2026-01-08", description: "A UTC day" }),
        new_users: Count,
        active_users: Count.openapi({
          description:
            "Users with a change recorded in the audit log that day by a user or client key, " +
            "or whose last activity falls on that day",
        }),
        memories_added: Count.openapi({
          description: "Add events in memory history that day (memories deleted since still count)",
        }),
        searches: Count.openapi({ description: "Searches counted by the servers themselves" }),
      }),
    ),
  })
  .openapi("Stats");

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
