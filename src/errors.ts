/** Typed errors thrown by services; the faces (src/http/errors.ts, MCP tools) turn them into their own answers. */
import { DbError } from "./db/db.js";

export const ERROR_CODES = [
  "bad_request",
  "validation_error",
  "invalid_json",
  "payload_too_large",
  "unsupported_media_type",
  "unauthorized",
  "invalid_api_key",
  "key_expired",
  "key_revoked",
  "forbidden",
  "insufficient_scope",
  "user_mismatch",
  "not_found",
  "user_not_found",
  "tenant_not_found",
  "key_not_found",
  "memory_not_found",
  "session_not_found",
  "app_not_found",
  "route_not_found",
  "method_not_allowed",
  "conflict",
  "user_exists",
  "tenant_exists",
  "app_exists",
  "session_expired",
  "app_paused",
  "quota_exceeded",
  "confirmation_required",
  "llm_not_configured",
  "rerank_not_configured",
  "llm_unavailable",
  "embeddings_unavailable",
  "rate_limited",
  "not_ready",
  "timeout",
  "internal_error",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Every code has exactly one status; the `satisfies` makes a new code without a status a type error. */
export const codeToStatus = {
  bad_request: 400,
  validation_error: 400,
  invalid_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  invalid_api_key: 401,
  key_expired: 401,
  key_revoked: 401,
  forbidden: 403,
  insufficient_scope: 403,
  user_mismatch: 403,
  not_found: 404,
  user_not_found: 404,
  tenant_not_found: 404,
  key_not_found: 404,
  memory_not_found: 404,
  session_not_found: 404,
  app_not_found: 404,
  route_not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  user_exists: 409,
  tenant_exists: 409,
  app_exists: 409,
  session_expired: 410,
  app_paused: 403,
  quota_exceeded: 403,
  confirmation_required: 400,
  llm_not_configured: 422,
  rerank_not_configured: 422,
  llm_unavailable: 502,
  embeddings_unavailable: 502,
  rate_limited: 429,
  not_ready: 503,
  timeout: 503,
  internal_error: 500,
} as const satisfies Record<ErrorCode, number>;

export class AppError extends Error {
  readonly code: ErrorCode;
  /** Dotted path of the offending request field, when there is one. */
  readonly field: string | undefined;
  readonly details: unknown;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { field?: string; details?: unknown; cause?: unknown } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = "AppError";
    this.code = code;
    this.field = opts.field;
    this.details = opts.details;
  }

  get status(): number {
    return codeToStatus[this.code];
  }
}

export function notFound(code: ErrorCode & `${string}_not_found`, what: string, id: string): AppError {
  return new AppError(code, `${what} '${id}' not found`);
}

export function validation(field: string, message: string): AppError {
  return new AppError("validation_error", `${field}: ${message}`, { field });
}

/**
 * SQLSTATEs that mean "the database refused a value it was given", not "the database failed". The schemas refuse
 * these values first (src/validation.ts); this is the last line of defence for a value they let through.
 */
const INVALID_VALUE_STATES = new Set([
  "22P02", // invalid_text_representation: a value it could not parse
  "22021", // character_not_in_repertoire: a NUL in text
  "22P05", // untranslatable_character: \u0000 in jsonb
  "22007", // invalid_datetime_format
  "22008", // datetime_field_overflow: year 0000, month 13
  "22009", // invalid_time_zone_displacement_value: an offset beyond ±15:59
  "54001", // statement_too_complex: a value nested too deep
]);

/** query_canceled: statement_timeout fired (or an operator cancelled the statement). */
const QUERY_CANCELED = "57014";

/**
 * Classifies anything a service threw into the stable codes, for every face: AppErrors pass through, a value the
 * database refused is a validation error, anything else is internal_error (the original is the `cause`, for the
 * log). Neither message repeats the database's, which may quote the value. src/http/errors.ts adds what only HTTP
 * can throw.
 */
export function asAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof DbError && err.code !== undefined && INVALID_VALUE_STATES.has(err.code)) {
    return new AppError("validation_error", "a value could not be stored or compared", { cause: err });
  }
  if (err instanceof DbError && err.code === QUERY_CANCELED) {
    // statement_timeout (ENGRAM_STATEMENT_TIMEOUT_MS) fired: that transaction rolled back, so a request that
    // writes in one transaction (nearly all) changed nothing and may be retried.
    return new AppError(
      "timeout",
      "the database did not finish within the statement timeout; its transaction was rolled back",
      { cause: err },
    );
  }
  return new AppError("internal_error", "internal error", { cause: err });
}
