// Throwaway stores for a bench run: a temp PGlite data dir, or a fresh database on the PostgreSQL server the env names.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../../src/config/config.js";

export type BackendKind = "pglite" | "postgres";

export interface Store {
  backend: BackendKind;
  /** The ENGRAM_* settings that point a spawned server at this store. */
  env: Record<string, string>;
  /** The same store as an in-process database config, for openDb() or an in-process Engram. */
  database(poolSize: number): DatabaseConfig;
  drop(): Promise<void>;
}

const pgUrl = process.env.ENGRAM_BENCH_DATABASE_URL || process.env.ENGRAM_TEST_DATABASE_URL || undefined;

/** A new empty store: a temp PGlite data dir, or a fresh database on the PostgreSQL server at pgUrl. */
export async function createStore(backend: BackendKind): Promise<Store> {
  if (backend === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "engram-bench-"));
    return {
      backend,
      env: { ENGRAM_DATA_DIR: dir },
      database: () => ({ kind: "pglite", dataDir: dir }),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!pgUrl) throw new Error("no PostgreSQL URL: set ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL");
  const name = `engram_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    env: { ENGRAM_DATABASE_URL: url.toString() },
    database: (poolSize) => ({ kind: "postgres", url: url.toString(), poolSize }),
    async drop() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/**
 * The backends to run: PGlite always, PostgreSQL when a URL is set; `only` (from arguments or an env list) narrows
 * them, and an empty `only` means all.
 */
export function benchBackends(only?: readonly string[]): BackendKind[] {
  const all: BackendKind[] = pgUrl ? ["pglite", "postgres"] : ["pglite"];
  return all.filter((b) => !only || only.length === 0 || only.includes(b));
}
