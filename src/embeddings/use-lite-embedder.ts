// Built-in embedder: Universal Sentence Encoder lite (512 dims) in a worker thread, with micro-batching of concurrent calls.
import type { EmbeddingsConfig } from "../config/config.js";
import { AppError } from "../errors.js";
import type { Embedder, EmbedderStats } from "./embedder.js";
import { checkText, checkTexts } from "./input.js";
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
}

interface Job {
  vectors: number[][];
  remaining: number;
  settled: boolean;
  resolve(vectors: number[][]): void;
  reject(err: unknown): void;
}

/** One text of one caller's job, waiting for a batch. */
interface Item {
  text: string;
  job: Job;
  index: number;
}

class UseLiteEmbedder implements Embedder {
  readonly model = USE_LITE_MODEL;
  readonly dimensions = USE_LITE_DIMENSIONS;
  private readonly cache: QueryCache;
  private worker: ModelWorker | undefined;
  // Queries go first so a search is not stuck behind a bulk import's thousands of documents (see takeBatch).
  private readonly queries: Item[] = [];
  private readonly documents: Item[] = [];
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
  ) {
    this.cache = new QueryCache(cacheSize);
  }

  /** Starts the worker and waits for the model to load, so a broken install fails at start-up, not on first use. */
  async start(): Promise<void> {
    await this.liveWorker();
  }

  // async, so bad input rejects like every other failure; the body still runs (and enqueues) synchronously.
  async embed(texts: string[]): Promise<number[][]> {
    checkTexts(texts);
    return this.enqueue(texts, this.documents);
  }

  async embedQuery(text: string): Promise<number[]> {
    checkText(text);
    if (this.closed) throw closedError();
    return this.cache.get(text, async (t) => {
      const [vector] = await this.enqueue([t], this.queries);
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
      for (const item of queue.splice(0)) fail(item.job, err);
    }
    this.cache.clear();
    await this.worker?.terminate();
  }

  private enqueue(texts: string[], queue: Item[]): Promise<number[][]> {
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
        queue.push({ text, job, index });
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
   * Next batch: pending queries alone if there are any, else documents. A query batch carries no documents, so a
   * search waits for at most the running batch plus its own short one, not for a full batch of a bulk import.
   */
  private takeBatch(): Item[] {
    const batch: Item[] = [];
    for (const queue of [this.queries, this.documents]) {
      let taken = 0;
      while (batch.length < this.batchSize && taken < queue.length) {
        const item = queue[taken++];
        // Skip texts of a caller that has already failed (another of its batches errored).
        if (item && !item.job.settled) batch.push(item);
      }
      queue.splice(0, taken);
      if (batch.length > 0) break;
    }
    return batch;
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
  );
  try {
    await embedder.start();
  } catch (err) {
    await embedder.close();
    throw err;
  }
  return embedder;
}
