/** The one error body and the one place errors become HTTP responses. */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { AppError, asAppError, type ErrorCode } from "../errors.js";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; request_id: string; field?: string };
}

export function errorBody(c: Context, err: AppError): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      request_id: (c.get("requestId" as never) as string | undefined) ?? "",
      ...(err.field ? { field: err.field } : {}),
    },
  };
}

/** A validation error for the field at `path` of the request part `where` (the JSON body when undefined). */
export function fieldError(
  where: string | undefined,
  path: ReadonlyArray<PropertyKey>,
  message: string,
): AppError {
  const field = [where, path.map(String).join(".")].filter(Boolean).join(".") || "body";
  return new AppError("validation_error", `${field}: ${message}`, { field });
}

/** Turns a zod failure into a validation error naming the first offending field, e.g. `filters.limit`. */
export function fromZod(error: ZodError, where?: string): AppError {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join(".") ?? "";
  const field = [where, path].filter(Boolean).join(".") || "body";
  let message = issue?.message ?? "invalid";
  if (issue?.code === "invalid_type" && /received undefined/.test(message)) message = "is required";
  else if (issue?.code === "unrecognized_keys")
    message = `unknown field(s): ${(issue.keys ?? []).join(", ")}`;
  return new AppError("validation_error", `${field}: ${message}`, {
    field,
    details: error.issues.slice(0, 5),
  });
}

/** Classifies anything thrown into the stable error codes; unknown failures become a logged 500 without detail. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof HTTPException) {
    if (err.status === 413) return new AppError("payload_too_large", "request body is too large");
    if (err.status === 400 && /JSON/i.test(err.message)) {
      return new AppError("invalid_json", "body: malformed JSON", { field: "body" });
    }
    if (err.status === 400) return new AppError("bad_request", err.message || "bad request");
    if (err.status === 401) return new AppError("unauthorized", err.message || "unauthorized");
    if (err.status === 415) {
      // The JSON routes' media-type check (@hono/zod-openapi): e.g. application/xml or multipart/form-data.
      return new AppError("unsupported_media_type", "body: must be JSON (Content-Type: application/json)", {
        field: "body",
      });
    }
    if (err.status === 404) return new AppError("route_not_found", "no such route");
  }
  return asAppError(err);
}
