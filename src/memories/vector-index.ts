/**
 * Start-up check that stored vectors match the configured model, and the HNSW index for that model.
 *
 * Each model has its own partial index (`WHERE embedding_model = '<model>'`), so rows of two models can share the
 * table while `engram reindex` moves users from one to the other: an index over every row would cast a vector of
 * the other model's dimension and fail the write.
 */
import { createHash } from "node:crypto";
import { type Db, NO_STATEMENT_TIMEOUT, type Queryable } from "../db/db.js";
import { MIGRATION_LOCK } from "../db/migrate.js";
import type { Embedder } from "../embeddings/embedder.js";
import { modelLiteral } from "./sql.js";

export class ModelMismatchError extends Error {
  override name = "ModelMismatchError";
}

/** engram_meta's key for the model a reindex is moving the store to (set by `engram reindex` until it is done). */
export const REINDEX_TARGET_KEY = "reindex_target";

/** The partial HNSW index of one model: the dimension for reading, a hash because tags hold any character. */
export function vectorIndexName(model: string, dims: number): string {
  const tag = createHash("sha256").update(model).digest("hex").slice(0, 12);
  return `memories_embedding_hnsw_${Math.trunc(dims)}_${tag}`;
}

export interface VectorIndexStatus {
  /** Memories on other models, tolerated because a reindex is in progress (empty otherwise). */
  otherModels: Array<{ model: string; count: number }>;
  /** The model a reindex in progress is moving the store to, if any. */
  reindexTarget: string | undefined;
}

export async function reindexTarget(db: Queryable): Promise<string | undefined> {
  const rows = await db.query<{ value: string }>("SELECT value FROM engram_meta WHERE key = $1", [
    REINDEX_TARGET_KEY,
  ]);
  return rows[0]?.value;
}

/**
 * Refuses a store whose vectors came from another embedding model: comparing vectors of two models returns
 * nonsense silently. The fix is a re-embed (`engram reindex`), never a mix. While a reindex is recorded, a server
 * starts on the mix it leaves behind (the old model and its target): searches compare only vectors of the
 * server's own model, so a user not yet moved is still searched by meaning on the old model's servers, and a user
 * already moved on the new model's.
 */
export async function ensureVectorIndex(db: Db, embedder: Embedder): Promise<VectorIndexStatus> {
  const other = (
    await db.query<{ embedding_model: string; n: number }>(
      `SELECT embedding_model, count(*)::int AS n FROM memories WHERE embedding_model <> $1 GROUP BY embedding_model`,
      [embedder.model],
    )
  ).map((o) => ({ model: o.embedding_model, count: o.n }));
  const target = await reindexTarget(db);
  const tolerated =
    target !== undefined && (target === embedder.model || other.every((o) => o.model === target));
  if (other.length > 0 && !tolerated) {
    const found = other.map((o) => `${o.count} from '${o.model}'`).join(", ");
    const during = target === undefined ? "" : ` (a reindex to '${target}' is in progress)`;
    throw new ModelMismatchError(
      `the store holds vectors from another embedding model (${found}); the configured model is '${embedder.model}'${during}. ` +
        "Configure the model the store was built with, or re-embed every memory with `engram reindex`.",
    );
  }
  if (other.length === 0) {
    await db.query(
      `INSERT INTO engram_meta (key, value) VALUES ('embedding_model', $1)
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
      [embedder.model],
    );
  }
  // A store from before per-model indexes keeps its index over every row while it holds one model: as good
  // then, and rebuilding it could hold a large store's first start for an hour. `engram reindex` replaces it.
  await ensureModelIndex(db, embedder.model, embedder.dimensions, { keepLegacy: other.length === 0 });
  return { otherModels: tolerated ? other : [], reindexTarget: target };
}

/**
 * Creates the model's partial HNSW index if missing. The index over every row that servers before per-model
 * indexes built (`memories_embedding_hnsw_<dims>`) is dropped, since it would refuse vectors of another
 * dimension, unless `keepLegacy` and it is this dimension's: then it serves instead and nothing is built.
 * Under the migrations' lock: IF NOT EXISTS does not guard two servers starting together on a fresh database.
 */
export async function ensureModelIndex(
  db: Db,
  model: string,
  dimensions: number,
  opts: { keepLegacy?: boolean } = {},
): Promise<void> {
  const dims = Math.trunc(dimensions);
  await db.transaction(async (tx) => {
    // An index build on a large store may take minutes; the request timeout is not for it.
    await tx.exec(NO_STATEMENT_TIMEOUT);
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    const legacy = await tx.query<{ indexname: string }>(
      `SELECT indexname FROM pg_indexes
       WHERE schemaname = current_schema() AND tablename = 'memories' AND indexname ~ '^memories_embedding_hnsw_[0-9]+$'`,
    );
    if (opts.keepLegacy && legacy.some((l) => l.indexname === `memories_embedding_hnsw_${dims}`)) return;
    for (const { indexname } of legacy) await tx.exec(`DROP INDEX IF EXISTS ${indexname}`);
    await tx.exec(
      `CREATE INDEX IF NOT EXISTS ${vectorIndexName(model, dims)} ON memories
       USING hnsw ((embedding::vector(${dims})) vector_cosine_ops)
       WHERE embedding_model = ${modelLiteral(model)}`,
    );
  });
}
