// The comparison bench (`npm run bench`): Engram and mem0 OSS side by side, same data, same machine, same run, both
// fed by one loopback embeddings server and both driven over HTTP by one external load generator. Writes
// bench/results/benchmarks.json (raw cells and summaries), bench/results/benchmarks-search.svg (throughput and p95
// by concurrency, per system) and docs/benchmarks.md. See bench/README.md ("run.ts") for what each workload is.
//
//   npm run bench                       default: < 10 minutes on 2 cores
//   npm run bench -- --scale            10,000 users x 100 memories (and PGlite at full size)
//   npx tsx bench/run.ts --smoke --out-dir /tmp/x --no-doc   the CI smoke's configuration
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { writeBenchDoc } from "./lib/bench-doc.js";
import { writeCharts } from "./lib/chart.js";
import {
  type BenchUser,
  type Dataset,
  type DatasetSize,
  ExactIndex,
  makeDataset,
  QueryStream,
  queryPool,
  semanticRecall,
} from "./lib/dataset.js";
import { EMBEDDINGS_MODEL, type EmbeddingsServer, startEmbeddingsServer } from "./lib/embeddings-server.js";
import { exhaustiveSearch, openInternals, type RlsRun, rlsOverhead } from "./lib/engram-internals.js";
import { type Loadgen, type LoadRequest, type LoadSpec, startLoadgen } from "./lib/loadgen.js";
import {
  type Cell,
  type CellKey,
  type CellSummary,
  findSummary,
  rssMb,
  runCell,
  skippedCell,
  summarizeCells,
  type Target,
  waitIdle,
} from "./lib/measure.js";
import { ensurePeerInstalled, type PeerProcess, peerInstalled, spawnPeer } from "./lib/peer.js";
import {
  ADMIN_KEY,
  buildIfNeeded,
  type EngramProcess,
  freePort,
  ROOT,
  runIfMain,
  spawnEngram,
  stopEngram,
  waitReady,
} from "./lib/process.js";
import { environment, loadAverage1m } from "./lib/report.js";
import { type EngramSeed, type SeededUser, seedEngram } from "./lib/seed.js";
import { mean, median, round } from "./lib/stats.js";
import { type BackendKind, benchBackends, createStore, type Store } from "./lib/store.js";
import { MEMORY_TEMPLATES, sampler } from "./lib/text.js";

export interface Options {
  scale: boolean;
  smoke: boolean;
  backends: BackendKind[];
  peer: boolean;
  builtin: boolean;
  rounds: number;
  durationMs: number;
  warmupMs: number;
  drainMs: number;
  concurrency: number[];
  ingestConcurrency: number[];
  size: Record<BackendKind, DatasetSize>;
  ingestUsers: number;
  recallQueries: number;
  rlsDurationMs: number;
  /** Where the JSON and the chart go. */
  outDir: string;
  /** The markdown report, or null for none. */
  docPath: string | null;
}

const LIMIT = 10;
/** Highest rate a list of fresh requests is sized for (requests per second); beyond it a run stops early, flagged. */
const MAX_RATE = { search_small: 2500, search_large: 800, add: 1500 };
/** Warm runs cycle over this many (user, query) pairs, each asked once beforehand (8 at a time). */
const WARM_SET = 32;
/** A workload whose p50 is already above this at one concurrency is not run at the next (it would only queue). */
const SKIP_ABOVE_MS = 4_000;
/** Nor when c requests, each as slow as one alone at c1, would take longer than this to come round once. */
const PREDICTED_SKIP_MS = 10_000;
/** A cell's window stays open until this many measured requests completed (a slow server), up to MAX_WINDOW_MS. */
const MIN_SAMPLES = 3;
const MAX_WINDOW_MS = 15_000;
/** Longest drain: a closed loop of c requests against a slow server needs about c x its latency to come round. */
const MAX_DRAIN_MS = 20_000;

export function parseArgs(argv: readonly string[]): Options {
  const flag = (name: string) => argv.includes(`--${name}`);
  const value = (name: string): string | undefined => {
    const hit = argv.find((a) => a.startsWith(`--${name}=`));
    return hit?.slice(name.length + 3);
  };
  const num = (name: string, def: number) => {
    const v = value(name);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: ${v}`);
    return n;
  };
  const smoke = flag("smoke");
  const scale = flag("scale");
  const backendsArg = value("backends")?.split(",");
  // Default: PostgreSQL when a URL is set (the comparison with mem0 needs it), else PGlite; --backends names others.
  const available = benchBackends(backendsArg);
  const backends =
    backendsArg || available.length === 1 ? available : available.filter((b) => b === "postgres");
  if (backends.length === 0) throw new Error(`--backends=${value("backends")}: none available`);
  const users = num("users", smoke ? 20 : scale ? 10_000 : 2_000);
  const memoriesPerUser = num("memories", smoke ? 10 : 100);
  const largeUser = num("large", smoke ? 50 : 50_000);
  const pgSize = { users, memoriesPerUser, largeUser };
  // PGlite loads rows several times slower than PostgreSQL (one WASM thread, the keyword-statistics trigger per row)
  // and builds the HNSW index in one thread: by default it gets an eighth of the users and a tenth of the large user,
  // so that a run without PostgreSQL stays within its time budget too.
  const pgliteSize =
    smoke || scale || value("users") || value("large")
      ? pgSize
      : { users: Math.round(users / 8), memoriesPerUser, largeUser: Math.round(largeUser / 10) };
  const conc = value("concurrency")
    ?.split(",")
    .map(Number)
    .filter((n) => n > 0);
  return {
    scale,
    smoke,
    backends,
    peer: !flag("no-peer"),
    builtin: !flag("no-builtin") && !smoke,
    rounds: num("rounds", smoke ? 1 : 3),
    durationMs: num("duration", smoke ? 300 : 2_000),
    warmupMs: num("warmup", smoke ? 100 : 300),
    drainMs: num("drain", 5_000),
    concurrency: conc?.length ? conc : smoke ? [1] : [1, 8, 32],
    ingestConcurrency: smoke ? [1] : [1, 8],
    size: { postgres: pgSize, pglite: pgliteSize },
    ingestUsers: smoke ? 4 : 50,
    recallQueries: num("recall", smoke ? 5 : 30),
    rlsDurationMs: smoke ? 200 : 1_000,
    outDir: resolve(value("out-dir") ?? join(ROOT, "bench", "results")),
    docPath: flag("no-doc") ? null : resolve(value("doc") ?? join(ROOT, "docs", "benchmarks.md")),
  };
}

const started = performance.now();
const log = (m: string) =>
  process.stderr.write(`bench [${((performance.now() - started) / 1000).toFixed(1)} s]: ${m}\n`);

/** The PostgreSQL database a store lives in (for its backends' CPU), or null for PGlite. */
function databaseOf(store: Store): string | null {
  const url = store.env.ENGRAM_DATABASE_URL;
  return url ? new URL(url).pathname.slice(1) : null;
}

async function postJson(url: string, body: unknown, key?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: res.status, body: parsed };
}

/** Fresh memory texts for the ingest workload: never in the seeded data, distinct per user. */
function ingestTexts(count: number): string[] {
  const next = sampler(424_242);
  const out = new Set<string>();
  for (let i = 0; out.size < count && i < count * 20; i++) out.add(`${next(MEMORY_TEMPLATES)} (ingest)`);
  const list = [...out];
  for (let i = 0; list.length < count; i++) list.push(`Ingest note number ${i} about ${list[i % out.size]}`);
  return list;
}

/** How POST /v1/memories/batch takes its items, read from the server's OpenAPI document; null when absent. */
async function detectBatch(url: string, key: string): Promise<{ field: string } | { absent: string }> {
  const probe = await postJson(`${url}/v1/memories/batch`, {}, key);
  if (probe.status === 404 || probe.status === 405) {
    return { absent: `POST /v1/memories/batch answers ${probe.status}: not in this build` };
  }
  const doc = (await (await fetch(`${url}/openapi.json`)).json()) as any;
  const op = doc?.paths?.["/v1/memories/batch"]?.post;
  let schema = op?.requestBody?.content?.["application/json"]?.schema;
  const deref = (s: any) => {
    const ref = s?.$ref as string | undefined;
    return ref ? doc?.components?.schemas?.[ref.split("/").pop() ?? ""] : s;
  };
  schema = deref(schema);
  for (const [field, prop] of Object.entries<any>(schema?.properties ?? {})) {
    if (deref(prop)?.type === "array") return { field };
  }
  return { absent: `POST /v1/memories/batch exists but its body has no array field in /openapi.json` };
}

interface System {
  name: "engram" | "mem0";
  url: string;
  target: Target;
}

interface RecallResult {
  system: string;
  dataset: string;
  mode: string;
  queries: number;
  /** Tie-aware recall@10 against exact cosine ranking of the user's memories (the semantic ground truth). */
  cosine_recall_at_10: number;
  /** Recall@10 against the same system's own ranking computed exhaustively (exact vector side); null: not measured. */
  recall_vs_exhaustive_at_10: number | null;
  mean_results: number;
  foreign_results: number;
  /** Latency of these searches, asked one at a time with nothing else running (ms). */
  sequential_ms: { p50: number; max: number };
}

export interface SectionResult {
  backend: BackendKind;
  dataset: DatasetSize & { memories: number };
  seed: Omit<EngramSeed, "small" | "large" | "extra">;
  mem0_seed_ms: number | null;
  /** Rows the ingest workload left in each store (every acknowledged add, warm-up included). */
  ingest_rows: { engram: number; mem0: number | null };
  engram_ready_ms: number;
  batch: { available: boolean; field?: string; reason?: string };
  rss_mb: {
    engram: { at_rest: number | null; max: number | null; max_under_c_max: number | null };
    mem0: { at_rest: number | null; max: number | null; max_under_c_max: number | null } | null;
  };
  cells: Cell[];
  summary: CellSummary[];
  recall: RecallResult[];
  rls: RlsRun[];
  embeddings_calls: { calls: number; texts: number };
  load_1m: { start: number; end: number };
  seconds: number;
}

/** Builds `n` requests for one system from (user, text) pairs. */
function searchRequests(
  system: System["name"],
  users: SeededUser[],
  userBase: number,
  pairs: Array<{ user: number; text: string }>,
  mode: string,
): LoadRequest[] {
  return pairs.map((p) =>
    system === "engram"
      ? { key: userBase + p.user, body: JSON.stringify({ query: p.text, limit: LIMIT, mode }) }
      : { key: -1, body: JSON.stringify({ user_id: users[p.user]?.id, query: p.text, limit: LIMIT }) },
  );
}

async function runSection(
  opts: Options,
  backend: BackendKind,
  emb: EmbeddingsServer,
  loadgen: Loadgen,
): Promise<SectionResult> {
  const t0 = performance.now();
  const load0 = loadAverage1m();
  const say = (m: string) => log(`${backend}: ${m}`);
  const size = opts.size[backend];
  const dataset: Dataset = makeDataset(size);
  const ingestIds = Array.from({ length: opts.ingestUsers }, (_, i) => `bench_ingest_${i}`);
  const memories = size.users * size.memoriesPerUser + size.largeUser;
  say(
    `seeding ${size.users} users x ${size.memoriesPerUser} memories + 1 x ${size.largeUser} (${memories})...`,
  );
  const store = await createStore(backend);
  // Whether a system's database is still busy (after a run that abandoned requests): pg_stat_activity.
  const monitorUrl = process.env.ENGRAM_BENCH_DATABASE_URL || process.env.ENGRAM_TEST_DATABASE_URL;
  const monitor =
    backend === "postgres" && monitorUrl ? new pg.Client({ connectionString: monitorUrl }) : null;
  await monitor?.connect();
  const target = (pid: number, s: Store): Target => {
    const database = databaseOf(s);
    return {
      pid,
      database,
      ...(monitor && database
        ? {
            activeStatements: async () =>
              (
                await monitor.query<{ n: number }>(
                  `SELECT count(*)::int AS n FROM pg_stat_activity
                   WHERE datname = $1 AND state <> 'idle' AND pid <> pg_backend_pid()`,
                  [database],
                )
              ).rows[0]?.n ?? 0,
          }
        : {}),
    };
  };
  let peerStore: Store | null = null;
  let engram: EngramProcess | null = null;
  let peer: PeerProcess | null = null;
  try {
    const seed = await seedEngram(store, emb.engramEnv, dataset, say, ingestIds);
    for (const w of seed.warnings) say(`WARNING: ${w}`);
    say(`seeded in ${round(seed.ms.total / 1000)} s (indexes ${round(seed.ms.indexes / 1000)} s)`);
    engram = await spawnEngram({ ...store.env, ...emb.engramEnv });
    const readyMs = await waitReady(engram);
    const engramSys: System = {
      name: "engram",
      url: engram.url,
      target: target(engram.pid, store),
    };
    const keys = [...seed.small, ...(seed.large ? [seed.large] : []), ...seed.extra].map((u) => u.key);
    const largeIndex = seed.small.length;
    const ingestBase = seed.small.length + (seed.large ? 1 : 0);

    let mem0Sys: System | null = null;
    let mem0SeedMs: number | null = null;
    if (backend === "postgres" && opts.peer && peerInstalled()) {
      peerStore = await createStore("postgres");
      const databaseUrl = peerStore.env.ENGRAM_DATABASE_URL as string;
      peer = await spawnPeer({
        port: await freePort(),
        databaseUrl,
        embeddingsUrl: emb.url,
        embeddingsModel: EMBEDDINGS_MODEL,
        dimensions: dataset.dimensions,
      });
      say(`seeding mem0 (${memories} memories through its own embedder and createMemory)...`);
      const ts = performance.now();
      const items: Array<{ user_id: string; text: string }> = [];
      for (const u of [...dataset.small, ...(dataset.large ? [dataset.large] : [])])
        for (const text of u.texts) items.push({ user_id: u.id, text });
      const chunks: (typeof items)[] = [];
      for (let i = 0; i < items.length; i += 1000) chunks.push(items.slice(i, i + 1000));
      let next = 0;
      const worker = async () => {
        while (next < chunks.length) {
          const chunk = chunks[next++] as typeof items;
          const r = await postJson(`${peer?.url}/v1/seed`, { items: chunk });
          if (r.status !== 200) throw new Error(`mem0 seed: ${r.status} ${JSON.stringify(r.body)}`);
        }
      };
      await Promise.all([worker(), worker()]);
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      const [n] = (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM memories")).rows;
      if (n?.n !== items.length) throw new Error(`mem0 seed: ${n?.n} rows, expected ${items.length}`);
      await c.query("VACUUM ANALYZE memories");
      await c.end();
      mem0SeedMs = round(performance.now() - ts);
      say(`mem0 seeded in ${round(mem0SeedMs / 1000)} s`);
      mem0Sys = { name: "mem0", url: peer.url, target: target(peer.pid, peerStore) };
    }
    // Both servers idle for a moment before "at rest" is read.
    await new Promise((r) => setTimeout(r, 1000));
    const rssRest = { engram: rssMb(engram.pid), mem0: peer ? rssMb(peer.pid) : null };

    const ingestUser = seed.extra[0];
    const batch = ingestUser
      ? await detectBatch(engram.url, ingestUser.key)
      : { absent: "no ingest users in this configuration" };
    if ("absent" in batch) say(`batch add: n/a (${batch.absent})`);

    const cells: Cell[] = [];
    // Earlier cells of the same workload in the same round, by concurrency: a slow one sets the next one's drain
    // (closed loop: c requests queue behind each other) or, when already too slow, skips it.
    const earlier = new Map<string, Cell[]>();
    const workload = (k: CellKey, r: number) => `${r}|${k.system}|${k.op}|${k.dataset}|${k.mode}|${k.cache}`;
    const run = async (sys: System, key: CellKey, round_: number, spec: Omit<LoadSpec, "url">, items = 1) => {
      const before = (earlier.get(workload(key, round_)) ?? []).filter(
        (c) => c.concurrency < key.concurrency,
      );
      const prev = before[before.length - 1];
      let cell: Cell;
      const slow =
        prev === undefined
          ? null
          : prev.skipped !== null
            ? `not run at c${prev.concurrency} either`
            : prev.n === 0
              ? `nothing completed at c${prev.concurrency}`
              : prev.p50_ms > SKIP_ABOVE_MS
                ? `p50 already ${round(prev.p50_ms / 1000, 1)} s at c${prev.concurrency}`
                : (before[0]?.p50_ms ?? 0) * key.concurrency > PREDICTED_SKIP_MS
                  ? `c${key.concurrency} x p50 at c1 (${round(before[0]?.p50_ms ?? 0)} ms) > ${PREDICTED_SKIP_MS / 1000} s`
                  : null;
      if (slow) {
        cell = skippedCell(key, round_, slow);
      } else {
        const c1 = before.find((c) => c.n > 0);
        const drain = c1
          ? Math.min(MAX_DRAIN_MS, Math.max(spec.drainTimeoutMs, 2 * key.concurrency * c1.p50_ms))
          : spec.drainTimeoutMs;
        cell = await runCell(
          loadgen,
          key,
          round_,
          { ...spec, drainTimeoutMs: drain, url: sys.url },
          sys.target,
          items,
        );
      }
      cells.push(cell);
      earlier.set(workload(key, round_), [...before, cell]);
      const lb = cell.abandoned > 0 ? " (lower bound: requests abandoned)" : "";
      const idle = cell.idle_wait_ms > 0 ? ` (then ${round(cell.idle_wait_ms / 1000, 1)} s until idle)` : "";
      say(
        `r${round_} ${key.system} ${key.op} ${key.dataset} ${key.mode} ${key.cache} c${key.concurrency}: ` +
          (cell.skipped
            ? `skipped: ${cell.skipped}`
            : `${cell.per_s}/s p50 ${cell.p50_ms} p95 ${cell.p95_ms} ms n ${cell.n}${lb}${idle}` +
              (cell.errors ? ` ERRORS ${cell.errors}: ${cell.first_error}` : "")),
      );
      return cell;
    };
    const base = {
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      drainTimeoutMs: opts.drainMs,
      minSamples: MIN_SAMPLES,
      maxWindowMs: MAX_WINDOW_MS,
    };
    const listSize = (rate: number) => Math.ceil((rate * (opts.durationMs + opts.warmupMs)) / 1000) + 64;

    const smallStream = new QueryStream(seed.small.length, queryPool(11, 20_000), 5);
    const largeStream = dataset.large ? new QueryStream(1, queryPool(12, 80_000), 6) : null;
    // A prime length: with any number of ingest users below it, no (user, text) pair repeats (Engram would answer a
    // repeated add with the memory it already has).
    const ingestPool = ingestTexts(30_011);
    let ingestK = 0;
    const ingestPairs = (n: number) =>
      Array.from({ length: n }, () => {
        const k = ingestK++;
        return { user: k % ingestIds.length, text: ingestPool[k % ingestPool.length] as string };
      });
    const rotate = <T>(xs: T[], r: number): T[] => xs.map((_, i) => xs[(i + r) % xs.length] as T);
    const systems = [engramSys, ...(mem0Sys ? [mem0Sys] : [])];

    // Warm-up, not recorded: a new server's first requests pay for JIT compilation and cold caches.
    say("warming the servers up...");
    for (const sys of systems) {
      const pairs = smallStream.take(listSize(MAX_RATE.search_small));
      await loadgen.run({
        url: sys.url,
        method: "POST",
        path: sys.name === "engram" ? "/v1/memories/search" : "/v1/search",
        keys,
        requests: searchRequests(sys.name, seed.small, 0, pairs, sys.name === "engram" ? "hybrid" : "mem0"),
        concurrency: 4,
        durationMs: opts.smoke ? 200 : 1500,
        warmupMs: 0,
        cycle: false,
        drainTimeoutMs: opts.drainMs,
      });
      await waitIdle(sys.target, 60_000);
    }

    for (let r = 0; r < opts.rounds; r++) {
      for (const c of opts.concurrency) {
        // The floor: the cheapest authenticated request (Engram), the wrapper alone (mem0).
        for (const sys of rotate(systems, r)) {
          const spec =
            sys.name === "engram"
              ? {
                  method: "GET" as const,
                  path: "/v1/me",
                  keys,
                  requests: seed.small.map((_, i) => ({ key: i })),
                  cycle: true,
                }
              : { method: "GET" as const, path: "/healthz", keys: [], requests: [{ key: -1 }], cycle: true };
          // Floors are cheap and steady: a shorter window is enough.
          await run(
            sys,
            { system: sys.name, op: "floor", dataset: "none", mode: "-", cache: "-", concurrency: c },
            r,
            { ...base, durationMs: Math.min(1000, opts.durationMs), ...spec, concurrency: c },
          );
        }
        // Ingest: one memory per request (Engram: POST /v1/memories; mem0: Memory.add with infer: false).
        if (opts.ingestConcurrency.includes(c) && ingestIds.length > 0) {
          const pairs = ingestPairs(listSize(MAX_RATE.add));
          const jobs: Array<() => Promise<unknown>> = systems.map((sys) => () => {
            const requests: LoadRequest[] = pairs.map((p) =>
              sys.name === "engram"
                ? { key: ingestBase + p.user, body: JSON.stringify({ text: p.text }) }
                : { key: -1, body: JSON.stringify({ user_id: ingestIds[p.user], text: p.text }) },
            );
            return run(
              sys,
              { system: sys.name, op: "add", dataset: "ingest", mode: "-", cache: "-", concurrency: c },
              r,
              {
                ...base,
                method: "POST",
                path: sys.name === "engram" ? "/v1/memories" : "/v1/add",
                keys,
                requests,
                concurrency: c,
                cycle: false,
              },
            );
          });
          if ("field" in batch) {
            const items = ingestPairs(Math.ceil(listSize(MAX_RATE.add) / 10) * 100);
            const requests: LoadRequest[] = [];
            for (let i = 0; i + 100 <= items.length; i += 100) {
              const user = items[i]?.user ?? 0;
              requests.push({
                key: ingestBase + user,
                body: JSON.stringify({
                  [batch.field]: items.slice(i, i + 100).map((p) => ({ text: p.text })),
                }),
              });
            }
            jobs.push(() =>
              run(
                engramSys,
                {
                  system: "engram",
                  op: "batch-add",
                  dataset: "ingest",
                  mode: "-",
                  cache: "-",
                  concurrency: c,
                },
                r,
                {
                  ...base,
                  method: "POST",
                  path: "/v1/memories/batch",
                  keys,
                  requests,
                  concurrency: c,
                  cycle: false,
                },
                100,
              ),
            );
          }
          for (const job of rotate(jobs, r)) await job();
        }
        // Search, fresh query embeddings: Engram hybrid and mem0 get the same (user, query) pairs; Engram semantic
        // its own (the same pairs would be answered from the query cache the hybrid run filled).
        const datasets: Array<{
          name: string;
          stream: QueryStream;
          users: SeededUser[];
          base: number;
          rate: number;
        }> = [
          { name: "small", stream: smallStream, users: seed.small, base: 0, rate: MAX_RATE.search_small },
        ];
        if (largeStream && seed.large) {
          datasets.push({
            name: "large",
            stream: largeStream,
            users: [seed.large],
            base: largeIndex,
            rate: MAX_RATE.search_large,
          });
        }
        for (const d of datasets) {
          const shared = d.stream.take(listSize(d.rate));
          const own = d.stream.take(listSize(d.rate));
          const jobs: Array<{ sys: System; mode: string; pairs: typeof shared }> = [
            { sys: engramSys, mode: "hybrid", pairs: shared },
            { sys: engramSys, mode: "semantic", pairs: own },
            ...(mem0Sys ? [{ sys: mem0Sys, mode: "mem0", pairs: shared }] : []),
          ];
          for (const j of rotate(jobs, r)) {
            await run(
              j.sys,
              {
                system: j.sys.name,
                op: "search",
                dataset: d.name,
                mode: j.mode,
                cache: "fresh",
                concurrency: c,
              },
              r,
              {
                ...base,
                method: "POST",
                path: j.sys.name === "engram" ? "/v1/memories/search" : "/v1/search",
                keys,
                requests: searchRequests(j.sys.name, d.users, d.base, j.pairs, j.mode),
                concurrency: c,
                cycle: false,
              },
            );
          }
        }
      }
    }

    // Search, warm query embeddings (Engram only: mem0 embeds every query): a small set asked once, then cycled.
    for (const d of [
      { name: "small", stream: smallStream, users: seed.small, base: 0 },
      ...(largeStream && seed.large
        ? [{ name: "large", stream: largeStream, users: [seed.large], base: largeIndex }]
        : []),
    ]) {
      for (const mode of ["hybrid", "semantic"]) {
        const requests = searchRequests("engram", d.users, d.base, d.stream.take(WARM_SET), mode);
        await loadgen.run({
          url: engram.url,
          method: "POST",
          path: "/v1/memories/search",
          keys,
          requests,
          concurrency: 8,
          durationMs: 600_000,
          warmupMs: 0,
          cycle: false,
          drainTimeoutMs: opts.drainMs,
        });
        for (const c of opts.concurrency) {
          await run(
            engramSys,
            { system: "engram", op: "search", dataset: d.name, mode, cache: "warm", concurrency: c },
            0,
            {
              ...base,
              method: "POST",
              path: "/v1/memories/search",
              keys,
              requests,
              concurrency: c,
              cycle: true,
            },
          );
        }
      }
    }

    // Recall: fresh queries one at a time, results kept for the ground truths below.
    say(`recall: ${opts.recallQueries} queries per dataset and system...`);
    const exact = new ExactIndex();
    type Asked = {
      sys: string;
      dataset: string;
      mode: string;
      user: BenchUser;
      seeded: SeededUser;
      query: string;
    };
    const answers: Array<Asked & { ids: string[]; texts: string[]; ms: number }> = [];
    const timedPost = async (url: string, body: unknown, key?: string) => {
      const t = performance.now();
      const r = await postJson(url, body, key);
      return { ...r, ms: performance.now() - t };
    };
    for (const d of [
      { name: "small", stream: smallStream, users: dataset.small, seeded: seed.small },
      ...(largeStream && dataset.large && seed.large
        ? [{ name: "large", stream: largeStream, users: [dataset.large], seeded: [seed.large] }]
        : []),
    ]) {
      // Fewer for the large user: each of its exhaustive rankings reads all its rows.
      const pairs = d.stream.take(
        d.name === "large" ? Math.ceil(opts.recallQueries / 3) : opts.recallQueries,
      );
      for (const p of pairs) {
        const user = d.users[p.user] as BenchUser;
        const seeded = d.seeded[p.user] as SeededUser;
        for (const mode of ["hybrid", "semantic"]) {
          const r = await timedPost(
            `${engram.url}/v1/memories/search`,
            { query: p.text, limit: LIMIT, mode },
            seeded.key,
          );
          if (r.status !== 200) throw new Error(`recall search: ${r.status} ${JSON.stringify(r.body)}`);
          const rows = r.body.results as Array<{ id: string; text: string }>;
          answers.push({
            sys: "engram",
            dataset: d.name,
            mode,
            user,
            seeded,
            query: p.text,
            ids: rows.map((x) => x.id),
            texts: rows.map((x) => x.text),
            ms: r.ms,
          });
        }
        if (mem0Sys) {
          const r = await timedPost(`${mem0Sys.url}/v1/search`, {
            user_id: user.id,
            query: p.text,
            limit: LIMIT,
          });
          if (r.status !== 200) throw new Error(`mem0 recall search: ${r.status} ${JSON.stringify(r.body)}`);
          const rows = r.body.results as Array<{ id: string; memory: string }>;
          answers.push({
            sys: "mem0",
            dataset: d.name,
            mode: "mem0",
            user,
            seeded,
            query: p.text,
            ids: rows.map((x) => x.id),
            texts: rows.map((x) => x.memory),
            ms: r.ms,
          });
        }
      }
    }

    const rssMax = (sys: string, cOnly?: number) => {
      const xs = cells
        .filter((c) => c.system === sys && (cOnly === undefined || c.concurrency === cOnly))
        .map((c) => c.rss_max_mb)
        .filter((x): x is number => x !== null);
      return xs.length ? Math.max(...xs) : null;
    };
    const cMax = Math.max(...opts.concurrency);
    const rss = {
      engram: { at_rest: rssRest.engram, max: rssMax("engram"), max_under_c_max: rssMax("engram", cMax) },
      mem0: mem0Sys
        ? { at_rest: rssRest.mem0, max: rssMax("mem0"), max_under_c_max: rssMax("mem0", cMax) }
        : null,
    };
    const embCalls = emb.stats();
    let mem0IngestRows: number | null = null;
    if (peerStore) {
      const c = new pg.Client({ connectionString: peerStore.env.ENGRAM_DATABASE_URL });
      await c.connect();
      const [n] = (
        await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM memories WHERE payload->>'user_id' LIKE 'bench_ingest_%'",
        )
      ).rows;
      await c.end();
      mem0IngestRows = n?.n ?? 0;
    }
    await stopEngram(engram);
    engram = null;
    if (peer) {
      await peer.stop();
      peer = null;
    }

    // Ground truths in-process (server stopped): exhaustive Engram rankings; RLS overhead on the same store.
    say("exhaustive rankings and RLS overhead (in-process, server stopped)...");
    const internals = await openInternals(store, emb.engramEnv, seed.embeddingModel, 8);
    const recall: RecallResult[] = [];
    let rls: RlsRun[] = [];
    let engramIngestRows = 0;
    try {
      const [n] = await internals.db.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM memories WHERE user_id = ANY($1::text[])",
        [seed.extra.map((u) => u.pk)],
      );
      engramIngestRows = n?.n ?? 0;
      const groups = new Map<string, typeof answers>();
      for (const a of answers) {
        const k = `${a.sys}|${a.dataset}|${a.mode}`;
        groups.set(k, [...(groups.get(k) ?? []), a]);
      }
      for (const [k, list] of groups) {
        const [sys, ds, mode] = k.split("|") as [string, string, string];
        const cosine: number[] = [];
        const vsExhaustive: number[] = [];
        let foreign = 0;
        for (const a of list) {
          cosine.push(semanticRecall(exact, a.user, a.query, a.texts, LIMIT));
          const own = new Set(a.user.texts);
          foreign += a.texts.filter((t) => !own.has(t)).length;
          if (sys === "engram" && mode === "semantic") {
            // The exhaustive semantic ranking is the exact cosine ranking: compared tie-aware (by similarity), since
            // among equally similar memories any may be returned.
            vsExhaustive.push(cosine[cosine.length - 1] as number);
          } else if (sys === "engram") {
            const truth = await exhaustiveSearch(
              internals,
              { userPk: a.seeded.pk, query: a.query, mode: mode as "hybrid" | "semantic" },
              LIMIT,
            );
            const got = new Set(a.ids);
            vsExhaustive.push(truth.length ? truth.filter((id) => got.has(id)).length / truth.length : 1);
          }
        }
        recall.push({
          system: sys,
          dataset: ds,
          mode,
          queries: list.length,
          cosine_recall_at_10: round(mean(cosine), 3),
          recall_vs_exhaustive_at_10: vsExhaustive.length ? round(mean(vsExhaustive), 3) : null,
          mean_results: round(mean(list.map((a) => a.ids.length)), 2),
          foreign_results: foreign,
          sequential_ms: {
            p50: round(median(list.map((a) => a.ms)), 1),
            max: round(Math.max(...list.map((a) => a.ms)), 1),
          },
        });
      }
      const rlsSearches = smallStream.take(200).map((p) => ({
        userPk: (seed.small[p.user] as SeededUser).pk,
        query: p.text,
        mode: "hybrid" as const,
      }));
      const semanticSearches = rlsSearches.map((s) => ({ ...s, mode: "semantic" as const }));
      const rlsConc = opts.concurrency.filter((c) => c <= 8);
      rls = [
        ...(await rlsOverhead(internals, rlsSearches, rlsConc, opts.rlsDurationMs, opts.smoke ? 1 : 2)),
        ...(await rlsOverhead(internals, semanticSearches, rlsConc, opts.rlsDurationMs, opts.smoke ? 1 : 2)),
      ];
    } finally {
      await internals.close();
    }

    const { small: _s, large: _l, extra: _e, ...seedInfo } = seed;
    return {
      backend,
      dataset: { ...size, memories },
      seed: seedInfo,
      mem0_seed_ms: mem0SeedMs,
      ingest_rows: { engram: engramIngestRows, mem0: mem0IngestRows },
      engram_ready_ms: round(readyMs),
      batch:
        "field" in batch
          ? { available: true, field: batch.field }
          : { available: false, reason: batch.absent },
      rss_mb: rss,
      cells,
      summary: summarizeCells(cells),
      recall,
      rls,
      embeddings_calls: embCalls,
      load_1m: { start: load0, end: loadAverage1m() },
      seconds: round((performance.now() - t0) / 1000),
    };
  } finally {
    if (engram) await stopEngram(engram);
    if (peer) await peer.stop();
    await store.drop();
    if (peerStore) await peerStore.drop();
    await monitor?.end();
  }
}

export interface BuiltinResult {
  backend: BackendKind;
  users: number;
  memories_after_ingest: number;
  ready_ms: number;
  cells: Cell[];
  summary: CellSummary[];
  rss_mb: { at_rest: number | null; max: number | null };
  seconds: number;
}

/** Engram with its built-in embedding model (no embeddings server): ingest through the API, then search. */
async function runBuiltin(opts: Options, backend: BackendKind, loadgen: Loadgen): Promise<BuiltinResult> {
  const t0 = performance.now();
  const say = (m: string) => log(`built-in model (${backend}): ${m}`);
  const store = await createStore(backend);
  let engram: EngramProcess | null = null;
  try {
    engram = await spawnEngram(store.env);
    const readyMs = await waitReady(engram);
    const rest = rssMb(engram.pid);
    const target: Target = { pid: engram.pid, database: databaseOf(store) };
    const ids = Array.from({ length: 8 }, (_, i) => `builtin_${i}`);
    const keys: string[] = [];
    for (const id of ids) {
      const r = await postJson(`${engram.url}/v1/users`, { user_id: id }, ADMIN_KEY);
      if (r.status !== 201 && r.status !== 200)
        throw new Error(`create user: ${r.status} ${JSON.stringify(r.body)}`);
      keys.push(r.body.api_key as string);
    }
    const cells: Cell[] = [];
    const url = engram.url;
    const base = {
      url,
      durationMs: opts.durationMs,
      warmupMs: opts.warmupMs,
      drainTimeoutMs: opts.drainMs,
      minSamples: MIN_SAMPLES,
      maxWindowMs: MAX_WINDOW_MS,
    };
    const run = async (
      key: CellKey,
      spec: Omit<LoadSpec, "url" | "durationMs" | "warmupMs" | "drainTimeoutMs">,
    ) => {
      const cell = await runCell(loadgen, key, 0, { ...base, ...spec }, target);
      cells.push(cell);
      say(
        `${key.op} ${key.mode} ${key.cache} c${key.concurrency}: ${cell.per_s}/s p50 ${cell.p50_ms} p95 ${cell.p95_ms} ms`,
      );
    };
    const texts = ingestTexts(20_000);
    let k = 0;
    for (const c of opts.ingestConcurrency) {
      const requests = Array.from(
        { length: Math.ceil((400 * (opts.durationMs + opts.warmupMs)) / 1000) + 64 },
        () => {
          const i = k++;
          return { key: i % keys.length, body: JSON.stringify({ text: texts[i % texts.length] }) };
        },
      );
      await run(
        { system: "engram-builtin", op: "add", dataset: "ingest", mode: "-", cache: "-", concurrency: c },
        { method: "POST", path: "/v1/memories", keys, requests, concurrency: c, cycle: false },
      );
    }
    const counts = await Promise.all(
      keys.map(async (key) => {
        const res = await fetch(`${url}/v1/memories?limit=1`, {
          headers: { authorization: `Bearer ${key}` },
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    if (counts.some((s) => s !== 200)) throw new Error("built-in: listing memories failed");
    const pool = queryPool(21, 20_000);
    const stream = new QueryStream(keys.length, pool, 7);
    const size = Math.ceil((600 * (opts.durationMs + opts.warmupMs)) / 1000) + 64;
    for (const mode of ["hybrid", "semantic"]) {
      for (const c of opts.concurrency) {
        const requests = stream
          .take(size)
          .map((p) => ({ key: p.user, body: JSON.stringify({ query: p.text, limit: LIMIT, mode }) }));
        await run(
          { system: "engram-builtin", op: "search", dataset: "ingest", mode, cache: "fresh", concurrency: c },
          { method: "POST", path: "/v1/memories/search", keys, requests, concurrency: c, cycle: false },
        );
      }
    }
    const warm = stream
      .take(WARM_SET)
      .map((p) => ({ key: p.user, body: JSON.stringify({ query: p.text, limit: LIMIT, mode: "hybrid" }) }));
    await loadgen.run({
      ...base,
      method: "POST",
      path: "/v1/memories/search",
      keys,
      requests: warm,
      concurrency: 8,
      durationMs: 600_000,
      warmupMs: 0,
      cycle: false,
    });
    for (const c of opts.concurrency) {
      await run(
        {
          system: "engram-builtin",
          op: "search",
          dataset: "ingest",
          mode: "hybrid",
          cache: "warm",
          concurrency: c,
        },
        { method: "POST", path: "/v1/memories/search", keys, requests: warm, concurrency: c, cycle: true },
      );
    }
    const added = cells.filter((c) => c.op === "add").reduce((a, c) => a + c.n, 0);
    const maxes = cells.map((c) => c.rss_max_mb).filter((x): x is number => x !== null);
    return {
      backend,
      users: keys.length,
      memories_after_ingest: added,
      ready_ms: round(readyMs),
      cells,
      summary: summarizeCells(cells),
      rss_mb: { at_rest: rest, max: maxes.length ? Math.max(...maxes) : null },
      seconds: round((performance.now() - t0) / 1000),
    };
  } finally {
    if (engram) await stopEngram(engram);
    await store.drop();
  }
}

async function databaseFacts(): Promise<Record<string, string> | null> {
  const url = process.env.ENGRAM_BENCH_DATABASE_URL || process.env.ENGRAM_TEST_DATABASE_URL;
  if (!url) return null;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const v = await c.query<{ v: string }>("SELECT version() AS v");
    const ext = await c.query<{ v: string }>(
      "SELECT default_version AS v FROM pg_available_extensions WHERE name = 'vector'",
    );
    const settings = await c.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings
       WHERE name IN ('shared_buffers', 'work_mem', 'max_connections', 'max_parallel_workers_per_gather')`,
    );
    return {
      postgres: v.rows[0]?.v ?? "?",
      pgvector: ext.rows[0]?.v ?? "?",
      ...Object.fromEntries(settings.rows.map((s) => [s.name, `${s.setting}${s.unit ? ` ${s.unit}` : ""}`])),
    };
  } finally {
    await c.end();
  }
}

/**
 * The project's formatter on a results file inside the repository (`npm run lint` checks bench/results too):
 * JSON.stringify lays out short arrays otherwise. Skipped when biome is not installed.
 */
function formatJson(path: string): void {
  const biome = join(ROOT, "node_modules", ".bin", "biome");
  if (!path.startsWith(`${ROOT}/`) || !existsSync(biome)) return;
  try {
    execFileSync(biome, ["format", "--write", path], { cwd: ROOT, stdio: "ignore" });
  } catch {
    // formatting is cosmetic
  }
}

export interface BenchResult {
  name: string;
  environment: Record<string, unknown>;
  options: Omit<Options, "outDir" | "docPath">;
  embeddings: { model: string; dimensions: number; server: string };
  mem0: { package: string; installed: boolean; skipped_reason: string | null };
  sections: SectionResult[];
  builtin: BuiltinResult | null;
  seconds: number;
}

export async function runBench(opts: Options): Promise<{ result: BenchResult; files: string[] }> {
  const t0 = performance.now();
  buildIfNeeded();
  const env = environment();
  const la = loadavg().map((x) => round(x, 2));
  let mem0Skip: string | null = null;
  if (!opts.peer) mem0Skip = "--no-peer";
  else if (!opts.backends.includes("postgres"))
    mem0Skip = "mem0's pgvector store needs PostgreSQL (set ENGRAM_TEST_DATABASE_URL)";
  else if (opts.smoke) {
    if (!peerInstalled())
      mem0Skip = "bench/peer/node_modules is not installed (the smoke does not install it)";
  } else ensurePeerInstalled(log);
  if (mem0Skip) log(`NOTICE: mem0 is skipped: ${mem0Skip}`);

  const emb = await startEmbeddingsServer();
  const loadgen = await startLoadgen();
  const sections: SectionResult[] = [];
  let builtin: BuiltinResult | null = null;
  try {
    // PostgreSQL first: the comparison with mem0 is the headline.
    const order = [...opts.backends].sort((a, b) => (a === "postgres" ? -1 : b === "postgres" ? 1 : 0));
    for (const backend of order) sections.push(await runSection(opts, backend, emb, loadgen));
    if (opts.builtin) builtin = await runBuiltin(opts, order[0] as BackendKind, loadgen);
  } finally {
    await loadgen.close();
    await emb.close();
  }
  const { outDir: _o, docPath: _d, ...options } = opts;
  const result: BenchResult = {
    name: "benchmarks",
    environment: {
      ...env,
      cores: cpus().length,
      load_average_at_start: { "1m": la[0], "5m": la[1], "15m": la[2] },
      load_average_at_end: Object.fromEntries(
        loadavg().map((x, i) => [["1m", "5m", "15m"][i] as string, round(x, 2)]),
      ),
      database: await databaseFacts(),
      loopback_load_generator: "bench/lib/loadgen.ts (node:http keep-alive, closed loop, separate process)",
    },
    options,
    embeddings: {
      model: EMBEDDINGS_MODEL,
      dimensions: 512,
      server:
        "bench/lib/embeddings-server.ts: hashed bag of words (test/helpers/words-embedder.ts) on 127.0.0.1",
    },
    mem0: { package: "mem0ai@3.3.1 (bench/peer)", installed: peerInstalled(), skipped_reason: mem0Skip },
    sections,
    builtin,
    seconds: round((performance.now() - t0) / 1000),
  };
  mkdirSync(opts.outDir, { recursive: true });
  const { writeFileSync } = await import("node:fs");
  const jsonPath = join(opts.outDir, "benchmarks.json");
  writeFileSync(jsonPath, `${JSON.stringify(result, null, 2)}\n`);
  formatJson(jsonPath);
  const files = [jsonPath, ...writeCharts(result, opts.outDir)];
  if (opts.docPath) files.push(writeBenchDoc(result, opts.docPath, files.slice(1)));
  return { result, files };
}

/** The comparison in a few lines for the terminal: small users, fresh queries, and adds, with Engram / mem0 ratios. */
export function headline(result: BenchResult): string {
  const rows: string[] = [];
  const fmt = (x: CellSummary | undefined) =>
    x ? `${x.per_s.median}/s p95 ${x.p95_ms?.median ?? "-"} ms` : "-";
  const ratio = (a: CellSummary | undefined, b: CellSummary | undefined) =>
    a && b && b.per_s.median > 0 ? ` (${round(a.per_s.median / b.per_s.median, 1)}x)` : "";
  for (const s of result.sections) {
    for (const c of result.options.concurrency) {
      const get = (system: string, mode: string) =>
        findSummary(s.summary, {
          system,
          op: "search",
          dataset: "small",
          mode,
          cache: "fresh",
          concurrency: c,
        });
      const h = get("engram", "hybrid");
      const se = get("engram", "semantic");
      const m = get("mem0", "mem0");
      rows.push(
        `${s.backend} search c${c}: engram hybrid ${fmt(h)}${ratio(h, m)}, semantic ${fmt(se)}${ratio(se, m)}` +
          (m ? `; mem0 ${fmt(m)}` : ""),
      );
    }
    for (const c of result.options.ingestConcurrency) {
      const e = findSummary(s.summary, { system: "engram", op: "add", concurrency: c });
      const m = findSummary(s.summary, { system: "mem0", op: "add", concurrency: c });
      rows.push(`${s.backend} add c${c}: engram ${fmt(e)}${ratio(e, m)}${m ? `; mem0 ${fmt(m)}` : ""}`);
    }
  }
  return rows.join("\n");
}

runIfMain(import.meta.url, "comparison", async () => {
  const opts = parseArgs(process.argv.slice(2));
  // --from=<benchmarks.json>: only write the chart and the page again from an earlier run's results.
  const from = process.argv.find((a) => a.startsWith("--from="))?.slice("--from=".length);
  if (from) {
    const { readFileSync } = await import("node:fs");
    const result = JSON.parse(readFileSync(from, "utf8")) as BenchResult;
    mkdirSync(opts.outDir, { recursive: true });
    const charts = writeCharts(result, opts.outDir);
    const files = [...charts, ...(opts.docPath ? [writeBenchDoc(result, opts.docPath, charts)] : [])];
    process.stdout.write(`${headline(result)}\n\nwrote:\n${files.join("\n")}\n`);
    return;
  }
  const { result, files } = await runBench(opts);
  process.stdout.write(`\n${headline(result)}\n\ntook ${result.seconds} s; wrote:\n${files.join("\n")}\n`);
});
