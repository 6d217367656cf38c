/**
 * Once per run: decides whether the PostgreSQL suite runs (required under CI, skipped loudly elsewhere), and
 * makes the migrated template stores that test/helpers/backends.ts copies for each new test store.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { alive } from "../src/db/lockfile.js";
import { openDb } from "../src/db/open.js";
import { PG_TEMPLATE_ENV, PGLITE_TEMPLATE_ENV } from "./helpers/backends.js";

/**
 * A migrated PGlite data dir. Opening a fresh dir (initdb in WASM, then the migrations) took 4-9 s per store;
 * copying this one and opening the copy takes about 1.3 s. Closed before it is copied, so no lock is held.
 */
async function pgliteTemplate(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), `${PGLITE_PREFIX}${process.pid}-`));
  const { db } = await openDb({ kind: "pglite", dataDir: dir }, { efSearch: 40 });
  await db.close();
  return dir;
}

/**
 * A migrated PostgreSQL database that CREATE DATABASE ... TEMPLATE clones: about 0.1-0.2 s per test database
 * instead of 0.2-0.5 s to create one and migrate it. Named per run, as other runs may share the cluster.
 */
async function postgresTemplate(url: string): Promise<string> {
  const name = `${PG_PREFIX}${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await adminQuery(url, `CREATE DATABASE ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  // A clone needs the template free of sessions: close() ends the pool before the first test asks for one.
  const { db } = await openDb({ kind: "postgres", url: u.toString(), poolSize: 1 }, { efSearch: 40 });
  await db.close();
  return name;
}

async function adminQuery(url: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows;
  } finally {
    await client.end();
  }
}

const PGLITE_PREFIX = "engram-test-template-";
const PG_PREFIX = "engram_template_";

/**
 * A run killed before its teardown (a timeout, Ctrl-C twice) leaves its template, and its workers their test
 * databases. Each name carries the pid that made it: what a gone process left, nobody is using.
 */
async function removeLeftovers(url: string | undefined): Promise<void> {
  for (const entry of readdirSync(tmpdir())) {
    const pid = Number(/^engram-test-template-(\d+)-/.exec(entry)?.[1]);
    if (pid && !alive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
  }
  if (!url) return;
  const rows = await adminQuery(
    url,
    "SELECT datname FROM pg_database WHERE datname ~ '^engram_(template|test)_[0-9]+_[a-z0-9]+$'",
  );
  for (const { datname } of rows as Array<{ datname: string }>) {
    const pid = Number(datname.split("_")[2]);
    if (!alive(pid)) await adminQuery(url, `DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
  }
}

export async function setup(): Promise<() => Promise<void>> {
  const url = process.env.ENGRAM_TEST_DATABASE_URL;
  const ci = process.env.CI === "true" || process.env.CI === "1";
  if (!url && ci) {
    throw new Error(
      "CI=true but ENGRAM_TEST_DATABASE_URL is not set: the PostgreSQL suite is required in CI (see .ci/run)",
    );
  }
  if (!url) {
    process.stderr.write(
      "\n*** PostgreSQL suite SKIPPED: ENGRAM_TEST_DATABASE_URL is not set. Only the PGlite suite runs.\n" +
        '*** To run it: eval "$(bash scripts/ci/pg-cluster.sh start)" && npm test\n\n',
    );
  }

  await removeLeftovers(url);
  const [pgliteDir, pgName] = await Promise.all([
    pgliteTemplate(),
    url ? postgresTemplate(url) : Promise.resolve(undefined),
  ]);
  // The workers are forked after this returns, with this environment.
  process.env[PGLITE_TEMPLATE_ENV] = pgliteDir;
  if (pgName) process.env[PG_TEMPLATE_ENV] = pgName;

  return async () => {
    rmSync(pgliteDir, { recursive: true, force: true });
    if (url && pgName) await adminQuery(url, `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`);
  };
}
