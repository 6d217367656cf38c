/** OpenMemory-compatible routes under /api/v1: thin adapters over the same services, so its curl commands work as written. */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { AppError } from "../errors.js";
import { authenticate, authenticateKey, needs, routeActor } from "../http/auth.js";
import type { App, AppEnv } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import { UserIdSchema } from "../identity/schemas.js";
import { AddMemoryBody, type Memory, MemorySchema, SearchResultSchema } from "../memories/schemas.js";
import { hasNul, NUL_MESSAGE, noNul } from "../validation.js";

const tags = ["openmemory-compat"];

/** OpenMemory's field names beside ours: `content`, `app_name`, `metadata_`. A memory always carries `text` and `metadata`. */
const OmMemorySchema = MemorySchema.extend({
  content: z.string(),
  app_name: z.string(),
  metadata_: z.record(z.string(), z.unknown()),
}).openapi("OpenMemoryMemory");

function om<T extends Memory>(
  m: T,
): T & { content: string; app_name: string; metadata_: Record<string, unknown> } {
  return { ...m, content: m.text, app_name: m.app, metadata_: m.metadata };
}

const LoginBody = z.object({ api_key: z.string().min(1) }).openapi("OpenMemoryLogin");
const LoginResponse = z
  .object({
    success: z.boolean(),
    user_id: z.string().nullable(),
    name: z.string().nullable(),
    message: z.string(),
  })
  .openapi("OpenMemoryLoginResult");

/** OpenMemory put user_id in the body; here it can only name the user the key may act as (a user key's own). */
const OmCreateBody = AddMemoryBody.and(z.object({ user_id: UserIdSchema.optional() }));

export function registerOpenMemoryRoutes(app: App): void {
  // Order is the OpenAPI document's order; the login route is the only one without a key.
  registerLoginRoute(app);
  // Everything else under /api/v1 needs a key, exactly as /v1 does (the same middleware, local_open included).
  app.use("/api/v1/memories", authenticate);
  app.use("/api/v1/memories/*", authenticate);
  registerCollectionRoutes(app);
  registerSearchRoute(app);
  registerItemRoutes(app);
}

/** POST /api/v1/auth/login: OpenMemory's dashboard login, answering whose the key is. */
function registerLoginRoute(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/auth/login",
      tags,
      summary: "Check an API key and say whose it is (OpenMemory's login)",
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonResponse(LoginResponse, "Valid key"),
        401: jsonResponse(LoginResponse, "Invalid key"),
      },
    }),
    async (c) => {
      const { identity } = c.var.services;
      try {
        // Under the same rate limits as every key: a wrong key here counts as a failed authentication.
        const principal = await authenticateKey(c, c.req.valid("json").api_key);
        if (principal.kind === "admin") {
          return c.json({ success: true, user_id: null, name: "admin", message: "Login successful" }, 200);
        }
        // It describes the key: a key bound to a paused app still logs in (its requests then answer 403 app_paused).
        const actor = await identity.identifyActor(principal, undefined);
        const user = await identity.getUser(actor.tenantId, actor.userId);
        return c.json(
          {
            success: true,
            user_id: user.user_id,
            name: user.name ?? user.user_id,
            message: "Login successful",
          },
          200,
        );
      } catch (err) {
        if (err instanceof AppError && err.status === 401) {
          return c.json({ success: false, user_id: null, name: null, message: err.message }, 401);
        }
        throw err;
      }
    },
  );
}

/** /api/v1/memories (with and without the trailing slash OpenMemory's clients send): create and list. */
function registerCollectionRoutes(app: App): void {
  for (const path of ["/api/v1/memories/", "/api/v1/memories"] as const) {
    app.openapi(
      createRoute({
        method: "post",
        path,
        tags,
        security,
        middleware: [needs("memories:write")],
        hide: path === "/api/v1/memories",
        summary: "Create a memory (OpenMemory shape)",
        request: { body: jsonBody(OmCreateBody) },
        responses: {
          200: jsonResponse(z.union([OmMemorySchema, z.object({}).passthrough()]), "The memory"),
          ...errorResponses,
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const actor = await routeActor(c, body.user_id);
        const added = await c.var.services.memories.add(actor, body);
        if (added.infer) return c.json({ results: added.results }, 200);
        return c.json(om(added.memory), 200);
      },
    );

    app.openapi(
      createRoute({
        method: "get",
        path,
        tags,
        security,
        middleware: [needs("memories:read")],
        hide: path === "/api/v1/memories",
        summary: "List memories, page by page (OpenMemory shape)",
        request: {
          query: z.object({
            page: z.coerce.number().int().min(1).default(1),
            size: z.coerce.number().int().min(1).max(100).default(50),
            app: noNul(z.string().max(64)).optional(),
            user_id: UserIdSchema.optional(),
          }),
        },
        responses: {
          200: jsonResponse(
            z.object({
              items: z.array(OmMemorySchema),
              total: z.number(),
              page: z.number(),
              size: z.number(),
              pages: z.number(),
            }),
            "A page",
          ),
          ...errorResponses,
        },
      }),
      async (c) => {
        const q = c.req.valid("query");
        const actor = await routeActor(c, q.user_id);
        const { items, total } = await c.var.services.memories.page(actor, {
          page: q.page,
          size: q.size,
          app: q.app,
        });
        return c.json(
          { items: items.map(om), total, page: q.page, size: q.size, pages: Math.ceil(total / q.size) },
          200,
        );
      },
    );
  }
}

function registerSearchRoute(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/api/v1/memories/search",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "Search memories; the query may come as ?query= or in the body",
      request: {
        query: z.object({
          query: noNul(z.string()).optional(),
          limit: z.coerce.number().int().min(1).max(100).optional(),
        }),
      },
      responses: {
        200: jsonResponse(z.object({ results: z.array(SearchResultSchema) }), "Best matches first"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const q = c.req.valid("query");
      const body = q.query === undefined ? await readSearchBody(c) : {};
      const query = q.query ?? (typeof body.query === "string" ? body.query : undefined);
      if (!query?.trim()) throw new AppError("validation_error", "query: is required", { field: "query" });
      if (hasNul(query)) throw new AppError("validation_error", `query: ${NUL_MESSAGE}`, { field: "query" });
      const limit = q.limit ?? (typeof body.limit === "number" ? body.limit : 10);
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw new AppError("validation_error", "limit: must be an integer from 1 to 100", { field: "limit" });
      }
      const actor = await routeActor(c);
      const results = await c.var.services.memories.search(actor, { query, limit });
      return c.json({ results: results.map(om) }, 200);
    },
  );
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;

/**
 * The search's body when the query is not in the URL: a JSON object, or none (the query is then missing). A body
 * without a Content-Type, or with curl's form type, is JSON already (jsonByDefault, src/http/app.ts).
 */
async function readSearchBody(c: Context<AppEnv>): Promise<{ query?: unknown; limit?: unknown }> {
  if (!JSON_TYPE.test(c.req.header("content-type") ?? "")) {
    throw new AppError("unsupported_media_type", "body: must be JSON (Content-Type: application/json)", {
      field: "body",
    });
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch (err) {
    // No body or not JSON (SyntaxError) is expected here: the query is then simply missing. Anything else
    // (the body could not be read) gets the same answer, but the log says why.
    if (!(err instanceof SyntaxError)) {
      c.var.services.log.warn(
        { req_id: c.var.requestId, err },
        "openmemory search: could not read the request body",
      );
    }
    return {};
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    throw new AppError("validation_error", "body: must be a JSON object", { field: "body" });
  }
  return body;
}

/** /api/v1/memories/{id}: get and delete one memory. */
function registerItemRoutes(app: App): void {
  const IdParam = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });
  app.openapi(
    createRoute({
      method: "get",
      path: "/api/v1/memories/{id}",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "Get one memory (OpenMemory shape)",
      request: { params: IdParam },
      responses: { 200: jsonResponse(OmMemorySchema, "The memory"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(om(await c.var.services.memories.get(actor, c.req.valid("param").id)), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/api/v1/memories/{id}",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Delete one memory",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(z.object({ message: z.string(), id: z.string() }), "Deleted"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const { id } = c.req.valid("param");
      await c.var.services.memories.delete(actor, id);
      return c.json({ message: "Memory deleted successfully", id }, 200);
    },
  );
}
