/** What to tell a person about a failed call: a headline from the error's code, and the API's own message. */
import { ApiError } from "../api/client";

export interface ErrorDisplay {
  headline: string;
  /** The API's message, verbatim (it says which field, which key, how long to wait). */
  detail: string;
  code?: string;
  requestId?: string;
  /** The key no longer works: the page should go back to the login form. */
  signOut: boolean;
}

const HEADLINES: Record<string, string> = {
  unauthorized: "No valid key was sent",
  invalid_api_key: "This API key is not valid",
  key_revoked: "This API key has been revoked",
  key_expired: "This API key has expired",
  forbidden: "This key may not do that",
  insufficient_scope: "This key lacks the scope for that",
  user_mismatch: "This key belongs to another user",
  app_paused: "That app is paused",
  rate_limited: "Too many requests",
  network_error: "Cannot reach the Engram server",
  validation_error: "Please check the input",
  invalid_json: "The request was malformed",
  confirmation_required: "Confirmation required",
  session_expired: "The session has expired",
  route_not_found: "This server does not offer that",
  internal_error: "The server failed",
  server_error: "The server failed",
};

const SIGN_OUT = new Set(["unauthorized", "invalid_api_key", "key_revoked", "key_expired"]);

export function describeError(err: unknown): ErrorDisplay {
  if (err instanceof ApiError) {
    const headline =
      HEADLINES[err.code] ??
      (err.code.endsWith("_not_found") || err.code === "not_found"
        ? "Not found"
        : err.code.endsWith("_exists") || err.code === "conflict"
          ? "Already exists"
          : err.status >= 500
            ? "The server failed"
            : "The request was refused");
    return {
      headline,
      detail: err.message,
      code: err.code,
      ...(err.requestId ? { requestId: err.requestId } : {}),
      signOut: SIGN_OUT.has(err.code),
    };
  }
  const detail = err instanceof Error ? err.message : String(err);
  return { headline: "Something went wrong", detail, signOut: false };
}

/** A route the server does not have (an older server without /v1/stats, say): show "not available", not a failure. */
export function isMissingRoute(err: unknown): boolean {
  return err instanceof ApiError && err.code === "route_not_found";
}
