/** Both storage backends for one behaviour suite: PGlite on a temp data dir, and a fresh PostgreSQL database. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../../src/config/config.js";

export interface Backend {
  name: "pglite" | "postgres";
  /** Makes a new, empty database and returns its config and a function that removes it. */
  create(): Promise<{ database: DatabaseConfig; env: Record<string, string>; drop(): Promise<void> }>;
}

const pgUrl = process.env.ENGRAM_TEST_DATABASE_URL;

export const pgliteBackend: Backend = {
  name: "pglite",
  async create() {
    const dir = mkdtempSync(join(tmpdir(), "engram-test-"));
    return {
      database: { kind: "pglite", dataDir: dir },
      env: { ENGRAM_DATA_DIR: dir },
      async drop() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

export const postgresBackend: Backend = {
  name: "postgres",
  async create() {
    if (!pgUrl) throw new Error("ENGRAM_TEST_DATABASE_URL is not set");
    const name = `engram_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(pgUrl);
    url.pathname = `/${name}`;
    return {
      database: { kind: "postgres", url: url.toString(), poolSize: 5 },
      env: { ENGRAM_DATABASE_URL: url.toString() },
      async drop() {
        const c = new pg.Client({ connectionString: pgUrl });
        await c.connect();
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
        await c.end();
      },
    };
  },
};

/** The backends this run covers: PGlite always; PostgreSQL when ENGRAM_TEST_DATABASE_URL is set (required in CI). */
export const backends: Backend[] = pgUrl ? [pgliteBackend, postgresBackend] : [pgliteBackend];
