/** The MCP tools, with OpenMemory's names, over a MemoryPort: one definition shared by the HTTP and stdio transports. */
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "pino";
import { z } from "zod";
import { AppError, asAppError } from "../errors.js";
import {
  type BatchAddResult,
  BatchItemResultSchema,
  ExtractionResultSchema,
  type Memory,
  MemorySchema,
  type SearchResult,
  SearchResultSchema,
} from "../memories/schemas.js";
import { type SessionDetail, SessionDetailSchema } from "../sessions/schemas.js";
import { noNul, StoredTimestampSchema } from "../validation.js";

export type ExtractionResult = z.infer<typeof ExtractionResultSchema>;

export interface MemoryPage {
  memories: Memory[];
  next_cursor: string | null;
}

/**
 * What the tools need (memories and session history), always for the one user the connection acts as. Implemented in-process over the
 * services (local.ts) and over a running server's REST API (remote.ts); neither adds logic of its own.
 */
export interface MemoryPort {
  add(input: AddInput): Promise<{ results: ExtractionResult[] }>;
  /** Stores several texts verbatim in one go (POST /v1/memories/batch), all with the same occurred_at if given. */
  addBatch(texts: string[], occurredAt?: string): Promise<BatchAddResult>;
  search(input: { query: string; limit: number }): Promise<SearchResult[]>;
  list(input: { limit: number; cursor?: string | undefined }): Promise<MemoryPage>;
  update(id: string, text: string): Promise<Memory>;
  remove(id: string): Promise<void>;
  removeAll(): Promise<{ deleted: number }>;
  sessionHistory(sessionId: string): Promise<SessionDetail>;
}

export interface AddInput {
  text: string;
  infer: boolean;
  /** ISO 8601; undefined: now. */
  occurred_at?: string | undefined;
}

export interface McpServerOptions {
  version: string;
  /** Where unexpected failures are logged (never stdout: on stdio that is the protocol). */
  log?: Logger | undefined;
}

const INSTRUCTIONS =
  "Engram is the user's long-term memory. Every tool acts for the one user this connection is bound to (by its " +
  "API key); there is no user argument and no way to reach another user's memories. Call search_memory before " +
  "answering anything that may depend on what you know about the user, and add_memories when the user shares a " +
  "durable fact or preference or asks you to remember something.";

/** A memory id as the tools take it; any string is accepted and an unknown one answers "not found". */
const MemoryId = noNul(z.string().min(1).max(64)).describe(
  "A memory id (mem_…) from search_memory or list_memories",
);

/** The same rule as REST's occurred_at: an ISO 8601 date-time with Z or an offset, years 0001 to 9999. */
const OccurredAt = StoredTimestampSchema.optional().describe(
  "When it happened or was said, ISO 8601 with Z or an offset (e.g. 2026-01-08T10:00:00Z); default: now",
);

const DeleteResult = { deleted: z.array(z.string()), not_found: z.array(z.string()) };

/** Successful results carry the same object twice: as JSON text (for any client) and as structured content. */
function ok(structured: Record<string, unknown>): CallToolResult {
  return { content: [{ type: "text", text: JSON.stringify(structured) }], structuredContent: structured };
}

/**
 * A failure as a tool error the model can read: "message (code)". Structured content is left out because
 * clients check it against the tool's output schema even on errors. Unknown failures say nothing more.
 */
function failure(err: unknown, tool: string, log: Logger | undefined): CallToolResult {
  const appErr = asAppError(err);
  if (appErr.code === "internal_error") log?.error({ err, tool }, "mcp tool failed");
  return { content: [{ type: "text", text: `${appErr.message} (${appErr.code})` }], isError: true };
}

function isNotFound(err: unknown): boolean {
  return err instanceof AppError && err.code.endsWith("_not_found");
}

/** Builds an MCP server whose tools all go through `port`. Cheap enough to build per HTTP request. */
export function createMcpServer(port: MemoryPort, opts: McpServerOptions): McpServer {
  const server = new McpServer({ name: "engram", version: opts.version }, { instructions: INSTRUCTIONS });
  const run = async (tool: string, fn: () => Promise<Record<string, unknown>>): Promise<CallToolResult> => {
    try {
      return ok(await fn());
    } catch (err) {
      return failure(err, tool, opts.log);
    }
  };

  server.registerTool(
    "add_memories",
    {
      title: "Add memories",
      description:
        "Store something about the user for later conversations: a fact, preference or event in plain text, e.g. " +
        "'Is allergic to peanuts'. The text is stored as given. With infer: true the server's LLM instead extracts " +
        "facts from the text and adds, updates or deletes memories to match (needs an LLM configured on the server).",
      inputSchema: {
        text: noNul(z.string().trim().min(1, "must not be empty")).describe(
          "What to remember, in plain language",
        ),
        infer: z
          .boolean()
          .optional()
          .describe("Extract facts with the server's LLM instead of storing the text as is (default false)"),
        occurred_at: OccurredAt,
      },
      outputSchema: { results: z.array(ExtractionResultSchema) },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: false,
        openWorldHint: false,
      },
    },
    ({ text, infer, occurred_at }) =>
      run("add_memories", () =>
        port.add({ text, infer: infer ?? false, ...(occurred_at ? { occurred_at } : {}) }),
      ),
  );

  server.registerTool(
    "add_memories_batch",
    {
      title: "Add several memories",
      description:
        "Store up to 100 separate facts about the user at once, each as given (no extraction): one call instead of " +
        "many when the user shares a list. Each text is answered on its own: created, existing (already known), or error.",
      inputSchema: {
        texts: z
          .array(noNul(z.string().trim().min(1, "must not be empty")))
          .min(1)
          .max(100)
          .describe("The facts to remember, one per item, in plain language"),
        occurred_at: OccurredAt,
      },
      outputSchema: {
        results: z.array(BatchItemResultSchema),
        created: z.number().int(),
        existing: z.number().int(),
        failed: z.number().int(),
      },
      annotations: {
        readOnlyHint: false,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    ({ texts, occurred_at }) => run("add_memories_batch", () => port.addBatch(texts, occurred_at)),
  );

  server.registerTool(
    "search_memory",
    {
      title: "Search memory",
      description:
        "Find the user's memories closest in meaning to a query, best match first, each with a similarity score " +
        "from 0 to 1. Use it before answering anything that may depend on the user's preferences, facts or history.",
      inputSchema: {
        query: noNul(z.string().trim().min(1, "must not be empty")).describe(
          "What to look for, in plain language",
        ),
        limit: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe("How many results at most (default 10, max 100)"),
      },
      outputSchema: { results: z.array(SearchResultSchema) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ query, limit }) =>
      run("search_memory", async () => ({ results: await port.search({ query, limit: limit ?? 10 }) })),
  );

  server.registerTool(
    "list_memories",
    {
      title: "List memories",
      description:
        "List the user's memories, newest first, one page at a time. When next_cursor is not null, pass it back " +
        "as cursor to get the next page.",
      inputSchema: {
        limit: z.number().int().min(1).max(100).optional().describe("Page size (default 20, max 100)"),
        cursor: noNul(z.string().min(1).max(64)).optional().describe("next_cursor from the previous page"),
      },
      outputSchema: { memories: z.array(MemorySchema), next_cursor: z.string().nullable() },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ limit, cursor }) =>
      run("list_memories", async () => ({ ...(await port.list({ limit: limit ?? 20, cursor })) })),
  );

  server.registerTool(
    "update_memory",
    {
      title: "Update a memory",
      description:
        "Replace the text of one memory, e.g. when a fact about the user changed. The memory keeps its id and is " +
        "re-indexed for search.",
      inputSchema: {
        memory_id: MemoryId,
        text: noNul(z.string().trim().min(1, "must not be empty")).describe("The new text"),
      },
      outputSchema: MemorySchema,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ memory_id, text }) => run("update_memory", async () => ({ ...(await port.update(memory_id, text)) })),
  );

  server.registerTool(
    "delete_memories",
    {
      title: "Delete memories",
      description:
        "Delete the given memories by id (ids come from search_memory or list_memories). Ids that are not among " +
        "the user's memories are listed in not_found; the others are deleted.",
      inputSchema: {
        memory_ids: z.array(MemoryId).min(1, "give at least one id").max(100).describe("The ids to delete"),
      },
      outputSchema: DeleteResult,
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    ({ memory_ids }) =>
      run("delete_memories", async () => {
        const deleted: string[] = [];
        const notFound: string[] = [];
        for (const id of new Set(memory_ids)) {
          try {
            await port.remove(id);
            deleted.push(id);
          } catch (err) {
            // Anything but "not found" (a revoked key, a lost connection) ends the call.
            if (!isNotFound(err)) throw err;
            notFound.push(id);
          }
        }
        if (deleted.length === 0) {
          throw new AppError("memory_not_found", `no memory deleted: not found: ${notFound.join(", ")}`);
        }
        return { deleted, not_found: notFound };
      }),
  );

  server.registerTool(
    "delete_all_memories",
    {
      title: "Delete all memories",
      description:
        "Delete every memory of the user. This cannot be undone: use it only when the user explicitly asks to " +
        "forget everything.",
      inputSchema: {},
      outputSchema: { deleted: z.number().int().describe("How many memories were deleted") },
      annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    () => run("delete_all_memories", () => port.removeAll()),
  );

  server.registerTool(
    "get_session_history",
    {
      title: "Get session history",
      description:
        "The messages of one of the user's conversation sessions (sess_…), oldest first, with the session's " +
        "expiry. Sessions are created by the application through Engram's sessions API; an expired session's " +
        "history stays readable.",
      inputSchema: {
        session_id: noNul(z.string().min(1).max(64)).describe("A session id (sess_…)"),
      },
      outputSchema: SessionDetailSchema,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    ({ session_id }) =>
      run("get_session_history", async () => ({ ...(await port.sessionHistory(session_id)) })),
  );

  return server;
}
