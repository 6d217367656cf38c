// A tiny in-process BM25 and reciprocal rank fusion: where a true keyword index (and a fusion) would stand on this data.
import { tokens } from "./text.js";

export interface Doc {
  id: string;
  text: string;
}

/** Okapi BM25 over one user's memories (k1 = 1.2, b = 0.75, the usual defaults; no stemming). */
export class Bm25 {
  private readonly docs: { id: string; tf: Map<string, number>; len: number }[];
  private readonly df = new Map<string, number>();
  private readonly avgLen: number;

  constructor(
    docs: readonly Doc[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    this.docs = docs.map((d) => {
      const tf = new Map<string, number>();
      const ts = tokens(d.text);
      for (const t of ts) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const t of tf.keys()) this.df.set(t, (this.df.get(t) ?? 0) + 1);
      return { id: d.id, tf, len: ts.length };
    });
    this.avgLen = this.docs.reduce((s, d) => s + d.len, 0) / Math.max(1, this.docs.length);
  }

  /** Ids of the documents that share a term with the query, best first (ties by id, so runs are repeatable). */
  search(query: string, limit: number): string[] {
    const n = this.docs.length;
    const terms = [...new Set(tokens(query))];
    const scored: { id: string; score: number }[] = [];
    for (const d of this.docs) {
      let score = 0;
      for (const t of terms) {
        const f = d.tf.get(t);
        if (!f) continue;
        const df = this.df.get(t) ?? 0;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        score += (idf * f * (this.k1 + 1)) / (f + this.k1 * (1 - this.b + (this.b * d.len) / this.avgLen));
      }
      if (score > 0) scored.push({ id: d.id, score });
    }
    scored.sort((x, y) => y.score - x.score || (x.id < y.id ? -1 : 1));
    return scored.slice(0, limit).map((s) => s.id);
  }
}

/** Reciprocal rank fusion (k = 60, the constant from Cormack et al. 2009): sum of 1 / (k + rank) over the lists. */
export function rrf(lists: readonly (readonly string[])[], limit: number, k = 60): string[] {
  const score = new Map<string, number>();
  for (const list of lists) {
    for (const [i, id] of list.entries()) score.set(id, (score.get(id) ?? 0) + 1 / (k + i + 1));
  }
  return [...score.entries()]
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1))
    .slice(0, limit)
    .map(([id]) => id);
}
