/** The SDK's HTTP layer: one request with auth headers, a timeout, the caller's AbortSignal, and retries. */
import { EngramError, EngramNetworkError, EngramTimeoutError, errorFromResponse } from "./errors.js";
import type { CallOptions } from "./types.js";

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  baseUrl: string;
  apiKey: string;
  userId?: string | undefined;
  tenantId?: string | undefined;
  timeoutMs: number;
  retries: number;
  fetch: FetchLike;
}

type QueryValue = string | number | boolean | null | undefined;

/**
 * A request body that is not JSON: a string or bytes, sent as they are, or an async iterable (a Node file stream,
 * say) or a ReadableStream, streamed as fetch reads it, never held whole.
 */
export type UploadBody =
  | string
  | Uint8Array
  | AsyncIterable<Uint8Array | string>
  | ReadableStream<Uint8Array>;

export interface RequestSpec extends CallOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
  /** Instead of `body`: a non-JSON body and its Content-Type. A streamed one can be sent once only: no retries. */
  upload?: { contentType: string; body: UploadBody } | undefined;
}

/** A response whose body the caller reads, then `done()` stops its timer. */
export interface OpenResponse {
  response: Response;
  /** Turns a failure while reading the body into the SDK's errors (timeout, abort, network). */
  classify(thrown: unknown): unknown;
  /** Progress: the timeout starts again (for bodies read as they arrive, where it bounds each wait). */
  touch(): void;
  done(): void;
}

/** Longest Retry-After the client waits out; a longer one is returned to the caller as the error. */
const MAX_RETRY_AFTER_MS = 60_000;
const BASE_DELAY_MS = 300;
const MAX_DELAY_MS = 8_000;
/** Safe to send twice: a network failure may hide a request the server did carry out. */
const IDEMPOTENT = new Set(["GET", "DELETE"]);

export class Transport {
  constructor(readonly options: TransportOptions) {}

  /** Sends the request and parses the JSON body of a 2xx answer. */
  async json<T>(spec: RequestSpec): Promise<T> {
    const open = await this.open(spec);
    let text: string;
    try {
      text = await open.response.text();
    } catch (thrown) {
      throw open.classify(thrown);
    } finally {
      open.done();
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** Sends the request, retrying as allowed, and returns the first 2xx response with its body unread. */
  async open(spec: RequestSpec, accept = "application/json"): Promise<OpenResponse> {
    const streamed = spec.upload !== undefined && isStreamed(spec.upload.body);
    const retries = streamed ? 0 : this.options.retries;
    for (let attempt = 0; ; attempt++) {
      const scope = new AttemptScope(spec.timeoutMs ?? this.options.timeoutMs, spec.signal);
      let response: Response;
      try {
        response = await this.options.fetch(this.url(spec), {
          method: spec.method,
          headers: this.headers(spec, accept),
          ...bodyInit(spec, scope),
          signal: scope.signal,
        });
      } catch (thrown) {
        scope.done();
        const err = scope.classify(thrown);
        if (err instanceof EngramNetworkError && IDEMPOTENT.has(spec.method) && attempt < retries) {
          await sleep(backoff(attempt), spec.signal);
          continue;
        }
        throw err;
      }
      if (response.ok) {
        return {
          response,
          classify: (t) => scope.classify(t),
          touch: () => scope.touch(),
          done: () => scope.done(),
        };
      }

      let text = "";
      try {
        text = await response.text();
      } catch (thrown) {
        scope.done();
        throw scope.classify(thrown);
      }
      scope.done();
      const err = errorFromResponse(response.status, text, response.headers.get("x-request-id"));
      const wait = retryDelay(response, attempt);
      if (wait === undefined || attempt >= retries) throw err;
      await sleep(wait, spec.signal);
    }
  }

  private url(spec: RequestSpec): string {
    const base = this.options.baseUrl.replace(/\/+$/, "");
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(spec.query ?? {})) {
      if (v !== undefined && v !== null) params.set(k, String(v));
    }
    const qs = params.toString();
    return `${base}${spec.path}${qs ? `?${qs}` : ""}`;
  }

  private headers(spec: RequestSpec, accept: string): Record<string, string> {
    const h: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, accept };
    if (spec.upload !== undefined) h["content-type"] = spec.upload.contentType;
    else if (spec.body !== undefined) h["content-type"] = "application/json";
    const user = spec.userId ?? this.options.userId;
    if (user !== undefined) h["x-user-id"] = user;
    if (this.options.tenantId !== undefined) h["x-tenant-id"] = this.options.tenantId;
    return h;
  }
}

/** Whether the body is streamed (read as fetch sends it) rather than a string or bytes sent as they are. */
function isStreamed(
  body: UploadBody,
): body is AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array> {
  return typeof body !== "string" && !(body instanceof Uint8Array);
}

/** The fetch options for the request's body: JSON, an upload as is, or an upload streamed. */
function bodyInit(spec: RequestSpec, scope: AttemptScope): Partial<RequestInit> {
  if (spec.upload === undefined) return spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {};
  const body = spec.upload.body;
  if (!isStreamed(body)) return { body };
  // Node's fetch sends a stream only half-duplex (the answer may come while the body is still being sent).
  return { body: uploadStream(body, scope), duplex: "half" } as Partial<RequestInit>;
}

/**
 * The caller's iterable or stream as the ReadableStream fetch reads. Each chunk fetch takes is progress (the
 * timeout starts again); a failure of the caller's source is kept, to be thrown as itself rather than as fetch's
 * network error.
 */
function uploadStream(
  source: AsyncIterable<Uint8Array | string> | ReadableStream<Uint8Array>,
  scope: AttemptScope,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let chunks: AsyncIterator<Uint8Array | string> | undefined;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      chunks ??= (source instanceof ReadableStream ? readAll(source) : source)[Symbol.asyncIterator]();
      let next: IteratorResult<Uint8Array | string>;
      try {
        next = await chunks.next();
      } catch (err) {
        scope.sourceFailed(err);
        throw err;
      }
      scope.touch();
      if (next.done) controller.close();
      else controller.enqueue(typeof next.value === "string" ? encoder.encode(next.value) : next.value);
    },
    async cancel(reason) {
      await chunks?.return?.(reason);
    },
  });
}

/** A ReadableStream's chunks; leaving early cancels it (a file being read stops, a download ends). */
export async function* readAll(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  // The stream ended or failed: nothing left to cancel.
  let settled = false;
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        settled = true;
        throw err;
      }
      if (chunk.done) {
        settled = true;
        return;
      }
      yield chunk.value;
    }
  } finally {
    if (!settled) await reader.cancel();
  }
}

/**
 * One attempt's AbortController: fired by the timeout or by the caller's signal, and able to say which. A timeout
 * of 0 is none; `touch()` starts the timeout again (progress on a streamed body).
 */
class AttemptScope {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private finished = false;
  private uploadError: { error: unknown } | undefined;
  private readonly onAbort = (): void => this.controller.abort(this.callerSignal?.reason);

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.arm();
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener("abort", this.onAbort, { once: true });
  }

  private arm(): void {
    if (this.timeoutMs <= 0 || this.finished) return;
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new EngramTimeoutError(this.timeoutMs));
    }, this.timeoutMs);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  touch(): void {
    if (this.timedOut) return;
    clearTimeout(this.timer);
    this.arm();
  }

  /** The caller's upload source failed: that error, not fetch's, is the call's. */
  sourceFailed(error: unknown): void {
    this.uploadError ??= { error };
  }

  done(): void {
    this.finished = true;
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.onAbort);
  }

  /** The caller's abort reason, a timeout error, an API error as is, the upload source's error, or a network error. */
  classify(thrown: unknown): unknown {
    if (this.callerSignal?.aborted) return this.callerSignal.reason;
    if (this.timedOut) return new EngramTimeoutError(this.timeoutMs);
    if (thrown instanceof EngramError) return thrown;
    if (this.uploadError) return this.uploadError.error;
    const message = thrown instanceof Error ? thrown.message : String(thrown);
    return new EngramNetworkError(`network error: ${message}`, { cause: thrown });
  }
}

/** How long to wait before retrying this response, or undefined when it must not be retried. */
function retryDelay(response: Response, attempt: number): number | undefined {
  if (response.status !== 429 && response.status !== 503) return undefined;
  const header = response.headers.get("retry-after");
  const seconds = header === null ? Number.NaN : Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) {
    const ms = seconds * 1000;
    // A little jitter on top, so clients told the same second do not all come back at once.
    return ms > MAX_RETRY_AFTER_MS ? undefined : ms + Math.random() * 100;
  }
  return backoff(attempt);
}

/** Exponential backoff with jitter: between half and all of base * 2^attempt, capped. */
function backoff(attempt: number): number {
  const full = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  return full / 2 + Math.random() * (full / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
