/** Memories: add, list, get, update, delete and semantic search, always as one acting user inside RLS. */
import type { Db } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { AppError } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import { newId } from "../ids.js";
import type {
  AddMemoryInput,
  ListInput,
  Memory,
  MemoryFilters,
  SearchInput,
  SearchResult,
  UpdateMemoryInput,
} from "./schemas.js";
import { filterClause, MEMORY_COLUMNS, type MemoryRow, vectorExpr, vectorLiteral } from "./sql.js";

export function toMemory(r: MemoryRow): Memory {
  return {
    id: r.id,
    text: r.text,
    metadata: r.metadata ?? {},
    app: r.app,
    session_id: r.session_id,
    state: r.state,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

const MEMORY_ID = /^mem_[0-9a-z]{26}$/;

function notFound(id: string): AppError {
  return new AppError("memory_not_found", `memory '${id}' not found`);
}

export interface MemoryServiceOptions {
  maxTextLength: number;
}

export class MemoryService {
  constructor(
    private readonly db: Db,
    private readonly embedder: Embedder,
    private readonly opts: MemoryServiceOptions,
  ) {}

  private checkText(text: string, field = "text"): void {
    if (text.length > this.opts.maxTextLength) {
      throw new AppError("validation_error", `${field}: must be at most ${this.opts.maxTextLength} characters (got ${text.length})`, {
        field,
      });
    }
  }

  async add(actor: Actor, input: AddMemoryInput): Promise<Memory> {
    this.checkText(input.text);
    // Embed before the transaction: PGlite holds its only session for a transaction's whole length.
    const [vector] = await this.embedder.embed([input.text]);
    if (!vector) throw new Error("embedder returned no vector");
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<MemoryRow>(
        `INSERT INTO memories (id, tenant_id, user_id, app, session_id, text, metadata, embedding, embedding_model)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::vector, $9) RETURNING ${MEMORY_COLUMNS}`,
        [
          newId("mem"),
          actor.tenantId,
          actor.userPk,
          input.app ?? "default",
          input.session_id ?? null,
          input.text,
          JSON.stringify(input.metadata ?? {}),
          vectorLiteral(vector),
          this.embedder.model,
        ],
      ),
    );
    return toMemory(rows[0] as MemoryRow);
  }

  async get(actor: Actor, id: string): Promise<Memory> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND user_id = $2`, [id, actor.userPk]),
    );
    const row = rows[0];
    if (!row) throw notFound(id);
    return toMemory(row);
  }

  async list(actor: Actor, input: ListInput & { filters?: MemoryFilters }): Promise<{ memories: Memory[]; next_cursor: string | null }> {
    if (input.cursor !== undefined && !MEMORY_ID.test(input.cursor)) {
      throw new AppError("validation_error", "cursor: not a cursor returned by this API", { field: "cursor" });
    }
    const params: unknown[] = [];
    const filters: MemoryFilters = {
      ...input.filters,
      ...(input.app ? { app: input.app } : {}),
      ...(input.session_id ? { session_id: input.session_id } : {}),
      ...(input.state ? { state: input.state } : {}),
    };
    let where = filterClause(actor.userPk, filters, params);
    if (input.cursor) {
      params.push(input.cursor);
      where += ` AND id < $${params.length}`;
    }
    params.push(input.limit + 1);
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${where} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      ),
    );
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return { memories: page.map(toMemory), next_cursor: rows.length > input.limit && last ? last.id : null };
  }

  async update(actor: Actor, id: string, patch: UpdateMemoryInput): Promise<Memory> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    if (patch.text !== undefined) this.checkText(patch.text);
    const vector = patch.text !== undefined ? (await this.embedder.embed([patch.text]))[0] : undefined;
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<MemoryRow>(
        `UPDATE memories SET
           text = coalesce($3, text),
           metadata = coalesce($4::jsonb, metadata),
           state = coalesce($5, state),
           embedding = coalesce($6::vector, embedding),
           embedding_model = CASE WHEN $6::vector IS NULL THEN embedding_model ELSE $7 END,
           updated_at = now()
         WHERE id = $1 AND user_id = $2
         RETURNING ${MEMORY_COLUMNS}`,
        [
          id,
          actor.userPk,
          patch.text ?? null,
          patch.metadata ? JSON.stringify(patch.metadata) : null,
          patch.state ?? null,
          vector ? vectorLiteral(vector) : null,
          this.embedder.model,
        ],
      ),
    );
    const row = rows[0];
    if (!row) throw notFound(id);
    return toMemory(row);
  }

  async delete(actor: Actor, id: string): Promise<void> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query("DELETE FROM memories WHERE id = $1 AND user_id = $2 RETURNING id", [id, actor.userPk]),
    );
    if (rows.length === 0) throw notFound(id);
  }

  async deleteAll(actor: Actor): Promise<{ deleted: number }> {
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<{ n: number }>(
        "WITH d AS (DELETE FROM memories WHERE user_id = $1 RETURNING 1) SELECT count(*)::int AS n FROM d",
        [actor.userPk],
      ),
    );
    return { deleted: rows[0]?.n ?? 0 };
  }

  /** Cosine similarity search over the user's memories; score = 1 - cosine distance, clamped to 0..1. */
  async search(actor: Actor, input: SearchInput): Promise<SearchResult[]> {
    this.checkText(input.query, "query");
    const q = await this.embedder.embedQuery(input.query);
    const params: unknown[] = [vectorLiteral(q)];
    const where = filterClause(actor.userPk, input.filters, params);
    params.push(this.embedder.model, input.limit);
    const expr = vectorExpr(this.embedder.dimensions);
    const dims = Math.trunc(this.embedder.dimensions);
    // The inner ORDER BY may use the HNSW index (relaxed order); the outer one restores exact order.
    const rows = await this.db.withUser(actor.userPk, (tx) =>
      tx.query<MemoryRow & { distance: number }>(
        `SELECT * FROM (
           SELECT ${MEMORY_COLUMNS}, ${expr} <=> $1::vector(${dims}) AS distance
           FROM memories
           WHERE ${where} AND embedding_model = $${params.length - 1}
           ORDER BY ${expr} <=> $1::vector(${dims})
           LIMIT $${params.length}
         ) s ORDER BY distance, id`,
        params,
      ),
    );
    const threshold = input.threshold ?? 0;
    return rows
      .map((r) => ({ ...toMemory(r), score: Math.max(0, Math.min(1, 1 - Number(r.distance))) }))
      .filter((r) => r.score >= threshold);
  }
}
