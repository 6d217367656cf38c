// The comparison bench's in-process uses of Engram's own code, kept in this one file: the exhaustive ranking that
// recall is measured against (the server's search with every index scan off, so the vector side is exact) and the
// row-level-security overhead (the same search with and without the per-request user scope). Both open the store
// directly, with the server stopped.
import { loadConfig, type SearchConfig } from "../../src/config/config.js";
import type { Db } from "../../src/db/db.js";
import { openDb } from "../../src/db/open.js";
import { runSearch, type SearchMode } from "../../src/memories/search.js";
import { EMBEDDING_DIMENSIONS, embed } from "./dataset.js";
import { pool } from "./pool.js";
import { round, summarize } from "./stats.js";
import type { Store } from "./store.js";

export interface InternalSearch {
  userPk: string;
  query: string;
  mode: SearchMode;
}

export interface Internals {
  db: Db;
  search: SearchConfig;
  model: string;
  close(): Promise<void>;
}

/** Opens the store in-process with the search settings the server ran with (its ENGRAM_* environment). */
export async function openInternals(
  store: Store,
  serverEnv: Record<string, string>,
  model: string,
  poolSize: number,
): Promise<Internals> {
  const config = loadConfig({ ...serverEnv, ...store.env }, process.cwd());
  const { db } = await openDb(store.database(poolSize), {
    efSearch: config.search.efSearch,
    migrate: false,
  });
  return { db, search: config.search, model, close: () => db.close() };
}

function plan(i: Internals, s: InternalSearch, limit: number) {
  return {
    userPk: s.userPk,
    query: s.query,
    vector: s.mode === "keyword" ? null : embed(s.query),
    dims: EMBEDDING_DIMENSIONS,
    model: i.model,
    filters: undefined,
    limit,
    mode: s.mode,
    config: i.search,
  };
}

/** The server's ranking computed exhaustively: ids in order. */
export async function exhaustiveSearch(i: Internals, s: InternalSearch, limit: number): Promise<string[]> {
  const found = await i.db.withUser(s.userPk, async (tx) => {
    // No index scan: the vector side reads every row of the user (bitmap scans on user_id stay possible).
    await tx.exec("SET LOCAL enable_indexscan = off");
    return runSearch(tx, plan(i, s, limit));
  });
  return found.map((c) => c.row.id);
}

export interface RlsRun {
  mode: SearchMode;
  scoped: boolean;
  concurrency: number;
  searches: number;
  per_s: number;
  p50_ms: number;
  p95_ms: number;
}

/**
 * The same searches (SQL only: no HTTP, no embedding) with the per-request scope (db.withUser: SET LOCAL ROLE
 * engram_app and the user setting, so row-level security applies) and without it (db.transaction: the owning role,
 * RLS bypassed; every statement filters by user anyway). Runs alternate, `rounds` times each.
 */
export async function rlsOverhead(
  i: Internals,
  searches: InternalSearch[],
  concurrency: number[],
  durationMs: number,
  rounds: number,
): Promise<RlsRun[]> {
  const out: RlsRun[] = [];
  const run = async (scoped: boolean, c: number, dur = durationMs): Promise<RlsRun> => {
    const ms: number[] = [];
    let next = 0;
    const t0 = performance.now();
    const end = t0 + dur;
    await pool(
      Array.from({ length: c }, (_, w) => w),
      c,
      async () => {
        while (performance.now() < end) {
          const s = searches[next++ % searches.length] as InternalSearch;
          const p = plan(i, s, 10);
          const start = performance.now();
          if (scoped) await i.db.withUser(s.userPk, (tx) => runSearch(tx, p));
          else await i.db.transaction((tx) => runSearch(tx, p));
          ms.push(performance.now() - start);
        }
      },
    );
    const wall = performance.now() - t0;
    const st = summarize(ms);
    return {
      mode: searches[0]?.mode ?? "hybrid",
      scoped,
      concurrency: c,
      searches: ms.length,
      per_s: round(ms.length / (wall / 1000), 1),
      p50_ms: round(st.p50, 2),
      p95_ms: round(st.p95, 2),
    };
  };
  // Warm both paths (plans, buffers) before measuring.
  await run(true, 1, Math.min(500, durationMs));
  await run(false, 1, Math.min(500, durationMs));
  for (let r = 0; r < rounds; r++) {
    for (const c of concurrency) {
      const order = r % 2 === 0 ? [true, false] : [false, true];
      for (const scoped of order) out.push(await run(scoped, c));
    }
  }
  return out;
}
