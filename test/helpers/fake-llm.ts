/** A fake OpenAI-compatible /v1/chat/completions server on 127.0.0.1: scripted replies, recorded requests, delays, failures, SSE. */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: {
    model?: string;
    messages: Array<{ role: string; content: string }>;
    stream?: boolean;
    temperature?: number;
    response_format?: { type: string };
  };
}

/**
 * What one call answers. `content` becomes a completion (or, for `stream: true`, SSE chunks: `chunks` if given,
 * else the content split after each space). `status`/`raw` send an exact response. `delayMs` waits before
 * answering (for timeouts); `dropAfter` ends an event stream after that many chunks without [DONE].
 */
export interface FakeReply {
  content?: string;
  chunks?: string[];
  status?: number;
  raw?: string;
  contentType?: string;
  delayMs?: number;
  chunkDelayMs?: number;
  dropAfter?: number;
}

type Responder = FakeReply | string | ((req: FakeRequest) => FakeReply | string);

export interface FakeLlm {
  /** Base URL ending in /v1, as a user would configure it. */
  url: string;
  requests: FakeRequest[];
  /** Queues replies for the next calls, in order. */
  script(...replies: Responder[]): void;
  /** Answers every call once the queue is empty (default: "OK", or for JSON mode `{"facts": [], "memory": []}`). */
  fallback(responder: Responder): void;
  /** Forgets queued replies, recorded requests and the fallback. */
  reset(): void;
  close(): Promise<void>;
}

const DEFAULT: Responder = (req) =>
  req.body.response_format?.type === "json_object" ? '{"facts": [], "memory": []}' : "OK";

/** True for the fact-extraction call (step 1 of src/memories/extraction.ts). */
export function isFactsCall(req: FakeRequest): boolean {
  return req.body.response_format?.type === "json_object" && !isDecisionCall(req);
}

/** True for the ADD/UPDATE/DELETE decision call (step 2). */
export function isDecisionCall(req: FakeRequest): boolean {
  return req.body.messages.some((m) => m.content.includes("EXISTING MEMORIES"));
}

/** Everything the fake was sent in one call, as one string: for "A's memory is (not) in the prompt" checks. */
export function promptText(req: FakeRequest): string {
  return req.body.messages.map((m) => `${m.role}: ${m.content}`).join("\n");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function completion(content: string): string {
  return JSON.stringify({
    id: "chatcmpl-fake",
    object: "chat.completion",
    model: "fake",
    choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
  });
}

function chunk(delta: Record<string, unknown>, finish: string | null = null): string {
  return `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
}

async function send(res: ServerResponse, req: FakeRequest, reply: FakeReply): Promise<void> {
  if (reply.delayMs) await sleep(reply.delayMs);
  if (res.destroyed) return;
  if (reply.status !== undefined || reply.raw !== undefined) {
    res.writeHead(reply.status ?? 200, { "content-type": reply.contentType ?? "application/json" });
    res.end(reply.raw ?? "");
    return;
  }
  const content = reply.content ?? "";
  if (!req.body.stream) {
    res.writeHead(200, { "content-type": "application/json" }).end(completion(content));
    return;
  }
  const pieces = reply.chunks ?? content.split(/(?<= )/);
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.write(chunk({ role: "assistant" }));
  for (let i = 0; i < pieces.length; i++) {
    if (reply.dropAfter !== undefined && i >= reply.dropAfter) {
      res.end();
      return;
    }
    if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
    if (res.destroyed) return;
    res.write(chunk({ content: pieces[i] }));
  }
  res.write(chunk({}, "stop"));
  res.end("data: [DONE]\n\n");
}

export async function startFakeLlm(): Promise<FakeLlm> {
  const queue: Responder[] = [];
  let fallback: Responder = DEFAULT;
  const requests: FakeRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: FakeRequest["body"];
      try {
        body = JSON.parse(text) as FakeRequest["body"];
      } catch {
        res.writeHead(400).end("fake llm: request body is not JSON");
        return;
      }
      const recorded: FakeRequest = { path: req.url ?? "", headers: req.headers, body };
      requests.push(recorded);
      const responder = queue.shift() ?? fallback;
      const r = typeof responder === "function" ? responder(recorded) : responder;
      send(res, recorded, typeof r === "string" ? { content: r } : r).catch((err) => {
        res.destroy(err as Error);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script(...replies) {
      queue.push(...replies);
    },
    fallback(responder) {
      fallback = responder;
    },
    reset() {
      queue.length = 0;
      requests.length = 0;
      fallback = DEFAULT;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
