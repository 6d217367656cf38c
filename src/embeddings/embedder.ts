/** The Embedder interface the rest of Engram uses; createEmbedder (./create-embedder.ts) picks the provider. */

export interface EmbedderStats {
  /** Texts sent to the model (cache hits are not counted). */
  texts: number;
  /** Model invocations: worker calls for the built-in model, HTTP requests for the OpenAI-compatible provider. */
  batches: number;
  cacheHits: number;
  cacheMisses: number;
}

/** On whose behalf a call embeds. */
export interface EmbedScope {
  /**
   * The user the texts belong to: `Actor.userPk`. The query cache and the sharing of in-flight queries are per scope,
   * so one user's searches never make another's faster (which would tell them what others searched); the built-in
   * model queues texts per scope and serves scopes in turn, so one user's backlog cannot hold another's text behind
   * all of it.
   */
  scope: string;
}

export interface Embedder {
  /** Tag stored with every vector, e.g. "use-lite-512" or "openai:text-embedding-3-small:1536"; a change means re-embedding. */
  readonly model: string;
  readonly dimensions: number;
  /** Embeds documents (no cache). Order preserved. Every vector has unit length. */
  embed(texts: string[], opts: EmbedScope): Promise<number[][]>;
  /** Embeds a search query; cached in an LRU keyed by scope and exact text. The built-in model serves queries first. */
  embedQuery(text: string, opts: EmbedScope): Promise<number[]>;
  /** Counters for metrics/benchmarks: texts embedded, batches run, cache hits/misses. */
  stats(): EmbedderStats;
  /** Releases the worker / aborts requests; later calls reject with embeddings_unavailable. Idempotent. */
  close(): Promise<void>;
}
