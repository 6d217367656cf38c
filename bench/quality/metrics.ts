// Retrieval metrics: recall@1/5/10 and MRR per question, averaged overall and per category.
import { round } from "../lib/stats.js";
import { CATEGORIES, type Category } from "./kit.js";

export interface Scores {
  /** Questions averaged over. */
  n: number;
  recall_at_1: number;
  recall_at_5: number;
  recall_at_10: number;
  /** Mean reciprocal rank of the first answer in the top 10 (0 when none is there). */
  mrr: number;
}

export interface MethodScores {
  overall: Scores;
  by_category: Record<Category, Scores>;
}

export interface QuestionScore {
  r1: number;
  r5: number;
  r10: number;
  rr: number;
  /** 1-based rank of the first answer in the top 10, or null. */
  first: number | null;
}

/** recall@k = share of the question's answers found in the top k (a two-memory question with one found scores 0.5). */
export function scoreQuestion(ranked: readonly string[], answers: readonly string[]): QuestionScore {
  const want = new Set(answers);
  const recall = (k: number) => ranked.slice(0, k).filter((id) => want.has(id)).length / want.size;
  const idx = ranked.slice(0, 10).findIndex((id) => want.has(id));
  return {
    r1: recall(1),
    r5: recall(5),
    r10: recall(10),
    rr: idx < 0 ? 0 : 1 / (idx + 1),
    first: idx < 0 ? null : idx + 1,
  };
}

function mean(xs: readonly QuestionScore[]): Scores {
  const n = xs.length;
  const avg = (f: (q: QuestionScore) => number) =>
    n === 0 ? 0 : round(xs.reduce((s, q) => s + f(q), 0) / n, 4);
  return {
    n,
    recall_at_1: avg((q) => q.r1),
    recall_at_5: avg((q) => q.r5),
    recall_at_10: avg((q) => q.r10),
    mrr: avg((q) => q.rr),
  };
}

export function aggregate(items: readonly { category: Category; score: QuestionScore }[]): MethodScores {
  const byCategory = Object.fromEntries(
    CATEGORIES.map((c) => [c, mean(items.filter((i) => i.category === c).map((i) => i.score))]),
  ) as Record<Category, Scores>;
  return { overall: mean(items.map((i) => i.score)), by_category: byCategory };
}
