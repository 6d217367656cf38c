/** `client.chat`: a reply from memory as JSON, or streamed token by token from the server-sent events of POST /v1/chat. */
import { EngramError } from "./errors.js";
import type { OpenResponse, Transport } from "./transport.js";
import type { CallOptions, ChatResult } from "./types.js";

export interface ChatOptions extends CallOptions {
  /** Continue this session; without it the server opens a new one. */
  sessionId?: string;
  stream?: boolean;
}

interface SseEvent {
  event: string;
  data: string;
}

/**
 * A streamed reply: iterate it for the text tokens, in order; `result()` gives the full ChatResult after the last
 * one (and reads the rest of the stream first if the loop stopped early or never ran).
 */
export class ChatStream implements AsyncIterable<string> {
  /** The session the reply belongs to, known once the stream's first event arrived. */
  sessionId: string | undefined;
  private final: ChatResult | undefined;
  private readonly tokens: AsyncGenerator<string>;

  constructor(open: Promise<OpenResponse>) {
    this.tokens = this.read(open);
  }

  [Symbol.asyncIterator](): AsyncIterator<string> {
    return this.tokens;
  }

  async result(): Promise<ChatResult> {
    for (;;) {
      const next = await this.tokens.next();
      if (next.done) break;
    }
    if (this.final === undefined) {
      throw new EngramError({
        code: "stream_incomplete",
        status: 0,
        message: "the chat stream ended before its result",
      });
    }
    return this.final;
  }

  private async *read(opening: Promise<OpenResponse>): AsyncGenerator<string> {
    const open = await opening;
    try {
      const body = open.response.body;
      if (!body) throw new EngramError({ code: "stream_incomplete", status: 0, message: "no response body" });
      for await (const ev of sseEvents(body)) {
        const data = JSON.parse(ev.data) as Record<string, unknown>;
        if (ev.event === "session") this.sessionId = data.session_id as string;
        else if (ev.event === "delta") yield data.text as string;
        else if (ev.event === "done") this.final = data as unknown as ChatResult;
        else if (ev.event === "error") {
          const e = (data.error ?? {}) as Record<string, string | undefined>;
          throw new EngramError({
            code: e.code ?? "stream_error",
            status: 0,
            message: e.message ?? "the chat stream failed",
            ...(e.request_id ? { requestId: e.request_id } : {}),
          });
        }
      }
    } catch (thrown) {
      throw open.classify(thrown);
    } finally {
      open.done();
    }
  }
}

/** Parses a text/event-stream body into events (data lines joined with "\n", as the SSE spec says). */
async function* sseEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      buffer = buffer.replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const ev = parseEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (ev) yield ev;
        end = buffer.indexOf("\n\n");
      }
      if (done) break;
    }
    const last = parseEvent(buffer);
    if (last) yield last;
  } finally {
    // Stops the download when the caller leaves the loop early.
    await reader.cancel().catch(() => undefined);
  }
}

function parseEvent(block: string): SseEvent | undefined {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (name === "event") event = value;
    else if (name === "data") data.push(value);
  }
  return data.length > 0 ? { event, data: data.join("\n") } : undefined;
}

/** POST /v1/chat as JSON. */
export function chatJson(t: Transport, message: string, opts: ChatOptions): Promise<ChatResult> {
  const { sessionId, stream: _stream, ...call } = opts;
  return t.json({
    ...call,
    method: "POST",
    path: "/v1/chat",
    body: { message, ...(sessionId ? { session_id: sessionId } : {}) },
  });
}

/** POST /v1/chat with `stream: true`; the request starts at once, errors surface while iterating. */
export function chatStream(t: Transport, message: string, opts: ChatOptions): ChatStream {
  const { sessionId, stream: _stream, ...call } = opts;
  const open = t.open(
    {
      ...call,
      method: "POST",
      path: "/v1/chat",
      body: { message, stream: true, ...(sessionId ? { session_id: sessionId } : {}) },
    },
    "text/event-stream",
  );
  // Handled where the stream is read; this keeps an unread failure from being reported as unhandled meanwhile.
  open.catch(() => undefined);
  return new ChatStream(open);
}
