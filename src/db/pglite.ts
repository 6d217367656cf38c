/** Embedded driver: PGlite (PostgreSQL in WASM) with pgvector, on a locked data dir, with fsync on. */

import { PGlite } from "@electric-sql/pglite";
import { vector } from "@electric-sql/pglite-pgvector";
import type { Logger } from "pino";
import { prepareDataDir } from "./data-dir.js";
import { type Db, DbError, type Queryable, userScopePreamble } from "./db.js";
import { DataDirLock } from "./lockfile.js";

/**
 * PGlite's default start parameters, less `-F` (which turns fsync off). Keep in step with
 * PGlite's `defaultStartParams` when upgrading the pinned version.
 */
const START_PARAMS = [
  "--single",
  "-O",
  "-j",
  "-c",
  "search_path=public",
  "-c",
  "exit_on_error=false",
  "-c",
  "log_checkpoints=false",
  "-c",
  "max_worker_processes=0",
  "-c",
  "max_parallel_workers=0",
  "-c",
  "max_parallel_workers_per_gather=0",
  "-c",
  "io_method=sync",
  "-c",
  "max_parallel_maintenance_workers=0",
  "-c",
  "fsync=on",
];

/** timestamptz's type oid. */
const TIMESTAMPTZ = 1184;

const PG_TIMESTAMPTZ = /^(\d{4})-(\d\d)-(\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d\d)(?::(\d\d))?(?::(\d\d))?$/;

/**
 * A timestamptz in PostgreSQL's text form ("0001-01-01 00:00:00+00"), read as ISO 8601. PGlite's own parser hands
 * the text to `new Date()`, whose non-ISO parsing takes years below 100 for 19xx or 20xx: an occurred_at in year
 * 0001 came back as 2001. Other forms (BC, past year 9999, infinity) are left to that parser, as before.
 */
export function parseTimestamptz(text: string): Date {
  const m = PG_TIMESTAMPTZ.exec(text);
  if (!m) return new Date(text);
  const [, y, mo, d, time, offH, offM = "00", offS] = m;
  const date = new Date(`${y}-${mo}-${d}T${time}${offH}:${offM}`);
  // Historical zones may carry offset seconds, which ISO 8601 cannot: applied by hand, with the hour's sign.
  if (offS) date.setTime(date.getTime() - Number(`${offH?.[0]}1`) * Number(offS) * 1000);
  return date;
}

interface PgliteQueryable {
  query<R>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  exec(sql: string): Promise<unknown>;
}

function wrap(target: PgliteQueryable): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await target.query<R>(sql, [...params])).rows;
      } catch (err) {
        throw new DbError(err, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        await target.exec(sql);
      } catch (err) {
        throw new DbError(err, sql);
      }
    },
  };
}

/** Writes between ANALYZE runs: often enough that plans follow a growing store, rarely enough to cost nothing. */
const ANALYZE_EVERY = 500;

export class PgliteDb implements Db {
  readonly kind = "pglite";
  private readonly q: Queryable;
  private writesSinceAnalyze = 0;

  private constructor(
    private readonly pg: PGlite,
    readonly lock: DataDirLock | undefined,
    private readonly log: Logger | undefined,
  ) {
    this.q = wrap(pg);
  }

  /** Opens (creating if needed) the data dir; `dataDir` undefined means in memory, for tests and tools. */
  static async open(dataDir: string | undefined, log?: Logger): Promise<PgliteDb> {
    let lock: DataDirLock | undefined;
    if (dataDir) {
      prepareDataDir(dataDir);
      lock = await DataDirLock.acquire(dataDir);
    }
    try {
      const pg = await PGlite.create({
        ...(dataDir ? { dataDir: `${dataDir}/pgdata` } : {}),
        extensions: { vector },
        parsers: { [TIMESTAMPTZ]: (text: string) => parseTimestamptz(text) },
        startParams: START_PARAMS,
      });
      return new PgliteDb(pg, lock, log);
    } catch (err) {
      lock?.release();
      throw err;
    }
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.q.query<R>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.q.exec(sql);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.pg.transaction((tx) => fn(wrap(tx)));
  }

  withUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const preamble = userScopePreamble(userId);
    return this.pg.transaction(async (tx) => {
      await tx.exec(preamble);
      return fn(wrap(tx));
    });
  }

  noteWrites(count: number): void {
    this.writesSinceAnalyze += count;
    if (this.writesSinceAnalyze < ANALYZE_EVERY) return;
    this.writesSinceAnalyze = 0;
    // Off the request's path; a failed ANALYZE only leaves the old statistics, but someone should know.
    this.analyze().catch((err: unknown) =>
      this.log?.warn({ err }, "background ANALYZE failed; planner statistics are stale until the next one"),
    );
  }

  /** Planner statistics: without them the planner guesses, and per-user filters and full-text plans suffer. */
  async analyze(): Promise<void> {
    if (!this.pg.closed) await this.pg.exec("ANALYZE");
  }

  async close(): Promise<void> {
    try {
      if (!this.pg.closed) await this.pg.close();
    } finally {
      this.lock?.release();
    }
  }
}
