// Search and insert benchmark through real HTTP on loopback against the spawned built server, per backend.
// Run: npx tsx bench/search-latency.ts   (writes bench/results/search-latency.json; PostgreSQL too when
// ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL is set). See bench/README.md for what each number means.
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import { pathToFileURL } from "node:url";
import {
  ADMIN_KEY,
  benchBackends,
  createStore,
  type EngramProcess,
  environment,
  killAll,
  percentile,
  printTable,
  ROOT,
  round,
  rssMb,
  spawnEngram,
  stopEngram,
  waitReady,
  writeResult,
} from "./startup.js";

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

/** mulberry32: a small deterministic PRNG, so every run inserts and searches the same texts. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Word lists, '|'-separated to keep them short. */
const words = (s: string): string[] => s.split("|");
const NAMES = words("Alice|Bob|Carmen|Dmitri|Elif|Farid|Grace|Hiro|Ines|Jonas|Kemi|Luca");
const CITIES = words("Lisbon|Osaka|Nairobi|Montreal|Krakow|Lima|Tbilisi|Hanoi|Oslo|Austin");
const FOODS = words(
  "ramen|dark roast coffee|green tea|sourdough bread|spicy tacos|mango sticky rice|falafel",
);
const ALLERGENS = words("peanuts|shellfish|penicillin|cat dander|gluten|bee stings");
const JOBS = words("nurse|data engineer|chef|architect|high-school teacher|product manager|pilot");
const COMPANIES = words("Acme Corp|Northwind|Globex|Initech|Umbrella Health|Stark Logistics");
const TOPICS = words(
  "the Q3 budget|the hiring plan|the kitchen renovation|a new pricing model|the wedding guest list",
);
const HOBBIES = words("bouldering|watercolour painting|chess|trail running|sourdough baking|birdwatching");
const ITEMS = words(
  "a road bike|concert tickets|a standing desk|noise-cancelling headphones|an espresso machine",
);
const MONTHS = words("January|February|March|April|May|June|July|August|September|October");
const CARS = words("Toyota Corolla|Volkswagen Golf|Tesla Model 3|Subaru Outback|Honda Civic");

type Pick = <T>(xs: readonly T[]) => T;

const MEMORY_TEMPLATES: Array<(p: Pick, n: (max: number) => number) => string> = [
  (p) => `${p(NAMES)} prefers ${p(FOODS)} in the morning and avoids it after 4pm.`,
  (p) => `The user is allergic to ${p(ALLERGENS)}; mention it when booking restaurants.`,
  (p, n) => `${p(NAMES)} works as a ${p(JOBS)} at ${p(COMPANIES)} in ${p(CITIES)} since ${2010 + n(14)}.`,
  (p, n) =>
    `On ${p(MONTHS)} ${1 + n(28)}, ${p(NAMES)} met ${p(NAMES)} in ${p(CITIES)} to discuss ${p(TOPICS)}.`,
  (p, n) =>
    `${p(NAMES)} has a dentist appointment on ${p(MONTHS)} ${1 + n(28)} at ${8 + n(9)}:${n(2) ? "30" : "00"}.`,
  (p, n) =>
    `Flight ${["TP", "LH", "AF", "KL"][n(4)]}${100 + n(900)} to ${p(CITIES)} departs ${p(MONTHS)} ${1 + n(28)}.`,
  (p, n) => `${p(NAMES)} paid $${20 + n(1980)} for ${p(ITEMS)} in ${p(MONTHS)}.`,
  (_p, n) => `The user ran ${3 + n(20)} km on Sunday in ${20 + n(100)} minutes and felt great.`,
  (p) => `${p(NAMES)}'s favourite hobby is ${p(HOBBIES)}; they go every weekend.`,
  (p, n) => `${p(NAMES)}'s daughter turns ${2 + n(15)} on ${p(MONTHS)} ${1 + n(28)}; she wants ${p(ITEMS)}.`,
  (p, n) => `The user drives a ${2005 + n(19)} ${p(CARS)} and needs an oil change every ${5 + n(6)},000 km.`,
  (p) => `Remind ${p(NAMES)} to send the notes about ${p(TOPICS)} before Friday.`,
  (p) => `${p(NAMES)} dislikes ${p(FOODS)} and never orders it.`,
  (p, n) =>
    `The team's standup moved to ${8 + n(3)}:${n(2) ? "15" : "45"} because ${p(NAMES)} is in ${p(CITIES)}.`,
];

const QUERY_TEMPLATES: Array<(p: Pick) => string> = [
  (p) => `What does ${p(NAMES)} like to drink?`,
  (p) => `When is ${p(NAMES)}'s dentist appointment?`,
  (p) => `Where does ${p(NAMES)} work?`,
  () => "Does the user have any allergies?",
  (p) => `trip to ${p(CITIES)}`,
  (p) => `How much did ${p(NAMES)} spend on ${p(ITEMS)}?`,
  (p) => `Who met ${p(NAMES)} in ${p(MONTHS)}?`,
  () => "how far did I run last weekend",
  (p) => `${p(FOODS)} preferences`,
  () => "what car do I drive",
  (p) => `birthday present for ${p(NAMES)}'s daughter`,
  (p) => `meeting about ${p(TOPICS)}`,
  (p) => `hobbies of ${p(NAMES)}`,
  (p) => `is ${p(NAMES)} allergic to ${p(ALLERGENS)}`,
  (p) => `what time is the standup while ${p(NAMES)} travels`,
  (p) => `when did ${p(NAMES)} and ${p(NAMES)} meet in ${p(CITIES)}`,
  (p) => `flight to ${p(CITIES)} in ${p(MONTHS)}`,
  (p) => `what did ${p(NAMES)} buy in ${p(MONTHS)}`,
];

function generator(seed: number) {
  const r = rng(seed);
  const n = (max: number) => Math.floor(r() * max);
  const p: Pick = (xs) => xs[n(xs.length)] as (typeof xs)[number];
  return {
    memory: () => (MEMORY_TEMPLATES[n(MEMORY_TEMPLATES.length)] ?? MEMORY_TEMPLATES[0])?.(p, n) ?? "",
    query: () => (QUERY_TEMPLATES[n(QUERY_TEMPLATES.length)] ?? QUERY_TEMPLATES[0])?.(p) ?? "",
  };
}

/** `count` distinct queries: repeated texts would hit the server's query-embedding cache and flatter the numbers. */
function distinctQueries(seed: number, count: number, exclude: Set<string> = new Set()): string[] {
  const g = generator(seed);
  const out = new Set<string>();
  for (let guard = 0; out.size < count && guard < count * 100; guard++) {
    const q = g.query();
    if (!exclude.has(q)) out.add(q);
  }
  if (out.size < count) throw new Error(`only ${out.size} distinct queries`);
  return [...out];
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
  const s = [...ms].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return {
    n: s.length,
    mean_ms: round(mean, 2),
    p50_ms: round(percentile(s, 50), 2),
    p95_ms: round(percentile(s, 95), 2),
    p99_ms: round(percentile(s, 99), 2),
    max_ms: round(s[s.length - 1] ?? Number.NaN, 2),
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const v = await fn();
  return [performance.now() - t0, v];
}

/** Inserts texts with `concurrency` requests in flight; returns memories per second and the ids. */
async function insertConcurrently(p: EngramProcess, key: string, texts: string[], concurrency: number) {
  const ids: string[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < texts.length) {
        const text = texts[next++] as string;
        ids.push((await api(p, "POST", "/v1/memories", key, { text })).id);
      }
    }),
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
      const g = generator(1000 + u);
      const texts = Array.from({ length: OTHER_MEMORIES }, g.memory);
      otherKeys.push(key);
      otherIds.push(new Set((await insertConcurrently(p, key, texts, INSERT_CONCURRENCY)).ids));
    }
    const otherPerSecond = round((OTHER_USERS * OTHER_MEMORIES) / ((performance.now() - t0) / 1000), 1);

    log(
      `main user: ${SEQUENTIAL_INSERTS} sequential + ${MAIN_MEMORIES - SEQUENTIAL_INSERTS} concurrent inserts...`,
    );
    const mainKey = (await api(p, "POST", "/v1/users", ADMIN_KEY, { user_id: "bench_main" }))
      .api_key as string;
    const g = generator(42);
    const texts = Array.from({ length: MAIN_MEMORIES }, g.memory);
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
  execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  const env = environment();
  const results = [];
  // Optional arguments name the backends to run (`pglite`, `postgres`); default: every available one.
  const only = process.argv.slice(2);
  for (const backend of benchBackends()) {
    if (only.length === 0 || only.includes(backend)) results.push(await benchBackend(backend));
  }
  const path = await writeResult("search-latency", {
    ...env,
    load_average_1m_at_end: round(loadavg()[0] ?? 0, 2),
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

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runSearchBench().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `search bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      killAll();
      process.exit(1);
    },
  );
}
