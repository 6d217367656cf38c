/** The memories table's SQL. Every statement also filters by user in SQL; RLS (migrations/001) backs that up. */
import type { MemoryFilters } from "./schemas.js";

export const MEMORY_COLUMNS =
  "id, text, metadata, app, session_id, state, occurred_at, created_at, updated_at";

export interface MemoryRow {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  app: string;
  session_id: string | null;
  state: "active" | "paused" | "archived" | "deleted";
  occurred_at: Date;
  created_at: Date;
  updated_at: Date;
}

/** Vectors travel as pgvector's text form; both drivers accept it with a ::vector cast. */
export function vectorLiteral(v: readonly number[] | Float32Array): string {
  return `[${v.join(",")}]`;
}

/** The cast that matches the HNSW expression index for this dimension (see src/memories/vector-index.ts). */
export function vectorExpr(dims: number): string {
  return `embedding::vector(${Math.trunc(dims)})`;
}

/**
 * A model tag as an SQL literal, so the planner can match a model's partial index (a parameter hides the value).
 * Tags come from configuration, but are quoted as if they did not.
 */
export function modelLiteral(model: string): string {
  return `'${model.replaceAll("'", "''")}'`;
}

/**
 * Builds the WHERE clause for list and search filters, all in SQL so filters narrow before LIMIT.
 * `params` is appended to; placeholders continue from its length.
 */
export function filterClause(userPk: string, filters: MemoryFilters | undefined, params: unknown[]): string {
  const where: string[] = [];
  const p = (v: unknown): string => {
    params.push(v);
    return `$${params.length}`;
  };
  where.push(`user_id = ${p(userPk)}`);
  const states =
    filters?.state === undefined
      ? ["active"]
      : Array.isArray(filters.state)
        ? filters.state
        : [filters.state];
  where.push(`state = ANY(${p(states)}::text[])`);
  if (filters?.app) where.push(`app = ${p(filters.app)}`);
  if (filters?.session_id) where.push(`session_id = ${p(filters.session_id)}`);
  if (filters?.metadata && Object.keys(filters.metadata).length > 0) {
    where.push(`metadata @> ${p(JSON.stringify(filters.metadata))}::jsonb`);
  }
  if (filters?.created_after) where.push(`created_at > ${p(filters.created_after)}::timestamptz`);
  if (filters?.created_before) where.push(`created_at < ${p(filters.created_before)}::timestamptz`);
  // memories_user_occurred_idx (migrations/011) serves these with the user_id above.
  if (filters?.occurred_after) where.push(`occurred_at > ${p(filters.occurred_after)}::timestamptz`);
  if (filters?.occurred_before) where.push(`occurred_at < ${p(filters.occurred_before)}::timestamptz`);
  return where.join(" AND ");
}
