/**
 * Import of an export file (format.ts), from any source of numbered JSON values:
 *
 *   importRecords(services: ImportServices, records: AsyncIterable<{ line: number; value: unknown }>,
 *                 opts?: ImportOptions): Promise<ImportSummary>
 *
 * (`ndjsonValues(chunks)` in format.ts turns a byte or text stream into such values; a converter such as the
 * OpenMemory reader yields record objects directly, with the line or row number it wants errors to name.)
 * Every value is validated. A user's block (its `user` record and the records after it, up to the next user or the
 * end) is written in one RLS-scoped transaction, or not at all when any of its lines is bad; other users still
 * import. Rows keep their ids and timestamps and are inserted with ON CONFLICT DO NOTHING, so importing a file
 * twice changes nothing the second time. Texts are re-embedded when the header names another model or dimension
 * than the server's, and for memories without a vector. A user's block is held in memory while it is written.
 */
import type { Logger } from "pino";
import { type AuditBy, auditByValues, SYSTEM_BY } from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { newId } from "../ids.js";
import { vectorLiteral } from "../memories/sql.js";
import { findJsonProblem, METADATA_MAX_DEPTH } from "../validation.js";
import {
  type Counts,
  type HeaderRecord,
  type MemoryRecord,
  type NumberedValue,
  RECORD_TYPES,
  type TransferRecord,
  TransferRecord as TransferRecordSchema,
  UnparsableLine,
  type UserOwnedRecord,
  type UserRecord,
  zeroCounts,
} from "./format.js";

/** What the importer needs of the services. */
export interface ImportServices {
  db: Db;
  embedder: Embedder;
  config: { search: { language: string }; limits: { textChars: number } };
  log?: Logger;
}

export interface ImportOptions {
  /** Who the audit rows of created users name (default: the system). */
  by?: AuditBy;
  /** Called after each user block (committed or not), e.g. for progress. */
  onProgress?: (p: { lines: number; users: number }) => void;
  /** Rows per INSERT statement and texts per embedding call (default 200). */
  batchSize?: number;
}

export interface LineError {
  line: number;
  message: string;
  /** `tenant/user_id` of the block the line is in, when known. */
  user?: string;
}

export interface ImportSummary {
  /** True when the file was complete and every line imported or already present. */
  ok: boolean;
  /** The file ended with its `end` record and the counts there matched the lines read. */
  complete: boolean;
  header: HeaderRecord | null;
  /** Rows written, per record type. */
  imported: Counts;
  /** Rows already present (same id, or the same user / app name), left as they were. */
  skipped_existing: Counts;
  /** Memories whose text was embedded here (model mismatch, or no vector in the file). */
  reembedded: number;
  users_imported: number;
  /** Users not written at all because a line of their block was bad or the write failed. */
  users_failed: number;
  /** Bad lines and failed blocks, by line number (at most MAX_ERRORS; error_count has them all). */
  errors: LineError[];
  error_count: number;
}

const MAX_ERRORS = 1000;

interface Block {
  line: number;
  user: UserRecord;
  records: Array<{ line: number; rec: UserOwnedRecord }>;
  /**
   * The memories' vectors from the file, as 32-bit floats (what pgvector stores): a JSON array of numbers kept
   * about 4.6 KB alive per memory, and a user's block is held whole (measured: 1.3 GB for 50,000 memories).
   */
  vectors: Map<string, Float32Array>;
  bad: boolean;
}

const who = (r: { tenant: string; user_id: string }) => `${r.tenant}/${r.user_id}`;

export async function importRecords(
  services: ImportServices,
  records: AsyncIterable<NumberedValue>,
  opts: ImportOptions = {},
): Promise<ImportSummary> {
  const s: ImportSummary = {
    ok: false,
    complete: false,
    header: null,
    imported: zeroCounts(),
    skipped_existing: zeroCounts(),
    reembedded: 0,
    users_imported: 0,
    users_failed: 0,
    errors: [],
    error_count: 0,
  };
  const fail = (line: number, message: string, user?: string) => {
    s.error_count++;
    if (s.errors.length < MAX_ERRORS) s.errors.push({ line, message, ...(user ? { user } : {}) });
  };
  const seen = zeroCounts();
  let block: Block | undefined;
  let lastLine = 0;
  let ended: Counts | undefined;
  let bodyLines = 0;
  let badLines = 0;
  const flush = async () => {
    if (!block) return;
    const b = block;
    block = undefined;
    if (b.bad) {
      s.users_failed++;
    } else {
      try {
        await writeBlock(services, s, b, opts);
        s.users_imported++;
      } catch (err) {
        s.users_failed++;
        fail(
          b.line,
          `user ${who(b.user)} not imported: ${err instanceof Error ? err.message : String(err)}`,
          who(b.user),
        );
      }
    }
    opts.onProgress?.({ lines: lastLine, users: s.users_imported + s.users_failed });
  };

  for await (const { line, value } of records) {
    lastLine = line;
    if (s.header && !ended && !(value instanceof Object && (value as { type?: unknown }).type === "end")) {
      bodyLines++;
    }
    if (ended) {
      fail(line, "a line after the end record");
      continue;
    }
    const rec = validate(value, services);
    if (typeof rec === "string") {
      if (!s.header) {
        fail(line, `the first line must be the header record: ${rec}`);
        // Without a header nothing can be interpreted: stop reading.
        return finish(s, seen, undefined);
      }
      badLines++;
      // The line is bad; it spoils the block it sits in, which is the current one unless it names another user.
      if (block) block.bad = true;
      fail(line, rec, block ? who(block.user) : undefined);
      continue;
    }
    if (!s.header) {
      if (rec.type !== "header") {
        fail(line, "the first line must be the header record");
        return finish(s, seen, undefined);
      }
      s.header = rec;
      continue;
    }
    switch (rec.type) {
      case "header":
        fail(line, "a second header record");
        if (block) block.bad = true;
        break;
      case "end":
        await flush();
        ended = rec.counts;
        break;
      case "tenant":
        await flush();
        seen.tenant++;
        try {
          const rows = await services.db.query(
            "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING id",
            [rec.id, rec.name, rec.created_at],
          );
          if (rows.length > 0) s.imported.tenant++;
          else s.skipped_existing.tenant++;
        } catch (err) {
          fail(line, `tenant ${rec.id}: ${err instanceof Error ? err.message : String(err)}`);
        }
        break;
      case "user":
        await flush();
        seen.user++;
        block = { line, user: rec, records: [], bad: false, vectors: new Map() };
        break;
      default: {
        seen[rec.type]++;
        if (!block) {
          fail(line, `a ${rec.type} record before any user record`);
        } else if (rec.tenant !== block.user.tenant || rec.user_id !== block.user.user_id) {
          block.bad = true;
          fail(
            line,
            `a ${rec.type} record of ${who(rec)} inside the block of ${who(block.user)}`,
            who(block.user),
          );
        } else if (rec.type === "memory" && rec.embedding && rec.embedding.length !== s.header.dimensions) {
          block.bad = true;
          fail(
            line,
            `embedding: ${rec.embedding.length} numbers, the header says ${s.header.dimensions}`,
            who(rec),
          );
        } else if (rec.type === "memory" && rec.embedding) {
          block.vectors.set(rec.id, Float32Array.from(rec.embedding));
          block.records.push({ line, rec: { ...rec, embedding: null } });
        } else {
          block.records.push({ line, rec });
        }
      }
    }
  }
  if (ended) return finish(s, seen, ended, bodyLines, badLines);
  // No end record: the last block may be cut short, so it is not written.
  if (block) {
    s.users_failed++;
    fail(lastLine, `file ends without its end record: user ${who(block.user)} not imported`, who(block.user));
    block = undefined;
  } else if (s.header) {
    fail(lastLine, "file ends without its end record (truncated?)");
  } else {
    fail(lastLine, "empty input: no header record");
  }
  return finish(s, seen, undefined);
}

async function finish(
  s: ImportSummary,
  seen: Counts,
  expected: Counts | undefined,
  bodyLines = 0,
  badLines = 0,
): Promise<ImportSummary> {
  if (expected) {
    // Lines between header and end against the announced total: a bad line has no trustworthy type, but it counts.
    const announced = RECORD_TYPES.reduce((n, t) => n + expected[t], 0);
    s.complete = announced === bodyLines;
    const off = RECORD_TYPES.filter((t) => expected[t] !== seen[t]);
    if (!s.complete || (badLines === 0 && off.length > 0)) {
      s.complete = false;
      s.error_count++;
      s.errors.push({
        line: 0,
        message:
          `the end record announces ${announced} records, ${bodyLines} were read` +
          (off.length > 0
            ? ` (${off.map((t) => `${t}: ${seen[t]} valid, ${expected[t]} announced`).join("; ")})`
            : ""),
      });
    }
  }
  s.ok = s.complete && s.error_count === 0;
  return s;
}

/** The record, or why the value is not one. */
function validate(value: unknown, services: ImportServices): TransferRecord | string {
  if (value instanceof UnparsableLine) return value.message;
  // A record nests metadata (METADATA_MAX_DEPTH levels) a level or two down; anything deeper is not one.
  const problem = findJsonProblem(value, METADATA_MAX_DEPTH + 4);
  if (problem) return `${problem.path.join(".") || "line"}: ${problem.message}`;
  const parsed = TransferRecordSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return `${issue?.path.join(".") || "record"}: ${issue?.message ?? "invalid"}`;
  }
  const rec = parsed.data;
  if (rec.type === "memory" && rec.text.trim().length > services.config.limits.textChars) {
    return `text: longer than this server's limit of ${services.config.limits.textChars} characters`;
  }
  return rec;
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Finds or creates the user (owner role), embeds what needs it, then writes the block under the user's RLS scope. */
async function writeBlock(
  services: ImportServices,
  s: ImportSummary,
  b: Block,
  opts: ImportOptions,
): Promise<void> {
  const { db, embedder } = services;
  const header = s.header as HeaderRecord;
  const size = opts.batchSize ?? 200;
  const u = b.user;
  const sameModel =
    header.embedding_model === embedder.model && header.dimensions === Math.trunc(embedder.dimensions);

  const memories = b.records.flatMap((r) => (r.rec.type === "memory" ? [r.rec] : []));
  // Embedded before the transaction: PGlite holds its only session for a transaction's whole length.
  const vectors = new Map<string, number[]>();
  const { userPk, created } = await ensureUser(db, u, opts.by ?? SYSTEM_BY);
  try {
    // A memory already here keeps its row (ON CONFLICT DO NOTHING): embedding its text again would be wasted.
    const needing = memories.filter((m) => !sameModel || !b.vectors.has(m.id));
    const present = new Set<string>();
    if (!created && needing.length > 0) {
      const rows = await db.withUser(userPk, (tx) =>
        tx.query<{ id: string }>("SELECT id FROM memories WHERE user_id = $1 AND id = ANY($2::text[])", [
          userPk,
          needing.map((m) => m.id),
        ]),
      );
      for (const r of rows) present.add(r.id);
    }
    const toEmbed = needing.filter((m) => !present.has(m.id));
    for (const part of chunk(toEmbed, size)) {
      const got = await embedder.embed(
        part.map((m) => m.text.trim()),
        { scope: userPk },
      );
      part.forEach((m, i) => {
        const v = got[i];
        if (v) vectors.set(m.id, v);
      });
    }
    await db.withUser(userPk, async (tx) => {
      const common = { tx, tenant: u.tenant, userPk, size };
      const apps = b.records.flatMap((r) => (r.rec.type === "app" ? [r.rec] : []));
      await insertRows(common, s, "app", apps, {
        table: "apps",
        columns: ["id", "name", "description", "is_active", "created_at", "updated_at"],
        casts: ["text", "text", "text", "boolean", "timestamptz", "timestamptz"],
        values: (a) => [a.id, a.name, a.description, a.is_active, a.created_at, a.updated_at],
      });
      s.skipped_existing.memory += present.size;
      const fresh = memories.filter((m) => !present.has(m.id));
      await insertRows(common, s, "memory", fresh, {
        table: "memories",
        columns: [
          "id",
          "app",
          "session_id",
          "text",
          "metadata",
          "state",
          "embedding",
          "embedding_model",
          "search_config",
          "occurred_at",
          "created_at",
          "updated_at",
        ],
        casts: [
          "text",
          "text",
          "text",
          "text",
          "jsonb",
          "text",
          "vector",
          "text",
          "regconfig",
          "timestamptz",
          "timestamptz",
          "timestamptz",
        ],
        values: (m: MemoryRecord) => [
          m.id,
          m.app,
          m.session_id,
          m.text,
          JSON.stringify(m.metadata),
          m.state,
          vectorLiteral(vectors.get(m.id) ?? (b.vectors.get(m.id) as Float32Array)),
          embedder.model,
          services.config.search.language,
          // A file from before event times: the best known is when the memory was stored.
          m.occurred_at ?? m.created_at,
          m.created_at,
          m.updated_at,
        ],
      });
      const events = b.records.flatMap((r) => (r.rec.type === "memory_event" ? [r.rec] : []));
      await insertRows(common, s, "memory_event", events, {
        table: "memory_events",
        columns: ["id", "memory_id", "event", "old_text", "new_text", "old_state", "new_state", "created_at"],
        casts: ["text", "text", "text", "text", "text", "text", "text", "timestamptz"],
        values: (e) => [
          e.id,
          e.memory_id,
          e.event,
          e.old_text,
          e.new_text,
          e.old_state,
          e.new_state,
          e.created_at,
        ],
      });
      const sessions = b.records.flatMap((r) => (r.rec.type === "session" ? [r.rec] : []));
      await insertRows(common, s, "session", sessions, {
        table: "sessions",
        columns: ["id", "metadata", "created_at", "last_activity_at", "expires_at"],
        casts: ["text", "jsonb", "timestamptz", "timestamptz", "timestamptz"],
        values: (x) => [x.id, JSON.stringify(x.metadata), x.created_at, x.last_activity_at, x.expires_at],
      });
      const messages = b.records.flatMap((r) => (r.rec.type === "message" ? [r.rec] : []));
      await insertRows(common, s, "message", messages, {
        table: "session_messages",
        columns: ["id", "session_id", "role", "content", "created_at"],
        casts: ["text", "text", "text", "text", "timestamptz"],
        values: (m) => [m.id, m.session_id, m.role, m.content, m.created_at],
      });
    });
  } catch (err) {
    // The block is all or nothing: a user this import created goes again with it.
    if (created) await db.query("DELETE FROM users WHERE id = $1", [userPk]);
    throw err;
  }
  if (created) s.imported.user++;
  else s.skipped_existing.user++;
  s.reembedded += vectors.size;
  db.noteWrites?.(memories.length);
}

async function ensureUser(db: Db, u: UserRecord, by: AuditBy): Promise<{ userPk: string; created: boolean }> {
  return db.transaction(async (tx) => {
    await tx.query("INSERT INTO tenants (id, name) VALUES ($1, $1) ON CONFLICT (id) DO NOTHING", [u.tenant]);
    const pk = newId("usr");
    const rows = await tx.query<{ id: string }>(
      `INSERT INTO users (id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT ON CONSTRAINT users_tenant_external_key DO NOTHING RETURNING id`,
      [pk, u.tenant, u.user_id, u.name, u.email, u.created_at, u.updated_at, u.last_active_at],
    );
    if (rows[0]) {
      await tx.query(
        `INSERT INTO audit_log (id, key_id, key_kind, request_id, client_addr, tenant_id, user_id, external_user_id,
           action, resource_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'user.create', $7)`,
        [newId("aud"), ...auditByValues(by), u.tenant, pk, u.user_id],
      );
      return { userPk: pk, created: true };
    }
    const found = await tx.query<{ id: string }>(
      "SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2",
      [u.tenant, u.user_id],
    );
    if (!found[0]) throw new Error(`user ${who(u)} vanished`);
    return { userPk: found[0].id, created: false };
  });
}

interface InsertSpec<R> {
  table: string;
  columns: string[];
  casts: string[];
  values: (r: R) => unknown[];
}

/**
 * Inserts rows in batches as arrays (one parameter per column whatever the batch size), tenant and user added to
 * every row, ON CONFLICT DO NOTHING: a row already there (same id, or an app of the same name) is counted skipped.
 */
async function insertRows<R>(
  c: { tx: Queryable; tenant: string; userPk: string; size: number },
  s: ImportSummary,
  type: keyof Counts,
  rows: R[],
  spec: InsertSpec<R>,
): Promise<void> {
  const cols = spec.columns.map((_, i) => `c${i}`);
  const select = spec.columns.map((_, i) => `c${i}::${spec.casts[i]}`).join(", ");
  const sql = `INSERT INTO ${spec.table} (tenant_id, user_id, ${spec.columns.join(", ")})
    SELECT $1, $2, ${select} FROM unnest(${cols.map((_, i) => `$${i + 3}::text[]`).join(", ")}) AS t(${cols.join(", ")})
    ON CONFLICT DO NOTHING RETURNING 1`;
  for (const part of chunk(rows, c.size)) {
    const values = part.map(spec.values);
    const arrays = spec.columns.map((_, i) =>
      values.map((v) => {
        const x = v[i];
        return x === null || x === undefined ? null : String(x);
      }),
    );
    const inserted = await c.tx.query(sql, [c.tenant, c.userPk, ...arrays]);
    s.imported[type] += inserted.length;
    s.skipped_existing[type] += part.length - inserted.length;
  }
}
