// Built-in embedder: USE lite (512 dims) in a worker thread; concurrent calls micro-batched, fairly between users.
import type { EmbeddingsConfig } from "../config/config.js";
import { AppError } from "../errors.js";
import type { Embedder, EmbedderStats, EmbedScope } from "./embedder.js";
import { FairQueue } from "./fair-queue.js";
import { checkScope, checkText, checkTexts } from "./input.js";
import { ModelWorker } from "./model-worker.js";
import { QueryCache } from "./query-cache.js";
import { normalize } from "./vector.js";
import { locateWorker, type WorkerLocation } from "./worker-location.js";

export const USE_LITE_MODEL = "use-lite-512";
export const USE_LITE_DIMENSIONS = 512;

export interface UseLiteOptions {
  /** Worker script to run instead of use-lite-worker (tests use this to simulate a crashing worker). */
  worker?: WorkerLocation;
  /** Longest a model load or one batch may take before the worker is considered hung and replaced. Default 120 s. */
  timeoutMs?: number;
  /** Characters one worker call may hold (at least one text is always taken). Default MAX_BATCH_CHARS. */
  maxBatchChars?: number;
}

/**
 * Most characters in one worker call, unless a single text is longer (a text cannot be split). The model's time grows
 * with the characters it reads (measured on the shared 2-core machine at load 3-5: 40-70 ms for a short text,
 * 0.4-0.6 s for one of 16,000 characters, 2.5-3.5 s for six of them in one call) and a running call cannot be
 * interrupted, so this bounds how long a newly queued text waits for the call ahead of it. 32 texts of 125 characters still go in one call; long texts go in several, whose
 * per-call overhead did not show in throughput (32 x 2,000 and 64 x 500 characters: the same time with a limit of
 * 4,000, 8,000, 16,000 or none). Not configurable: it is a latency bound, not a tuning knob. See
 * bench/embedder-fairness.ts.
 */
export const MAX_BATCH_CHARS = 4_000;

/**
 * Queries go before documents, but while documents wait, at most this many query batches run in a row before one
 * document batch: a stream of searches delays adds, it cannot stop them.
 */
export const QUERY_BATCHES_BEFORE_DOCUMENTS = 4;

interface Job {
  vectors: number[][];
  remaining: number;
  settled: boolean;
  resolve(vectors: number[][]): void;
  reject(err: unknown): void;
}

/** One text of one caller's job, waiting for a batch in its scope's lane. */
interface Item {
  scope: string;
  /** The text's length: what the model's time grows with. */
  cost: number;
  text: string;
  job: Job;
  index: number;
}

class UseLiteEmbedder implements Embedder {
  readonly model = USE_LITE_MODEL;
  readonly dimensions = USE_LITE_DIMENSIONS;
  private readonly cache: QueryCache;
  private worker: ModelWorker | undefined;
  // Queries go first so a search is not stuck behind a bulk import's thousands of documents (see takeBatch). Each
  // queue is fair between scopes (./fair-queue.ts): one user's backlog does not hold another's text behind it.
  private readonly queries = new FairQueue<Item>();
  private readonly documents = new FairQueue<Item>();
  /** Query batches run in a row while documents waited (see QUERY_BATCHES_BEFORE_DOCUMENTS). */
  private queryStreak = 0;
  private scheduled = false;
  private running = false;
  private closed = false;
  private texts = 0;
  private batches = 0;

  constructor(
    private readonly batchSize: number,
    cacheSize: number,
    private readonly location: WorkerLocation,
    private readonly timeoutMs: number,
    private readonly maxBatchChars: number,
  ) {
    this.cache = new QueryCache(cacheSize);
  }

  /** Starts the worker and waits for the model to load, so a broken install fails at start-up, not on first use. */
  async start(): Promise<void> {
    await this.liveWorker();
  }

  // async, so bad input rejects like every other failure; the body still runs (and enqueues) synchronously.
  async embed(texts: string[], opts: EmbedScope): Promise<number[][]> {
    checkTexts(texts);
    const scope = checkScope(opts);
    return this.enqueue(scope, texts, this.documents);
  }

  async embedQuery(text: string, opts: EmbedScope): Promise<number[]> {
    checkText(text);
    const scope = checkScope(opts);
    if (this.closed) throw closedError();
    return this.cache.get(scope, text, async (t) => {
      const [vector] = await this.enqueue(scope, [t], this.queries);
      if (!vector) {
        throw new AppError("embeddings_unavailable", "built-in embedding model returned no vector");
      }
      return vector;
    });
  }

  stats(): EmbedderStats {
    return {
      texts: this.texts,
      batches: this.batches,
      cacheHits: this.cache.hits,
      cacheMisses: this.cache.misses,
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const err = closedError();
    for (const queue of [this.queries, this.documents]) {
      for (const item of queue.drain()) fail(item.job, err);
    }
    this.cache.clear();
    await this.worker?.terminate();
  }

  private enqueue(scope: string, texts: string[], queue: FairQueue<Item>): Promise<number[][]> {
    if (this.closed) return Promise.reject(closedError());
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<number[][]>((resolve, reject) => {
      const job: Job = {
        vectors: new Array(texts.length),
        remaining: texts.length,
        settled: false,
        resolve,
        reject,
      };
      texts.forEach((text, index) => {
        queue.push({ scope, cost: text.length, text, job, index });
      });
      this.schedule();
    });
  }

  /** Waits one event-loop turn before running, so calls arriving together share a worker call. */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  /** Runs batches until the queues are empty; texts queued while a batch runs form the next one. */
  private async pump(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (let batch = this.takeBatch(); batch.length > 0 && !this.closed; batch = this.takeBatch()) {
        await this.runBatch(batch);
      }
    } finally {
      this.running = false;
    }
  }

  /**
   * Next batch: pending queries alone if there are any, else documents (every QUERY_BATCHES_BEFORE_DOCUMENTS + 1th
   * batch is documents while both wait). A query batch carries no documents, so a search waits for at most the
   * running batch (bounded by maxBatchChars, or one long text) plus its own short one. Within a queue, scopes are
   * served round-robin (FairQueue.take), up to batchSize texts and maxBatchChars characters.
   */
  private takeBatch(): Item[] {
    const documentsFirst = this.queryStreak >= QUERY_BATCHES_BEFORE_DOCUMENTS && this.documents.size > 0;
    const order = documentsFirst ? [this.documents, this.queries] : [this.queries, this.documents];
    for (const queue of order) {
      // Skip texts of a caller that has already failed (another of its batches errored).
      const batch = queue.take(this.batchSize, this.maxBatchChars, (item) => item.job.settled);
      if (batch.length === 0) continue;
      this.queryStreak = queue === this.queries && this.documents.size > 0 ? this.queryStreak + 1 : 0;
      return batch;
    }
    return [];
  }

  private async runBatch(batch: Item[]): Promise<void> {
    try {
      const worker = await this.liveWorker();
      this.batches++;
      this.texts += batch.length;
      const result = await worker.embed(batch.map((item) => item.text));
      if (result.count !== batch.length || result.dimensions !== this.dimensions) {
        throw new AppError(
          "embeddings_unavailable",
          `built-in embedding model returned ${result.count}x${result.dimensions} for ${batch.length} texts; expected ${this.dimensions} dimensions`,
        );
      }
      batch.forEach((item, i) => {
        const start = i * result.dimensions;
        // Defensive: USE-lite output is already unit length, but every provider promises unit vectors.
        item.job.vectors[item.index] = normalize(result.data.subarray(start, start + result.dimensions));
        if (--item.job.remaining === 0 && !item.job.settled) {
          item.job.settled = true;
          item.job.resolve(item.job.vectors);
        }
      });
    } catch (err) {
      // Only this batch's callers fail; the next batch gets a fresh worker if this one died.
      for (const item of batch) fail(item.job, err);
    }
  }

  private async liveWorker(): Promise<ModelWorker> {
    if (this.closed) throw closedError();
    if (!this.worker || this.worker.dead) this.worker = new ModelWorker(this.location, this.timeoutMs);
    const worker = this.worker;
    await worker.ready;
    return worker;
  }
}

function fail(job: Job, err: unknown): void {
  if (job.settled) return;
  job.settled = true;
  job.reject(err);
}

function closedError(): AppError {
  return new AppError("embeddings_unavailable", "the embedder was closed");
}

export async function createUseLiteEmbedder(
  config: EmbeddingsConfig,
  options: UseLiteOptions = {},
): Promise<Embedder> {
  const location = options.worker ?? locateWorker("use-lite-worker");
  const embedder = new UseLiteEmbedder(
    config.batchSize,
    config.cacheSize,
    location,
    options.timeoutMs ?? 120_000,
    options.maxBatchChars ?? MAX_BATCH_CHARS,
  );
  try {
    await embedder.start();
  } catch (err) {
    await embedder.close();
    throw err;
  }
  return embedder;
}
