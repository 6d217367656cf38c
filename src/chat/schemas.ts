/** Chat shapes: the request, the JSON result, and the server-sent events of a streamed reply. */
import { z } from "@hono/zod-openapi";
import { ExtractionResultSchema, MemorySchema, SearchResultSchema } from "../memories/schemas.js";
import { noNul } from "../validation.js";

export const ChatBody = z
  .object({
    message: noNul(z.string().trim().min(1, "must not be empty")),
    session_id: noNul(z.string().min(1).max(64))
      .optional()
      .openapi({ description: "Continue this session; without it a new one is opened" }),
    stream: z
      .boolean()
      .optional()
      .openapi({ description: "Reply as server-sent events (see the 200 response)" }),
  })
  .openapi("Chat");
export type ChatInput = z.infer<typeof ChatBody>;

export const ChatResultSchema = z
  .object({
    session_id: z.string(),
    reply: z.string(),
    memories_used: z
      .array(SearchResultSchema)
      .openapi({ description: "The caller's memories the reply was written from" }),
    memories_created: z.array(MemorySchema).openapi({ description: "Memories this message added" }),
    memory_changes: z
      .array(ExtractionResultSchema)
      .openapi({ description: "Every ADD / UPDATE / DELETE this message caused, with the text it replaced" }),
    extraction_error: z.string().optional().openapi({
      description:
        "Set when the reply succeeded but storing new facts failed (the LLM failed the extraction)",
    }),
  })
  .openapi("ChatResult");
export type ChatResult = z.infer<typeof ChatResultSchema>;

/** The event-stream format, documented in the OpenAPI response. */
export const CHAT_STREAM_DESCRIPTION = [
  "With `stream: true` the reply comes as `text/event-stream`:",
  '- `event: session` once first, `data: {"session_id": "sess_..."}`;',
  '- `event: delta` for each piece of the reply, `data: {"text": "..."}` (concatenate them in order);',
  "- `event: done` last, `data:` the full ChatResult JSON (the same body as the non-streamed reply);",
  '- `event: error` instead of `done` if the LLM fails mid-reply, `data: {"error": {"code", "message", "request_id"}}`.',
  "A failure before the first delta is an ordinary JSON error response (e.g. 502 `llm_unavailable`).",
  "The user's message is stored before the LLM is called, so it is kept whatever happens.",
].join("\n");
