/** REST route for chat: POST /v1/chat, as JSON or as server-sent events. */
import { createRoute, z } from "@hono/zod-openapi";
import { streamSSE } from "hono/streaming";
import { needs, routeActor } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorBody, toAppError } from "../http/errors.js";
import { ErrorSchema, errorResponses, jsonBody, security } from "../http/openapi.js";
import { CHAT_STREAM_DESCRIPTION, ChatBody, ChatResultSchema } from "./schemas.js";

const err = (description: string) => ({
  description,
  content: { "application/json": { schema: ErrorSchema } },
});

export function registerChatRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/chat",
      tags: ["chat"],
      security,
      middleware: [needs("sessions:write", "memories:read", "memories:write")],
      summary: "Chat with memory: recall the caller's memories, reply, and remember new facts",
      description:
        "Needs the sessions:write, memories:read and memories:write scopes. Without an LLM configured, a built-in " +
        "responder stores stated facts and answers questions from the best-matching memory (a fallback, not a model).\n\n" +
        CHAT_STREAM_DESCRIPTION,
      request: { body: jsonBody(ChatBody) },
      responses: {
        200: {
          description: "The reply (JSON), or with `stream: true` an event stream",
          content: {
            "application/json": { schema: ChatResultSchema },
            "text/event-stream": { schema: z.string().openapi({ description: CHAT_STREAM_DESCRIPTION }) },
          },
        },
        ...errorResponses,
        410: err("The named session expired (`session_expired`)"),
        502: err(
          "The LLM failed or timed out (`llm_unavailable`); the user's message is kept in the session",
        ),
      },
    }),
    async (c) => {
      const actor = await routeActor(c);
      const input = c.req.valid("json");
      const { chat, log } = c.var.services;
      if (!input.stream) return c.json(await chat.chat(actor, input), 200);

      const turn = await chat.open(actor, input, c.req.raw.signal);
      // Errors are caught here, not by streamSSE's onError: that one also sends the raw message as an event.
      return streamSSE(c, async (s) => {
        try {
          await s.writeSSE({ event: "session", data: JSON.stringify({ session_id: turn.session_id }) });
          let reply = "";
          for await (const text of turn.deltas) {
            reply += text;
            await s.writeSSE({ event: "delta", data: JSON.stringify({ text }) });
          }
          const result = await turn.finish(reply);
          await s.writeSSE({ event: "done", data: JSON.stringify(result) });
        } catch (thrown) {
          const e = toAppError(thrown);
          log[e.status >= 500 ? "error" : "warn"](
            { req_id: c.var.requestId, err: thrown },
            "chat stream failed",
          );
          await s
            .writeSSE({ event: "error", data: JSON.stringify(errorBody(c, e)) })
            .catch((writeErr: unknown) =>
              // Usually the client went away: there is no one left to tell, but the log should say so.
              log.warn(
                { req_id: c.var.requestId, err: writeErr },
                "chat stream: could not send the error event to the client",
              ),
            );
        }
      });
    },
  );
}
