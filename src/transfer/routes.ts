/** GET /v1/export (a user's own data, or an admin's choice of user, tenant or all) and POST /v1/import (admin). */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type AuditBy, auditDetails, byPrincipal, recordAudit } from "../audit/store.js";
import { AppError } from "../errors.js";
import { adminOnly, needs, requestContext, requireAdmin, routeActor } from "../http/auth.js";
import type { App, AppEnv } from "../http/context.js";
import { errorResponses, jsonResponse, security } from "../http/openapi.js";
import { findUserRow } from "../identity/user-store.js";
import { type ExportScope, exportLines } from "./export.js";
import {
  type Counts,
  NDJSON_TYPE,
  ndjsonValues,
  RECORD_TYPES,
  type RecordType,
  zeroCounts,
} from "./format.js";
import { type ImportSummary, importRecords } from "./import.js";
import { ExportQuery, ImportSummarySchema } from "./schemas.js";

/**
 * The path whose body the app's bodyLimit leaves alone (src/http/app.ts), and whose upload is exempt from the
 * whole-request timeout (src/http/request-timeout.ts): an import is as large as the export it reads.
 */
export const IMPORT_PATH = "/v1/import";

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

const TYPE_PREFIX = /^\{"type":"([a-z_]+)"/;

/** A line's record type: export.ts writes `type` first, so the line's start says it without parsing the line. */
function recordType(line: string): string | undefined {
  const m = TYPE_PREFIX.exec(line);
  if (m) return m[1];
  const parsed = JSON.parse(line) as { type?: unknown };
  return typeof parsed.type === "string" ? parsed.type : undefined;
}

/** Where an export or import audit row files itself: the scope's tenant and user, when it has them. */
interface AuditPlace {
  tenantId: string | null;
  userPk: string | null;
  userId: string | null;
}

/**
 * The export's lines, passed through while counting the records, and its `data.export` audit row. The row of a
 * complete export is written before the end record is sent: if it cannot be written the stream fails, and the
 * client holds a file without its end record, which an import reports as truncated. A stream that stops early
 * (the client left, or the database failed) leaves an `aborted` or `failed` row with the counts sent so far.
 */
async function* auditedExport(
  c: Context<AppEnv>,
  lines: AsyncGenerator<string>,
  by: AuditBy,
  scope: ExportScope,
  place: AuditPlace,
): AsyncGenerator<string> {
  const counts = zeroCounts();
  const record = (outcome: string) =>
    recordAudit(c.var.services.db, by, {
      action: "data.export",
      ...place,
      resourceId: auditDetails({ scope: scope.kind, ...counts }),
      outcome,
    });
  let recorded = false;
  let outcome = "aborted";
  try {
    for await (const line of lines) {
      const type = recordType(line);
      if (type === "end") {
        recorded = true;
        await record("ok");
      } else if ((RECORD_TYPES as readonly string[]).includes(type ?? "")) {
        counts[type as RecordType]++;
      }
      yield line;
    }
  } catch (err) {
    outcome = "failed";
    throw err;
  } finally {
    if (!recorded) {
      await record(outcome).catch((failed: unknown) =>
        c.var.services.log.warn({ req_id: c.var.requestId, err: failed }, "could not record an export"),
      );
    }
  }
}

/** The upload of an import broke off: it stalled (nothing for the request timeout while the server waited) or failed. */
class BodyError extends Error {
  constructor(
    message: string,
    readonly stalled: boolean,
    opts?: { cause?: unknown },
  ) {
    super(message, opts);
  }
}

/** The next chunk, or BodyError when it takes longer than `ms` (0: no limit) or the connection breaks. */
function readWithin(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  ms: number,
): ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]> {
  return new Promise((resolve, reject) => {
    const timer =
      ms > 0
        ? setTimeout(
            () => reject(new BodyError(`body: no data for ${ms} ms (ENGRAM_REQUEST_TIMEOUT_MS)`, true)),
            ms,
          )
        : undefined;
    reader.read().then(
      (r) => {
        clearTimeout(timer);
        resolve(r);
      },
      (err: unknown) => {
        clearTimeout(timer);
        const why = err instanceof Error ? err.message : String(err);
        reject(new BodyError(`body: the upload broke off (${why})`, false, { cause: err }));
      },
    );
  });
}

/**
 * The import's body, chunk by chunk, under the request timeout as time without progress: each wait for the next
 * chunk is bounded, the time the importer spends writing what it read is not (the client, held back by TCP flow
 * control meanwhile, is not late). Node's whole-request timeout does not apply to this route
 * (src/http/request-timeout.ts); this bound is what keeps a stalled upload from holding its connection forever.
 */
async function* uploadChunks(body: ReadableStream<Uint8Array>, ms: number): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  // The body ended or broke: nothing left to cancel.
  let settled = false;
  try {
    for (;;) {
      let next: Awaited<ReturnType<typeof readWithin>>;
      try {
        next = await readWithin(reader, ms);
      } catch (err) {
        settled = !(err instanceof BodyError && err.stalled);
        throw err;
      }
      if (next.done) {
        settled = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // After a stall (or when the importer stops early): settles the pending read; the app's drain of the unread
    // body then closes the connection.
    if (!settled) await reader.cancel();
  }
}

function sum(counts: Counts): number {
  return RECORD_TYPES.reduce((n, t) => n + counts[t], 0);
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
      let place: AuditPlace = { tenantId: null, userPk: null, userId: null };
      const named = q.user_id !== undefined || q.tenant !== undefined || q.all === "true";
      if (p.kind === "admin" && named) {
        if (q.user_id !== undefined) {
          const tenant = q.tenant ?? "default";
          const row = await findUserRow(services.db, tenant, q.user_id);
          if (!row)
            throw new AppError("user_not_found", `user '${q.user_id}' not found in tenant '${tenant}'`);
          scope = { kind: "user", tenant, userId: q.user_id };
          place = { tenantId: tenant, userPk: row.id, userId: q.user_id };
        } else if (q.tenant !== undefined) {
          const t = await services.db.query("SELECT 1 FROM tenants WHERE id = $1", [q.tenant]);
          if (t.length === 0) throw new AppError("tenant_not_found", `tenant '${q.tenant}' not found`);
          scope = { kind: "tenant", tenant: q.tenant };
          place = { tenantId: q.tenant, userPk: null, userId: null };
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
        place = { tenantId: actor.tenantId, userPk: actor.userPk, userId: actor.userId };
      }
      // Every export is recorded, a user's own too: it is the whole of the data at once, unlike a listing.
      const lines = auditedExport(
        c,
        exportLines(services, scope),
        byPrincipal(p, requestContext(c)),
        scope,
        place,
      );
      c.header("Content-Type", NDJSON_TYPE);
      c.header("Cache-Control", "no-store");
      return c.body(toStream(lines), 200);
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
        408: {
          description:
            "The upload stalled: no data for ENGRAM_REQUEST_TIMEOUT_MS while the server waited; the connection is closed",
        },
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
      const services = c.var.services;
      const by = byPrincipal(p, requestContext(c));
      const body = c.req.raw.body;
      const chunks: AsyncIterable<Uint8Array> = body
        ? uploadChunks(body, services.config.serverTimeouts.requestMs)
        : (async function* () {})();
      const record = (outcome: string, details: Record<string, string | number | boolean>) =>
        recordAudit(services.db, by, {
          action: "data.import",
          tenantId: null,
          userPk: null,
          userId: null,
          resourceId: auditDetails(details),
          outcome,
        });
      let progress = { lines: 0, users: 0 };
      let summary: ImportSummary;
      try {
        summary = await importRecords(services, ndjsonValues(chunks), {
          by,
          onProgress: (at) => {
            progress = at;
          },
        });
      } catch (err) {
        // The user blocks written before the break stay (each is whole): the row says how far it got.
        await record(err instanceof BodyError ? "aborted" : "failed", {
          lines: progress.lines,
          users: progress.users,
        }).catch((failed: unknown) =>
          services.log.warn({ req_id: c.var.requestId, err: failed }, "could not record an import"),
        );
        if (!(err instanceof BodyError)) throw err;
        if (err.stalled) {
          // As Node answers a slow request elsewhere: 408 and the connection closed.
          c.header("Connection", "close");
          return c.body(null, 408);
        }
        throw new AppError("bad_request", err.message, { field: "body", cause: err });
      }
      if (!summary.header) {
        // Not an export file at all (nothing was written): the request is wrong, not the data in it.
        throw new AppError("validation_error", `body: ${summary.errors[0]?.message ?? "no header record"}`, {
          field: "body",
        });
      }
      await record("ok", {
        complete: summary.complete,
        users_imported: summary.users_imported,
        users_failed: summary.users_failed,
        errors: summary.error_count,
        ...summary.imported,
        skipped: sum(summary.skipped_existing),
        reembedded: summary.reembedded,
      });
      return c.json(summary, 200);
    },
  );
}
