// Search and insert benchmark through real HTTP on loopback against the spawned built server, per backend.
// Run: npx tsx bench/search-latency.ts   (writes bench/results/search-latency.json; PostgreSQL too when
// ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL is set). See bench/README.md for what each number means.

import { pool } from "./lib/pool.js";
import {
  ADMIN_KEY,
  buildIfNeeded,
  type EngramProcess,
  rssMb,
  runIfMain,
  spawnEngram,
  stopEngram,
  waitReady,
} from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { benchBackends, createStore } from "./lib/store.js";
import { sampler, sentences, type Template, VOCAB, type Words } from "./lib/text.js";

const MAIN_MEMORIES = 1000;
const OTHER_USERS = 4;
const OTHER_MEMORIES = 250;
const SEQUENTIAL_INSERTS = 100;
const INSERT_CONCURRENCY = 8;
const WARMUP_SEARCHES = 20;
const SEARCHES = 200;
const CACHED_SEARCHES = 50;
const OTHER_USER_SEARCHES = 50;
const SEMANTIC_SEARCHES = 100;
const LIMIT = 10;

/**
 * This bench's words: the first few of each list in VOCAB, the lists it has always drawn from, so every run (and the
 * committed results) inserts and searches the same texts.
 */
const WORDS: Words = {
  ...VOCAB,
  name: VOCAB.name.slice(0, 12),
  city: VOCAB.city.slice(0, 10),
  food: VOCAB.food.slice(0, 7),
  allergen: VOCAB.allergen.slice(0, 6),
  job: VOCAB.job.slice(0, 7),
  company: VOCAB.company.slice(0, 6),
  topic: VOCAB.topic.slice(0, 5),
  hobby: VOCAB.hobby.slice(0, 6),
  item: VOCAB.item.slice(0, 5),
  month: VOCAB.month.slice(0, 10),
  car: VOCAB.car.slice(0, 5),
};

/** Memory templates (seeded: the same 1,000 + 4 x 250 texts on every run). */
const MEMORIES: readonly Template[] = [
  (p) => `${p("name")} prefers ${p("food")} in the morning and avoids it after 4pm.`,
  (p) => `The user is allergic to ${p("allergen")}; mention it when booking restaurants.`,
  (p, n) => `${p("name")} works as a ${p("job")} at ${p("company")} in ${p("city")} since ${2010 + n(14)}.`,
  (p, n) =>
    `On ${p("month")} ${1 + n(28)}, ${p("name")} met ${p("name")} in ${p("city")} to discuss ${p("topic")}.`,
  (p, n) =>
    `${p("name")} has a dentist appointment on ${p("month")} ${1 + n(28)} at ${8 + n(9)}:${n(2) ? "30" : "00"}.`,
  (p, n) =>
    `Flight ${["TP", "LH", "AF", "KL"][n(4)]}${100 + n(900)} to ${p("city")} departs ${p("month")} ${1 + n(28)}.`,
  (p, n) => `${p("name")} paid $${20 + n(1980)} for ${p("item")} in ${p("month")}.`,
  (_p, n) => `The user ran ${3 + n(20)} km on Sunday in ${20 + n(100)} minutes and felt great.`,
  (p) => `${p("name")}'s favourite hobby is ${p("hobby")}; they go every weekend.`,
  (p, n) =>
    `${p("name")}'s daughter turns ${2 + n(15)} on ${p("month")} ${1 + n(28)}; she wants ${p("item")}.`,
  (p, n) => `The user drives a ${2005 + n(19)} ${p("car")} and needs an oil change every ${5 + n(6)},000 km.`,
  (p) => `Remind ${p("name")} to send the notes about ${p("topic")} before Friday.`,
  (p) => `${p("name")} dislikes ${p("food")} and never orders it.`,
  (p, n) =>
    `The team's standup moved to ${8 + n(3)}:${n(2) ? "15" : "45"} because ${p("name")} is in ${p("city")}.`,
];

/** Query templates. */
const QUESTIONS: readonly Template[] = [
  (p) => `What does ${p("name")} like to drink?`,
  (p) => `When is ${p("name")}'s dentist appointment?`,
  (p) => `Where does ${p("name")} work?`,
  () => "Does the user have any allergies?",
  (p) => `trip to ${p("city")}`,
  (p) => `How much did ${p("name")} spend on ${p("item")}?`,
  (p) => `Who met ${p("name")} in ${p("month")}?`,
  () => "how far did I run last weekend",
  (p) => `${p("food")} preferences`,
  () => "what car do I drive",
  (p) => `birthday present for ${p("name")}'s daughter`,
  (p) => `meeting about ${p("topic")}`,
  (p) => `hobbies of ${p("name")}`,
  (p) => `is ${p("name")} allergic to ${p("allergen")}`,
  (p) => `what time is the standup while ${p("name")} travels`,
  (p) => `when did ${p("name")} and ${p("name")} meet in ${p("city")}`,
  (p) => `flight to ${p("city")} in ${p("month")}`,
  (p) => `what did ${p("name")} buy in ${p("month")}`,
];

/** `count` distinct queries: repeated texts would hit the server's query-embedding cache and flatter the numbers. */
function distinctQueries(seed: number, count: number, exclude: Set<string> = new Set()): string[] {
  return sentences(seed, count, QUESTIONS, { vocab: WORDS, exclude });
}

/** `count` memory texts from a seeded stream (they may repeat, as memories do). */
function memoryTexts(seed: number, count: number): string[] {
  const next = sampler(seed, WORDS);
  return Array.from({ length: count }, () => next(MEMORIES));
}

async function api(
  p: EngramProcess,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<any> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

function stats(ms: number[]) {
  const s = summarize(ms);
  return {
    n: s.n,
    mean_ms: round(s.mean, 2),
    p50_ms: round(s.p50, 2),
    p95_ms: round(s.p95, 2),
    p99_ms: round(s.p99, 2),
    max_ms: round(s.max, 2),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

/** Inserts texts with `concurrency` requests in flight; returns memories per second and the ids. */
async function insertConcurrently(p: EngramProcess, key: string, texts: string[], concurrency: number) {
  const t0 = performance.now();
  const ids = await pool(
    texts,
    concurrency,
    async (text) => (await api(p, "POST", "/v1/memories", key, { text })).id as string,
  );
  return { per_second: round(texts.length / ((performance.now() - t0) / 1000), 1), ids };
}

interface SearchRun {
  latency: ReturnType<typeof stats>;
  mean_results: number;
  short_results: number;
  foreign_results: number;
}

/** Sequential searches (one at a time: latency, not throughput); also checks each result belongs to the user. */
async function searchRun(
  p: EngramProcess,
  key: string,
  queries: string[],
  own: Set<string>,
  mode?: "semantic",
): Promise<SearchRun> {
  const ms: number[] = [];
  let results = 0;
  let short = 0;
  let foreign = 0;
  for (const query of queries) {
    const [t, body] = await timed(() =>
      api(p, "POST", "/v1/memories/search", key, { query, limit: LIMIT, ...(mode ? { mode } : {}) }),
    );
    ms.push(t);
    const rows = body.results as Array<{ id: string }>;
    results += rows.length;
    if (rows.length < Math.min(LIMIT, own.size)) short++;
    foreign += rows.filter((r) => !own.has(r.id)).length;
  }
  return {
    latency: stats(ms),
    mean_results: round(results / queries.length, 2),
    short_results: short,
    foreign_results: foreign,
  };
}

async function benchBackend(backend: "pglite" | "postgres") {
  const store = await createStore(backend);
  const p = await spawnEngram(store.env);
  try {
    const readyMs = await waitReady(p);
    const rssAfterStart = rssMb(p.pid);
    const log = (m: string) => process.stderr.write(`search: ${backend}: ${m}\n`);

    // Neighbours first, so the target user's rows sit among other users' rows as in a shared store.
    log(`${OTHER_USERS} other users x ${OTHER_MEMORIES} memories...`);
    const otherKeys: string[] = [];
    const otherIds: Set<string>[] = [];
    const t0 = performance.now();
    for (let u = 0; u < OTHER_USERS; u++) {
      const key = (await api(p, "POST", "/v1/users", ADMIN_KEY, { user_id: `bench_other_${u}` }))
        .api_key as string;
      const texts = memoryTexts(1000 + u, OTHER_MEMORIES);
      otherKeys.push(key);
      otherIds.push(new Set((await insertConcurrently(p, key, texts, INSERT_CONCURRENCY)).ids));
    }
    const otherPerSecond = round((OTHER_USERS * OTHER_MEMORIES) / ((performance.now() - t0) / 1000), 1);

    log(
      `main user: ${SEQUENTIAL_INSERTS} sequential + ${MAIN_MEMORIES - SEQUENTIAL_INSERTS} concurrent inserts...`,
    );
    const mainKey = (await api(p, "POST", "/v1/users", ADMIN_KEY, { user_id: "bench_main" }))
      .api_key as string;
    const texts = memoryTexts(42, MAIN_MEMORIES);
    const own = new Set<string>();
    const seqMs: number[] = [];
    for (const text of texts.slice(0, SEQUENTIAL_INSERTS)) {
      const [t, body] = await timed(() => api(p, "POST", "/v1/memories", mainKey, { text }));
      seqMs.push(t);
      own.add(body.id);
    }
    const conc = await insertConcurrently(p, mainKey, texts.slice(SEQUENTIAL_INSERTS), INSERT_CONCURRENCY);
    for (const id of conc.ids) own.add(id);
    const rssAfterInsert = rssMb(p.pid);

    log("searches...");
    const warm = distinctQueries(7, WARMUP_SEARCHES);
    const measured = distinctQueries(8, SEARCHES, new Set(warm));
    await searchRun(p, mainKey, warm, own);
    const main = await searchRun(p, mainKey, measured, own);
    // The same texts again: the query embedding comes from the server's LRU, so this is HTTP + auth + SQL only.
    const cached = await searchRun(p, mainKey, measured.slice(0, CACHED_SEARCHES), own);
    const otherQueries = distinctQueries(9, OTHER_USER_SEARCHES, new Set([...warm, ...measured]));
    const other = await searchRun(p, otherKeys[0] ?? "", otherQueries, otherIds[0] ?? new Set());
    // Vector side only (no full-text): what the default hybrid mode costs on top of it.
    const semanticQueries = distinctQueries(
      10,
      SEMANTIC_SEARCHES,
      new Set([...warm, ...measured, ...otherQueries]),
    );
    const semantic = await searchRun(p, mainKey, semanticQueries, own, "semantic");
    const rssAfterSearch = rssMb(p.pid);

    return {
      backend,
      ready_ms: round(readyMs),
      store: {
        main_user_memories: MAIN_MEMORIES,
        other_users: OTHER_USERS,
        memories_per_other_user: OTHER_MEMORIES,
      },
      insert: {
        sequential: stats(seqMs),
        concurrent_per_second: conc.per_second,
        concurrency: INSERT_CONCURRENCY,
        other_users_per_second: otherPerSecond,
      },
      search: {
        limit: LIMIT,
        main_user_new_queries: main,
        main_user_cached_queries: cached,
        other_user_new_queries: { memories: OTHER_MEMORIES, ...other },
        main_user_semantic_mode: semantic,
      },
      rss_mb: { after_start: rssAfterStart, after_inserts: rssAfterInsert, after_searches: rssAfterSearch },
    };
  } finally {
    await stopEngram(p);
    await store.drop();
  }
}

export async function runSearchBench(): Promise<void> {
  buildIfNeeded();
  const env = environment();
  const results = [];
  // Optional arguments name the backends to run (`pglite`, `postgres`); default: every available one.
  for (const backend of benchBackends(process.argv.slice(2))) results.push(await benchBackend(backend));
  const path = await writeResult("search-latency", {
    ...env,
    load_average_1m_at_end: loadAverage1m(),
    results,
  });

  const rows: Array<Array<string | number | null>> = [];
  for (const r of results) {
    const s = r.search;
    const runs: Array<[string, SearchRun]> = [
      ["search, 1k-memory user", s.main_user_new_queries],
      ["search, same queries cached", s.main_user_cached_queries],
      ["search, 250-memory user", s.other_user_new_queries],
      ["search mode=semantic, 1k user", s.main_user_semantic_mode],
    ];
    for (const [label, run] of runs) {
      const l = run.latency;
      rows.push([`${r.backend} ${label}`, l.n, l.p50_ms, l.p95_ms, l.p99_ms, l.mean_ms, run.mean_results]);
    }
    const q = r.insert.sequential;
    rows.push([`${r.backend} insert, one at a time`, q.n, q.p50_ms, q.p95_ms, q.p99_ms, q.mean_ms, "-"]);
  }
  printTable(
    `HTTP latency on loopback, ms (node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start})`,
    ["operation", "n", "p50", "p95", "p99", "mean", "results"],
    rows,
  );
  printTable(
    "Throughput and memory",
    [
      "backend",
      `inserts/s (${INSERT_CONCURRENCY} in flight)`,
      "RSS start MB",
      "after inserts",
      "after searches",
      "foreign",
    ],
    results.map((r) => [
      r.backend,
      r.insert.concurrent_per_second,
      r.rss_mb.after_start,
      r.rss_mb.after_inserts,
      r.rss_mb.after_searches,
      r.search.main_user_new_queries.foreign_results + r.search.other_user_new_queries.foreign_results,
    ]),
  );
  process.stdout.write(`\nwrote ${path}\n`);
}

runIfMain(import.meta.url, "search", runSearchBench);
