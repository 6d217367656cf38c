/**
 * Export: an async generator of NDJSON lines (format.ts) read from the database in keyset-paged batches, so memory
 * stays flat whatever the size of the export. User-owned rows are read under that user's RLS scope (db.withUser).
 * Each batch is its own short transaction: a store written to during an export gives a file that is consistent per
 * row, not one snapshot (stop writers for a point-in-time copy).
 */
import type { Db, Queryable } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { VERSION } from "../version.js";
import {
  type AppRecord,
  type Counts,
  FORMAT_NAME,
  FORMAT_VERSION,
  type HeaderRecord,
  type MemoryEventRecord,
  type MemoryRecord,
  type MessageRecord,
  type SessionRecord,
  type TenantRecord,
  type UserRecord,
  zeroCounts,
} from "./format.js";

/** What to export: one user (by tenant and external id), one tenant, or everything. */
export type ExportScope =
  | { kind: "user"; tenant: string; userId: string }
  | { kind: "tenant"; tenant: string }
  | { kind: "all" };

export interface ExportOptions {
  /** Rows per query (default 500). */
  batchSize?: number;
}

/** The database and the model whose vectors the file carries (other models' vectors are exported as null). */
export interface ExportSource {
  db: Db;
  embedder: Pick<Embedder, "model" | "dimensions">;
}

/** A timestamp column as ISO 8601 UTC with microseconds: what the database holds, to the last digit. */
const ts = (col: string, as = col) =>
  `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ${as}`;

type Row = Record<string, unknown>;
const str = (v: unknown) => v as string;
const strOrNull = (v: unknown) => (v === null || v === undefined ? null : String(v));

interface UserRef {
  pk: string;
  tenant: string;
  userId: string;
}

export async function* exportLines(
  src: ExportSource,
  scope: ExportScope,
  opts: ExportOptions = {},
): AsyncGenerator<string> {
  const line = (r: object) => JSON.stringify(r);
  const counts = zeroCounts();
  const header: HeaderRecord = {
    type: "header",
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    server_version: VERSION,
    embedding_model: src.embedder.model,
    dimensions: Math.trunc(src.embedder.dimensions),
    exported_at: new Date().toISOString(),
  };
  yield line(header);
  for (const t of await tenantsOf(src.db, scope)) {
    counts.tenant++;
    yield line(t);
  }
  for await (const user of usersOf(src.db, scope, opts.batchSize ?? 500)) {
    counts.user++;
    yield line(user.record);
    yield* userLines(src, user.ref, counts, opts.batchSize ?? 500);
  }
  const end: { type: "end"; counts: Counts } = { type: "end", counts };
  yield line(end);
}

async function tenantsOf(db: Db, scope: ExportScope): Promise<TenantRecord[]> {
  const rows = await db.query<Row>(
    `SELECT id, name, ${ts("created_at")} FROM tenants WHERE $1::text IS NULL OR id = $1 ORDER BY id`,
    [scope.kind === "all" ? null : scope.tenant],
  );
  return rows.map((r) => ({
    type: "tenant",
    id: str(r.id),
    name: str(r.name),
    created_at: str(r.created_at),
  }));
}

async function* usersOf(
  db: Db,
  scope: ExportScope,
  batch: number,
): AsyncGenerator<{ ref: UserRef; record: UserRecord }> {
  let after = "";
  for (;;) {
    const rows = await db.query<Row>(
      `SELECT id, tenant_id, external_id, name, email, ${ts("created_at")}, ${ts("updated_at")},
         ${ts("last_active_at")}
       FROM users
       WHERE ($1::text IS NULL OR tenant_id = $1) AND ($2::text IS NULL OR external_id = $2) AND id > $3
       ORDER BY id LIMIT $4`,
      [scope.kind === "all" ? null : scope.tenant, scope.kind === "user" ? scope.userId : null, after, batch],
    );
    for (const r of rows) {
      yield {
        ref: { pk: str(r.id), tenant: str(r.tenant_id), userId: str(r.external_id) },
        record: {
          type: "user",
          tenant: str(r.tenant_id),
          user_id: str(r.external_id),
          name: strOrNull(r.name),
          email: strOrNull(r.email),
          created_at: str(r.created_at),
          updated_at: str(r.updated_at),
          last_active_at: strOrNull(r.last_active_at),
        },
      };
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    after = str(last.id);
  }
}

/**
 * Keyset pages of one user's rows, each page one RLS-scoped transaction. `page(tx, cursor)` returns the rows after
 * the cursor; `cursorOf` the cursor of a row.
 */
async function* paged<C>(
  db: Db,
  userPk: string,
  first: C,
  page: (tx: Queryable, cursor: C) => Promise<Row[]>,
  cursorOf: (r: Row) => C,
  batch: number,
): AsyncGenerator<Row> {
  let cursor = first;
  for (;;) {
    const rows = await db.withUser(userPk, (tx) => page(tx, cursor));
    yield* rows;
    const last = rows[rows.length - 1];
    if (!last || rows.length < batch) return;
    cursor = cursorOf(last);
  }
}

async function* userLines(
  src: ExportSource,
  u: UserRef,
  counts: Counts,
  batch: number,
): AsyncGenerator<string> {
  const { db } = src;
  const owner = { tenant: u.tenant, user_id: u.userId };
  const dims = Math.trunc(src.embedder.dimensions);

  for await (const r of paged(
    db,
    u.pk,
    "",
    (tx, after) =>
      tx.query<Row>(
        `SELECT id, name, description, is_active, ${ts("created_at")}, ${ts("updated_at")}
         FROM apps WHERE user_id = $1 AND name > $2 ORDER BY name LIMIT $3`,
        [u.pk, after, batch],
      ),
    (r) => str(r.name),
    batch,
  )) {
    const rec: AppRecord = {
      type: "app",
      ...owner,
      id: str(r.id),
      name: str(r.name),
      description: strOrNull(r.description),
      is_active: Boolean(r.is_active),
      created_at: str(r.created_at),
      updated_at: str(r.updated_at),
    };
    counts.app++;
    yield JSON.stringify(rec);
  }

  for await (const r of paged(
    db,
    u.pk,
    "",
    (tx, after) =>
      tx.query<Row>(
        `SELECT id, text, metadata, app, session_id, state, ${ts("occurred_at")}, ${ts("created_at")}, ${ts("updated_at")},
           CASE WHEN embedding_model = $3 AND vector_dims(embedding) = $4 THEN embedding::text END AS embedding
         FROM memories WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $5`,
        [u.pk, after, src.embedder.model, dims, batch],
      ),
    (r) => str(r.id),
    batch,
  )) {
    const rec: MemoryRecord = {
      type: "memory",
      ...owner,
      id: str(r.id),
      text: str(r.text),
      metadata: (r.metadata ?? {}) as Record<string, unknown>,
      app: str(r.app),
      session_id: strOrNull(r.session_id),
      state: r.state as MemoryRecord["state"],
      occurred_at: str(r.occurred_at),
      created_at: str(r.created_at),
      updated_at: str(r.updated_at),
      // pgvector's text form is a JSON array.
      embedding: r.embedding ? (JSON.parse(str(r.embedding)) as number[]) : null,
    };
    counts.memory++;
    yield JSON.stringify(rec);
  }

  for await (const r of paged(
    db,
    u.pk,
    ["", ""] as [string, string],
    (tx, [mem, id]) =>
      tx.query<Row>(
        `SELECT id, memory_id, event, old_text, new_text, old_state, new_state, ${ts("created_at")}
         FROM memory_events WHERE user_id = $1 AND (memory_id, id) > ($2, $3) ORDER BY memory_id, id LIMIT $4`,
        [u.pk, mem, id, batch],
      ),
    (r) => [str(r.memory_id), str(r.id)] as [string, string],
    batch,
  )) {
    const rec: MemoryEventRecord = {
      type: "memory_event",
      ...owner,
      id: str(r.id),
      memory_id: str(r.memory_id),
      event: r.event as MemoryEventRecord["event"],
      old_text: strOrNull(r.old_text),
      new_text: strOrNull(r.new_text),
      old_state: strOrNull(r.old_state) as MemoryEventRecord["old_state"],
      new_state: strOrNull(r.new_state) as MemoryEventRecord["new_state"],
      created_at: str(r.created_at),
    };
    counts.memory_event++;
    yield JSON.stringify(rec);
  }

  const sessionPage = (tx: Queryable, after: string) =>
    tx.query<Row>(
      `SELECT id, metadata, ${ts("created_at")}, ${ts("last_activity_at")}, ${ts("expires_at")}
       FROM sessions WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [u.pk, after, batch],
    );
  for await (const r of paged(db, u.pk, "", sessionPage, (r) => str(r.id), batch)) {
    const rec: SessionRecord = {
      type: "session",
      ...owner,
      id: str(r.id),
      metadata: (r.metadata ?? {}) as Record<string, unknown>,
      created_at: str(r.created_at),
      last_activity_at: str(r.last_activity_at),
      expires_at: str(r.expires_at),
    };
    counts.session++;
    yield JSON.stringify(rec);
  }
  // Messages after every session (a message names its session), walked session by session on their index.
  for await (const s of paged(db, u.pk, "", sessionPage, (r) => str(r.id), batch)) {
    for await (const r of paged(
      db,
      u.pk,
      "",
      (tx, after) =>
        tx.query<Row>(
          `SELECT id, role, content, ${ts("created_at")} FROM session_messages
           WHERE session_id = $1 AND user_id = $2 AND id > $3 ORDER BY id LIMIT $4`,
          [s.id, u.pk, after, batch],
        ),
      (r) => str(r.id),
      batch,
    )) {
      const rec: MessageRecord = {
        type: "message",
        ...owner,
        id: str(r.id),
        session_id: str(s.id),
        role: r.role as MessageRecord["role"],
        content: str(r.content),
        created_at: str(r.created_at),
      };
      counts.message++;
      yield JSON.stringify(rec);
    }
  }
}
