/**
 * Hybrid retrieval: a vector side (pgvector cosine, HNSW or exact) and a keyword side (full-text BM25 over the
 * user's own term statistics, or ts_rank_cd), fused by reciprocal rank or a weighted sum. Scores are 0..1 in every mode.
 */

import { NOT_IN_PAUSED_APP } from "../apps/service.js";
import type { SearchConfig } from "../config/config.js";
import type { Queryable } from "../db/db.js";
import type { MemoryFilters } from "./schemas.js";
import {
  filterClause,
  MEMORY_COLUMNS,
  type MemoryRow,
  modelLiteral,
  vectorExpr,
  vectorLiteral,
} from "./sql.js";

export type SearchMode = "hybrid" | "semantic" | "keyword";

export interface Signal {
  rank: number;
  score: number;
}

export interface Candidate {
  row: MemoryRow;
  semantic: Signal | null;
  keyword: Signal | null;
  /** Raw values before normalisation: cosine distance and BM25 (or ts_rank_cd). */
  distance: number | null;
  keywordRaw: number;
  score: number;
}

/** BM25 parameters: the usual defaults; memories are short, so length normalisation matters little. */
const K1 = 1.2;
const B = 0.75;
/** RRF's k: damps the difference between the first few ranks. */
const RRF_K = 60;
/**
 * Maps an unbounded keyword score onto 0..1: s / (s + half). `half` is the raw score that maps to 0.5; chosen so a
 * single rare-word match in a short memory lands near the middle.
 */
const KEYWORD_HALF = { bm25: 4, ts_rank_cd: 0.1 } as const;

export interface SearchPlan {
  userPk: string;
  query: string;
  vector: readonly number[] | null;
  dims: number;
  model: string;
  filters: MemoryFilters | undefined;
  limit: number;
  mode: SearchMode;
  config: SearchConfig;
}

/** How deep each side looks before fusion: deeper than `limit`, so an item second on one side can still win. */
function depth(limit: number): number {
  return Math.min(200, Math.max(50, limit * 5));
}

async function vectorSide(
  tx: Queryable,
  p: SearchPlan,
  n: number,
): Promise<Array<MemoryRow & { distance: number }>> {
  if (!p.vector) return [];
  const params: unknown[] = [vectorLiteral(p.vector)];
  const where = `${filterClause(p.userPk, p.filters, params)} AND ${NOT_IN_PAUSED_APP}`;
  params.push(n);
  const expr = vectorExpr(p.dims);
  // The inner ORDER BY may use the model's partial HNSW index (relaxed order: docs/architecture.md, Search plan);
  // the outer one restores exact order. The model is a literal, not a parameter, so the planner can match the
  // index's predicate.
  return tx.query(
    `SELECT * FROM (
       SELECT ${MEMORY_COLUMNS}, ${expr} <=> $1::vector(${p.dims}) AS distance
       FROM memories
       WHERE ${where} AND embedding_model = ${modelLiteral(p.model)}
       ORDER BY ${expr} <=> $1::vector(${p.dims})
       LIMIT $${params.length}
     ) s ORDER BY distance, id`,
    params,
  );
}

/**
 * The keyword side in one statement: the query's lexemes OR-ed, BM25 from the user's own document count, average
 * length and per-term document frequencies (so one user's vocabulary never shapes another's ranking), over the
 * matching memories plus `extraIds` (the vector side's candidates, which need a keyword score for fusion).
 */
async function keywordSide(
  tx: Queryable,
  p: SearchPlan,
  n: number,
  extraIds: string[],
): Promise<Array<MemoryRow & { bm25: number; rank_cd: number; distance: number | null }>> {
  const params: unknown[] = [p.config.language, p.query];
  const where = `${filterClause(p.userPk, p.filters, params)} AND ${NOT_IN_PAUSED_APP}`;
  params.push(extraIds);
  const idsParam = `$${params.length}`;
  let distanceExpr = "NULL::float8";
  if (p.vector) {
    params.push(vectorLiteral(p.vector));
    // Only vectors of the query's model are comparable (others may differ in dimension while a reindex runs).
    distanceExpr = `CASE WHEN embedding_model = ${modelLiteral(p.model)} THEN ${vectorExpr(p.dims)} <=> $${params.length}::vector(${p.dims}) END`;
  }
  params.push(n);
  const order = p.config.keywordRanker === "bm25" ? "bm25" : "rank_cd";
  return tx.query(
    `WITH q AS (
       SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector($1::regconfig, engram_search_text($2)))
     ),
     tq AS MATERIALIZED (
       SELECT to_tsquery('simple', string_agg(quote_literal(term), ' | ')) AS query FROM q
     ),
     stats AS MATERIALIZED (
       SELECT count(*)::float8 AS n, greatest(coalesce(avg(length(tsv)), 1), 1)::float8 AS avgdl
       FROM memories WHERE ${where}
     ),
     df AS MATERIALIZED (
       SELECT q.term,
         (SELECT count(*) FROM memories WHERE ${where} AND tsv @@ to_tsquery('simple', quote_literal(q.term)))::float8 AS df
       FROM q
     ),
     cand AS (
       SELECT ${MEMORY_COLUMNS}, tsv, ${distanceExpr} AS distance
       FROM memories, tq
       WHERE ${where} AND (tsv @@ tq.query OR id = ANY(${idsParam}::text[]))
     )
     SELECT c.id, c.text, c.metadata, c.app, c.session_id, c.state, c.created_at, c.updated_at, c.distance,
       coalesce((
         SELECT sum(
           ln(1 + (s.n - df.df + 0.5) / (df.df + 0.5))
           * (cardinality(u.positions) * ${K1 + 1})
           / (cardinality(u.positions) + ${K1} * (1 - ${B} + ${B} * length(c.tsv) / s.avgdl)))
         FROM unnest(c.tsv) u JOIN df ON df.term = u.lexeme
       ), 0)::float8 AS bm25,
       coalesce(ts_rank_cd(c.tsv, tq.query), 0)::float8 AS rank_cd
     FROM cand c, stats s, tq
     ORDER BY ${order} DESC, c.id DESC
     LIMIT $${params.length}`,
    params,
  );
}

function semanticScore(distance: number): number {
  return Math.max(0, Math.min(1, 1 - distance));
}

/** Runs one search inside the caller's user-scoped transaction and returns fused, ordered candidates. */
export async function runSearch(tx: Queryable, p: SearchPlan): Promise<Candidate[]> {
  const n = p.mode === "hybrid" ? depth(p.limit) : p.limit;
  const vec = p.mode === "keyword" ? [] : await vectorSide(tx, p, n);
  const half = KEYWORD_HALF[p.config.keywordRanker];
  const byId = new Map<string, Candidate>();

  vec.forEach((r, i) => {
    const { distance, ...row } = r;
    byId.set(r.id, {
      row,
      semantic: { rank: i + 1, score: semanticScore(Number(distance)) },
      keyword: null,
      distance: Number(distance),
      keywordRaw: 0,
      score: 0,
    });
  });

  if (p.mode !== "semantic") {
    const kw = await keywordSide(
      tx,
      p,
      n + vec.length,
      vec.map((r) => r.id),
    );
    const raw = (r: { bm25: number; rank_cd: number }) =>
      Number(p.config.keywordRanker === "bm25" ? r.bm25 : r.rank_cd);
    let rank = 0;
    for (const r of kw) {
      const value = raw(r);
      const { bm25: _b, rank_cd: _r, distance, ...row } = r;
      const existing = byId.get(r.id);
      // Rows fetched only to score the vector side's candidates, with no keyword match, get no keyword rank.
      const keyword = value > 0 ? { rank: ++rank, score: value / (value + half) } : null;
      if (existing) {
        existing.keyword = keyword;
        existing.keywordRaw = value;
      } else if (keyword) {
        byId.set(r.id, {
          row,
          semantic: null,
          keyword,
          distance: distance === null ? null : Number(distance),
          keywordRaw: value,
          score: 0,
        });
      }
    }
  }

  const candidates = [...byId.values()];
  const ws = p.config.semanticWeight;
  const wk = p.config.keywordWeight;
  for (const c of candidates) {
    if (p.mode === "semantic") c.score = c.semantic?.score ?? 0;
    else if (p.mode === "keyword") c.score = c.keyword?.score ?? 0;
    else if (p.config.fusion === "rrf") {
      const rrf =
        (c.semantic ? ws / (RRF_K + c.semantic.rank) : 0) + (c.keyword ? wk / (RRF_K + c.keyword.rank) : 0);
      // Normalised so that first on both sides scores 1.
      c.score = ws + wk > 0 ? rrf / ((ws + wk) / (RRF_K + 1)) : 0;
    } else {
      const sem = c.distance === null ? 0 : semanticScore(c.distance);
      const key = c.keywordRaw / (c.keywordRaw + half);
      c.score = ws + wk > 0 ? (ws * sem + wk * key) / (ws + wk) : 0;
    }
  }
  candidates.sort((a, b) => b.score - a.score || (a.row.id < b.row.id ? 1 : -1));
  return candidates.slice(0, p.limit);
}
