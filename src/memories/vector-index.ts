/** Start-up check that stored vectors match the configured model, and the HNSW index for its dimension. */
import { type Db, NO_STATEMENT_TIMEOUT } from "../db/db.js";
import { MIGRATION_LOCK } from "../db/migrate.js";
import type { Embedder } from "../embeddings/embedder.js";

export class ModelMismatchError extends Error {
  override name = "ModelMismatchError";
}

/**
 * Refuses a store whose vectors came from another embedding model: comparing vectors of two models returns
 * nonsense silently. The fix is a re-embed (`engram reindex`), never a mix.
 */
export async function ensureVectorIndex(db: Db, embedder: Embedder): Promise<void> {
  const other = await db.query<{ embedding_model: string; n: number }>(
    `SELECT embedding_model, count(*)::int AS n FROM memories WHERE embedding_model <> $1 GROUP BY embedding_model`,
    [embedder.model],
  );
  if (other.length > 0) {
    const found = other.map((o) => `${o.n} from '${o.embedding_model}'`).join(", ");
    throw new ModelMismatchError(
      `the store holds vectors from another embedding model (${found}); the configured model is '${embedder.model}'. ` +
        "Configure the model the store was built with, or re-embed every memory with `engram reindex`.",
    );
  }
  await db.query(
    `INSERT INTO engram_meta (key, value) VALUES ('embedding_model', $1)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [embedder.model],
  );
  const dims = Math.trunc(embedder.dimensions);
  // One expression index per dimension: the column is dimensionless so that the model stays configuration.
  // Under the migrations' lock: IF NOT EXISTS does not guard two servers starting together on a fresh database.
  await db.transaction(async (tx) => {
    // An index build on a large store may take minutes; the request timeout is not for it.
    await tx.exec(NO_STATEMENT_TIMEOUT);
    await tx.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
    await tx.exec(
      `CREATE INDEX IF NOT EXISTS memories_embedding_hnsw_${dims} ON memories
     USING hnsw ((embedding::vector(${dims})) vector_cosine_ops)`,
    );
  });
}
