/** REST routes for sessions under /v1/sessions: thin adapters over SessionService. */
import { createRoute, z } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { needs, routeActor } from "../http/auth.js";
import type { App, AppEnv } from "../http/context.js";
import { ErrorSchema, errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  AppendMessageBody,
  CreateSessionBody,
  ListSessionsQuery,
  MessageSchema,
  SessionDetailSchema,
  SessionListResponse,
  SessionSchema,
} from "./schemas.js";

const tags = ["sessions"];
const IdParam = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "sess_01jh8x0000abcdefghjkmnpqrs" }),
});
const gone = {
  description: "The session expired (`session_expired`); its history stays readable",
  content: { "application/json": { schema: ErrorSchema } },
};

/** `curl -X POST /v1/sessions` with no body at all means "no metadata", not malformed JSON. */
const emptyBodyIsEmptyObject: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "POST") {
    const raw = c.req.raw;
    // A clone, so the original body stays unread for the validator when it is not empty.
    if ((await raw.clone().text()).trim() === "") {
      c.req.raw = new Request(raw.url, {
        method: raw.method,
        headers: raw.headers,
        body: "{}",
        signal: raw.signal,
      });
    }
  }
  await next();
};

export function registerSessionRoutes(app: App): void {
  app.use("/v1/sessions", emptyBodyIsEmptyObject);

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/sessions",
      tags,
      security,
      middleware: [needs("sessions:write")],
      summary: "Open a session",
      description: `A session expires after the configured inactivity timeout (memory.session_timeout); every accepted message extends it.`,
      request: { body: { ...jsonBody(CreateSessionBody), required: false } },
      responses: { 201: jsonResponse(SessionSchema, "The new session"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.sessions.create(actor, c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/sessions",
      tags,
      security,
      middleware: [needs("sessions:read")],
      summary: "List the caller's sessions, newest first",
      request: { query: ListSessionsQuery },
      responses: { 200: jsonResponse(SessionListResponse, "A page of sessions"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.sessions.list(actor, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/sessions/{id}",
      tags,
      security,
      middleware: [needs("sessions:read")],
      summary: "Get a session and its messages, oldest first (also after it expired)",
      request: { params: IdParam },
      responses: { 200: jsonResponse(SessionDetailSchema, "The session"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.sessions.get(actor, c.req.valid("param").id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/sessions/{id}/messages",
      tags,
      security,
      middleware: [needs("sessions:write")],
      summary: "Append a message (extends the session's expiry)",
      request: { params: IdParam, body: jsonBody(AppendMessageBody) },
      responses: { 201: jsonResponse(MessageSchema, "The stored message"), ...errorResponses, 410: gone },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const message = await c.var.services.sessions.append(
        actor,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json(message, 201);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/sessions/{id}",
      tags,
      security,
      middleware: [needs("sessions:write")],
      summary: "Delete a session and its messages (memories made in it are kept)",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(z.object({ deleted: z.literal(true), id: z.string() }), "Deleted"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const { id } = c.req.valid("param");
      await c.var.services.sessions.delete(actor, id);
      return c.json({ deleted: true as const, id }, 200);
    },
  );
}
