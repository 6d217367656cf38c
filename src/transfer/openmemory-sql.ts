/** Reading an OpenMemory database: one small query interface over its SQLite file (sql.js) or PostgreSQL, and its SQL. */
import { readFile } from "node:fs/promises";
import pg from "pg";

/** Every value comes back as text (or null): the queries CAST, so that SQLite and PostgreSQL rows look alike. */
export type SourceRow<K extends string = string> = Record<K, string | null>;

export interface OpenMemorySource {
  /** "sqlite" or "postgres", for messages. */
  kind: "sqlite" | "postgres";
  /** `$1`-style parameters in both dialects. */
  query<K extends string>(sql: string, params?: string[]): Promise<Array<SourceRow<K>>>;
  tables(): Promise<Set<string>>;
  close(): Promise<void>;
}

/** A postgres:// URL, or a SQLite file (OpenMemory's own `sqlite:///./openmemory.db` form is accepted too). */
export async function openOpenMemorySource(location: string): Promise<OpenMemorySource> {
  if (/^postgres(ql)?:\/\//.test(location)) return openPostgres(location);
  return openSqlite(location.replace(/^sqlite:\/\/\//, ""));
}

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("utf8");
  return String(v);
}

async function openSqlite(file: string): Promise<OpenMemorySource> {
  const bytes = await readFile(file);
  if (bytes.subarray(0, 16).toString("latin1") !== "SQLite format 3\0") {
    throw new Error(`${file} is not a SQLite database (nor a postgres:// URL)`);
  }
  // Loaded here only: the WebAssembly build installs anywhere, and no other command pays for it.
  const initSqlJs = (await import("sql.js")).default;
  const SQL = await initSqlJs();
  const db = new SQL.Database(bytes);
  return {
    kind: "sqlite",
    async query<K extends string>(sql: string, params: string[] = []) {
      const stmt = db.prepare(sql.replace(/\$(\d+)/g, "?$1"));
      try {
        stmt.bind(params);
        const rows: Array<SourceRow<K>> = [];
        while (stmt.step()) {
          const raw = stmt.getAsObject();
          rows.push(Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, asText(v)])) as SourceRow<K>);
        }
        return rows;
      } finally {
        stmt.free();
      }
    },
    async tables() {
      const r = db.exec("SELECT name FROM sqlite_master WHERE type = 'table'");
      return new Set((r[0]?.values ?? []).map((row) => String(row[0])));
    },
    async close() {
      db.close();
    },
  };
}

async function openPostgres(url: string): Promise<OpenMemorySource> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // One consistent snapshot, and a guarantee that reading never writes to the source.
  await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
  return {
    kind: "postgres",
    async query<K extends string>(sql: string, params: string[] = []) {
      const r = await client.query(sql, params);
      return r.rows.map(
        (row: Record<string, unknown>) =>
          Object.fromEntries(Object.entries(row).map(([k, v]) => [k, asText(v)])) as SourceRow<K>,
      );
    },
    async tables() {
      const r = await client.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()",
      );
      return new Set(r.rows.map((row) => row.name));
    },
    async close() {
      await client.query("ROLLBACK").catch(() => undefined);
      await client.end();
    },
  };
}

// CAST(... AS TEXT) works in both dialects: UUIDs (CHAR(32) hex in SQLite, uuid in PostgreSQL), enums, timestamps
// without a zone (UTC, as OpenMemory writes them) and JSON all arrive as strings.
const T = (col: string, as = col.replace(/^\w+\./, "")) => `CAST(${col} AS TEXT) AS ${as}`;

export const SQL = {
  users: `SELECT ${T("id")}, user_id, name, email, ${T("created_at")}, ${T("updated_at")}
    FROM users ORDER BY CAST(created_at AS TEXT), CAST(id AS TEXT)`,
  apps: `SELECT ${T("id")}, ${T("owner_id")}, name, description, ${T("is_active")}, ${T("created_at")}, ${T("updated_at")}
    FROM apps ORDER BY CAST(created_at AS TEXT), CAST(id AS TEXT)`,
  memoriesOf: `SELECT ${T("id")}, ${T("app_id")}, content, ${T("metadata")}, ${T("state")}, ${T("created_at")},
      ${T("updated_at")}
    FROM memories WHERE user_id = $1 ORDER BY CAST(created_at AS TEXT), CAST(id AS TEXT)`,
  categoriesOf: `SELECT ${T("mc.memory_id")}, c.name AS name
    FROM memory_categories mc JOIN categories c ON c.id = mc.category_id JOIN memories m ON m.id = mc.memory_id
    WHERE m.user_id = $1 ORDER BY c.name`,
  historyOf: `SELECT ${T("h.id")}, ${T("h.memory_id")}, ${T("h.old_state")}, ${T("h.new_state")}, ${T("h.changed_at")}
    FROM memory_status_history h JOIN memories m ON m.id = h.memory_id
    WHERE m.user_id = $1 ORDER BY CAST(h.changed_at AS TEXT), CAST(h.id AS TEXT)`,
  orphanMemories: `SELECT ${T("id")} FROM memories WHERE user_id NOT IN (SELECT id FROM users)`,
  orphanHistory: `SELECT ${T("id")} FROM memory_status_history WHERE memory_id NOT IN (SELECT id FROM memories)`,
  count: (table: string) => `SELECT CAST(COUNT(*) AS TEXT) AS n FROM ${table}`,
};
