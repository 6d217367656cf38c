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
  /** Postings the keyword side reads at first (default BM25_FIRST_POSTINGS; tests lower it to prune more). */
  firstPostings?: number;
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

type KeywordRow = MemoryRow & { bm25: number; rank_cd: number; distance: number | null };

/**
 * The keyword side. BM25 (the default) scores with the user's own statistics (so one user's vocabulary never
 * shapes another's ranking), which writes keep current (migrations/010); ts_rank_cd scores every match.
 * Both score the vector side's candidates (`extraIds`) too: fusion needs their keyword score.
 */
async function keywordSide(
  tx: Queryable,
  p: SearchPlan,
  n: number,
  extraIds: string[],
): Promise<KeywordRow[]> {
  return p.config.keywordRanker === "bm25" ? bm25Side(tx, p, n, extraIds) : rankCdSide(tx, p, n, extraIds);
}

/** The query's distance expression for keyword rows, appending the vector to `params`; NULL without a vector. */
function distanceOf(p: SearchPlan, params: unknown[]): string {
  if (!p.vector) return "NULL::float8";
  params.push(vectorLiteral(p.vector));
  // Only vectors of the query's model are comparable (others may differ in dimension while a reindex runs).
  return `CASE WHEN embedding_model = ${modelLiteral(p.model)} THEN ${vectorExpr(p.dims)} <=> $${params.length}::vector(${p.dims}) END`;
}

interface TermStat {
  term: string;
  df: number;
  idf: number;
}

/**
 * Postings (memories holding a term, by the user's statistics) that a BM25 search reads at first; more are read
 * only when the terms left out could still change the top results. See bm25Side.
 */
export const BM25_FIRST_POSTINGS = 1_000;
/** Past this many postings a search stops adding terms and ranks what it has (docs/retrieval-performance.md). */
export const BM25_MAX_POSTINGS = 20_000;

/**
 * BM25 with MaxScore pruning, exact in all but very rare cases: the rarest query terms (by the user's document
 * frequency) pick the candidates, which are scored on every query term. A memory holding none of the rare terms
 * scores at most (k1 + 1) times the sum of the other terms' idf; when the n-th candidate scores at least that,
 * no such memory can enter the top n. Otherwise the next rarest terms join and the candidates are read again,
 * up to BM25_MAX_POSTINGS. Common words (a name in every turn of a conversation) so cost a search nothing
 * unless they are all it has.
 */
async function bm25Side(tx: Queryable, p: SearchPlan, n: number, extraIds: string[]): Promise<KeywordRow[]> {
  const stats = await tx.query<{ term: string; df: number; docs: number | null; total_len: number | null }>(
    `WITH q AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector($1::regconfig, engram_search_text($2))))
     SELECT q.term, coalesce(t.df, 0)::int AS df, s.docs::float8 AS docs, s.total_len::float8 AS total_len
     FROM q
     LEFT JOIN memory_term_stats t ON t.user_id = $3 AND t.term = q.term
     LEFT JOIN memory_user_stats s ON s.user_id = $3`,
    [p.config.language, p.query, p.userPk],
  );
  const docs = Math.max(Number(stats[0]?.docs ?? 0), 1);
  const avgdl = Math.max(Number(stats[0]?.total_len ?? 0) / docs, 1);
  // Terms no memory of the user holds match nothing; the rest, rarest first.
  const terms: TermStat[] = stats
    .filter((t) => t.df > 0)
    .map((t) => ({ term: t.term, df: t.df, idf: Math.log(1 + (docs - t.df + 0.5) / (t.df + 0.5)) }))
    .sort((a, b) => a.df - b.df || (a.term < b.term ? -1 : 1));
  if (terms.length === 0 && extraIds.length === 0) return [];

  const exact = Math.max(1, n - extraIds.length);
  let chosen = 0;
  let postings = 0;
  let budget = p.firstPostings ?? BM25_FIRST_POSTINGS;
  for (;;) {
    // At least one more term each round; then as many as fit the budget.
    const before = chosen;
    while (chosen < terms.length && (chosen === before || postings + (terms[chosen]?.df ?? 0) <= budget)) {
      postings += terms[chosen]?.df ?? 0;
      chosen++;
    }
    const rows = await bm25Candidates(tx, p, n, extraIds, terms, chosen, avgdl);
    const rest = terms.slice(chosen).reduce((s, t) => s + t.idf, 0) * (K1 + 1);
    const scored = rows.filter((r) => Number(r.bm25) > 0);
    // The first `exact` ranks must be exact: the keyword side's own depth. The other rows carry the vector side's
    // candidates, which are scored on every term whatever was pruned.
    const nth = scored.length >= exact ? Number(scored[exact - 1]?.bm25 ?? 0) : 0;
    if (chosen >= terms.length || rest <= nth || postings >= BM25_MAX_POSTINGS) return rows;
    budget = Math.min(Math.max(budget * 4, postings * 2), BM25_MAX_POSTINGS);
  }
}

/** The memories holding one of the first `chosen` terms, plus `extraIds`, scored on all `terms`; best first. */
async function bm25Candidates(
  tx: Queryable,
  p: SearchPlan,
  n: number,
  extraIds: string[],
  terms: TermStat[],
  chosen: number,
  avgdl: number,
): Promise<KeywordRow[]> {
  const params: unknown[] = [terms.map((t) => t.term), terms.map((t) => t.idf), chosen, avgdl, extraIds];
  const where = `${filterClause(p.userPk, p.filters, params)} AND ${NOT_IN_PAUSED_APP}`;
  const distance = distanceOf(p, params);
  params.push(n);
  // Candidates first, narrow: ids from the per-user term index (engram_keyword_matches, migrations/010) and the
  // vector side's, then their tsv under the user's filters; BM25 over their matching lexemes only; then the
  // columns of the best n: the wide rows are read n times, not once per match.
  return tx.query(
    // The ids go in as an array (an InitPlan): joined as a set function's rows (estimated at 1,000), the planner
    // hashed every memory of a large user to find them (a 50,000-row scan per round, 70 ms of 147).
    `WITH c AS MATERIALIZED (
       SELECT memories.id, memories.tsv FROM memories
       WHERE memories.id = ANY(ARRAY(
         SELECT engram_keyword_matches(($1::text[])[1:$3::int])
         UNION
         SELECT unnest($5::text[])
       )) AND ${where}
     ),
     s AS (
       SELECT c.id, sum(($2::float8[])[array_position($1::text[], u.lexeme)] * cardinality(u.positions) * ${K1 + 1}
                        / (cardinality(u.positions) + ${K1} * (1 - ${B} + ${B} * length(c.tsv) / $4::float8)))::float8 AS bm25
       FROM c, unnest(c.tsv) AS u
       WHERE u.lexeme = ANY($1::text[])
       GROUP BY c.id
     ),
     best AS (
       SELECT c.id, coalesce(s.bm25, 0)::float8 AS bm25 FROM c LEFT JOIN s ON s.id = c.id
       ORDER BY 2 DESC, 1 DESC
       LIMIT $${params.length}
     )
     SELECT ${MEMORY_COLUMNS.split(", ")
       .map((col) => `memories.${col}`)
       .join(", ")}, ${distance} AS distance, 0::float8 AS rank_cd, best.bm25
     FROM best JOIN memories ON memories.id = best.id
     ORDER BY best.bm25 DESC, best.id DESC`,
    params,
  );
}

/** ts_rank_cd over every memory matching a query term (no statistics: the ranker is a per-document measure). */
async function rankCdSide(
  tx: Queryable,
  p: SearchPlan,
  n: number,
  extraIds: string[],
): Promise<KeywordRow[]> {
  const params: unknown[] = [p.config.language, p.query, extraIds];
  const where = `${filterClause(p.userPk, p.filters, params)} AND ${NOT_IN_PAUSED_APP}`;
  const distance = distanceOf(p, params);
  params.push(n);
  return tx.query(
    `WITH tq AS MATERIALIZED (
       SELECT to_tsquery('simple', string_agg(quote_literal(lexeme), ' | ')) AS query
       FROM (SELECT DISTINCT lexeme FROM unnest(to_tsvector($1::regconfig, engram_search_text($2)))) q
     )
     SELECT ${MEMORY_COLUMNS}, ${distance} AS distance, 0::float8 AS bm25,
       coalesce(ts_rank_cd(tsv, tq.query), 0)::float8 AS rank_cd
     FROM memories, tq
     WHERE ${where} AND ((tq.query IS NOT NULL AND tsv @@ tq.query) OR id = ANY($3::text[]))
     ORDER BY rank_cd DESC, id DESC
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
