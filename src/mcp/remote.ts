/** MemoryPort over a running server's REST API (/v1/memories…), with the connection's key: what `engram mcp --url` uses. */
import { z } from "zod";
import { AppError, ERROR_CODES, type ErrorCode } from "../errors.js";
import {
  BatchAddResponse,
  type BatchAddResult,
  ExtractionResultSchema,
  type Memory,
  MemoryListResponse,
  MemorySchema,
  SearchResponse,
  type SearchResult,
} from "../memories/schemas.js";
import { OutboundError, requestJson } from "../outbound/http.js";
import { type SessionDetail, SessionDetailSchema } from "../sessions/schemas.js";
import type { AddInput, ExtractionResult, MemoryPage, MemoryPort } from "./tools.js";

export interface RemoteOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8765. */
  url: string;
  key: string;
  /** X-User-Id: the user a client key acts for (a user key acts as its own user and needs none). */
  user?: string | undefined;
  timeoutMs?: number;
  userAgent?: string;
}

const AddResponse = z.union([z.object({ results: z.array(ExtractionResultSchema) }), MemorySchema]);
const DeleteAllResponse = z.object({ deleted: z.number().int() });

/** Ids go into a URL path: anything but an id's characters cannot name a memory, so it is "not found" without a request. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && (ERROR_CODES as readonly string[]).includes(code);
}

export class RemoteMemoryPort implements MemoryPort {
  private readonly base: string;

  constructor(private readonly opts: RemoteOptions) {
    this.base = opts.url.replace(/\/+$/, "");
  }

  /** One REST call; the server's error body becomes the same AppError the in-process port would have thrown. */
  private async call<S extends z.ZodType>(
    schema: S,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<z.output<S>> {
    let json: unknown;
    try {
      json = await requestJson(`${this.base}${path}`, {
        method,
        json: body,
        bearer: this.opts.key,
        headers: {
          ...(this.opts.user !== undefined ? { "x-user-id": this.opts.user } : {}),
          ...(this.opts.userAgent ? { "user-agent": this.opts.userAgent } : {}),
        },
        timeoutMs: this.opts.timeoutMs ?? 60_000,
      });
    } catch (err) {
      if (!(err instanceof OutboundError)) throw err;
      throw this.remoteError(err, path);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AppError("internal_error", `unexpected answer from ${this.base}${path}`, {
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** The user's own server (the URL they passed to --url): naming it is what helps them. */
  private remoteError(err: OutboundError, path: string): AppError {
    if (err.failure === "bad_body") {
      return new AppError("internal_error", `unexpected answer from ${this.base}${path}`, { cause: err });
    }
    if (err.status === undefined) {
      return new AppError("not_ready", `the Engram server at ${this.base} ${err.reason}`, { cause: err });
    }
    const error = (err.body as { error?: { code?: unknown; message?: unknown; field?: unknown } } | undefined)
      ?.error;
    const message =
      typeof error?.message === "string"
        ? error.message
        : `the server at ${this.base} answered ${err.status}${err.statusText ? ` ${err.statusText}` : ""}`;
    const field = typeof error?.field === "string" ? { field: error.field } : {};
    return new AppError(isErrorCode(error?.code) ? error.code : "internal_error", message, field);
  }

  async add(input: AddInput): Promise<{ results: ExtractionResult[] }> {
    const out = await this.call(AddResponse, "POST", "/v1/memories", {
      text: input.text,
      ...(input.infer ? { infer: true } : {}),
      ...(input.occurred_at ? { occurred_at: input.occurred_at } : {}),
    });
    return "results" in out ? out : { results: [{ event: "ADD", memory: out }] };
  }

  addBatch(texts: string[], occurredAt?: string): Promise<BatchAddResult> {
    return this.call(BatchAddResponse, "POST", "/v1/memories/batch", {
      items: texts.map((text) => ({ text, ...(occurredAt ? { occurred_at: occurredAt } : {}) })),
    });
  }

  async search(input: { query: string; limit: number }): Promise<SearchResult[]> {
    return (await this.call(SearchResponse, "POST", "/v1/memories/search", input)).results;
  }

  list(input: { limit: number; cursor?: string | undefined }): Promise<MemoryPage> {
    const qs = new URLSearchParams({ limit: String(input.limit) });
    if (input.cursor !== undefined) qs.set("cursor", input.cursor);
    return this.call(MemoryListResponse, "GET", `/v1/memories?${qs}`);
  }

  update(id: string, text: string): Promise<Memory> {
    return this.call(MemorySchema, "PATCH", this.memoryPath(id), { text });
  }

  async remove(id: string): Promise<void> {
    await this.call(z.unknown(), "DELETE", this.memoryPath(id));
  }

  removeAll(): Promise<{ deleted: number }> {
    return this.call(DeleteAllResponse, "DELETE", "/v1/memories?confirm=true");
  }

  sessionHistory(sessionId: string): Promise<SessionDetail> {
    if (!SAFE_ID.test(sessionId)) throw new AppError("session_not_found", `session '${sessionId}' not found`);
    return this.call(SessionDetailSchema, "GET", `/v1/sessions/${sessionId}`);
  }

  private memoryPath(id: string): string {
    if (!SAFE_ID.test(id)) throw new AppError("memory_not_found", `memory '${id}' not found`);
    return `/v1/memories/${id}`;
  }
}
