/** Numbered SQL migrations from migrations/, each applied once in its own transaction and recorded. */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { type Db, NO_STATEMENT_TIMEOUT } from "./db.js";

/** migrations/ sits at the package root; this file is two levels below it in both src/ and dist/. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("../../migrations/", import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({
      version: Number(f.slice(0, 3)),
      name: f.slice(4, -4),
      sql: readFileSync(`${dir}/${f}`, "utf8"),
    }));
}

/** The advisory lock (transaction-scoped) that serialises schema changes of servers starting together. */
export const MIGRATION_LOCK = 7263540001;

/** Applies pending migrations; returns the names applied. Safe to run from several servers at once on PostgreSQL. */
export async function migrate(db: Db, migrations: Migration[] = loadMigrations()): Promise<string[]> {
  // Under the same lock as the migrations: two servers starting at once on a fresh PostgreSQL database both ran
  // CREATE TABLE IF NOT EXISTS, and one died on pg_type's unique index (IF NOT EXISTS does not guard a race).
  await db.transaction(async (tx) => {
    await tx.exec(NO_STATEMENT_TIMEOUT);
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.exec(`CREATE TABLE IF NOT EXISTS engram_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  });
  const applied: string[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      // Servers starting together: one applies, the others wait here and then see it recorded.
      await tx.exec(NO_STATEMENT_TIMEOUT);
      await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      const rows = await tx.query("SELECT 1 FROM engram_migrations WHERE version = $1", [m.version]);
      if (rows.length > 0) return false;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO engram_migrations (version, name) VALUES ($1, $2)", [m.version, m.name]);
      return true;
    });
    if (done) applied.push(`${String(m.version).padStart(3, "0")}_${m.name}`);
  }
  return applied;
}

export async function pendingMigrations(
  db: Db,
  migrations: Migration[] = loadMigrations(),
): Promise<Migration[]> {
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('engram_migrations')::text AS t");
  if (!exists[0]?.t) return migrations;
  const rows = await db.query<{ version: number }>("SELECT version FROM engram_migrations");
  const done = new Set(rows.map((r) => r.version));
  return migrations.filter((m) => !done.has(m.version));
}
