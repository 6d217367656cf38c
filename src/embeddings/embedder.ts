/** The Embedder interface the rest of Engram uses; createEmbedder (./create-embedder.ts) picks the provider. */

export interface EmbedderStats {
  /** Texts sent to the model (cache hits are not counted). */
  texts: number;
  /** Model invocations: worker calls for the built-in model, HTTP requests for the OpenAI-compatible provider. */
  batches: number;
  cacheHits: number;
  cacheMisses: number;
}

export interface Embedder {
  /** Tag stored with every vector, e.g. "use-lite-512" or "openai:text-embedding-3-small:1536"; a change means re-embedding. */
  readonly model: string;
  readonly dimensions: number;
  /** Embeds documents (no cache). Order preserved. Every vector has unit length. */
  embed(texts: string[]): Promise<number[][]>;
  /** Embeds a search query; cached in an LRU keyed by exact text. */
  embedQuery(text: string): Promise<number[]>;
  /** Counters for metrics/benchmarks: texts embedded, batches run, cache hits/misses. */
  stats(): EmbedderStats;
  /** Releases the worker / aborts requests; later calls reject with embeddings_unavailable. Idempotent. */
  close(): Promise<void>;
}
