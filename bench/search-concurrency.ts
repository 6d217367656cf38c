// Search throughput under concurrency: an in-process Engram, one user with 1,000 memories, N searches in flight; shows
// the embedder's micro-batching (texts per worker call) and the query LRU. Run: npx tsx bench/search-concurrency.ts
// (writes bench/results/search-concurrency.json; PostgreSQL too when ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL is set).
import type { Backend } from "../test/helpers/backends.js";
import { makeUser, startEngram, type TestEngram } from "../test/helpers/runtime.js";
import { pool } from "./lib/pool.js";
import { NO_RATE_LIMITS, runIfMain } from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { type BackendKind, benchBackends, createStore } from "./lib/store.js";
import { MEMORY_TEMPLATES, QUERY_TEMPLATES, sentences } from "./lib/text.js";

const MEMORIES = 1_000;
const INSERT_CONCURRENCY = 8;
const CONCURRENCY = [1, 4, 16, 32];
/** Searches per run: a multiple of every concurrency, so the last round is full. */
const SEARCHES = 128;
/**
 * hybrid is what POST /v1/memories/search does by default (vector side + BM25 keyword side); semantic skips the
 * keyword SQL, so the embedder's share shows.
 */
const MODES = ["hybrid", "semantic"] as const;
type Mode = (typeof MODES)[number];
const WARMUP = 16;
/** Repeated runs cycle over this many texts: the first sight of each is embedded, the rest come from the LRU. */
const REPEATED_DISTINCT = 24;
const REPEATED_CONCURRENCY = [1, 16];
const LIMIT = 10;

/** Asking styles: multiply the question templates' texts into enough distinct queries (each must be embedded). */
const STYLES = [
  "",
  "Quick question: ",
  "Remind me, ",
  "Do you remember ",
  "Can you check ",
  "I forgot: ",
  "Tell me ",
];

function distinctQueries(count: number): string[] {
  const base = sentences(11, Math.ceil(count / STYLES.length) + 1, QUERY_TEMPLATES);
  const out: string[] = [];
  for (const style of STYLES)
    for (const q of base) out.push(style ? `${style}${q.charAt(0).toLowerCase()}${q.slice(1)}` : q);
  if (out.length < count) throw new Error(`only ${out.length} distinct queries`);
  return shuffle(out).slice(0, count);
}

function shuffle<T>(xs: T[]): T[] {
  // Deterministic: a fixed LCG, so runs are comparable. Not lib/stats.ts's shuffle(): another sequence would pick
  // other queries than the committed results were measured with.
  let s = 12345;
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** An in-process Engram on a throwaway bench store (test/helpers/runtime.ts takes a Backend). */
function benchBackend(kind: BackendKind): Backend {
  return {
    name: kind,
    async create() {
      const store = await createStore(kind);
      return { database: store.database(10), env: store.env, drop: store.drop };
    },
  };
}

/** Runs `texts.length` requests with `concurrency` in flight; returns each latency (ms) and the wall time. */
async function fire(concurrency: number, texts: string[], one: (text: string) => Promise<void>) {
  const t0 = performance.now();
  const ms = await pool(texts, concurrency, async (text) => {
    const s = performance.now();
    await one(text);
    return performance.now() - s;
  });
  return { ms, wallMs: performance.now() - t0 };
}

interface Run {
  mode: Mode;
  queries: "distinct" | "repeated";
  concurrency: number;
  searches: number;
  searches_per_s: number;
  p50_ms: number;
  p95_ms: number;
  mean_ms: number;
  embedder: {
    texts: number;
    batches: number;
    mean_batch: number;
    cache_hits: number;
    cache_misses: number;
    embeds_per_s: number;
  };
}

async function measure(
  e: TestEngram,
  key: string,
  mode: Mode,
  queries: Run["queries"],
  concurrency: number,
  texts: string[],
): Promise<Run> {
  const embedder = e.runtime.services.embedder;
  const before = embedder.stats();
  const { ms, wallMs } = await fire(concurrency, texts, async (query) => {
    const res = await e.call("POST", "/v1/memories/search", { key, body: { query, limit: LIMIT, mode } });
    if (res.status !== 200) throw new Error(`search: ${res.status} ${JSON.stringify(res.body)}`);
    if ((res.body.results as unknown[]).length !== LIMIT)
      throw new Error(`search returned ${res.body.results.length} results`);
  });
  const after = embedder.stats();
  const s = summarize(ms);
  const texts_ = after.texts - before.texts;
  const batches = after.batches - before.batches;
  return {
    mode,
    queries,
    concurrency,
    searches: texts.length,
    searches_per_s: round(texts.length / (wallMs / 1000), 1),
    p50_ms: round(s.p50, 1),
    p95_ms: round(s.p95, 1),
    mean_ms: round(s.mean, 1),
    embedder: {
      texts: texts_,
      batches,
      mean_batch: batches > 0 ? round(texts_ / batches, 2) : 0,
      cache_hits: after.cacheHits - before.cacheHits,
      cache_misses: after.cacheMisses - before.cacheMisses,
      embeds_per_s: round(texts_ / (wallMs / 1000), 1),
    },
  };
}

async function runBackend(kind: BackendKind, queries: string[]) {
  const log = (m: string) => process.stderr.write(`concurrency: ${kind}: ${m}\n`);
  const e = await startEngram(benchBackend(kind), NO_RATE_LIMITS);
  try {
    const key = await makeUser(e, "bench_concurrency");
    log(`inserting ${MEMORIES} memories through the API (${INSERT_CONCURRENCY} in flight)...`);
    const memories = sentences(21, MEMORIES, MEMORY_TEMPLATES);
    const ins = await fire(INSERT_CONCURRENCY, memories, async (text) => {
      const res = await e.call("POST", "/v1/memories", { key, body: { text } });
      if (res.status !== 201) throw new Error(`insert: ${res.status} ${JSON.stringify(res.body)}`);
    });
    // The model and its query cache are shared by both backends in this process: each backend gets its own texts.
    await measure(e, key, "hybrid", "distinct", 1, queries.splice(0, WARMUP));
    const runs: Run[] = [];
    for (const mode of MODES) {
      for (const c of CONCURRENCY) {
        log(`${mode}: ${SEARCHES} distinct searches, ${c} in flight...`);
        runs.push(await measure(e, key, mode, "distinct", c, queries.splice(0, SEARCHES)));
      }
    }
    // The LRU: semantic mode, where the embedding is most of the work.
    for (const c of REPEATED_CONCURRENCY) {
      const few = queries.splice(0, REPEATED_DISTINCT);
      log(`semantic: ${SEARCHES} searches over ${few.length} texts, ${c} in flight...`);
      const texts = Array.from({ length: SEARCHES }, (_, i) => few[i % few.length] as string);
      runs.push(await measure(e, key, "semantic", "repeated", c, texts));
    }
    return {
      backend: kind,
      memories: MEMORIES,
      insert_per_s: round(MEMORIES / (ins.wallMs / 1000), 1),
      embeddings: { batch_size: e.config.embeddings.batchSize, cache_size: e.config.embeddings.cacheSize },
      pool_size: e.config.database.kind === "postgres" ? e.config.database.poolSize : null,
      runs,
    };
  } finally {
    await e.close();
  }
}

export async function runConcurrencyBench(): Promise<void> {
  const env = environment();
  const kinds = benchBackends(process.env.CONCURRENCY_BENCH_BACKENDS?.split(","));
  const perBackend =
    WARMUP + SEARCHES * CONCURRENCY.length * MODES.length + REPEATED_DISTINCT * REPEATED_CONCURRENCY.length;
  const all = distinctQueries(perBackend * kinds.length);
  const results = [];
  for (const [i, kind] of kinds.entries()) {
    results.push(await runBackend(kind, all.slice(i * perBackend, (i + 1) * perBackend)));
  }
  const path = await writeResult("search-concurrency", {
    ...env,
    load_average_1m_at_end: loadAverage1m(),
    limit: LIMIT,
    results,
  });
  printTable(
    `In-process searches (limit ${LIMIT}) by one 1,000-memory user (node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start})`,
    [
      "backend",
      "mode",
      "queries",
      "in flight",
      "searches/s",
      "p50 ms",
      "p95 ms",
      "texts",
      "batches",
      "texts/batch",
      "hits",
      "embeds/s",
    ],
    results.flatMap((r) =>
      r.runs.map((x) => [
        r.backend,
        x.mode,
        x.queries,
        x.concurrency,
        x.searches_per_s,
        x.p50_ms,
        x.p95_ms,
        x.embedder.texts,
        x.embedder.batches,
        x.embedder.mean_batch,
        x.embedder.cache_hits,
        x.embedder.embeds_per_s,
      ]),
    ),
  );
  process.stdout.write(`\nwrote ${path}\n`);
}

runIfMain(import.meta.url, "concurrency", runConcurrencyBench);
