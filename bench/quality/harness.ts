// Retrieval-quality harness: loads the dataset through the API, asks each question as its user, scores every mode.
import type { CallOptions } from "../../test/helpers/runtime.js";
import { pool } from "../lib/pool.js";
import { Bm25, rrf } from "./bm25.js";
import type { Dataset } from "./dataset.js";
import type { Category } from "./kit.js";
import { aggregate, type MethodScores, type QuestionScore, scoreQuestion } from "./metrics.js";
import { HALVES, type Half, SPLIT_RULE } from "./split.js";

/** What the harness needs from an Engram: TestEngram (test/helpers/runtime.ts) fits. */
export interface Caller {
  call(method: string, path: string, opts?: CallOptions): Promise<{ status: number; body: any }>;
}

export const API_MODES = ["semantic", "keyword", "hybrid"] as const;
export type ApiMode = (typeof API_MODES)[number];
export const METHODS = ["semantic", "keyword", "hybrid", "bm25_baseline", "rrf_baseline"] as const;
export type Method = (typeof METHODS)[number];

export interface ModeSupport {
  /** True when the search API takes `mode` (its OpenAPI schema lists it and it accepts "keyword"). */
  modes: boolean;
  note: string;
}

export interface CrossUserHit {
  question: string;
  asked_as: string;
  mode: string;
  memory: string;
  /** The dataset user whose memory came back, when it is one of ours. */
  owner: string | null;
}

/** One half's figures: the same shape as the whole set's. */
export interface HalfScores {
  users: string[];
  questions: number;
  methods: Record<Method, MethodScores | null>;
}

export interface QualityResult {
  dataset: { name: string; version: number; users: number; memories: number; questions: number };
  embedding_model: string | null;
  support: ModeSupport;
  /** The whole run (`all`). null: the API has no such mode yet. */
  methods: Record<Method, MethodScores | null>;
  /** The same figures per half (bench/quality/split.ts); null for a half the run did not cover. */
  halves: { rule: string } & Record<Half, HalfScores | null>;
  cross_user: CrossUserHit[];
  questions: {
    id: string;
    category: Category;
    half: Half;
    first_rank: Partial<Record<Method, number | null>>;
  }[];
  timings_ms: { load: number; search: number };
}

interface Loaded {
  keys: Map<string, string>;
  /** API memory id -> dataset memory id, per dataset user. */
  byUser: Map<string, Map<string, string>>;
  /** API memory id -> dataset user, across all users: to name the owner of a leaked result. */
  owner: Map<string, string>;
}

/** Creates the dataset's users (admin API) and adds their memories as themselves, a few requests at a time. */
export async function loadIntoEngram(
  e: Caller,
  d: Dataset,
  adminKey: string,
  concurrency = 16,
): Promise<Loaded> {
  const keys = new Map<string, string>();
  for (const u of d.users) {
    const res = await e.call("POST", "/v1/users", { key: adminKey, body: { user_id: u.id } });
    if (res.status !== 201)
      throw new Error(`creating user ${u.id}: ${res.status} ${JSON.stringify(res.body)}`);
    keys.set(u.id, res.body.api_key as string);
  }
  const byUser = new Map<string, Map<string, string>>(d.users.map((u) => [u.id, new Map()]));
  const owner = new Map<string, string>();
  await pool(d.memories, concurrency, async (m) => {
    const res = await e.call("POST", "/v1/memories", { key: keys.get(m.user), body: { text: m.text } });
    if (res.status !== 201 && res.status !== 200) {
      throw new Error(`adding ${m.id} for ${m.user}: ${res.status} ${JSON.stringify(res.body)}`);
    }
    const id = res.body?.id as string | undefined;
    if (!id) throw new Error(`adding ${m.id}: no id in ${JSON.stringify(res.body)}`);
    const ids = byUser.get(m.user);
    if (ids?.has(id)) throw new Error(`adding ${m.id}: the API merged it into an earlier memory (${id})`);
    ids?.set(id, m.id);
    owner.set(id, m.user);
  });
  return { keys, byUser, owner };
}

/**
 * Does the search API take `mode`? Unknown body fields are ignored today, so a 200 proves nothing: the OpenAPI
 * schema must list `mode` with "keyword" and "hybrid", and a keyword search must not answer 400.
 */
export async function detectModes(e: Caller, key: string): Promise<ModeSupport> {
  const doc = await e.call("GET", "/openapi.json");
  const schema = doc.body?.components?.schemas?.SearchMemories;
  const values: unknown = schema?.properties?.mode?.enum;
  const listed = Array.isArray(values) && values.includes("keyword") && values.includes("hybrid");
  if (!listed)
    return { modes: false, note: "the search API has no `mode` field yet (SearchMemories in /openapi.json)" };
  const res = await e.call("POST", "/v1/memories/search", {
    key,
    body: { query: "probe", limit: 1, mode: "keyword" },
  });
  if (res.status === 400)
    return { modes: false, note: `mode "keyword" answered 400: ${JSON.stringify(res.body)}` };
  if (res.status !== 200) throw new Error(`probing mode support: ${res.status} ${JSON.stringify(res.body)}`);
  return { modes: true, note: "semantic, keyword and hybrid through the API" };
}

export interface RunOptions {
  adminKey: string;
  /** Each user's half, from splitUsers() over the whole dataset (a subset would be split differently). */
  halves: ReadonlyMap<string, Half>;
  /** Concurrent requests while loading and searching. */
  concurrency?: number;
  /** Depth of the semantic and BM25 lists the RRF baseline fuses. */
  fusionDepth?: number;
  log?: (line: string) => void;
}

/** Loads the dataset and scores every method; throws on nothing but API failures (cross-user hits are returned). */
export async function runQuality(e: Caller, d: Dataset, opts: RunOptions): Promise<QualityResult> {
  const concurrency = opts.concurrency ?? 16;
  const depth = opts.fusionDepth ?? 30;
  const log = opts.log ?? (() => {});
  const unsplit = d.users.find((u) => !opts.halves.has(u.id));
  if (unsplit) throw new Error(`user ${unsplit.id} is in no half: pass splitUsers() of the whole dataset`);
  const t0 = performance.now();
  const loaded = await loadIntoEngram(e, d, opts.adminKey, concurrency);
  const loadMs = performance.now() - t0;
  log(`loaded ${d.memories.length} memories for ${d.users.length} users in ${(loadMs / 1000).toFixed(1)} s`);
  const firstKey = loaded.keys.get(d.users[0]?.id ?? "") ?? "";
  const support = await detectModes(e, firstKey);
  const ready = await e.call("GET", "/readyz");
  const model = (ready.body?.embedding_model as string | undefined) ?? null;

  const bm25 = new Map(
    d.users.map((u) => [
      u.id,
      new Bm25(d.memories.filter((m) => m.user === u.id).map((m) => ({ id: m.id, text: m.text }))),
    ]),
  );
  const crossUser: CrossUserHit[] = [];
  const t1 = performance.now();

  const search = async (q: Dataset["questions"][number], mode: ApiMode | undefined, limit: number) => {
    const body = { query: q.query, limit, ...(mode ? { mode } : {}) };
    const res = await e.call("POST", "/v1/memories/search", { key: loaded.keys.get(q.user), body });
    if (res.status !== 200)
      throw new Error(`search ${q.id} (${mode ?? "default"}): ${res.status} ${JSON.stringify(res.body)}`);
    const mine = loaded.byUser.get(q.user) ?? new Map<string, string>();
    const ranked: string[] = [];
    for (const r of res.body.results as { id: string }[]) {
      const own = mine.get(r.id);
      if (own === undefined) {
        crossUser.push({
          question: q.id,
          asked_as: q.user,
          mode: mode ?? "default",
          memory: r.id,
          owner: loaded.owner.get(r.id) ?? null,
        });
      } else ranked.push(own);
    }
    return ranked;
  };

  const perQuestion = await pool(d.questions, concurrency, async (q) => {
    const lists: Partial<Record<Method, string[]>> = {};
    lists.semantic = await search(q, support.modes ? "semantic" : undefined, 10);
    if (support.modes) {
      lists.keyword = await search(q, "keyword", 10);
      lists.hybrid = await search(q, "hybrid", 10);
    }
    const deepSemantic = await search(q, support.modes ? "semantic" : undefined, depth);
    const bm25List = bm25.get(q.user)?.search(q.query, depth) ?? [];
    lists.bm25_baseline = bm25List.slice(0, 10);
    lists.rrf_baseline = rrf([deepSemantic, bm25List], 10);
    const scores: Partial<Record<Method, QuestionScore>> = {};
    for (const [m, ranked] of Object.entries(lists) as [Method, string[]][])
      scores[m] = scoreQuestion(ranked, q.answers);
    return { q, scores };
  });
  const searchMs = performance.now() - t1;
  log(`asked ${d.questions.length} questions in ${(searchMs / 1000).toFixed(1)} s`);

  const halfOf = (user: string): Half => opts.halves.get(user) ?? "tune"; // checked on entry
  // One load, one set of searches: the halves are the same per-question scores, filtered.
  const score = (keep: (user: string) => boolean) => {
    const methods = {} as Record<Method, MethodScores | null>;
    for (const m of METHODS) {
      const items = perQuestion.flatMap(({ q, scores }) => {
        const s = scores[m];
        return s && keep(q.user) ? [{ category: q.category, score: s }] : [];
      });
      methods[m] = items.length > 0 ? aggregate(items) : null;
    }
    return methods;
  };
  const halves = { rule: SPLIT_RULE } as QualityResult["halves"];
  for (const h of HALVES) {
    const users = d.users.filter((u) => halfOf(u.id) === h).map((u) => u.id);
    const questions = d.questions.filter((q) => halfOf(q.user) === h).length;
    halves[h] = questions > 0 ? { users, questions, methods: score((u) => halfOf(u) === h) } : null;
  }
  return {
    dataset: {
      name: d.name,
      version: d.version,
      users: d.users.length,
      memories: d.memories.length,
      questions: d.questions.length,
    },
    embedding_model: model,
    support,
    methods: score(() => true),
    halves,
    cross_user: crossUser,
    questions: perQuestion.map(({ q, scores }) => ({
      id: q.id,
      category: q.category,
      half: halfOf(q.user),
      first_rank: Object.fromEntries(Object.entries(scores).map(([m, s]) => [m, s.first])),
    })),
    timings_ms: { load: Math.round(loadMs), search: Math.round(searchMs) },
  };
}
