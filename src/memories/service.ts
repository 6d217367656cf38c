/** Memories: add, list, get, update, delete, history and semantic search, always as one acting user inside RLS. */
import type { Logger } from "pino";
import {
  appFor,
  checkAppReadable,
  ensureActiveApp,
  NOT_IN_PAUSED_APP,
  pausedAppOfMemory,
} from "../apps/service.js";
import { auditActor, auditAdminRead } from "../audit/store.js";
import type { SearchConfig } from "../config/config.js";
import type { Db, Queryable } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { AppError, type ErrorCode } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import { newId } from "../ids.js";
import type { LlmClient } from "../llm/client.js";
import type { UsageCounters } from "../stats/usage.js";
import { type ExtractionEvent, type ExtractionStore, extractMemories } from "./extraction.js";
import { listEvents, recordEvent, scrubHistory } from "./history.js";
import type { Reranker } from "./rerank.js";
import type {
  AddMemoryBodyInput,
  AddMemoryInput,
  ListInput,
  Memory,
  MemoryEvent,
  MemoryFilters,
  SearchInput,
  SearchResult,
  UpdateMemoryInput,
} from "./schemas.js";
import { runSearch, type SearchPlan, type Signal } from "./search.js";
import { filterClause, MEMORY_COLUMNS, type MemoryRow, vectorLiteral } from "./sql.js";

export function toMemory(r: MemoryRow): Memory {
  return {
    id: r.id,
    text: r.text,
    metadata: r.metadata ?? {},
    app: r.app,
    session_id: r.session_id,
    state: r.state,
    occurred_at: new Date(r.occurred_at).toISOString(),
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

const MEMORY_ID = /^mem_[0-9a-z]{26}$/;

/** First key of the per-user advisory lock that serialises adds under a quota (the second: the user's hash). */
const QUOTA_LOCK = 726_354_002;

function notFound(id: string): AppError {
  return new AppError("memory_not_found", `memory '${id}' not found`);
}

/** Case and runs of white space do not make a new memory. */
export function normaliseText(text: string): string {
  return text.trim().replace(/\s+/g, " ").toLowerCase();
}

/** normaliseText in SQL, over the memories row's text. */
const NORMALISED_TEXT = "lower(regexp_replace(btrim(text), '\\s+', ' ', 'g'))";

/**
 * The user's active memories whose normalised text is one of `$2` (a text[]; `$1` is the user). The ids come from
 * the text-key index through engram_active_with_keys (migrations/012): a plain condition would read every memory of
 * the user, since row-level security keeps PostgreSQL from using that index directly. The full text is compared too.
 */
const SAME_TEXT = `id = ANY(ARRAY(SELECT engram_active_with_keys(ARRAY(SELECT engram_text_key(t) FROM unnest($2::text[]) AS t))))
  AND user_id = $1 AND state = 'active' AND ${NORMALISED_TEXT} = ANY($2::text[])`;

export interface MemoryServiceOptions {
  maxTextLength: number;
  /** Most memories one user may store (ENGRAM_MEMORY_QUOTA); 0 or unset: no quota. */
  memoryQuota?: number | undefined;
  search: SearchConfig;
  reranker?: Reranker | undefined;
  /** The configured LLM: `infer: true` (fact extraction) needs it. */
  llm?: LlmClient | undefined;
  /** Where searches are counted per day (GET /v1/stats); none: not counted. */
  usage?: UsageCounters | undefined;
  log?: Logger | undefined;
}

/** What an add did: the one memory stored verbatim (or the identical one that existed), or extraction's changes. */
export type AddOutcome =
  | { infer: false; memory: Memory; created: boolean }
  | { infer: true; results: ExtractionEvent[] };

export interface AddOptions {
  /** Return an identical active memory instead of adding a duplicate (default true). */
  dedupe?: boolean;
}

/** One item's outcome in a batch add, in the order sent. */
export type BatchItemOutcome =
  | { index: number; status: "created" | "existing"; memory: Memory }
  | { index: number; status: "error"; error: { code: ErrorCode; message: string; field?: string } };

/** Most items in one batch add: one embedding call and one transaction stay short. */
export const MAX_BATCH_ITEMS = 100;

export class MemoryService {
  constructor(
    private readonly db: Db,
    private readonly embedder: Embedder,
    private readonly opts: MemoryServiceOptions,
  ) {}

  get embeddingModel(): string {
    return this.embedder.model;
  }

  checkText(text: string, field = "text"): void {
    if (text.length > this.opts.maxTextLength) {
      throw new AppError(
        "validation_error",
        `${field}: must be at most ${this.opts.maxTextLength} characters (got ${text.length})`,
        {
          field,
        },
      );
    }
  }

  /**
   * The one add path of every face (REST, OpenMemory, MCP, chat): with `infer`, the LLM extracts facts from the text
   * or messages and decides what changes (422 llm_not_configured without an LLM); otherwise the text is stored as is.
   */
  async add(actor: Actor, input: AddMemoryBodyInput): Promise<AddOutcome> {
    if (input.infer) {
      const { llm } = this.opts;
      if (!llm) {
        throw new AppError(
          "llm_not_configured",
          "infer: fact extraction needs an LLM (set ENGRAM_LLM_URL and ENGRAM_LLM_MODEL); without infer the text is stored as is",
          { field: "infer" },
        );
      }
      // Extraction's candidate lookups are not searches anyone asked for: they stay out of the usage counts.
      const store: ExtractionStore = {
        search: (a, i) => this.find(a, i),
        addOne: (a, i) => this.addOne(a, i),
        update: (a, id, i) => this.update(a, id, i),
        delete: (a, id) => this.delete(a, id),
      };
      const { results } = await extractMemories(store, llm, actor, input);
      return { infer: true, results };
    }
    if (input.text === undefined) {
      throw new AppError("validation_error", "text: is required", { field: "text" });
    }
    const { memory, created } = await this.addOne(actor, {
      text: input.text,
      metadata: input.metadata,
      app: input.app,
      session_id: input.session_id,
      occurred_at: input.occurred_at,
    });
    return { infer: false, memory, created };
  }

  /** Adds one memory verbatim. `created` is false when an identical active memory was returned instead. */
  async addOne(
    actor: Actor,
    input: AddMemoryInput,
    opts: AddOptions = {},
  ): Promise<{ memory: Memory; created: boolean }> {
    const text = input.text.trim();
    this.checkText(text);
    const app = appFor(actor, input.app);
    const findDuplicate = (q: Queryable) =>
      q.query<MemoryRow>(`SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${SAME_TEXT} ORDER BY id LIMIT 1`, [
        actor.userPk,
        [normaliseText(text)],
      ]);
    if (opts.dedupe !== false) {
      // Checked before embedding too, so a repeated add costs no model time.
      const existing = await this.db.withUser(actor.userPk, async (tx) => {
        await ensureActiveApp(tx, actor, app);
        const found = await findDuplicate(tx);
        // Refused before embedding as well, so a full user's adds cost no model time (the check that holds is below).
        if (!found[0]) await this.checkQuota(tx, actor);
        return found;
      });
      if (existing[0]) return { memory: toMemory(existing[0]), created: false };
    }
    // Embed outside the transaction: PGlite holds its only session for a transaction's whole length.
    const [vector] = await this.embedder.embed([text], { scope: actor.userPk });
    if (!vector) throw new Error("embedder returned no vector");
    return this.db.withUser(actor.userPk, async (tx) => {
      await ensureActiveApp(tx, actor, app);
      // With a quota, one add per user at a time from here to commit (on every server of the database), so the
      // count below sees every add committed before it; an identical memory is still returned, not refused.
      if (this.quota > 0) {
        await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [QUOTA_LOCK, actor.userPk]);
      }
      if (opts.dedupe !== false) {
        const raced = await findDuplicate(tx);
        if (raced[0]) return { memory: toMemory(raced[0]), created: false };
      }
      await this.checkQuota(tx, actor);
      const rows = await tx.query<MemoryRow>(
        `INSERT INTO memories (id, tenant_id, user_id, app, session_id, text, metadata, embedding, embedding_model, search_config, occurred_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::vector, $9, $10::regconfig, coalesce($11::timestamptz, now()))
         RETURNING ${MEMORY_COLUMNS}`,
        [
          newId("mem"),
          actor.tenantId,
          actor.userPk,
          app,
          input.session_id ?? null,
          text,
          JSON.stringify(input.metadata ?? {}),
          vectorLiteral(vector),
          this.embedder.model,
          this.opts.search.language,
          input.occurred_at ?? null,
        ],
      );
      const row = rows[0] as MemoryRow;
      this.db.noteWrites?.(1);
      await recordEvent(tx, actor, {
        memoryId: row.id,
        event: "add",
        newText: row.text,
        newState: row.state,
      });
      await auditActor(tx, actor, "memory.add", row.id);
      return { memory: toMemory(row), created: true };
    });
  }

  /**
   * Adds up to MAX_BATCH_ITEMS memories verbatim with one embedding call and one transaction, each item answered on
   * its own: created, existing (an identical active memory, or an identical item earlier in the batch), or an error
   * (too long, a paused app, over the quota) that leaves the other items alone.
   */
  async addBatch(actor: Actor, items: AddMemoryInput[]): Promise<BatchItemOutcome[]> {
    const out: Array<BatchItemOutcome | undefined> = new Array(items.length);
    const fail = (index: number, err: unknown) => {
      if (!(err instanceof AppError)) throw err;
      const field = err.field === undefined ? undefined : `items.${index}.${err.field}`;
      out[index] = {
        index,
        status: "error",
        error: { code: err.code, message: `items[${index}]: ${err.message}`, ...(field ? { field } : {}) },
      };
    };
    const pending = items.flatMap((item, index) => {
      const text = item.text.trim();
      try {
        this.checkText(text);
      } catch (err) {
        fail(index, err);
        return [];
      }
      return [{ index, item, text, app: appFor(actor, item.app), norm: normaliseText(text) }];
    });
    // Apps and identical memories, before any model time is spent.
    const checkApps = async (tx: Queryable) => {
      for (const app of new Set(pending.map((p) => p.app))) {
        try {
          await ensureActiveApp(tx, actor, app);
        } catch (err) {
          for (const p of pending) if (p.app === app && !out[p.index]) fail(p.index, err);
        }
      }
    };
    const findExisting = async (tx: Queryable) => {
      const rows = await tx.query<MemoryRow & { norm: string }>(
        `SELECT ${MEMORY_COLUMNS}, ${NORMALISED_TEXT} AS norm FROM memories WHERE ${SAME_TEXT} ORDER BY id`,
        [actor.userPk, pending.map((p) => p.norm)],
      );
      const byNorm = new Map<string, MemoryRow>();
      for (const { norm, ...row } of rows) if (!byNorm.has(norm)) byNorm.set(norm, row);
      for (const p of pending) {
        const row = byNorm.get(p.norm);
        if (row && !out[p.index])
          out[p.index] = { index: p.index, status: "existing", memory: toMemory(row) };
      }
    };
    await this.db.withUser(actor.userPk, async (tx) => {
      await checkApps(tx);
      await findExisting(tx);
    });
    // The first of several identical items is stored; the others answer with it.
    const firstOf = new Map<string, number>();
    const toStore = pending.filter((p) => {
      if (out[p.index]) return false;
      if (firstOf.has(p.norm)) return false;
      firstOf.set(p.norm, p.index);
      return true;
    });
    // Embed outside the transaction: PGlite holds its only session for a transaction's whole length.
    const vectors =
      toStore.length === 0
        ? []
        : await this.embedder.embed(
            toStore.map((p) => p.text),
            { scope: actor.userPk },
          );
    await this.db.withUser(actor.userPk, async (tx) => {
      if (toStore.length === 0) return;
      if (this.quota > 0) {
        await tx.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [QUOTA_LOCK, actor.userPk]);
      }
      // Again inside the transaction that writes: another add may have raced this one.
      await checkApps(tx);
      await findExisting(tx);
      let room = Number.POSITIVE_INFINITY;
      if (this.quota > 0) {
        const [row] = await tx.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM memories WHERE user_id = $1 AND state <> 'deleted'",
          [actor.userPk],
        );
        room = Math.max(this.quota - (row?.n ?? 0), 0);
      }
      const rows: Array<{ p: (typeof toStore)[number]; vector: number[] }> = [];
      toStore.forEach((p, i) => {
        if (out[p.index]) return;
        if (rows.length >= room) {
          fail(
            p.index,
            new AppError(
              "quota_exceeded",
              `memory quota reached: this user may store at most ${this.quota} memories`,
            ),
          );
          return;
        }
        rows.push({ p, vector: vectors[i] as number[] });
      });
      if (rows.length === 0) return;
      const inserted = await tx.query<MemoryRow>(
        `INSERT INTO memories (id, tenant_id, user_id, app, session_id, text, metadata, embedding, embedding_model, search_config, occurred_at)
         SELECT r.id, $1, $2, r.app, r.session_id, r.text, r.metadata::jsonb, r.embedding::vector, $3, $4::regconfig,
           coalesce(r.occurred_at::timestamptz, now())
         FROM unnest($5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[])
           AS r(id, app, session_id, text, metadata, embedding, occurred_at)
         RETURNING ${MEMORY_COLUMNS}`,
        [
          actor.tenantId,
          actor.userPk,
          this.embedder.model,
          this.opts.search.language,
          rows.map(() => newId("mem")),
          rows.map((r) => r.p.app),
          rows.map((r) => r.p.item.session_id ?? null),
          rows.map((r) => r.p.text),
          rows.map((r) => JSON.stringify(r.p.item.metadata ?? {})),
          rows.map((r) => vectorLiteral(r.vector)),
          rows.map((r) => r.p.item.occurred_at ?? null),
        ],
      );
      this.db.noteWrites?.(inserted.length);
      const byText = new Map(inserted.map((row) => [row.text, row]));
      for (const { p } of rows) {
        const row = byText.get(p.text);
        if (!row) throw new Error(`batch add: no row returned for item ${p.index}`);
        out[p.index] = { index: p.index, status: "created", memory: toMemory(row) };
        await recordEvent(tx, actor, {
          memoryId: row.id,
          event: "add",
          newText: row.text,
          newState: row.state,
        });
        await auditActor(tx, actor, "memory.add", row.id);
      }
    });
    // Later identical items answer with what the first became.
    for (const p of pending) {
      if (out[p.index]) continue;
      const first = out[firstOf.get(p.norm) ?? -1];
      if (first?.status === "error") out[p.index] = { ...first, index: p.index };
      else if (first) out[p.index] = { index: p.index, status: "existing", memory: first.memory };
    }
    return out.map((o, index) => {
      if (!o) throw new Error(`batch add: item ${index} has no outcome`);
      return o;
    });
  }

  private get quota(): number {
    return this.opts.memoryQuota ?? 0;
  }

  /** 403 quota_exceeded when the user already stores `memoryQuota` memories (any state; deleted ones are gone). */
  private async checkQuota(tx: Queryable, actor: Actor): Promise<void> {
    if (this.quota <= 0) return;
    const [row] = await tx.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memories WHERE user_id = $1 AND state <> 'deleted'",
      [actor.userPk],
    );
    if ((row?.n ?? 0) >= this.quota) {
      throw new AppError(
        "quota_exceeded",
        `memory quota reached: this user may store at most ${this.quota} memories; delete some to add more`,
      );
    }
  }

  async get(actor: Actor, id: string): Promise<Memory> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    return this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND user_id = $2`,
        [id, actor.userPk],
      );
      const row = rows[0];
      if (!row) throw notFound(id);
      const paused = await tx.query("SELECT 1 FROM apps WHERE user_id = $1 AND name = $2 AND NOT is_active", [
        actor.userPk,
        row.app,
      ]);
      if (paused.length > 0)
        throw new AppError("app_paused", `memory '${id}' belongs to app '${row.app}', which is paused`);
      await auditAdminRead(tx, actor, "admin.read.memories", id);
      return toMemory(row);
    });
  }

  async list(
    actor: Actor,
    input: ListInput & { filters?: MemoryFilters },
  ): Promise<{ memories: Memory[]; next_cursor: string | null }> {
    if (input.cursor !== undefined && !MEMORY_ID.test(input.cursor)) {
      throw new AppError("validation_error", "cursor: not a cursor returned by this API", {
        field: "cursor",
      });
    }
    const params: unknown[] = [];
    const filters: MemoryFilters = {
      ...input.filters,
      ...(input.app ? { app: input.app } : {}),
      ...(input.session_id ? { session_id: input.session_id } : {}),
      ...(input.state ? { state: input.state } : {}),
      ...(input.created_after ? { created_after: input.created_after } : {}),
      ...(input.created_before ? { created_before: input.created_before } : {}),
      ...(input.occurred_after ? { occurred_after: input.occurred_after } : {}),
      ...(input.occurred_before ? { occurred_before: input.occurred_before } : {}),
    };
    let where = `${filterClause(actor.userPk, filters, params)} AND ${NOT_IN_PAUSED_APP}`;
    if (input.cursor) {
      params.push(input.cursor);
      where += ` AND id < $${params.length}`;
    }
    params.push(input.limit + 1);
    const rows = await this.db.withUser(actor.userPk, async (tx) => {
      await checkAppReadable(tx, actor, filters.app);
      await auditAdminRead(tx, actor, "admin.read.memories");
      return tx.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${where} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
    });
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return { memories: page.map(toMemory), next_cursor: rows.length > input.limit && last ? last.id : null };
  }

  /** Offset pagination with a total, for the OpenMemory-compatible list (page numbers, not cursors). */
  async page(
    actor: Actor,
    input: { page: number; size: number; app?: string | undefined },
  ): Promise<{ items: Memory[]; total: number }> {
    const params: unknown[] = [];
    const where = `${filterClause(actor.userPk, input.app ? { app: input.app } : undefined, params)} AND ${NOT_IN_PAUSED_APP}`;
    return this.db.withUser(actor.userPk, async (tx) => {
      await checkAppReadable(tx, actor, input.app);
      await auditAdminRead(tx, actor, "admin.read.memories");
      const total = await tx.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM memories WHERE ${where}`,
        params,
      );
      const rows = await tx.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories WHERE ${where} ORDER BY id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
        [...params, input.size, (input.page - 1) * input.size],
      );
      return { items: rows.map(toMemory), total: total[0]?.n ?? 0 };
    });
  }

  /** Changes text, metadata, state and/or occurred_at; each change is a history event. Setting state `deleted` deletes. */
  async update(actor: Actor, id: string, patch: UpdateMemoryInput): Promise<Memory> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    if (patch.state === "deleted") {
      const before = await this.get(actor, id);
      await this.delete(actor, id);
      return { ...before, text: "", state: "deleted", updated_at: new Date().toISOString() };
    }
    const text = patch.text?.trim();
    if (text !== undefined) this.checkText(text);
    const vector =
      text !== undefined ? (await this.embedder.embed([text], { scope: actor.userPk }))[0] : undefined;
    return this.db.withUser(actor.userPk, async (tx) => {
      const before = await tx.query<MemoryRow>(
        `SELECT ${MEMORY_COLUMNS} FROM memories WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [id, actor.userPk],
      );
      const old = before[0];
      if (!old) throw notFound(id);
      await ensureActiveApp(tx, actor, old.app);
      const rows = await tx.query<MemoryRow>(
        `UPDATE memories SET
           text = coalesce($3, text),
           metadata = coalesce($4::jsonb, metadata),
           state = coalesce($5, state),
           embedding = coalesce($6::vector, embedding),
           embedding_model = CASE WHEN $6::vector IS NULL THEN embedding_model ELSE $7 END,
           occurred_at = coalesce($8::timestamptz, occurred_at),
           updated_at = now()
         WHERE id = $1 AND user_id = $2
         RETURNING ${MEMORY_COLUMNS}`,
        [
          id,
          actor.userPk,
          text ?? null,
          patch.metadata ? JSON.stringify(patch.metadata) : null,
          patch.state ?? null,
          vector ? vectorLiteral(vector) : null,
          this.embedder.model,
          patch.occurred_at ?? null,
        ],
      );
      const row = rows[0] as MemoryRow;
      // A corrected event time is an update like a metadata edit: history keeps that something changed.
      const movedInTime =
        patch.occurred_at !== undefined &&
        new Date(row.occurred_at).getTime() !== new Date(old.occurred_at).getTime();
      if ((text !== undefined && text !== old.text) || patch.metadata !== undefined || movedInTime) {
        await recordEvent(tx, actor, { memoryId: id, event: "update", oldText: old.text, newText: row.text });
      }
      if (patch.state !== undefined && patch.state !== old.state) {
        await recordEvent(tx, actor, {
          memoryId: id,
          event: "state",
          oldState: old.state,
          newState: row.state,
        });
      }
      // One audit row per update, whatever it changed (history has one event per kind of change).
      await auditActor(tx, actor, "memory.update", id);
      return toMemory(row);
    });
  }

  /** Removes the memory and its text from history too, leaving a tombstone event. */
  async delete(actor: Actor, id: string): Promise<void> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    await this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query<{ id: string; state: MemoryRow["state"] }>(
        "DELETE FROM memories WHERE id = $1 AND user_id = $2 RETURNING id, state",
        [id, actor.userPk],
      );
      const row = rows[0];
      if (!row) throw notFound(id);
      await scrubHistory(tx, actor.userPk, [id]);
      await recordEvent(tx, actor, {
        memoryId: id,
        event: "delete",
        oldState: row.state,
        newState: "deleted",
      });
      await auditActor(tx, actor, "memory.delete", id);
    });
  }

  async deleteAll(actor: Actor): Promise<{ deleted: number }> {
    return this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query<{ id: string; state: MemoryRow["state"] }>(
        "DELETE FROM memories WHERE user_id = $1 RETURNING id, state",
        [actor.userPk],
      );
      const ids = rows.map((r) => r.id);
      await scrubHistory(tx, actor.userPk, ids);
      await tx.query(
        `INSERT INTO memory_events (id, tenant_id, user_id, memory_id, event, old_state, new_state, key_id)
         SELECT d.evt, $1, $2, d.id, 'delete', d.state, 'deleted', $3
         FROM unnest($4::text[], $5::text[], $6::text[]) AS d(id, state, evt)`,
        [
          actor.tenantId,
          actor.userPk,
          actor.principal.keyId,
          ids,
          rows.map((r) => r.state),
          ids.map(() => newId("evt")),
        ],
      );
      await auditActor(tx, actor, "memory.delete_all");
      return { deleted: rows.length };
    });
  }

  async history(actor: Actor, id: string): Promise<MemoryEvent[]> {
    if (!MEMORY_ID.test(id)) throw notFound(id);
    const events = await this.db.withUser(actor.userPk, async (tx) => {
      // Like get: the history of a memory whose app is paused is refused (its texts are the memory's texts).
      const paused = await pausedAppOfMemory(tx, actor.userPk, id);
      if (paused)
        throw new AppError("app_paused", `memory '${id}' belongs to app '${paused}', which is paused`);
      const found = await listEvents(tx, actor.userPk, id);
      if (found.length === 0) throw notFound(id);
      await auditAdminRead(tx, actor, "admin.read.memories", id);
      return found;
    });
    return events;
  }

  /**
   * The one search path of every face (REST, OpenMemory, MCP, chat recall): hybrid (default), semantic or keyword
   * search over the caller's memories (search.ts), optionally reranked. Each answered search is counted (usage).
   */
  async search(actor: Actor, input: SearchInput): Promise<SearchResult[]> {
    const results = await this.find(actor, input);
    this.opts.usage?.count("searches");
    return results;
  }

  /** search() without counting it. */
  private async find(actor: Actor, input: SearchInput): Promise<SearchResult[]> {
    this.checkText(input.query, "query");
    const mode = input.mode ?? "hybrid";
    const limit = input.limit ?? 10;
    const { reranker } = this.opts;
    const rerank = input.rerank ?? this.opts.search.rerank.mode !== "off";
    if (input.rerank && !reranker) {
      throw new AppError("rerank_not_configured", "rerank: no reranker is configured (ENGRAM_RERANK)", {
        field: "rerank",
      });
    }
    // Scoped by user: the query cache never answers one user faster for what another searched (issue #9, item 3).
    const vector =
      mode === "keyword" ? null : await this.embedder.embedQuery(input.query, { scope: actor.userPk });
    const plan: SearchPlan = {
      userPk: actor.userPk,
      query: input.query,
      vector,
      dims: Math.trunc(this.embedder.dimensions),
      model: this.embedder.model,
      filters: input.filters,
      limit: rerank && reranker ? Math.max(limit, this.opts.search.rerank.candidates) : limit,
      mode,
      config: this.opts.search,
    };
    const candidates = await this.db.withUser(actor.userPk, async (tx) => {
      await checkAppReadable(tx, actor, input.filters?.app);
      await auditAdminRead(tx, actor, "admin.read.memories");
      return runSearch(tx, plan);
    });
    const fusion = mode === "hybrid" ? this.opts.search.fusion : "none";
    let ranked: Array<(typeof candidates)[number] & { rerank?: Signal }> = candidates;
    if (rerank && reranker && candidates.length > 0) {
      try {
        // Outside the transaction: a reranker call can take a while, and PGlite has one session.
        const scores = await reranker.rerank(
          input.query,
          candidates.map((c) => c.row.text),
        );
        const order = candidates.map((c, i) => ({ c, s: scores[i] ?? 0 })).sort((a, b) => b.s - a.s);
        ranked = order.map(({ c, s }, i) => ({ ...c, score: s, rerank: { rank: i + 1, score: s } }));
      } catch (err) {
        // Reranking is an optional refinement: the fused order is still a good answer.
        this.opts.log?.warn({ err, reranker: reranker.name }, "reranker failed; returning the fused order");
      }
    }
    const threshold = input.threshold ?? 0;
    return ranked
      .slice(0, limit)
      .filter((c) => c.score >= threshold)
      .map((c) => ({
        ...toMemory(c.row),
        score: c.score,
        ...(input.explain
          ? {
              explain: {
                semantic: c.semantic,
                keyword: c.keyword,
                fusion,
                ...(c.rerank ? { rerank: c.rerank } : {}),
              },
            }
          : {}),
      }));
  }
}
