/** Shared OpenAPI pieces: the error schema, standard error responses, security, and JSON body/response helpers. */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors.js";

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      request_id: z.string(),
      field: z.string().optional().openapi({ description: "The request field at fault, when there is one" }),
    }),
  })
  .openapi("Error");

const err = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

/** The error responses every authenticated route can give. */
export const errorResponses = {
  400: err("Invalid request; `error.field` names the field"),
  401: err("Missing, unknown, revoked or expired API key"),
  403: err("The key lacks the scope, or names another user"),
  404: err("Not found (also: another user's resource)"),
  413: err("Request body too large"),
} as const;

export const security = [{ bearerAuth: [] }];

export function jsonBody<T extends z.ZodType>(schema: T, description?: string) {
  return { required: true, description, content: { "application/json": { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { "application/json": { schema } } };
}
