/**
 * The REST shapes of export and import: the query of GET /v1/export and the answer of POST /v1/import. Apart from
 * routes.ts so that the SDK (src/client/types.ts) can take their types without importing a route module.
 */
import { z } from "@hono/zod-openapi";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";

export const ExportQuery = z.object({
  user_id: UserIdSchema.optional().openapi({ description: "Admin only: export this user (with `tenant`)" }),
  tenant: TenantIdSchema.optional().openapi({
    description: "Admin only: the user's tenant (default `default`), or alone: export the whole tenant",
  }),
  all: z.enum(["true", "false"]).optional().openapi({ description: "Admin only: export every tenant" }),
});

const CountsSchema = z.object({
  tenant: z.number().int(),
  user: z.number().int(),
  app: z.number().int(),
  memory: z.number().int(),
  memory_event: z.number().int(),
  session: z.number().int(),
  message: z.number().int(),
});

export const ImportSummarySchema = z
  .object({
    ok: z.boolean(),
    complete: z
      .boolean()
      .openapi({ description: "The file ended with its end record, and its counts matched" }),
    header: z.record(z.string(), z.unknown()).nullable(),
    imported: CountsSchema,
    skipped_existing: CountsSchema,
    reembedded: z.number().int(),
    users_imported: z.number().int(),
    users_failed: z.number().int(),
    errors: z.array(z.object({ line: z.number().int(), message: z.string(), user: z.string().optional() })),
    error_count: z.number().int(),
  })
  .openapi("ImportSummary");
