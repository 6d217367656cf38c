/**
 * The one outbound HTTP helper (LLM, embeddings and rerank endpoints; the CLI's and MCP's calls to an Engram server):
 * timeout and caller abort in one signal, JSON in and out, optional retries, and errors whose `reason` never names
 * the upstream's host, URL or body. That detail is the error's `message` and `cause`: for the log, not for a caller.
 */
import { AppError, type ErrorCode } from "../errors.js";

export type OutboundFailure = "timeout" | "aborted" | "network" | "status" | "bad_body";

export interface RetryPolicy {
  /** Attempts in all, the first included: 3 = up to two retries. */
  attempts: number;
  /** Answers worth another attempt, e.g. [429, 502, 503, 504]. */
  statuses: readonly number[];
  /** Also retry a refused or reset connection: only for requests that are safe to send twice. */
  network?: boolean;
  /** Pause before retry n is delayMs * 2^(n-1), or the answer's Retry-After, at most maxDelayMs (default 10 s). */
  delayMs: number;
  maxDelayMs?: number;
}

export interface OutboundRequest {
  /** Default: POST with a `json` body, GET without. */
  method?: string;
  /** Sent as JSON with content-type application/json. */
  json?: unknown;
  headers?: Record<string, string>;
  /** Sent as `Authorization: Bearer …` and redacted from every message. */
  bearer?: string | undefined;
  /** Default application/json. */
  accept?: string;
  /** Per attempt. For requestStream, an idle timeout: each arriving chunk restarts it. */
  timeoutMs: number;
  /** The caller's cancellation (its client went away, the embedder was closed). */
  signal?: AbortSignal | undefined;
  /** No retries unless given. */
  retry?: RetryPolicy | undefined;
}

/** A failed outbound call. `reason` is safe for any audience; `message` and `cause` carry URL and body, for the log. */
export class OutboundError extends Error {
  override name = "OutboundError";
  readonly status: number | undefined;
  readonly statusText: string | undefined;
  // Not enumerable (a private field), so a logger that copies an error's fields does not copy an upstream's body.
  readonly #body: unknown;

  constructor(
    readonly failure: OutboundFailure,
    /** What failed, after the caller's label: "timed out after 30 s", "returned HTTP 503". No host, URL or body. */
    readonly reason: string,
    detail: string,
    opts: { status?: number; statusText?: string; body?: unknown; cause?: unknown } = {},
  ) {
    super(detail, opts.cause === undefined ? {} : { cause: opts.cause });
    this.status = opts.status;
    this.statusText = opts.statusText;
    this.#body = opts.body;
  }

  /** A non-2xx answer's body parsed as JSON, when it was JSON (an Engram server's `{error: {code, message}}`). */
  get body(): unknown {
    return this.#body;
  }
}

/** 300 -> "300 ms", 30000 -> "30 s", 1500 -> "1.5 s". */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

/** The URL as a log may show it: no user:password, no query string (either can carry a secret). */
function displayUrl(url: URL | string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function snippet(text: string, secret: string | undefined): string {
  let flat = text.replace(/\s+/g, " ").trim();
  // Servers sometimes echo the key in error bodies; it must never reach a log either.
  if (secret) flat = flat.replaceAll(secret, "[redacted]");
  if (flat === "") return "(empty body)";
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

/**
 * fetch() says "fetch failed"; the useful part is in its cause: a code (ECONNREFUSED, ENOTFOUND, ...), else a
 * message ("bad port"), shown only when it does not name the host (getaddrinfo's messages do).
 */
function networkWhy(err: unknown, hostname: string): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  const code = (cause as { code?: unknown } | undefined)?.code ?? (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return code;
  const message = cause instanceof Error ? cause.message : undefined;
  if (!message || message.length > 80 || message.includes(hostname) || message.includes("://"))
    return undefined;
  return message;
}

function networkDetail(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/** One attempt's timer; `restart()` makes it an idle timer. Stopped when the body is read or given up. */
class Timer {
  readonly controller = new AbortController();
  fired = false;
  private handle: NodeJS.Timeout | undefined;

  constructor(private readonly ms: number) {
    this.restart();
  }

  restart(): void {
    clearTimeout(this.handle);
    this.handle = setTimeout(() => {
      this.fired = true;
      this.controller.abort(new DOMException(`timed out after ${this.ms} ms`, "TimeoutError"));
    }, this.ms);
    this.handle.unref();
  }

  stop(): void {
    clearTimeout(this.handle);
  }
}

/** One call in flight: what its errors need to say where they came from. */
class Call {
  readonly method: string;
  readonly where: string;
  readonly hostname: string;

  constructor(
    url: URL | string,
    readonly req: OutboundRequest,
  ) {
    this.method = req.method ?? (req.json === undefined ? "GET" : "POST");
    this.where = displayUrl(url);
    this.hostname = new URL(url).hostname;
  }

  error(
    failure: OutboundFailure,
    reason: string,
    detail: string,
    opts: ConstructorParameters<typeof OutboundError>[3] = {},
  ): OutboundError {
    return new OutboundError(failure, reason, `${this.method} ${this.where} ${detail}`, opts);
  }

  /** Whatever fetch or a body read threw, as an OutboundError; `phase` says whether an answer had begun. */
  fromThrown(err: unknown, timer: Timer, phase: "connect" | "body"): OutboundError {
    if (err instanceof OutboundError) return err;
    if (this.req.signal?.aborted) {
      return this.error("aborted", "request was cancelled by the caller", "was cancelled", { cause: err });
    }
    if (timer.fired) {
      const reason = `timed out after ${formatMs(this.req.timeoutMs)}`;
      return this.error("timeout", reason, reason, { cause: err });
    }
    const why = networkWhy(err, this.hostname);
    const what = phase === "connect" ? "could not be reached" : "broke off its answer";
    return this.error("network", why ? `${what} (${why})` : what, `${what}: ${networkDetail(err)}`, {
      cause: err,
    });
  }

  async statusError(res: Response): Promise<OutboundError> {
    let text = "";
    let unread = "";
    try {
      text = await res.text();
    } catch (err) {
      // The status is the failure to report; a body that broke off only costs its detail, which the log notes.
      unread = ` (body unreadable: ${networkDetail(err)})`;
    }
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch (err) {
      // A body that is not JSON (an HTML error page) is normal; only the text snippet below is kept then.
      if (!(err instanceof SyntaxError)) throw err;
      body = undefined;
    }
    const reason = `returned HTTP ${res.status}`;
    return this.error("status", reason, `${reason}: ${snippet(text, this.req.bearer)}${unread}`, {
      status: res.status,
      statusText: res.statusText,
      body,
    });
  }

  invalidJson(text: string, cause: unknown): OutboundError {
    const reason = "returned invalid JSON";
    return this.error("bad_body", reason, `${reason}: ${snippet(text, this.req.bearer)}`, { cause });
  }
}

/**
 * Cancels a body (or its reader) that will not be read further, to release the connection. cancel() rejects only
 * when the stream is locked by a reader (which is cancelled itself) or has already errored, with the error a read
 * saw and reported or, on a body never read, one that no longer matters: nothing is left to release or to tell.
 */
function discard(body: { cancel(): Promise<void> } | null | undefined): Promise<void> {
  return body ? body.cancel().catch(() => {}) : Promise.resolve();
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = () => {
      clearTimeout(handle);
      signal?.removeEventListener("abort", done);
      if (signal?.aborted) reject(signal.reason);
      else resolve();
    };
    const handle = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

function retryDelay(policy: RetryPolicy, retry: number, res: Response | undefined): number {
  const max = policy.maxDelayMs ?? 10_000;
  const after = Number(res?.headers.get("retry-after") ?? Number.NaN);
  const ms = Number.isFinite(after) && after >= 0 ? after * 1000 : policy.delayMs * 2 ** (retry - 1);
  return Math.min(ms, max);
}

/** Sends with retries; resolves to a 2xx response whose body is still to be read under `timer`. */
async function send(url: URL | string, call: Call): Promise<{ res: Response; timer: Timer }> {
  const { req } = call;
  const headers: Record<string, string> = { accept: req.accept ?? "application/json", ...req.headers };
  if (req.json !== undefined) headers["content-type"] = "application/json";
  if (req.bearer) headers.authorization = `Bearer ${req.bearer}`;
  const body = req.json === undefined ? undefined : JSON.stringify(req.json);
  const attempts = Math.max(1, req.retry?.attempts ?? 1);
  for (let attempt = 1; ; attempt++) {
    const timer = new Timer(req.timeoutMs);
    const signal = req.signal
      ? AbortSignal.any([req.signal, timer.controller.signal])
      : timer.controller.signal;
    let res: Response | undefined;
    try {
      res = await fetch(url, {
        method: call.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
      });
    } catch (err) {
      timer.stop();
      const failure = call.fromThrown(err, timer, "connect");
      if (failure.failure !== "network" || !req.retry?.network || attempt >= attempts) throw failure;
    }
    if (res?.ok) return { res, timer };
    if (res && !(req.retry?.statuses.includes(res.status) && attempt < attempts)) {
      const failure = await call.statusError(res);
      timer.stop();
      throw failure;
    }
    timer.stop();
    await discard(res?.body);
    // Only a retry policy gets here.
    const delay = req.retry ? retryDelay(req.retry, attempt, res) : 0;
    await pause(delay, req.signal).catch((e: unknown) => {
      throw call.fromThrown(e, timer, "connect");
    });
  }
}

/** One call whose answer is JSON: resolves to the parsed body (undefined when empty), or throws OutboundError. */
export async function requestJson(url: URL | string, req: OutboundRequest): Promise<unknown> {
  const call = new Call(url, req);
  const { res, timer } = await send(url, call);
  let text: string;
  try {
    text = await res.text();
  } catch (err) {
    throw call.fromThrown(err, timer, "body");
  } finally {
    timer.stop();
  }
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw call.invalidJson(text, err);
  }
}

export interface OutboundStream {
  readonly contentType: string;
  /** The whole body (for a server that answered a stream request with one JSON document). */
  text(): Promise<string>;
  /** The body line by line, line ends removed, a last unterminated line included. */
  lines(): AsyncGenerator<string>;
  /** Stops the timer and releases the connection; safe to call more than once. */
  close(): void;
}

/** One call whose answer is read as it arrives, under an idle timeout. Errors, also while reading, are OutboundErrors. */
export async function requestStream(url: URL | string, req: OutboundRequest): Promise<OutboundStream> {
  const call = new Call(url, req);
  const { res, timer } = await send(url, call);
  const close = () => {
    timer.stop();
    void discard(res.body);
  };
  return {
    contentType: res.headers.get("content-type") ?? "",
    async text() {
      try {
        return await res.text();
      } catch (err) {
        throw call.fromThrown(err, timer, "body");
      } finally {
        timer.stop();
      }
    },
    async *lines() {
      if (!res.body) return;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw call.fromThrown(err, timer, "body");
          }
          if (chunk.done) break;
          timer.restart();
          buffer += decoder.decode(chunk.value, { stream: true });
          for (let nl = buffer.indexOf("\n"); nl >= 0; nl = buffer.indexOf("\n")) {
            const line = buffer.slice(0, nl).replace(/\r$/, "");
            buffer = buffer.slice(nl + 1);
            yield line;
          }
        }
        buffer += decoder.decode();
        if (buffer !== "") yield buffer.replace(/\r$/, "");
      } finally {
        timer.stop();
        void discard(reader);
      }
    },
    close,
  };
}

export interface UpstreamOptions {
  url: URL;
  /** Names the upstream to API callers, e.g. "the LLM endpoint (model llama3)". Never the URL. */
  label: string;
  /** The AppError code its failures carry. */
  code: ErrorCode;
  bearer?: string | undefined;
  timeoutMs: number;
  retry?: RetryPolicy | undefined;
}

/**
 * An endpoint the server calls on behalf of an API caller (LLM, embeddings, rerank). Its failures are AppErrors
 * whose message is `${label} ${reason}`; URL, body and the original error are the `cause`, which only the log sees.
 */
export class Upstream {
  /** The endpoint without credentials or query string: for logs. */
  readonly where: string;

  constructor(private readonly opts: UpstreamOptions) {
    this.where = displayUrl(opts.url);
  }

  private request(json: unknown, signal: AbortSignal | undefined, accept?: string): OutboundRequest {
    const { bearer, timeoutMs, retry } = this.opts;
    return { json, bearer, timeoutMs, retry, signal, ...(accept ? { accept } : {}) };
  }

  /** POSTs `json`, resolves to the parsed answer. */
  async postJson(json: unknown, signal?: AbortSignal): Promise<unknown> {
    try {
      return await requestJson(this.opts.url, this.request(json, signal));
    } catch (err) {
      throw this.error(err);
    }
  }

  /** POSTs `json` and returns the answer to read as it arrives; its reads throw OutboundErrors (see `error`). */
  async postStream(json: unknown, signal: AbortSignal | undefined, accept: string): Promise<OutboundStream> {
    try {
      return await requestStream(this.opts.url, this.request(json, signal, accept));
    } catch (err) {
      throw this.error(err);
    }
  }

  /** Anything a call threw, as the AppError a caller may see. */
  error(err: unknown): AppError {
    if (err instanceof AppError) return err;
    const reason = err instanceof OutboundError ? err.reason : "failed";
    return new AppError(this.opts.code, `${this.opts.label} ${reason}`, { cause: err });
  }

  /** An answer the client found wrong: `reason` reaches the caller, `detail` (e.g. the body) only the log. */
  failure(reason: string, detail?: string): AppError {
    const logged = `POST ${this.where} ${reason}${detail === undefined ? "" : `: ${snippet(detail, this.opts.bearer)}`}`;
    return this.error(new OutboundError("bad_body", reason, logged));
  }
}
