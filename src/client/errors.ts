/** The SDK's errors: an API error with the server's code, and distinct network and timeout failures. */

/** The API answered with an error body `{error: {code, message, request_id, field?}}` (or a non-JSON error). */
export class EngramError extends Error {
  override readonly name = "EngramError";
  /** The API's stable error code, e.g. `not_found`, `validation_error`, `rate_limited`. */
  readonly code: string;
  /** The HTTP status; 0 for an error reported inside a chat event stream after it started. */
  readonly status: number;
  readonly requestId: string | undefined;
  /** The offending field of a validation error, e.g. `text` or `filters.state`. */
  readonly field: string | undefined;

  constructor(init: { code: string; status: number; message: string; requestId?: string; field?: string }) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.field = init.field;
  }
}

/** The server could not be reached, or the connection broke (after any retries). */
export class EngramNetworkError extends Error {
  override readonly name = "EngramNetworkError";
  readonly code = "network_error";
}

/** The call took longer than its `timeoutMs`. */
export class EngramTimeoutError extends Error {
  override readonly name = "EngramTimeoutError";
  readonly code = "timeout";
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`request timed out after ${timeoutMs} ms`);
    this.timeoutMs = timeoutMs;
  }
}

/** Builds the EngramError for a non-2xx response from its body (JSON or not). */
export function errorFromResponse(status: number, text: string, headerRequestId: string | null): EngramError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    // Not JSON (a proxy's HTML page, say): the status and the start of the text are all there is.
    if (!(err instanceof SyntaxError)) throw err;
  }
  const e = (body as { error?: Record<string, unknown> } | undefined)?.error;
  const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
  const requestId = str(e?.request_id) ?? headerRequestId ?? undefined;
  const field = str(e?.field);
  return new EngramError({
    code: str(e?.code) ?? `http_${status}`,
    status,
    message: str(e?.message) ?? (text.slice(0, 200) || `HTTP ${status}`),
    ...(requestId ? { requestId } : {}),
    ...(field ? { field } : {}),
  });
}
