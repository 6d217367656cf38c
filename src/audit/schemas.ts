/** Audit log shapes: the query of GET /v1/audit (and `engram audit`), and one recorded event. */
import { z } from "@hono/zod-openapi";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { IsoTimestampSchema } from "../validation.js";

const Timestamp = z.string().openapi({ format: "date-time" });

export const AuditQuery = z.object({
  user_id: UserIdSchema.optional().openapi({ description: "Only events about this user (external id)" }),
  tenant: TenantIdSchema.optional().openapi({ description: "Only events in this tenant" }),
  key_id: z
    .string()
    .regex(/^key_[0-9a-z]{26}$/, "must be a key id (key_…)")
    .optional()
    .openapi({ description: "Only events by this key (the acting key's id)" }),
  action: z
    .string()
    .max(64)
    .regex(
      /^[a-z_]+(\.[a-z_]+)*(\.\*)?$/,
      "must be an action such as memory.add, or a prefix such as memory.*",
    )
    .optional()
    .openapi({
      description: "An action (`memory.add`), or every action under a prefix (`memory.*`, `admin.*`)",
    }),
  since: IsoTimestampSchema.optional().openapi({ description: "Only events at or after this time" }),
  until: IsoTimestampSchema.optional().openapi({ description: "Only events before this time" }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z
    .string()
    .regex(/^aud_[0-9a-z]{26}$/, "not a cursor returned by this API")
    .optional()
    .openapi({ description: "`next_cursor` of the previous page" }),
});
export type AuditQueryInput = z.infer<typeof AuditQuery>;

export const AuditEventSchema = z
  .object({
    id: z.string(),
    at: Timestamp,
    key_id: z
      .string()
      .nullable()
      .openapi({ description: "The acting key; null for keyless, start-up and CLI" }),
    key_kind: z.enum(["admin", "client", "user", "open", "system", "cli"]).openapi({
      description:
        "`system`: start-up (ENGRAM_ADMIN_KEY, the bootstrap key); `cli`: the admin CLI on the database",
    }),
    tenant: z.string().nullable(),
    user_id: z
      .string()
      .nullable()
      .openapi({ description: "The user the change or read concerns (external id)" }),
    action: z.string().openapi({ example: "memory.add" }),
    resource_id: z
      .string()
      .nullable()
      .openapi({
        description:
          "The memory, key, app, session, user or tenant; for `data.export` and `data.import`, the scope and " +
          "counts as `key=value` pairs (`scope=tenant tenant=1 user=3 memory=9 ...`)",
      }),
    outcome: z.string().openapi({
      description:
        "`ok`: committed changes only are recorded. `request.refused`: the error code. `data.export` and " +
        "`data.import`: `ok`, or `aborted` (the client left or stalled) or `failed`, with the counts so far",
    }),
    request_id: z.string().nullable(),
    client_addr: z.string().nullable(),
  })
  .openapi("AuditEvent");
/** One event as GET /v1/audit answers it. */
export type AuditEvent = z.infer<typeof AuditEventSchema>;

export const AuditPage = z
  .object({ events: z.array(AuditEventSchema), next_cursor: z.string().nullable() })
  .openapi("AuditPage");
