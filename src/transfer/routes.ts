/** GET /v1/export (a user's own data, or an admin's choice of user, tenant or all) and POST /v1/import (admin). */
import { createRoute, z } from "@hono/zod-openapi";
import { byPrincipal } from "../audit/store.js";
import { AppError } from "../errors.js";
import { adminOnly, needs, requestContext, requireAdmin, routeActor } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { findUserRow } from "../identity/user-store.js";
import { type ExportScope, exportLines } from "./export.js";
import { NDJSON_TYPE, ndjsonValues } from "./format.js";
import { importRecords } from "./import.js";

/** The path whose body the app's bodyLimit leaves alone (src/http/app.ts): an import is as large as the export. */
export const IMPORT_PATH = "/v1/import";

const ExportQuery = z.object({
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

/**
 * Typed as a plain string on purpose: @hono/zod-openapi reads `application/x-ndjson` as a malformed JSON type and
 * would then accept no response at all from the handler; as `string` the handler returns a plain Response.
 */
const NDJSON_KEY: string = NDJSON_TYPE;

const ndjson = (description: string) => ({
  description,
  content: { [NDJSON_KEY]: { schema: z.string().openapi({ description: "One JSON record per line" }) } },
});

/** Turns a line generator into a byte stream that pulls one line at a time (backpressure: flat memory). */
function toStream(lines: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await lines.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(`${next.value}\n`));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
}

export function registerTransferRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/export",
      security,
      middleware: [needs("memories:read", "sessions:read")],
      summary:
        "Export as NDJSON: a user or client key its (named) user's data; the admin key a user, a tenant or all",
      request: { query: ExportQuery },
      responses: {
        200: ndjson("The export file, streamed (docs/api.md, Export and import)"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const p = c.var.principal;
      const services = c.var.services;
      let scope: ExportScope;
      const named = q.user_id !== undefined || q.tenant !== undefined || q.all === "true";
      if (p.kind === "admin" && named) {
        if (q.user_id !== undefined) {
          const tenant = q.tenant ?? "default";
          if (!(await findUserRow(services.db, tenant, q.user_id)))
            throw new AppError("user_not_found", `user '${q.user_id}' not found in tenant '${tenant}'`);
          scope = { kind: "user", tenant, userId: q.user_id };
        } else if (q.tenant !== undefined) {
          const t = await services.db.query("SELECT 1 FROM tenants WHERE id = $1", [q.tenant]);
          if (t.length === 0) throw new AppError("tenant_not_found", `tenant '${q.tenant}' not found`);
          scope = { kind: "tenant", tenant: q.tenant };
        } else {
          scope = { kind: "all" };
        }
      } else {
        if (named) {
          throw new AppError(
            "forbidden",
            "user_id, tenant and all: only the admin key names what to export",
            {
              field: q.user_id !== undefined ? "user_id" : q.tenant !== undefined ? "tenant" : "all",
            },
          );
        }
        if (
          p.kind === "admin" &&
          c.req.header("x-user-id") === undefined &&
          c.req.header("x-muxi-user-id") === undefined
        ) {
          throw new AppError(
            "validation_error",
            "the admin key names what to export: ?user_id=, ?tenant= or ?all=true",
            {
              field: "user_id",
            },
          );
        }
        const actor = await routeActor(c);
        scope = { kind: "user", tenant: actor.tenantId, userId: actor.userId };
      }
      c.header("Content-Type", NDJSON_TYPE);
      c.header("Cache-Control", "no-store");
      return c.body(toStream(exportLines(services, scope)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: IMPORT_PATH,
      tags: ["admin"],
      security,
      middleware: [adminOnly],
      summary:
        "Import an export file (NDJSON, streamed; no body size limit): atomic per user, idempotent, re-embeds on a model change",
      request: {
        body: {
          required: true,
          content: { [NDJSON_TYPE]: { schema: z.string().openapi({ description: "An export file" }) } },
        },
      },
      responses: {
        200: jsonResponse(ImportSummarySchema, "What was imported, skipped and refused"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const p = requireAdmin(c);
      const type = c.req.header("content-type") ?? "";
      // application/json too: an NDJSON file is lines of JSON, and some clients cannot choose the type.
      if (!/^application\/(x-ndjson|jsonl|x-jsonlines|json)\b/i.test(type)) {
        throw new AppError("unsupported_media_type", `Content-Type: expected ${NDJSON_TYPE}`, {
          field: "Content-Type",
        });
      }
      const body = c.req.raw.body;
      const chunks: AsyncIterable<Uint8Array> = body ?? (async function* () {})();
      const summary = await importRecords(c.var.services, ndjsonValues(chunks), {
        by: byPrincipal(p, requestContext(c)),
      });
      if (!summary.header) {
        // Not an export file at all (nothing was written): the request is wrong, not the data in it.
        throw new AppError("validation_error", `body: ${summary.errors[0]?.message ?? "no header record"}`, {
          field: "body",
        });
      }
      return c.json(summary, 200);
    },
  );
}
