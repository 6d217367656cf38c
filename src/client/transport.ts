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

export interface RequestSpec extends CallOptions {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  path: string;
  query?: Record<string, QueryValue> | undefined;
  body?: unknown;
}

/** A response whose body the caller reads, then `done()` stops its timer. */
export interface OpenResponse {
  response: Response;
  /** Turns a failure while reading the body into the SDK's errors (timeout, abort, network). */
  classify(thrown: unknown): unknown;
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
    const { retries } = this.options;
    for (let attempt = 0; ; attempt++) {
      const scope = new AttemptScope(spec.timeoutMs ?? this.options.timeoutMs, spec.signal);
      let response: Response;
      try {
        response = await this.options.fetch(this.url(spec), {
          method: spec.method,
          headers: this.headers(spec, accept),
          ...(spec.body !== undefined ? { body: JSON.stringify(spec.body) } : {}),
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
      if (response.ok) return { response, classify: (t) => scope.classify(t), done: () => scope.done() };

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
    if (spec.body !== undefined) h["content-type"] = "application/json";
    const user = spec.userId ?? this.options.userId;
    if (user !== undefined) h["x-user-id"] = user;
    if (this.options.tenantId !== undefined) h["x-tenant-id"] = this.options.tenantId;
    return h;
  }
}

/** One attempt's AbortController: fired by the timeout or by the caller's signal, and able to say which. */
class AttemptScope {
  private readonly controller = new AbortController();
  private readonly timer: ReturnType<typeof setTimeout>;
  private timedOut = false;
  private readonly onAbort = (): void => this.controller.abort(this.callerSignal?.reason);

  constructor(
    private readonly timeoutMs: number,
    private readonly callerSignal: AbortSignal | undefined,
  ) {
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new EngramTimeoutError(timeoutMs));
    }, timeoutMs);
    if (callerSignal?.aborted) this.controller.abort(callerSignal.reason);
    else callerSignal?.addEventListener("abort", this.onAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  done(): void {
    clearTimeout(this.timer);
    this.callerSignal?.removeEventListener("abort", this.onAbort);
  }

  /** The caller's abort reason, a timeout error, an API error as is, or a network error. */
  classify(thrown: unknown): unknown {
    if (this.callerSignal?.aborted) return this.callerSignal.reason;
    if (this.timedOut) return new EngramTimeoutError(this.timeoutMs);
    if (thrown instanceof EngramError) return thrown;
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
