/** REST routes for memories under /v1/memories: thin adapters over MemoryService. */
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../errors.js";
import { needs, routeActor } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import {
  AddMemoryBody,
  BatchAddBody,
  BatchAddResponse,
  ExtractionResultSchema,
  ListQuery,
  MemoryEventSchema,
  MemoryListResponse,
  MemorySchema,
  SearchBody,
  SearchResponse,
  UpdateMemoryBody,
} from "./schemas.js";

const tags = ["memories"];
const IdParam = z.object({
  id: z.string().openapi({ param: { name: "id", in: "path" }, example: "mem_01jh8x0000abcdefghjkmnpqrs" }),
});

export function registerMemoryRoutes(app: App): void {
  // Order is the OpenAPI document's order.
  registerMemoryCollectionRoutes(app);
  registerMemoryItemRoutes(app);
}

/** The collection: add, list, delete all, search. */
function registerMemoryCollectionRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/memories",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Add a memory",
      request: { body: jsonBody(AddMemoryBody) },
      responses: {
        201: jsonResponse(MemorySchema, "The stored memory"),
        200: jsonResponse(
          z.union([MemorySchema, z.object({ results: z.array(ExtractionResultSchema) })]),
          "An identical active memory already existed and is returned; or, with infer: true, the changes extraction applied",
        ),
        422: errorResponses[400],
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const added = await c.var.services.memories.add(actor, c.req.valid("json"));
      if (added.infer) return c.json({ results: added.results }, 200);
      return c.json(added.memory, added.created ? 201 : 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/memories/batch",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Add up to 100 memories at once",
      description:
        "One embedding call and one transaction for all items; each item is answered on its own (created, existing, " +
        "or an error such as a paused app or the quota, which leaves the others alone).",
      request: { body: jsonBody(BatchAddBody) },
      responses: { 200: jsonResponse(BatchAddResponse, "Each item's outcome, in order"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const results = await c.var.services.memories.addBatch(actor, c.req.valid("json").items);
      const count = (s: string) => results.filter((r) => r.status === s).length;
      return c.json(
        { results, created: count("created"), existing: count("existing"), failed: count("error") },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/memories",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "List memories, newest first",
      request: { query: ListQuery },
      responses: { 200: jsonResponse(MemoryListResponse, "A page of memories"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.memories.list(actor, c.req.valid("query")), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/memories",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Delete all of the caller's memories (needs ?confirm=true)",
      request: { query: z.object({ confirm: z.enum(["true", "false"]).optional() }) },
      responses: {
        200: jsonResponse(z.object({ deleted: z.number().int() }), "How many were deleted"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      if (c.req.valid("query").confirm !== "true") {
        throw new AppError("confirmation_required", "confirm: deleting every memory needs ?confirm=true", {
          field: "confirm",
        });
      }
      return c.json(await c.var.services.memories.deleteAll(actor), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/memories/search",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "Search memories by meaning",
      request: { body: jsonBody(SearchBody) },
      responses: { 200: jsonResponse(SearchResponse, "Best matches first"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const results = await c.var.services.memories.search(actor, c.req.valid("json"));
      return c.json({ results }, 200);
    },
  );
}

/** One memory: /v1/memories/{id} and its history. */
function registerMemoryItemRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/memories/{id}",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "Get one memory",
      request: { params: IdParam },
      responses: { 200: jsonResponse(MemorySchema, "The memory"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.memories.get(actor, c.req.valid("param").id), 200);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/memories/{id}",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Update a memory's text, metadata, state or occurred_at",
      request: { params: IdParam, body: jsonBody(UpdateMemoryBody) },
      responses: { 200: jsonResponse(MemorySchema, "The updated memory"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const memory = await c.var.services.memories.update(
        actor,
        c.req.valid("param").id,
        c.req.valid("json"),
      );
      return c.json(memory, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "delete",
      path: "/v1/memories/{id}",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Delete a memory",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(z.object({ deleted: z.literal(true), id: z.string() }), "Deleted"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const { id } = c.req.valid("param");
      await c.var.services.memories.delete(actor, id);
      return c.json({ deleted: true as const, id }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/memories/{id}/history",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary:
        "A memory's history: add, update, state change and delete events (texts removed after a delete)",
      request: { params: IdParam },
      responses: {
        200: jsonResponse(z.object({ events: z.array(MemoryEventSchema) }), "Oldest first"),
        ...errorResponses,
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json({ events: await c.var.services.memories.history(actor, c.req.valid("param").id) }, 200);
    },
  );
}
