/** Retrieval quality on the repo's labelled dataset (bench/quality): no cross-user result, floors per half, hybrid >= each mode. */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Bm25, rrf } from "../bench/quality/bm25.js";
import { DATASET_PATH, readDataset, subset } from "../bench/quality/dataset.js";
import { generate, serialise } from "../bench/quality/generate.js";
import { type QualityResult, runQuality } from "../bench/quality/harness.js";
import { CATEGORIES } from "../bench/quality/kit.js";
import { scoreQuestion } from "../bench/quality/metrics.js";
import { textTables } from "../bench/quality/report.js";
import { HALVES, type Half, splitUsers } from "../bench/quality/split.js";
import { sharedContent } from "../bench/quality/text.js";
import { SearchBody } from "../src/memories/schemas.js";
import { pgliteBackend } from "./helpers/backends.js";
import { ADMIN_KEY, startEngram, type TestEngram } from "./helpers/runtime.js";

/**
 * The same shape from each half: its first distractor pair and its first lone user (tune: u01, u02, u06; held-out:
 * u04, u05, u12), 272 memories and 42 questions a half in one load, ~15 s on PGlite. No heavy user: one per half
 * would nearly double the load; the floors are on rank 1 and MRR, which a 45-memory store does not saturate.
 * The full set (1,725 memories, both halves) is `npm run bench:quality`.
 */
const USERS: Record<Half, string[]> = {
  tune: ["quality_u01", "quality_u02", "quality_u06"],
  "held-out": ["quality_u04", "quality_u05", "quality_u12"],
};
/** Semantic recall@10 on this subset measured 0.940 (use-lite-512); the floor leaves ~0.1 for model/platform drift. */
const SEMANTIC_R10_FLOOR = 0.8;
/**
 * Hybrid floors per half, a few points (2-3 questions of 42) under what this subset measured on PGlite and
 * PostgreSQL alike (use-lite-512): tune R@1 0.762, R@10 1.000, MRR 0.869; held-out R@1 0.679, R@10 0.976, MRR 0.818.
 */
const HYBRID_FLOORS: Record<Half, { recall_at_1: number; recall_at_10: number; mrr: number }> = {
  tune: { recall_at_1: 0.7, recall_at_10: 0.95, mrr: 0.82 },
  "held-out": { recall_at_1: 0.62, recall_at_10: 0.92, mrr: 0.77 },
};
/** Whether the search API takes `mode` yet (issue 4's hybrid search); the hybrid assertion switches on by itself. */
const MODES_SUPPORTED = "mode" in ((SearchBody as unknown as { shape?: object }).shape ?? {});

describe("the quality dataset", () => {
  const d = readDataset();

  it("is exactly what the generator writes (deterministic, not hand-edited)", () => {
    expect(readFileSync(DATASET_PATH, "utf8")).toBe(serialise(generate()));
  });

  it("is as large as issue 4 asks, with every category represented", () => {
    expect(d.users.length).toBeGreaterThanOrEqual(20);
    expect(d.memories.length).toBeGreaterThanOrEqual(1000);
    expect(d.questions.length).toBeGreaterThanOrEqual(300);
    for (const c of CATEGORIES)
      expect(d.questions.filter((q) => q.category === c).length).toBeGreaterThanOrEqual(20);
    expect(d.users.filter((u) => u.distractor_of !== null).length).toBeGreaterThanOrEqual(5);
  });

  it("splits its users into two self-contained, even halves (a distractor with its source, heavy users spread)", () => {
    const halves = splitUsers(d);
    expect([...halves.keys()].sort()).toEqual(d.users.map((u) => u.id).sort());
    for (const u of d.users)
      if (u.distractor_of) expect(halves.get(u.id), u.id).toBe(halves.get(u.distractor_of));
    const memories = (u: string) => d.memories.filter((m) => m.user === u).length;
    const questions = (h: Half) => d.questions.filter((q) => halves.get(q.user) === h).length;
    const heavy = (h: Half) => d.users.filter((u) => halves.get(u.id) === h && memories(u.id) > 100).length;
    expect(heavy("tune")).toBe(heavy("held-out"));
    // Within one ordinary user's questions of each other (198 each on version 1).
    expect(Math.abs(questions("tune") - questions("held-out"))).toBeLessThanOrEqual(14);
    for (const h of HALVES)
      for (const u of USERS[h]) expect(halves.get(u), `${u} in the test's ${h} users`).toBe(h);
  });

  it("asks paraphrase questions without any content word of their answers", () => {
    const text = new Map(d.memories.map((m) => [m.id, m.text]));
    for (const q of d.questions.filter((x) => x.category === "paraphrase")) {
      for (const a of q.answers)
        expect(sharedContent(q.query, text.get(a) ?? ""), `${q.id}: ${q.query}`).toEqual([]);
    }
  });
});

describe("quality metrics and baselines", () => {
  it("scores recall@k as the share of answers in the top k, and MRR by the first answer", () => {
    const s = scoreQuestion(["x", "a", "y", "z", "w", "v", "u", "t", "s", "b"], ["a", "b"]);
    expect(s).toEqual({ r1: 0, r5: 0.5, r10: 1, rr: 0.5, first: 2 });
    expect(scoreQuestion(["x"], ["a"])).toEqual({ r1: 0, r5: 0, r10: 0, rr: 0, first: null });
  });

  it("BM25 ranks the document with the rare shared term first and skips non-matching ones", () => {
    const bm = new Bm25([
      { id: "1", text: "My desk extension at the office is 9757." },
      { id: "2", text: "The IT support line at work is 6580." },
      { id: "3", text: "The office moved the printer to the third floor." },
    ]);
    expect(bm.search("Who picks up on 9757?", 10)).toEqual(["1"]);
    expect(bm.search("office extension", 10)[0]).toBe("1");
  });

  it("RRF puts what both lists rank high first", () => {
    expect(
      rrf(
        [
          ["a", "b", "c"],
          ["b", "d", "e"],
        ],
        2,
      ),
    ).toEqual(["b", "a"]);
  });
});

describe("retrieval quality on PGlite (dataset subset)", () => {
  let engram: TestEngram | undefined;
  let result: QualityResult;

  beforeAll(async () => {
    const full = readDataset();
    engram = await startEngram(pgliteBackend);
    // One load of both halves' users; the harness reports each half from the same searches.
    result = await runQuality(engram, subset(full, [...USERS.tune, ...USERS["held-out"]]), {
      adminKey: ADMIN_KEY,
      halves: splitUsers(full),
    });
    console.log(`quality subset (${Object.values(USERS).flat().join(", ")}):\n${textTables(result)}`);
  }, 600_000);

  afterAll(async () => {
    await engram?.close();
  });

  it("never returns a memory of another user (every question is asked as its own user)", () => {
    expect(result.cross_user).toEqual([]);
  });

  it(`keeps semantic recall@10 above ${SEMANTIC_R10_FLOOR}`, () => {
    const r10 = result.methods.semantic?.overall.recall_at_10 ?? 0;
    console.log(`semantic recall@10 ${r10} (floor ${SEMANTIC_R10_FLOOR})`);
    expect(r10).toBeGreaterThanOrEqual(SEMANTIC_R10_FLOOR);
  });

  for (const h of HALVES) {
    const floor = HYBRID_FLOORS[h];
    it.skipIf(!MODES_SUPPORTED)(
      `keeps hybrid recall@1 >= ${floor.recall_at_1}, MRR >= ${floor.mrr} and recall@10 >= ${floor.recall_at_10} on the ${h} half`,
      () => {
        const o = result.halves[h]?.methods.hybrid?.overall;
        console.log(`${h} hybrid: ${JSON.stringify(o)} (floors ${JSON.stringify(floor)})`);
        expect(o?.n).toBe(42);
        expect(o?.recall_at_1).toBeGreaterThanOrEqual(floor.recall_at_1);
        expect(o?.mrr).toBeGreaterThanOrEqual(floor.mrr);
        expect(o?.recall_at_10).toBeGreaterThanOrEqual(floor.recall_at_10);
      },
    );
  }

  it("detects search modes exactly when the API schema has them", () => {
    expect(result.support.modes).toBe(MODES_SUPPORTED);
  });

  it.skipIf(!MODES_SUPPORTED)(
    "hybrid recall@10 >= max(semantic, keyword) recall@10 (skipped only if the search API had no `mode`)",
    () => {
      const r10 = (m: "semantic" | "keyword" | "hybrid") =>
        result.methods[m]?.overall.recall_at_10 ?? Number.NaN;
      console.log(
        `recall@10: semantic ${r10("semantic")}, keyword ${r10("keyword")}, hybrid ${r10("hybrid")}`,
      );
      expect(r10("hybrid")).toBeGreaterThanOrEqual(r10("semantic"));
      expect(r10("hybrid")).toBeGreaterThanOrEqual(r10("keyword"));
    },
  );
});
