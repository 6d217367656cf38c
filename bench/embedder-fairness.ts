// Embedder fairness between users (issue #9, items 3 and 8): an in-process Engram (built-in model, PGlite), user A
// and user B. (1) Does A's search make B's search of the same text faster (a cross-user cache timing signal)? (2) How
// long do B's searches and short adds take while A keeps 6 adds of 16,000 characters in flight?
// Run: npx tsx bench/embedder-fairness.ts (writes bench/results/embedder-fairness.json).
import type { Backend } from "../test/helpers/backends.js";
import { makeUser, startEngram, type TestEngram } from "../test/helpers/runtime.js";
import { pool } from "./lib/pool.js";
import { NO_RATE_LIMITS, runIfMain } from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { createStore } from "./lib/store.js";
import { MEMORY_TEMPLATES, QUERY_TEMPLATES, sampler, sentences } from "./lib/text.js";

/** B's memories, so that B's searches have something to rank. */
const B_MEMORIES = 200;
/** Cross-user cache rounds: A searches a text, then B searches the same text, then a fresh one, then that again. */
const CACHE_ROUNDS = 30;
const WARMUP = 10;
/** B's sequential searches per phase (idle, under A's load): few, because without fairness each takes seconds. */
const SEARCHES = 20;
/** B's sequential short adds per phase. */
const ADDS = 8;
/** A's load: this many adds in flight, each a distinct text of LONG_CHARS characters (the default maximum). */
const LOAD_IN_FLIGHT = 6;
const LONG_CHARS = 16_000;
/** Time A's load runs before B starts, so that A's queue is full when B's first request arrives. */
const LOAD_LEAD_MS = 1_500;

function benchBackend(): Backend {
  return {
    name: "pglite",
    async create() {
      const store = await createStore("pglite");
      return { database: store.database(10), env: store.env, drop: store.drop };
    },
  };
}

/** Distinct texts of exactly `chars` characters: memory sentences after a numbered prefix (so no two are equal). */
function longTexts(chars: number): () => string {
  const next = sampler(77);
  let n = 0;
  return () => {
    let s = `Long note ${++n} from user A.`;
    while (s.length < chars) s += ` ${next(MEMORY_TEMPLATES)}`;
    return s.slice(0, chars);
  };
}

async function search(e: TestEngram, key: string, query: string): Promise<number> {
  const started = performance.now();
  const res = await e.call("POST", "/v1/memories/search", { key, body: { query, limit: 10 } });
  if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.body)}`);
  return performance.now() - started;
}

async function add(e: TestEngram, key: string, text: string): Promise<number> {
  const started = performance.now();
  const res = await e.call("POST", "/v1/memories", { key, body: { text } });
  if (res.status !== 201) throw new Error(`add: ${res.status} ${JSON.stringify(res.body)}`);
  return performance.now() - started;
}

/** A's load: LOAD_IN_FLIGHT adds of long texts, each followed at once by the next, until stopped. */
function startLoad(e: TestEngram, key: string) {
  const next = longTexts(LONG_CHARS);
  let stopping = false;
  let adds = 0;
  const started = performance.now();
  const loops = Array.from({ length: LOAD_IN_FLIGHT }, async () => {
    while (!stopping) {
      await add(e, key, next());
      adds++;
    }
  });
  return {
    async stop() {
      stopping = true;
      await Promise.all(loops);
      const seconds = (performance.now() - started) / 1000;
      return { adds, adds_per_s: round(adds / seconds, 2) };
    },
  };
}

function stats(ms: number[]) {
  const s = summarize(ms);
  return { n: s.n, p50_ms: round(s.p50), p95_ms: round(s.p95), mean_ms: round(s.mean), max_ms: round(s.max) };
}

export async function runFairnessBench(): Promise<void> {
  const env = environment();
  const log = (m: string) => process.stderr.write(`fairness: ${m}\n`);
  const queries = sentences(31, WARMUP + CACHE_ROUNDS * 2 + SEARCHES * 4, QUERY_TEMPLATES);
  const take = (n: number) => queries.splice(0, n);
  const e = await startEngram(benchBackend(), NO_RATE_LIMITS);
  try {
    const a = await makeUser(e, "bench_fair_a");
    const b = await makeUser(e, "bench_fair_b");
    log(`adding ${B_MEMORIES} memories for B...`);
    await pool(sentences(5, B_MEMORIES, MEMORY_TEMPLATES), 8, (text) => add(e, b, text));
    for (const q of take(WARMUP)) await search(e, b, q);

    log(`cross-user cache: ${CACHE_ROUNDS} rounds...`);
    const sameAsA: number[] = [];
    const fresh: number[] = [];
    const ownRepeat: number[] = [];
    const embedder = e.runtime.services.embedder;
    const cacheBefore = embedder.stats();
    for (let i = 0; i < CACHE_ROUNDS; i++) {
      const [shared, own] = take(2) as [string, string];
      await search(e, a, shared);
      sameAsA.push(await search(e, b, shared));
      fresh.push(await search(e, b, own));
      ownRepeat.push(await search(e, b, own));
    }
    const cacheAfter = embedder.stats();
    log(
      `  B, text A just searched: ${JSON.stringify(stats(sameAsA))}; fresh text: ${JSON.stringify(stats(fresh))}`,
    );

    log(`B: ${SEARCHES} searches and ${ADDS} adds, idle...`);
    const searchIdle: number[] = [];
    for (const q of take(SEARCHES)) searchIdle.push(await search(e, b, q));
    const embedIdle: number[] = [];
    for (const q of take(SEARCHES)) {
      const started = performance.now();
      await embedder.embedQuery(q, { scope: "bench_b_direct" });
      embedIdle.push(performance.now() - started);
    }
    const addIdle: number[] = [];
    for (let i = 0; i < ADDS; i++)
      addIdle.push(await add(e, b, `B's idle note ${i}: the spare key is under the mat.`));
    log(`  search: ${JSON.stringify(stats(searchIdle))}; add: ${JSON.stringify(stats(addIdle))}`);

    log(
      `B: ${SEARCHES} searches and ${ADDS} adds while A keeps ${LOAD_IN_FLIGHT} x ${LONG_CHARS}-character adds in flight...`,
    );
    const load = startLoad(e, a);
    await new Promise((r) => setTimeout(r, LOAD_LEAD_MS));
    const searchLoaded: number[] = [];
    for (const q of take(SEARCHES)) searchLoaded.push(await search(e, b, q));
    log(`  search: ${JSON.stringify(stats(searchLoaded))}`);
    // The embedder alone (no HTTP, no SQL): how much of a search's time under load is waiting for the model.
    const embedLoaded: number[] = [];
    for (const q of take(SEARCHES)) {
      const started = performance.now();
      await embedder.embedQuery(q, { scope: "bench_b_direct" });
      embedLoaded.push(performance.now() - started);
    }
    const addLoaded: number[] = [];
    for (let i = 0; i < ADDS; i++)
      addLoaded.push(await add(e, b, `B's busy note ${i}: the spare key is under the mat.`));
    const aLoad = await load.stop();

    const result = {
      ...env,
      load_average_1m_at_end: loadAverage1m(),
      backend: "pglite",
      embeddings: { batch_size: e.config.embeddings.batchSize, cache_size: e.config.embeddings.cacheSize },
      cross_user_cache: {
        b_same_text_a_just_searched: stats(sameAsA),
        b_fresh_text: stats(fresh),
        b_own_repeat: stats(ownRepeat),
        cache_hits: cacheAfter.cacheHits - cacheBefore.cacheHits,
        cache_misses: cacheAfter.cacheMisses - cacheBefore.cacheMisses,
      },
      a_load: { in_flight: LOAD_IN_FLIGHT, chars: LONG_CHARS, ...aLoad },
      b_search: { idle: stats(searchIdle), under_a_load: stats(searchLoaded) },
      b_embed_query_only: { idle: stats(embedIdle), under_a_load: stats(embedLoaded) },
      b_add: { idle: stats(addIdle), under_a_load: stats(addLoaded) },
    };
    const path = await writeResult("embedder-fairness", result);
    const c = result.cross_user_cache;
    printTable(
      `B's searches after A searched the same text (${CACHE_ROUNDS} rounds; node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start})`,
      ["B searches", "p50 ms", "p95 ms", "mean ms"],
      [
        [
          "the text A just searched",
          c.b_same_text_a_just_searched.p50_ms,
          c.b_same_text_a_just_searched.p95_ms,
          c.b_same_text_a_just_searched.mean_ms,
        ],
        ["a fresh text", c.b_fresh_text.p50_ms, c.b_fresh_text.p95_ms, c.b_fresh_text.mean_ms],
        ["its own text again", c.b_own_repeat.p50_ms, c.b_own_repeat.p95_ms, c.b_own_repeat.mean_ms],
      ],
    );
    printTable(
      `B alone vs B while A keeps ${LOAD_IN_FLIGHT} adds of ${LONG_CHARS} characters in flight (A: ${aLoad.adds} adds, ${aLoad.adds_per_s}/s)`,
      ["B's request", "A's load", "n", "p50 ms", "p95 ms", "mean ms", "max ms"],
      [
        ["search", "none", ...Object.values(result.b_search.idle)],
        ["search", "6 x 16k adds", ...Object.values(result.b_search.under_a_load)],
        ["embedQuery only", "none", ...Object.values(result.b_embed_query_only.idle)],
        ["embedQuery only", "6 x 16k adds", ...Object.values(result.b_embed_query_only.under_a_load)],
        ["add (short)", "none", ...Object.values(result.b_add.idle)],
        ["add (short)", "6 x 16k adds", ...Object.values(result.b_add.under_a_load)],
      ],
    );
    process.stdout.write(`\nwrote ${path}\n`);
  } finally {
    await e.close();
  }
}

runIfMain(import.meta.url, "fairness", runFairnessBench);
