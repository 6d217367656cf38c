/** Client for any OpenAI-compatible /v1/chat/completions endpoint (OpenAI, Ollama, vLLM, LiteLLM, ...): complete and stream. */
import type { LlmConfig } from "../config/config.js";
import { AppError } from "../errors.js";
import { Upstream } from "../outbound/http.js";

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
  /** The endpoint without credentials or query string: for logs only, never for a message an API caller sees. */
  readonly endpoint: string;
  /** One non-streaming completion; resolves to the assistant's text. */
  complete(messages: ChatMessage[], opts?: CompleteOptions): Promise<string>;
  /** A streaming completion: yields the text deltas as they arrive (never empty strings). */
  stream(messages: ChatMessage[], opts?: Omit<CompleteOptions, "json">): AsyncIterable<string>;
  /** The llm_unavailable error for a reply found wrong: `reason` reaches the API caller, `detail` (e.g. the reply) only the log. */
  failure(reason: string, detail?: string): AppError;
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

function contentOf(json: unknown): string | undefined {
  const choice = (json as { choices?: Array<{ message?: { content?: unknown } }> } | null)?.choices?.[0];
  const content = choice?.message?.content;
  return typeof content === "string" ? content : undefined;
}

class OpenAIChatClient implements LlmClient {
  readonly endpoint: string;
  private readonly upstream: Upstream;

  constructor(
    url: URL,
    readonly model: string,
    apiKey: string | undefined,
    timeoutMs: number,
  ) {
    this.upstream = new Upstream({
      url,
      label: `the LLM endpoint (model ${model})`,
      code: "llm_unavailable",
      bearer: apiKey,
      timeoutMs,
    });
    this.endpoint = this.upstream.where;
  }

  async complete(messages: ChatMessage[], opts: CompleteOptions = {}): Promise<string> {
    const json = await this.upstream.postJson(this.body(messages, opts, false), opts.signal);
    const content = contentOf(json);
    if (content === undefined)
      throw this.failure("returned no choices[0].message.content", JSON.stringify(json));
    return content;
  }

  async *stream(messages: ChatMessage[], opts: Omit<CompleteOptions, "json"> = {}): AsyncGenerator<string> {
    // An idle timeout, not a total one: a long answer may take longer than timeoutMs, a stalled one may not.
    const res = await this.upstream.postStream(
      this.body(messages, opts, true),
      opts.signal,
      "text/event-stream",
    );
    try {
      if (!/text\/event-stream/i.test(res.contentType)) {
        // Some servers ignore `stream: true` and answer with one JSON completion: relay it as one delta.
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          throw this.failure("returned neither an event stream nor JSON", text);
        }
        const content = contentOf(json);
        if (content === undefined) throw this.failure("returned no choices[0].message.content", text);
        if (content !== "") yield content;
        return;
      }
      let finished = false;
      for await (const line of res.lines()) {
        const event = this.parseLine(line);
        if (event === "done") return;
        if (event.finished) finished = true;
        if (event.delta) yield event.delta;
      }
      // A stream cut off mid-answer must not pass for a complete one.
      if (!finished) throw this.failure("ended the event stream before [DONE]");
    } catch (err) {
      throw this.upstream.error(err);
    } finally {
      res.close();
    }
  }

  failure(reason: string, detail?: string): AppError {
    return this.upstream.failure(reason, detail);
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
    } catch {
      throw this.failure("sent a malformed stream event", data);
    }
    const obj = json as {
      error?: unknown;
      choices?: Array<{ delta?: { content?: unknown }; finish_reason?: unknown }>;
    } | null;
    if (obj?.error) throw this.failure("sent an error in the stream", JSON.stringify(obj.error));
    if (!Array.isArray(obj?.choices)) throw this.failure("sent a stream event without choices", data);
    const choice = obj.choices[0];
    const content = choice?.delta?.content;
    return {
      ...(typeof content === "string" && content !== "" ? { delta: content } : {}),
      ...(choice?.finish_reason ? { finished: true } : {}),
    };
  }

  private body(messages: ChatMessage[], opts: CompleteOptions, stream: boolean): unknown {
    return {
      model: this.model,
      messages,
      stream,
      ...(opts.temperature === undefined ? {} : { temperature: opts.temperature }),
      ...(opts.json ? { response_format: { type: "json_object" } } : {}),
    };
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
