// HNSW recall benchmark: recall@10 and latency of the production vector query for a 50,000-memory user, per ef_search,
// against exact search, on PGlite and PostgreSQL. Run: npx tsx bench/hnsw-recall.ts (writes bench/results/hnsw-recall.json;
// PostgreSQL too when ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL is set). Method: docs/retrieval-performance.md.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, type SearchConfig } from "../src/config/config.js";
import type { Db, Queryable } from "../src/db/db.js";
import { openDb } from "../src/db/open.js";
import { createEmbedder } from "../src/embeddings/create-embedder.js";
import type { Embedder } from "../src/embeddings/embedder.js";
import { USE_LITE_MODEL } from "../src/embeddings/use-lite-embedder.js";
import { newId } from "../src/ids.js";
import { runSearch, type SearchPlan } from "../src/memories/search.js";
import { ensureVectorIndex, vectorIndexName } from "../src/memories/vector-index.js";
import { runIfMain } from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { mean, rng, round, shuffle, summarize } from "./lib/stats.js";
import { type BackendKind, benchBackends, createStore } from "./lib/store.js";
import { MEMORY_TEMPLATES, QUERY_TEMPLATES, sentences } from "./lib/text.js";

/** HNSW_BENCH_BIG overrides it for a quick smoke run of the script itself; the results are meant at 50,000. */
const BIG_USER_MEMORIES = Number(process.env.HNSW_BENCH_BIG ?? 50_000);
const SMALL_USERS = 20;
const SMALL_USER_MEMORIES = 100;
/** A user inserted after the index exists: times HNSW maintenance per insert, and a mid-sized user's plan. */
const MEDIUM_USER_MEMORIES = 2_000;
/** Real sentences embedded with the built-in model; every stored vector is derived from these (see derive()). */
const BASE_TEXTS = 3_000;
const QUERIES = 200;
const SMALL_USER_QUERIES = 10; // per small user: 200 in all
const EF_VALUES = [40, 64, 100, 200, 400];
/** The configured default (ENGRAM_HNSW_EF_SEARCH): plans and the before-ANALYZE check use what production uses. */
const DEFAULT_EF = loadConfig({}, "/nonexistent").search.efSearch;
/** LIMIT 10 is a semantic search for 10; LIMIT 50 is what hybrid search asks the vector side for (depth(10) in search.ts). */
const LIMITS = [10, 50];
const DIMS = 512;
const INSERT_BATCH = 500;
/** Derivation: weight of the second parent ~ U(0, MIX_MAX); isotropic noise of norm ~NOISE. */
const MIX_MAX = 0.5;
const NOISE = 0.5;
/** The built-in model's partial index (src/memories/vector-index.ts names one per model). */
const HNSW_INDEX = vectorIndexName(USE_LITE_MODEL, DIMS);

/** Embeds with the built-in model, cached in the temp dir by content hash: the model runs at tens of texts per second here. */
async function embedCached(e: Embedder, texts: string[], query: boolean): Promise<Float32Array[]> {
  const key = createHash("sha256")
    .update(`${e.model}\n${query}\n${texts.join("\n")}`)
    .digest("hex")
    .slice(0, 16);
  const file = join(tmpdir(), `engram-hnsw-recall-${key}.f32`);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    return texts.map((_, i) => all.slice(i * DIMS, (i + 1) * DIMS));
  }
  const out: Float32Array[] = [];
  for (let i = 0; i < texts.length; i += 64) {
    const chunk = texts.slice(i, i + 64);
    const vs = query
      ? await Promise.all(chunk.map((t) => e.embedQuery(t, { scope: "bench" })))
      : await e.embed(chunk, { scope: "bench" });
    for (const v of vs) out.push(Float32Array.from(v));
    process.stderr.write(`\rembedding ${out.length}/${texts.length}`);
  }
  process.stderr.write("\n");
  const all = new Float32Array(out.length * DIMS);
  for (const [i, v] of out.entries()) all.set(v, i * DIMS);
  writeFileSync(file, Buffer.from(all.buffer));
  return out;
}

/**
 * A stored vector derived from real ones: a mixture of two base embeddings (second weight ~U(0, MIX_MAX)) plus
 * isotropic Gaussian noise of norm ~NOISE, normalised. Mixtures fill the space between real sentences instead of
 * stacking copies on them; the noise adds intrinsic dimensions, which makes nearest neighbours harder, not easier.
 */
function deriver(base: Float32Array[], seed: number): () => { parent: number; v: Float32Array } {
  const r = rng(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  const sigma = NOISE / Math.sqrt(DIMS);
  return () => {
    const i = Math.floor(r() * base.length);
    const a = base[i] as Float32Array;
    const b = base[Math.floor(r() * base.length)] as Float32Array;
    const w = r() * MIX_MAX;
    const v = new Float32Array(DIMS);
    let norm = 0;
    for (let k = 0; k < DIMS; k++) {
      const x = (1 - w) * (a[k] ?? 0) + w * (b[k] ?? 0) + sigma * gauss();
      v[k] = x;
      norm += x * x;
    }
    norm = Math.sqrt(norm);
    for (let k = 0; k < DIMS; k++) v[k] = (v[k] ?? 0) / norm;
    return { parent: i, v };
  };
}

const literal = (v: Float32Array): string => `[${Array.from(v, (x) => x.toFixed(6)).join(",")}]`;
const dot = (a: Float32Array, b: Float32Array): number => {
  let s = 0;
  for (let k = 0; k < DIMS; k++) s += (a[k] ?? 0) * (b[k] ?? 0);
  return s;
};

interface Row {
  user: string;
  text: string;
  v: Float32Array;
}

async function createUsers(db: Db, count: number, label: string): Promise<string[]> {
  const ids = Array.from({ length: count }, () => newId("usr"));
  await db.query(
    `INSERT INTO users (id, tenant_id, external_id) SELECT id, 'default', $2 || ord FROM unnest($1::text[]) WITH ORDINALITY AS u(id, ord)`,
    [ids, `bench_${label}_`],
  );
  await db.query(
    `INSERT INTO apps (id, tenant_id, user_id, name) SELECT 'app_' || substr(id, 5), 'default', id, 'default' FROM unnest($1::text[]) AS u(id)`,
    [ids],
  );
  return ids;
}

/** Inserts rows as the owner, in batches; returns rows per second. */
async function insertRows(db: Db, rows: Row[], batch = INSERT_BATCH): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < rows.length; i += batch) {
    const chunk = rows.slice(i, i + batch);
    await db.query(
      `INSERT INTO memories (id, tenant_id, user_id, text, embedding, embedding_model)
       SELECT id, 'default', u, t, e::vector, 'use-lite-512' FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS x(id, u, t, e)`,
      [
        chunk.map(() => newId("mem")),
        chunk.map((r) => r.user),
        chunk.map((r) => r.text),
        chunk.map((r) => literal(r.v)),
      ],
    );
    if ((i / batch) % 10 === 0) process.stderr.write(`\r  inserted ${i + chunk.length}/${rows.length}`);
  }
  process.stderr.write("\n");
  return rows.length / ((performance.now() - t0) / 1000);
}

interface Hit {
  ids: string[];
  distances: number[];
  ms: number;
  plan?: string;
}

/**
 * One production search: runSearch in semantic mode (its SQL is exactly vectorSide's) inside db.withUser, so RLS and
 * the user filter apply, with this transaction's ef_search; `exact` turns index scans off, which rules out HNSW.
 * With `explain`, the statement runSearch sent is run again under EXPLAIN ANALYZE in the same transaction.
 */
async function search(
  db: Db,
  config: SearchConfig,
  userPk: string,
  vector: Float32Array,
  opts: { limit: number; ef: number; exact: boolean; explain?: boolean },
): Promise<Hit> {
  return db.withUser(userPk, async (tx) => {
    await tx.exec(
      `SET LOCAL hnsw.ef_search = ${opts.ef};${opts.exact ? " SET LOCAL enable_indexscan = off;" : ""}`,
    );
    const sent: Array<{ sql: string; params: readonly unknown[] }> = [];
    // A pass-through that keeps what runSearch sent, for EXPLAIN.
    const recorder: Queryable = {
      query: (sql, params = []) => {
        sent.push({ sql, params });
        return tx.query(sql, params);
      },
      exec: (sql) => tx.exec(sql),
    };
    const plan: SearchPlan = {
      userPk,
      query: "",
      vector: Array.from(vector),
      dims: DIMS,
      model: "use-lite-512",
      filters: undefined,
      limit: opts.limit,
      mode: "semantic",
      config,
    };
    const t0 = performance.now();
    const found = await runSearch(recorder, plan);
    const ms = performance.now() - t0;
    const hit: Hit = {
      ids: found.map((c) => c.row.id),
      distances: found.map((c) => c.distance ?? Number.NaN),
      ms,
    };
    const stmt = sent[0];
    if (opts.explain && stmt) {
      const rows = await tx.query<{ "QUERY PLAN": string }>(
        `EXPLAIN (ANALYZE, COSTS) ${stmt.sql}`,
        stmt.params,
      );
      // The query vector is inlined into the plan as a 5 KB literal: elide it.
      hit.plan = rows
        .map((r) => r["QUERY PLAN"])
        .join("\n")
        .replace(/'\[[^\]]*\]'/g, "'[...]'");
    }
    return hit;
  });
}

const usesHnsw = (plan: string | undefined): boolean => plan?.includes(HNSW_INDEX) ?? false;

function latency(ms: number[]) {
  const s = summarize(ms);
  return { p50_ms: round(s.p50, 2), p95_ms: round(s.p95, 2), mean_ms: round(s.mean, 2) };
}

interface Probe {
  user: string;
  v: Float32Array;
}

interface Cell {
  probes: string;
  limit: number;
  path: "exact" | "production";
  ef: number | null;
  plan_uses_hnsw: boolean;
  recall_at_10: number;
  min_recall: number;
  queries_below_0_9: number;
  mean_results: number;
  short_results: number;
  p50_ms: number;
  p95_ms: number;
  mean_ms: number;
}

/** For each probe: exact top 10, then the production query at every limit x ef, interleaved so load drift hits all alike. */
async function sweep(
  db: Db,
  config: SearchConfig,
  name: string,
  probes: Probe[],
  efs: number[],
  limits: number[],
) {
  const first = probes[0];
  if (!first) throw new Error("no probes");
  const keyOf = (limit: number, ef: number | null) => `${limit}:${ef ?? "exact"}`;
  const acc = new Map<string, { ms: number[]; recall: number[]; results: number[]; hnsw: boolean }>();
  for (const limit of limits) {
    for (const ef of [null, ...efs]) {
      const h = await search(db, config, first.user, first.v, {
        limit,
        ef: ef ?? DEFAULT_EF,
        exact: ef === null,
        explain: true,
      });
      acc.set(keyOf(limit, ef), { ms: [], recall: [], results: [], hnsw: usesHnsw(h.plan) });
    }
  }
  const nn: Array<{ nn1: number; nn10: number }> = [];
  for (const [i, probe] of probes.entries()) {
    const truth = await search(db, config, probe.user, probe.v, { limit: 10, ef: DEFAULT_EF, exact: true });
    const want = new Set(truth.ids);
    nn.push({ nn1: 1 - (truth.distances[0] ?? Number.NaN), nn10: 1 - (truth.distances[9] ?? Number.NaN) });
    for (const limit of limits) {
      for (const ef of [null, ...efs]) {
        const h =
          ef === null && limit === 10
            ? truth
            : await search(db, config, probe.user, probe.v, {
                limit,
                ef: ef ?? DEFAULT_EF,
                exact: ef === null,
              });
        const top = h.ids.slice(0, 10);
        const a = acc.get(keyOf(limit, ef));
        if (!a) continue;
        a.ms.push(h.ms);
        a.results.push(top.length);
        a.recall.push(want.size === 0 ? 1 : top.filter((id) => want.has(id)).length / want.size);
      }
    }
    if (i % 20 === 19) process.stderr.write(`\r  ${name}: ${i + 1}/${probes.length}`);
  }
  process.stderr.write("\n");
  const cells: Cell[] = [];
  for (const limit of limits) {
    for (const ef of [null, ...efs]) {
      const a = acc.get(keyOf(limit, ef));
      if (!a) continue;
      cells.push({
        probes: name,
        limit,
        path: ef === null ? "exact" : "production",
        ef,
        plan_uses_hnsw: a.hnsw,
        recall_at_10: round(mean(a.recall), 4),
        min_recall: round(Math.min(...a.recall), 2),
        queries_below_0_9: a.recall.filter((r) => r < 0.9).length,
        mean_results: round(mean(a.results), 2),
        short_results: a.results.filter((r) => r < 10).length,
        ...latency(a.ms),
      });
    }
  }
  return {
    cells,
    neighbours: {
      cos_nn1: round(mean(nn.map((x) => x.nn1)), 3),
      cos_nn10: round(mean(nn.map((x) => x.nn10)), 3),
    },
  };
}

/** Nearest-neighbour similarities in JS (brute force): how close the 1st and 10th neighbours are, and a random row. */
function neighbourStats(queries: Float32Array[], data: Float32Array[]) {
  const r = rng(99);
  let nn1 = 0;
  let nn10 = 0;
  let random = 0;
  for (const q of queries) {
    const sims = data.map((d) => dot(q, d)).sort((a, b) => b - a);
    nn1 += sims[0] ?? 0;
    nn10 += sims[9] ?? 0;
    random += dot(q, data[Math.floor(r() * data.length)] as Float32Array);
  }
  const n = queries.length;
  return { cos_nn1: round(nn1 / n, 3), cos_nn10: round(nn10 / n, 3), cos_random: round(random / n, 3) };
}

async function explainPair(db: Db, config: SearchConfig, user: string, v: Float32Array) {
  const prod = await search(db, config, user, v, { limit: 10, ef: DEFAULT_EF, exact: false, explain: true });
  const exact = await search(db, config, user, v, { limit: 10, ef: DEFAULT_EF, exact: true, explain: true });
  return {
    production: prod.plan ?? "",
    exact: exact.plan ?? "",
    same_top10: prod.ids.join() === exact.ids.join(),
  };
}

/** ef_search values at which to ask the planner (EXPLAIN only, not run) whether it still takes the HNSW index. */
const PLANNER_EF = [100, 150, 200, 250, 300, 350, 400, 500, 600, 800, 1000];

/** The plan runSearch's vector statement gets at each ef_search and limit: statements are captured, not run. */
async function plannerChoice(db: Db, config: SearchConfig, user: string, v: Float32Array) {
  const out: Array<{ limit: number; ef: number; hnsw: boolean; cost: string }> = [];
  for (const limit of LIMITS) {
    for (const ef of PLANNER_EF) {
      const plan = await db.withUser(user, async (tx) => {
        await tx.exec(`SET LOCAL hnsw.ef_search = ${ef};`);
        const sent: Array<{ sql: string; params: readonly unknown[] }> = [];
        const capture: Queryable = {
          query: async <R>(sql: string, params: readonly unknown[] = []) => {
            sent.push({ sql, params });
            return [] as R[];
          },
          exec: async () => {},
        };
        await runSearch(capture, {
          userPk: user,
          query: "",
          vector: Array.from(v),
          dims: DIMS,
          model: "use-lite-512",
          filters: undefined,
          limit,
          mode: "semantic",
          config,
        });
        const stmt = sent[0];
        if (!stmt) throw new Error("runSearch sent nothing");
        const rows = await tx.query<{ "QUERY PLAN": string }>(`EXPLAIN ${stmt.sql}`, stmt.params);
        return rows.map((r) => r["QUERY PLAN"]).join("\n");
      });
      out.push({ limit, ef, hnsw: usesHnsw(plan), cost: /cost=([\d.]+\.\.[\d.]+)/.exec(plan)?.[1] ?? "" });
    }
  }
  return out;
}

async function hasStatistics(db: Db): Promise<boolean> {
  const rows = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM pg_stats WHERE tablename = 'memories' AND attname = 'user_id'",
  );
  return (rows[0]?.n ?? 0) > 0;
}

interface Data {
  baseTexts: string[];
  big: Array<{ parent: number; v: Float32Array }>;
  small: Array<Array<{ parent: number; v: Float32Array }>>;
  medium: Array<{ parent: number; v: Float32Array }>;
  questions: Float32Array[];
  heldOut: Float32Array[];
}

async function benchBackend(kind: BackendKind, data: Data, embedder: Embedder, config: SearchConfig) {
  const log = (m: string) => process.stderr.write(`hnsw: ${kind}: ${m}\n`);
  const store = await createStore(kind);
  const { db } = await openDb(store.database(2), { efSearch: DEFAULT_EF });
  try {
    const [settings] = await db.query<Record<string, string>>(
      `SELECT current_setting('hnsw.ef_search') AS ef_search, current_setting('hnsw.iterative_scan') AS iterative_scan,
         current_setting('maintenance_work_mem') AS maintenance_work_mem, current_setting('shared_buffers') AS shared_buffers,
         current_setting('max_parallel_maintenance_workers') AS max_parallel_maintenance_workers,
         (SELECT extversion FROM pg_extension WHERE extname = 'vector') AS pgvector, version() AS version`,
    );
    const [big] = await createUsers(db, 1, "big");
    const smallUsers = await createUsers(db, SMALL_USERS, "small");
    if (!big) throw new Error("no big user");
    const text = (parent: number) => data.baseTexts[parent] ?? "";
    const rows: Row[] = [
      ...data.big.map((d) => ({ user: big, text: text(d.parent), v: d.v })),
      ...data.small.flatMap((us, u) =>
        us.map((d) => ({ user: smallUsers[u] ?? "", text: text(d.parent), v: d.v })),
      ),
    ];
    log(`inserting ${rows.length} memories (no vector index yet)...`);
    const bulkRate = await insertRows(db, shuffle(rows, rng(5)));

    log("building the HNSW index (ensureVectorIndex)...");
    const t0 = performance.now();
    await ensureVectorIndex(db, embedder);
    const buildSeconds = (performance.now() - t0) / 1000;
    const [size] = await db.query<{ mb: number }>(
      `SELECT pg_relation_size('${HNSW_INDEX}')::float8 / 1048576 AS mb`,
    );
    log(`built in ${round(buildSeconds)} s`);

    const [medium] = await createUsers(db, 1, "medium");
    if (!medium) throw new Error("no medium user");
    log(`inserting ${MEDIUM_USER_MEMORIES} memories with the index in place...`);
    const indexedRate = await insertRows(
      db,
      data.medium.map((d) => ({ user: medium, text: text(d.parent), v: d.v })),
      100,
    );

    const questions = (user: string) => data.questions.map((v) => ({ user, v }));
    // PGlite runs in single-user mode with no autovacuum: until something runs ANALYZE, this is how it plans.
    const before = {
      has_statistics: await hasStatistics(db),
      big_user_plans: await explainPair(db, config, big, data.questions[0] as Float32Array),
      small_user_plans: await explainPair(db, config, smallUsers[0] ?? "", data.questions[0] as Float32Array),
      big_user_default_ef: (
        await sweep(db, config, "big user, questions", questions(big).slice(0, 50), [DEFAULT_EF], [10])
      ).cells,
    };
    const ta = performance.now();
    await db.exec("ANALYZE memories");
    const analyzeMs = performance.now() - ta;

    const plans = {
      big_user: await explainPair(db, config, big, data.questions[0] as Float32Array),
      small_user: await explainPair(db, config, smallUsers[0] ?? "", data.questions[0] as Float32Array),
      medium_user: await explainPair(db, config, medium, data.questions[0] as Float32Array),
    };
    log("sweeping ef_search...");
    const bigQ = await sweep(db, config, "big user, questions", questions(big), EF_VALUES, LIMITS);
    const bigH = await sweep(
      db,
      config,
      "big user, held-out memories",
      data.heldOut.map((v) => ({ user: big, v })),
      EF_VALUES,
      LIMITS,
    );
    const smallProbes = data.questions.map((v, i) => ({
      user: smallUsers[Math.floor(i / SMALL_USER_QUERIES) % SMALL_USERS] ?? "",
      v,
    }));
    const small = await sweep(db, config, "small users (100), questions", smallProbes, EF_VALUES, [10]);
    const mid = await sweep(db, config, "medium user (2,000), questions", questions(medium), EF_VALUES, [10]);
    const q0 = data.questions[0] as Float32Array;
    const planner = {
      big_user: await plannerChoice(db, config, big, q0),
      medium_user: await plannerChoice(db, config, medium, q0),
    };
    // Last, so the sweeps above ran on the index as start-up builds it: a rebuild with more memory for the graph.
    log("rebuilding the index with maintenance_work_mem = 256MB...");
    let rebuildSeconds: number | string;
    try {
      const tr = performance.now();
      await db.transaction((tx) =>
        tx.exec(`SET LOCAL maintenance_work_mem = '256MB'; REINDEX INDEX ${HNSW_INDEX};`),
      );
      rebuildSeconds = round((performance.now() - tr) / 1000, 1);
    } catch (err) {
      rebuildSeconds = `failed: ${err instanceof Error ? err.message : String(err)}`;
    }
    return {
      backend: kind,
      settings,
      store: {
        big_user_memories: data.big.length,
        small_users: SMALL_USERS,
        memories_per_small_user: SMALL_USER_MEMORIES,
        medium_user_memories: data.medium.length,
      },
      insert_rows_per_s_without_index: round(bulkRate),
      hnsw_build_seconds: round(buildSeconds, 1),
      hnsw_index_mb: round(size?.mb ?? 0, 1),
      hnsw_rebuild_seconds_256mb: rebuildSeconds,
      planner,
      insert_rows_per_s_with_index: round(indexedRate),
      analyze_ms: round(analyzeMs),
      before_analyze: before,
      plans,
      neighbours_50k: { questions: bigQ.neighbours, held_out: bigH.neighbours },
      cells: [...bigQ.cells, ...bigH.cells, ...small.cells, ...mid.cells],
    };
  } finally {
    await db.close();
    await store.drop();
  }
}

async function makeData(embedder: Embedder): Promise<Data & { stats: Record<string, unknown> }> {
  const baseTexts = sentences(1, BASE_TEXTS, MEMORY_TEMPLATES);
  const questionTexts = sentences(2, QUERIES, QUERY_TEMPLATES);
  const base = await embedCached(embedder, baseTexts, false);
  const questions = await embedCached(embedder, questionTexts, true);
  const derive = deriver(base, 3);
  const many = (n: number) => Array.from({ length: n }, derive);
  const big = many(BIG_USER_MEMORIES);
  const small = Array.from({ length: SMALL_USERS }, () => many(SMALL_USER_MEMORIES));
  const medium = many(MEDIUM_USER_MEMORIES);
  const heldOut = many(QUERIES).map((d) => d.v);
  const sample = big.slice(0, BASE_TEXTS).map((d) => d.v);
  const stats = {
    base_texts: BASE_TEXTS,
    mix_max: MIX_MAX,
    noise: NOISE,
    examples: baseTexts.slice(0, 3),
    example_questions: questionTexts.slice(0, 3),
    // Same size, same queries: the real embeddings and a sample of the derived ones should look alike.
    questions_vs_3000_real: neighbourStats(questions, base),
    questions_vs_3000_derived: neighbourStats(questions, sample),
    cos_derived_to_parent: round(
      big.slice(0, 2000).reduce((s, d) => s + dot(d.v, base[d.parent] as Float32Array), 0) / 2000,
      3,
    ),
  };
  return { baseTexts, big, small, medium, questions, heldOut, stats };
}

export async function runHnswRecallBench(): Promise<void> {
  const env = environment();
  const cfg = loadConfig({}, "/nonexistent");
  const embedder = await createEmbedder(cfg.embeddings);
  try {
    const data = await makeData(embedder);
    process.stderr.write(`data: ${JSON.stringify(data.stats)}\n`);
    const results = [];
    for (const kind of benchBackends(process.env.HNSW_BENCH_BACKENDS?.split(","))) {
      results.push(await benchBackend(kind, data, embedder, cfg.search));
    }
    const path = await writeResult("hnsw-recall", {
      ...env,
      load_average_1m_at_end: loadAverage1m(),
      default_ef_search: DEFAULT_EF,
      data: data.stats,
      results,
    });
    for (const r of results) {
      process.stdout.write(
        `\n=== ${r.backend}: plans after ANALYZE (big user, LIMIT 10, ef_search ${DEFAULT_EF}) ===\n`,
      );
      process.stdout.write(
        `-- production path:\n${r.plans.big_user.production}\n-- exact path (enable_indexscan = off):\n${r.plans.big_user.exact}\n`,
      );
      process.stdout.write(`-- small user, production path:\n${r.plans.small_user.production}\n`);
      process.stdout.write(`-- medium user, production path:\n${r.plans.medium_user.production}\n`);
      process.stdout.write(
        `-- big user before ANALYZE (statistics: ${r.before_analyze.has_statistics}), production path:\n${r.before_analyze.big_user_plans.production}\n`,
      );
      printTable(
        `${r.backend}: recall@10 vs exact, latency of the vector query (ms); build ${r.hnsw_build_seconds} s, index ${r.hnsw_index_mb} MB, ` +
          `rebuild with 256MB ${r.hnsw_rebuild_seconds_256mb} s, inserts ${r.insert_rows_per_s_without_index}/s without index, ` +
          `${r.insert_rows_per_s_with_index}/s with`,
        [
          "probes",
          "LIMIT",
          "ef_search",
          "HNSW?",
          "recall@10",
          "min",
          "<0.9",
          "results",
          "p50",
          "p95",
          "mean",
        ],
        r.cells.map((c) => [
          c.probes,
          c.limit,
          c.ef ?? "exact",
          c.plan_uses_hnsw ? "yes" : "no",
          c.recall_at_10,
          c.min_recall,
          c.queries_below_0_9,
          c.mean_results,
          c.p50_ms,
          c.p95_ms,
          c.mean_ms,
        ]),
      );
      printTable(
        `${r.backend}: does the planner take the HNSW index? (EXPLAIN of the production statement)`,
        ["user", "LIMIT", ...PLANNER_EF.map(String)],
        (["big_user", "medium_user"] as const).flatMap((u) =>
          LIMITS.map((limit) => [
            u,
            limit,
            ...r.planner[u].filter((p) => p.limit === limit).map((p) => (p.hnsw ? "hnsw" : "exact")),
          ]),
        ),
      );
      const b = r.before_analyze.big_user_default_ef;
      printTable(
        `${r.backend}: big user before ANALYZE (50 questions)`,
        ["path", "HNSW?", "recall@10", "p50", "p95"],
        b.map((c) => [c.path, c.plan_uses_hnsw ? "yes" : "no", c.recall_at_10, c.p50_ms, c.p95_ms]),
      );
    }
    process.stdout.write(`\nwrote ${path}\n`);
  } finally {
    await embedder.close();
  }
}

runIfMain(import.meta.url, "hnsw", runHnswRecallBench);
