/** The admin overview's shape (GET /v1/stats): the one definition behind its type and the OpenAPI document. */
import { z } from "@hono/zod-openapi";

const Count = z.number().int();

const StatsTotalsSchema = z.object({
  tenants: Count,
  users: Count,
  memories: Count.openapi({ description: "Memories not in state `deleted`" }),
  sessions: Count,
  keys: Count.openapi({ description: "Keys of every kind not revoked (expired ones included)" }),
});
export type StatsTotals = z.infer<typeof StatsTotalsSchema>;

const StatsDaySchema = z.object({
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
});
export type StatsDay = z.infer<typeof StatsDaySchema>;

export const StatsSchema = z
  .object({ totals: StatsTotalsSchema, days: z.array(StatsDaySchema) })
  .openapi("Stats");
export type Stats = z.infer<typeof StatsSchema>;
