// OpenAI-compatible embedder: POSTs batches to an /embeddings endpoint (OpenAI, Ollama, vLLM, TEI, LiteLLM, ...).
import type { EmbeddingsConfig } from "../config/config.js";
import { AppError, validation } from "../errors.js";
import { Upstream } from "../outbound/http.js";
import type { Embedder, EmbedderStats, EmbedScope } from "./embedder.js";
import { checkScope, checkText, checkTexts } from "./input.js";
import { QueryCache } from "./query-cache.js";
import { normalize } from "./vector.js";

export interface OpenAIOptions {
  /** Per-request timeout, covering connect, response and body. Default 30 s. */
  timeoutMs?: number;
}

const PROBE_TEXT = "dimension probe";

/**
 * The one rule for turning the configured URL into the endpoint:
 * - a URL already ending in /embeddings is used as is;
 * - a bare host (no path) gets /v1/embeddings:            http://localhost:11434    -> http://localhost:11434/v1/embeddings
 * - any other path is the API base and gets /embeddings: http://localhost:11434/v1 -> http://localhost:11434/v1/embeddings
 *   (also right for bases without /v1, e.g. Gemini's .../v1beta/openai). Query strings (Azure's api-version) are kept.
 */
export function embeddingsEndpoint(base: string): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/embeddings")) url.pathname = path;
  else if (path === "") url.pathname = "/v1/embeddings";
  else url.pathname = `${path}/embeddings`;
  return url;
}

class OpenAIEmbedder implements Embedder {
  private dims: number | undefined;
  private readonly cache: QueryCache;
  private readonly closing = new AbortController();
  private closed = false;
  private texts = 0;
  private batches = 0;
  private readonly upstream: Upstream;

  constructor(
    endpoint: URL,
    private readonly modelName: string,
    apiKey: string | undefined,
    /** Sent as `dimensions` only when configured: not every server accepts the field. */
    private readonly requestedDimensions: number | undefined,
    private readonly batchSize: number,
    cacheSize: number,
    timeoutMs: number,
  ) {
    this.dims = requestedDimensions;
    this.cache = new QueryCache(cacheSize);
    this.upstream = new Upstream({
      url: endpoint,
      label: `the embeddings endpoint (model ${modelName})`,
      code: "embeddings_unavailable",
      bearer: apiKey,
      timeoutMs,
    });
  }

  get model(): string {
    return `openai:${this.modelName}:${this.dimensions}`;
  }

  get dimensions(): number {
    // create() probes before returning when dimensions are not configured, so this is always known to callers.
    return this.dims ?? 0;
  }

  /** Learns the dimensions from one request when the config does not state them. */
  async start(): Promise<void> {
    if (this.dims !== undefined) return;
    await this.request([PROBE_TEXT]);
  }

  /** The scope is checked but not otherwise used: each call is its own requests, fairness is the server's. */
  async embed(texts: string[], opts: EmbedScope): Promise<number[][]> {
    checkTexts(texts);
    checkScope(opts);
    const out: number[][] = [];
    // Sequential batches: a bulk import should not open dozens of parallel requests to one server.
    for (let i = 0; i < texts.length; i += this.batchSize) {
      out.push(...(await this.request(texts.slice(i, i + this.batchSize))));
    }
    return out;
  }

  async embedQuery(text: string, opts: EmbedScope): Promise<number[]> {
    checkText(text);
    const scope = checkScope(opts);
    if (this.closed) throw closedError();
    return this.cache.get(scope, text, async (t) => {
      const [vector] = await this.request([t]);
      if (!vector) throw this.failure("returned no vector");
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
    this.closing.abort();
    this.cache.clear();
  }

  private async request(input: string[]): Promise<number[][]> {
    if (this.closed) throw closedError();
    this.batches++;
    this.texts += input.length;
    const body = {
      model: this.modelName,
      input,
      ...(this.requestedDimensions === undefined ? {} : { dimensions: this.requestedDimensions }),
    };
    let json: unknown;
    try {
      json = await this.upstream.postJson(body, this.closing.signal);
    } catch (err) {
      if (this.closed) throw closedError();
      throw err;
    }
    return this.parse(json, input.length);
  }

  /** Checks the response shape strictly: a wrong vector silently stored would poison search. */
  private parse(json: unknown, expected: number): number[][] {
    const data = (json as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw this.failure('returned a response without a "data" array');
    if (data.length !== expected)
      throw this.failure(`returned ${data.length} embeddings for ${expected} inputs`);
    const out = new Array<number[] | undefined>(expected);
    for (const entry of data as unknown[]) {
      const { index, embedding } = (entry ?? {}) as { index?: unknown; embedding?: unknown };
      if (
        typeof index !== "number" ||
        !Number.isInteger(index) ||
        index < 0 ||
        index >= expected ||
        out[index]
      ) {
        throw this.failure(
          `returned an entry with a missing, duplicate or out-of-range index (${String(index)})`,
        );
      }
      if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every(isFiniteNumber)) {
        throw this.failure(
          `returned a non-numeric embedding at index ${index} (base64 encoding is not supported)`,
        );
      }
      if (this.dims === undefined) this.dims = embedding.length;
      if (embedding.length !== this.dims) {
        throw this.failure(
          `returned ${embedding.length}-dimensional vectors; expected ${this.dims}` +
            (this.requestedDimensions === undefined ? "" : " (embeddings.dimensions)"),
        );
      }
      out[index] = normalize(embedding);
    }
    return out as number[][];
  }

  private failure(reason: string): AppError {
    return this.upstream.failure(reason);
  }
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function closedError(): AppError {
  return new AppError("embeddings_unavailable", "the embedder was closed");
}

export async function createOpenAIEmbedder(
  config: EmbeddingsConfig,
  options: OpenAIOptions = {},
): Promise<Embedder> {
  if (!config.url) throw validation("embeddings.url", "is required for the openai provider");
  if (!config.model) throw validation("embeddings.model", "is required for the openai provider");
  let endpoint: URL;
  try {
    endpoint = embeddingsEndpoint(config.url);
  } catch {
    throw validation("embeddings.url", "must be an absolute http(s) URL");
  }
  if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:") {
    throw validation("embeddings.url", "must be an http(s) URL");
  }
  const embedder = new OpenAIEmbedder(
    endpoint,
    config.model,
    config.apiKey || undefined,
    config.dimensions,
    config.batchSize,
    config.cacheSize,
    options.timeoutMs ?? 30_000,
  );
  await embedder.start();
  return embedder;
}
