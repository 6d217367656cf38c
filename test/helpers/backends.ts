/** Both storage backends for one behaviour suite: PGlite on a temp data dir, and a fresh PostgreSQL database. */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { DatabaseConfig } from "../../src/config/config.js";

/** Where test/global-setup.ts leaves the run's migrated templates; unset outside vitest (the benches). */
export const PGLITE_TEMPLATE_ENV = "ENGRAM_TEST_PGLITE_TEMPLATE";
export const PG_TEMPLATE_ENV = "ENGRAM_TEST_PG_TEMPLATE";

export interface CreateOptions {
  /**
   * A store never opened before (an empty dir, a database without tables), for tests of a first start.
   * Otherwise, when the run made one, a copy of the migrated template: the same schema, several seconds sooner.
   */
  empty?: boolean;
}

export interface Backend {
  name: "pglite" | "postgres";
  /** Makes a new database and returns its config and a function that removes it. */
  create(
    opts?: CreateOptions,
  ): Promise<{ database: DatabaseConfig; env: Record<string, string>; drop(): Promise<void> }>;
}

const pgUrl = process.env.ENGRAM_TEST_DATABASE_URL;

export const pgliteBackend: Backend = {
  name: "pglite",
  async create(opts = {}) {
    const dir = mkdtempSync(join(tmpdir(), "engram-test-"));
    const template = process.env[PGLITE_TEMPLATE_ENV];
    // Only pgdata: the template was closed, but a lock file must never travel with a copy.
    if (template && !opts.empty) cpSync(join(template, "pgdata"), join(dir, "pgdata"), { recursive: true });
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
  async create(opts = {}) {
    if (!pgUrl) throw new Error("ENGRAM_TEST_DATABASE_URL is not set");
    const name = `engram_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
    const template = process.env[PG_TEMPLATE_ENV];
    const admin = new pg.Client({ connectionString: pgUrl });
    await admin.connect();
    try {
      await admin.query(
        template && !opts.empty ? `CREATE DATABASE ${name} TEMPLATE ${template}` : `CREATE DATABASE ${name}`,
      );
    } finally {
      await admin.end();
    }
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
