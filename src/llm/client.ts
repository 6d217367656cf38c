/** Client for any OpenAI-compatible /v1/chat/completions endpoint (OpenAI, Ollama, vLLM, LiteLLM, ...): complete and stream. */
import type { LlmConfig } from "../config/config.js";
import { AppError } from "../errors.js";

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface CompleteOptions {
  /** Ask for a JSON object (`response_format: {type: "json_object"}`); the prompt must still say "JSON". */
  json?: boolean;
  temperature?: number;
  /** Cancels the request, e.g. when the HTTP client went away. */
  signal?: AbortSignal;
}

export interface LlmClient {
  readonly model: string;
  /** The endpoint without credentials or query string, for messages and logs. */
  readonly endpoint: string;
  /** One non-streaming completion; resolves to the assistant's text. */
  complete(messages: ChatMessage[], opts?: CompleteOptions): Promise<string>;
  /** A streaming completion: yields the text deltas as they arrive (never empty strings). */
  stream(messages: ChatMessage[], opts?: Omit<CompleteOptions, "json">): AsyncIterable<string>;
}

/**
 * The same rule the embeddings provider uses (src/embeddings/openai-embedder.ts, embeddingsEndpoint):
 * - a URL already ending in /chat/completions is used as is;
 * - a bare host gets /v1/chat/completions:      http://localhost:11434    -> http://localhost:11434/v1/chat/completions
 * - any other path is the API base:             http://localhost:11434/v1 -> http://localhost:11434/v1/chat/completions
 * Query strings (Azure's api-version) are kept.
 */
export function chatCompletionsEndpoint(base: string): URL {
  const url = new URL(base);
  const path = url.pathname.replace(/\/+$/, "");
  if (path.endsWith("/chat/completions")) url.pathname = path;
  else if (path === "") url.pathname = "/v1/chat/completions";
  else url.pathname = `${path}/chat/completions`;
  return url;
}

/** No user:password and no query string: either can carry a secret. */
function displayUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat === "") return "(empty body)";
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

/** fetch() says "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in the cause. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return typeof code === "string" ? `${cause.message} (${code})` : cause.message;
  }
  return err.message;
}

function contentOf(json: unknown): string | undefined {
  const choice = (json as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0];
  const content = choice?.message?.content;
  return typeof content === "string" ? content : undefined;
}

class OpenAIChatClient implements LlmClient {
  readonly endpoint: string;

  constructor(
    private readonly url: URL,
    readonly model: string,
    private readonly apiKey: string | undefined,
    private readonly timeoutMs: number,
  ) {
    this.endpoint = displayUrl(url);
  }

  async complete(messages: ChatMessage[], opts: CompleteOptions = {}): Promise<string> {
    const signal = this.signal(opts.signal, AbortSignal.timeout(this.timeoutMs));
    const res = await this.post(messages, opts, false, signal);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.fetchFailure(err, opts.signal);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw this.failure(`returned invalid JSON: ${snippet(text)}`, err);
    }
    const content = contentOf(json);
    if (content === undefined) throw this.failure(`returned no choices[0].message.content: ${snippet(text)}`);
    return content;
  }

  async *stream(messages: ChatMessage[], opts: Omit<CompleteOptions, "json"> = {}): AsyncGenerator<string> {
    // An idle timeout, not a total one: a long answer may take longer than timeoutMs, a stalled one may not.
    const idle = new AbortController();
    let timer = setTimeout(() => idle.abort(new DOMException("idle", "TimeoutError")), this.timeoutMs);
    const rearm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => idle.abort(new DOMException("idle", "TimeoutError")), this.timeoutMs);
    };
    try {
      const res = await this.post(messages, opts, true, this.signal(opts.signal, idle.signal));
      const type = res.headers.get("content-type") ?? "";
      if (!/text\/event-stream/i.test(type)) {
        // Some servers ignore `stream: true` and answer with one JSON completion: relay it as one delta.
        let text: string;
        try {
          text = await res.text();
        } catch (err) {
          throw this.fetchFailure(err, opts.signal);
        }
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch (err) {
          throw this.failure(`returned neither an event stream nor JSON: ${snippet(text)}`, err);
        }
        const content = contentOf(json);
        if (content === undefined)
          throw this.failure(`returned no choices[0].message.content: ${snippet(text)}`);
        if (content !== "") yield content;
        return;
      }
      const body = res.body;
      if (!body) throw this.failure("returned an empty event stream");
      const decoder = new TextDecoder();
      let buffer = "";
      let finished = false;
      const reader = body.getReader();
      try {
        for (;;) {
          let chunk: Awaited<ReturnType<typeof reader.read>>;
          try {
            chunk = await reader.read();
          } catch (err) {
            throw this.fetchFailure(err, opts.signal);
          }
          if (chunk.done) break;
          rearm();
          buffer += decoder.decode(chunk.value, { stream: true });
          let nl = buffer.indexOf("\n");
          while (nl >= 0) {
            const line = buffer.slice(0, nl).replace(/\r$/, "");
            buffer = buffer.slice(nl + 1);
            nl = buffer.indexOf("\n");
            const event = this.parseLine(line);
            if (event === "done") return;
            if (event.finished) finished = true;
            if (event.delta) yield event.delta;
          }
        }
        const last = this.parseLine(buffer.replace(/\r$/, ""));
        if (last === "done") return;
        if (last.delta) yield last.delta;
        // A stream cut off mid-answer must not pass for a complete one.
        if (!finished && !last.finished) throw this.failure("ended the event stream before [DONE]");
      } finally {
        reader.cancel().catch(() => {
          // The stream is already closed or errored; nothing is left to release.
        });
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** One SSE line: `data: {...}` carries a delta, `data: [DONE]` ends; comments, event names and blanks are skipped. */
  private parseLine(line: string): "done" | { delta?: string; finished?: boolean } {
    if (!line.startsWith("data:")) return {};
    const data = line.slice(5).trim();
    if (data === "[DONE]") return "done";
    if (data === "") return {};
    let json: unknown;
    try {
      json = JSON.parse(data);
    } catch (err) {
      throw this.failure(`sent a malformed stream event: ${snippet(data)}`, err);
    }
    const obj = json as {
      error?: unknown;
      choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>;
    } | null;
    if (obj?.error) throw this.failure(`sent an error in the stream: ${snippet(JSON.stringify(obj.error))}`);
    if (!Array.isArray(obj?.choices))
      throw this.failure(`sent a stream event without choices: ${snippet(data)}`);
    const choice = obj.choices[0];
    const content = choice?.delta?.content;
    return {
      ...(typeof content === "string" && content !== "" ? { delta: content } : {}),
      ...(choice?.finish_reason ? { finished: true } : {}),
    };
  }

  private signal(external: AbortSignal | undefined, own: AbortSignal): AbortSignal {
    return external ? AbortSignal.any([external, own]) : own;
  }

  private async post(
    messages: ChatMessage[],
    opts: CompleteOptions,
    stream: boolean,
    signal: AbortSignal,
  ): Promise<Response> {
    const headers: Record<string, string> = {
      "content-type": "application/json",
      accept: stream ? "text/event-stream" : "application/json",
    };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    const body = JSON.stringify({
      model: this.model,
      messages,
      stream,
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.json ? { response_format: { type: "json_object" } } : {}),
    });
    let res: Response;
    try {
      res = await fetch(this.url, { method: "POST", headers, body, signal });
    } catch (err) {
      throw this.fetchFailure(err, opts.signal);
    }
    if (res.status < 200 || res.status > 299) {
      const text = await res.text().catch(() => "");
      throw this.failure(`returned HTTP ${res.status}: ${snippet(text)}`);
    }
    return res;
  }

  private fetchFailure(err: unknown, external: AbortSignal | undefined): AppError {
    if (external?.aborted) return this.failure("request was cancelled by the caller", err);
    const timedOut = err instanceof Error && err.name === "TimeoutError";
    return this.failure(
      timedOut ? `timed out after ${this.timeoutMs} ms` : `failed: ${describeFetchError(err)}`,
      err,
    );
  }

  private failure(what: string, cause?: unknown): AppError {
    let message = `LLM endpoint ${this.endpoint} (model ${this.model}) ${what}`;
    // Servers sometimes echo the key in error bodies; it must never reach logs or clients.
    if (this.apiKey) message = message.replaceAll(this.apiKey, "[redacted]");
    return new AppError("llm_unavailable", message, cause === undefined ? {} : { cause });
  }
}

/** Builds the client; the URL was validated by the config schema, the protocol is checked here. */
export function createLlmClient(config: LlmConfig): LlmClient {
  const url = chatCompletionsEndpoint(config.url);
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new AppError("validation_error", "llm.url: must be an http(s) URL", { field: "llm.url" });
  }
  return new OpenAIChatClient(url, config.model, config.apiKey || undefined, config.timeoutMs);
}
