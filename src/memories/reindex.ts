/**
 * `engram reindex`: re-embeds every memory with the configured model, one user at a time.
 *
 * A user's new vectors are staged in memory_reindex (migrations/009) and moved into memories in one transaction
 * once all of them exist: until then servers keep searching that user with the old vectors, and afterwards with
 * the new. Staged vectors survive a kill, so a resumed run embeds only what is left. A memory edited while it was
 * staged (its text no longer matches the staged hash) is embedded again before its user switches.
 */
import type { Db } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { vectorLiteral } from "./sql.js";
import { ensureModelIndex, REINDEX_TARGET_KEY, reindexTarget } from "./vector-index.js";

export interface ReindexProgress {
  /** Memories not on the target model when the run started (staged or not). */
  total: number;
  /** Of those, memories that have a new vector now: embedded by this run, or staged by an earlier one. */
  done: number;
  usersTotal: number;
  usersDone: number;
}

export interface ReindexReport {
  model: string;
  dimensions: number;
  /** The target of an unfinished earlier run, when it was another model (its staged vectors were discarded). */
  replacedTarget?: string;
  users: number;
  /** Memories moved to the new model by this run. */
  switched: number;
  /** Texts this run sent to the model. */
  embedded: number;
  /** Vectors an earlier, interrupted run had staged and this one used. */
  reused: number;
  /** Memories still on another model at the end (edited again and again while their user was being switched). */
  remaining: number;
}

export interface ReindexOptions {
  /** Texts per embedding call (default 64). */
  batchSize?: number;
  onProgress?: (p: ReindexProgress) => void;
  /** Stops between batches; what is staged stays for the next run. */
  signal?: AbortSignal;
  /** Passes over one user before giving up on memories edited during its switch (default 3). */
  maxPasses?: number;
}

interface Pending {
  id: string;
  text: string;
}

export async function reindex(db: Db, embedder: Embedder, opts: ReindexOptions = {}): Promise<ReindexReport> {
  const model = embedder.model;
  const dims = Math.trunc(embedder.dimensions);
  const batchSize = Math.max(1, Math.trunc(opts.batchSize ?? 64));
  const maxPasses = Math.max(1, opts.maxPasses ?? 3);
  const report: ReindexReport = {
    model,
    dimensions: dims,
    users: 0,
    switched: 0,
    embedded: 0,
    reused: 0,
    remaining: 0,
  };

  const previous = await reindexTarget(db);
  if (previous !== undefined && previous !== model) {
    // Another target's staged vectors can never be used: drop them rather than carry them to the end.
    report.replacedTarget = previous;
    await db.query("DELETE FROM memory_reindex WHERE model <> $1", [model]);
  }
  // Recorded first, so that servers of either model start on the mix this run leaves while it runs.
  await db.query(
    `INSERT INTO engram_meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
    [REINDEX_TARGET_KEY, model],
  );
  // The new model's index exists before the first user switches, so its searches never scan.
  await ensureModelIndex(db, model, dims);

  const users = await db.query<{ user_id: string; n: number; staged: number }>(
    `SELECT m.user_id, count(*)::int AS n, count(r.memory_id)::int AS staged
     FROM memories m
     LEFT JOIN memory_reindex r ON r.memory_id = m.id AND r.model = $1 AND r.text_md5 = md5(m.text)
     WHERE m.embedding_model <> $1
     GROUP BY m.user_id ORDER BY m.user_id`,
    [model],
  );
  const progress: ReindexProgress = {
    total: users.reduce((s, u) => s + u.n, 0),
    done: users.reduce((s, u) => s + u.staged, 0),
    usersTotal: users.length,
    usersDone: 0,
  };
  report.reused = progress.done;
  opts.onProgress?.(progress);

  for (const { user_id } of users) {
    for (let pass = 0; pass < maxPasses; pass++) {
      await stageUser(db, embedder, user_id, batchSize, opts.signal, (n) => {
        report.embedded += n;
        progress.done += n;
        opts.onProgress?.(progress);
      });
      const { switched, left } = await switchUser(db, user_id, model);
      report.switched += switched;
      if (left === 0) break;
    }
    report.users++;
    progress.usersDone++;
    opts.onProgress?.(progress);
  }

  const [left] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM memories WHERE embedding_model <> $1",
    [model],
  );
  report.remaining = left?.n ?? 0;
  if (report.remaining === 0) {
    // Done: servers of the old model refuse to start again, and the store is recorded as the new model's.
    await db.transaction(async (tx) => {
      await tx.query("DELETE FROM memory_reindex");
      await tx.query("DELETE FROM engram_meta WHERE key = $1", [REINDEX_TARGET_KEY]);
      await tx.query(
        `INSERT INTO engram_meta (key, value) VALUES ('embedding_model', $1)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`,
        [model],
      );
    });
  }
  return report;
}

/** Embeds and stages, batch by batch, every memory of the user that has no valid staged vector of the model. */
async function stageUser(
  db: Db,
  embedder: Embedder,
  userId: string,
  batchSize: number,
  signal: AbortSignal | undefined,
  onBatch: (n: number) => void,
): Promise<void> {
  const model = embedder.model;
  let after = "";
  for (;;) {
    signal?.throwIfAborted();
    const batch = await db.query<Pending>(
      `SELECT m.id, m.text FROM memories m
       LEFT JOIN memory_reindex r ON r.memory_id = m.id AND r.model = $2 AND r.text_md5 = md5(m.text)
       WHERE m.user_id = $1 AND m.embedding_model <> $2 AND r.memory_id IS NULL AND m.id > $3
       ORDER BY m.id LIMIT $4`,
      [userId, model, after, batchSize],
    );
    if (batch.length === 0) return;
    const vectors = await embedder.embed(
      batch.map((m) => m.text),
      { scope: userId },
    );
    // One statement per batch; the hash is of the text that was embedded, compared with the row's at the switch.
    await db.query(
      `INSERT INTO memory_reindex (memory_id, user_id, model, embedding, text_md5)
       SELECT b.id, $1, $2, b.embedding::vector, md5(b.text)
       FROM unnest($3::text[], $4::text[], $5::text[]) AS b(id, text, embedding)
       JOIN memories m ON m.id = b.id -- a memory deleted since it was read is skipped, not a foreign-key error
       ON CONFLICT (memory_id) DO UPDATE
         SET model = EXCLUDED.model, embedding = EXCLUDED.embedding, text_md5 = EXCLUDED.text_md5`,
      [userId, model, batch.map((m) => m.id), batch.map((m) => m.text), vectors.map((v) => vectorLiteral(v))],
    );
    onBatch(batch.length);
    after = batch[batch.length - 1]?.id ?? after;
  }
}

/**
 * Moves the user's staged vectors into memories in one transaction, if every memory of the user has one whose
 * text still matches; otherwise moves nothing (the user stays searchable on the old model) and reports how many
 * are missing, for another pass.
 */
async function switchUser(
  db: Db,
  userId: string,
  model: string,
): Promise<{ switched: number; left: number }> {
  return db.transaction(async (tx) => {
    // The user's rows are locked first, so no edit lands between the check and the update.
    await tx.query("SELECT id FROM memories WHERE user_id = $1 AND embedding_model <> $2 FOR UPDATE", [
      userId,
      model,
    ]);
    const missing = await tx.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM memories m
       LEFT JOIN memory_reindex r ON r.memory_id = m.id AND r.model = $2 AND r.text_md5 = md5(m.text)
       WHERE m.user_id = $1 AND m.embedding_model <> $2 AND r.memory_id IS NULL`,
      [userId, model],
    );
    const left = missing[0]?.n ?? 0;
    if (left > 0) return { switched: 0, left };
    const moved = await tx.query<{ id: string }>(
      `UPDATE memories m SET embedding = r.embedding, embedding_model = r.model
       FROM memory_reindex r
       WHERE r.memory_id = m.id AND m.user_id = $1 AND r.model = $2 AND r.text_md5 = md5(m.text)
         AND m.embedding_model <> $2
       RETURNING m.id`,
      [userId, model],
    );
    await tx.query("DELETE FROM memory_reindex WHERE user_id = $1", [userId]);
    return { switched: moved.length, left: 0 };
  });
}
