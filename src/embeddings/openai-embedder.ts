// OpenAI-compatible embedder: POSTs batches to an /embeddings endpoint (OpenAI, Ollama, vLLM, TEI, LiteLLM, ...).
import type { EmbeddingsConfig } from "../config/config.js";
import { AppError, validation } from "../errors.js";
import type { Embedder, EmbedderStats } from "./embedder.js";
import { checkText, checkTexts } from "./input.js";
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

/** The endpoint as it may appear in messages and logs: no user:password, no query string (it can carry keys). */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

class OpenAIEmbedder implements Embedder {
  private dims: number | undefined;
  private readonly cache: QueryCache;
  private readonly closing = new AbortController();
  private closed = false;
  private texts = 0;
  private batches = 0;
  private readonly where: string;

  constructor(
    private readonly endpoint: URL,
    private readonly modelName: string,
    private readonly apiKey: string | undefined,
    /** Sent as `dimensions` only when configured: not every server accepts the field. */
    private readonly requestedDimensions: number | undefined,
    private readonly batchSize: number,
    cacheSize: number,
    private readonly timeoutMs: number,
  ) {
    this.dims = requestedDimensions;
    this.cache = new QueryCache(cacheSize);
    this.where = displayUrl(endpoint);
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

  async embed(texts: string[]): Promise<number[][]> {
    checkTexts(texts);
    const out: number[][] = [];
    // Sequential batches: a bulk import should not open dozens of parallel requests to one server.
    for (let i = 0; i < texts.length; i += this.batchSize) {
      out.push(...(await this.request(texts.slice(i, i + this.batchSize))));
    }
    return out;
  }

  async embedQuery(text: string): Promise<number[]> {
    checkText(text);
    if (this.closed) throw closedError();
    return this.cache.get(text, async (t) => {
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
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: "application/json",
    };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const body = JSON.stringify({
      model: this.modelName,
      input,
      ...(this.requestedDimensions === undefined ? {} : { dimensions: this.requestedDimensions }),
    });
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
    let status: number;
    let text: string;
    try {
      const res = await fetch(this.endpoint, { method: "POST", headers, body, signal });
      status = res.status;
      text = await res.text();
    } catch (err) {
      if (this.closed) throw closedError();
      const timedOut = err instanceof Error && err.name === "TimeoutError";
      const what = timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${describeFetchError(err)}`;
      throw this.failure(what, err);
    }
    if (status < 200 || status > 299) throw this.failure(`returned HTTP ${status}: ${snippet(text)}`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw this.failure(`returned invalid JSON: ${snippet(text)}`, err);
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

  private failure(what: string, cause?: unknown): AppError {
    let message = `embeddings endpoint ${this.where} (model ${this.modelName}) ${what}`;
    // Servers sometimes echo the key in error bodies; it must never reach logs or clients.
    if (this.apiKey) message = message.replaceAll(this.apiKey, "[redacted]");
    return new AppError("embeddings_unavailable", message, cause === undefined ? {} : { cause });
  }
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return "(empty body)";
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

/** fetch() reports "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${cause.message} (${code})` : cause.message;
  }
  return err.message;
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
