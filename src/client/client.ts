/** EngramClient: the SDK's entry point, one object per server and key, with a group per API area. */
import { KeysApi, TenantsApi, UsersApi } from "./admin.js";
import { AppsApi } from "./apps.js";
import { AuditApi } from "./audit.js";
import { type ChatOptions, type ChatStream, chatJson, chatStream } from "./chat.js";
import { MemoriesApi } from "./memories.js";
import { OwnKeysApi } from "./own-keys.js";
import { SessionsApi } from "./sessions.js";
import { exportLines, exportRecords, importFile } from "./transfer.js";
import { type FetchLike, Transport, type UploadBody } from "./transport.js";
import type {
  CallOptions,
  ChatResult,
  CreateSessionInput,
  ExportInput,
  ExportRecord,
  ImportSummary,
  Me,
  Session,
  Stats,
} from "./types.js";

export interface EngramClientOptions {
  /** The server's address, e.g. `http://127.0.0.1:8765`. */
  baseUrl: string;
  /** A user, client or admin key (sent as `Authorization: Bearer`). */
  apiKey: string;
  /** The user to act as (sent as X-User-Id): needed with a client key, or an admin key acting for a user. */
  userId?: string;
  /** The tenant: X-Tenant-Id for an admin key acting for a user, and the default `tenant` of admin user calls. */
  tenantId?: string;
  /**
   * Per attempt, until the whole body is read (a streamed chat: until its end; an export: each wait for the next
   * chunk). Default 60 000; 0: none. Imports have none unless the call gives one.
   */
  timeoutMs?: number;
  /** Retries after 429/503, and after network errors of GET and DELETE. Default 2. */
  retries?: number;
  /** A fetch to use instead of the global one (a proxy agent, a test double). */
  fetch?: FetchLike;
}

export interface CreateSessionOptions extends CallOptions, CreateSessionInput {}

export class EngramClient {
  readonly memories: MemoriesApi;
  readonly sessions: SessionsApi;
  readonly apps: AppsApi;
  readonly users: UsersApi;
  readonly keys: KeysApi;
  readonly tenants: TenantsApi;
  readonly ownKeys: OwnKeysApi;
  readonly audit: AuditApi;
  private readonly transport: Transport;

  constructor(options: EngramClientOptions) {
    if (!options.baseUrl) throw new TypeError("EngramClient: baseUrl is required");
    if (!options.apiKey) throw new TypeError("EngramClient: apiKey is required");
    this.transport = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      userId: options.userId,
      tenantId: options.tenantId,
      timeoutMs: options.timeoutMs ?? 60_000,
      retries: options.retries ?? 2,
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    });
    this.memories = new MemoriesApi(this.transport);
    this.sessions = new SessionsApi(this.transport);
    this.apps = new AppsApi(this.transport);
    this.users = new UsersApi(this.transport, options.tenantId);
    this.keys = new KeysApi(this.transport);
    this.tenants = new TenantsApi(this.transport);
    this.ownKeys = new OwnKeysApi(this.transport);
    this.audit = new AuditApi(this.transport);
  }

  /** Chat with memory. With `stream: true`, a ChatStream of text tokens; otherwise the ChatResult. */
  chat(message: string, opts: ChatOptions & { stream: true }): ChatStream;
  chat(message: string, opts?: ChatOptions & { stream?: false }): Promise<ChatResult>;
  chat(message: string, opts: ChatOptions = {}): ChatStream | Promise<ChatResult> {
    return opts.stream ? chatStream(this.transport, message, opts) : chatJson(this.transport, message, opts);
  }

  /** MUXI's `formation.create_session(user_id=...)`: opens a session for `userId` (or the client's user). */
  createSession(opts: CreateSessionOptions = {}): Promise<Session> {
    const { metadata, ...call } = opts;
    return this.sessions.create(metadata ? { metadata } : {}, call);
  }

  /** Who the key is: its kind, tenant, user and scopes. */
  me(opts: CallOptions = {}): Promise<Me> {
    return this.transport.json({ ...opts, method: "GET", path: "/v1/me" });
  }

  /** The admin overview: totals and per-day activity. */
  stats(opts: CallOptions = {}): Promise<Stats> {
    return this.transport.json({ ...opts, method: "GET", path: "/v1/stats" });
  }

  /**
   * GET /v1/export: the records of an export file, parsed, as they arrive (the request is made when iteration
   * starts). A user or client key exports its user's data; the admin key names `user_id` (and `tenant`), a
   * `tenant`, or `all`. `timeoutMs` bounds each wait, not the whole download.
   */
  export(input: ExportInput = {}, opts: CallOptions = {}): AsyncGenerator<ExportRecord> {
    return exportRecords(this.transport, input, opts);
  }

  /** As `export`, but the file's lines as they are (no newline): to write the file out without parsing it. */
  exportLines(input: ExportInput = {}, opts: CallOptions = {}): AsyncGenerator<string> {
    return exportLines(this.transport, input, opts);
  }

  /**
   * POST /v1/import (admin key): an export file as a string, bytes, or streamed from an async iterable (a file
   * stream) or a ReadableStream, never held whole. Resolves with the server's summary. No timeout unless the call
   * gives `timeoutMs` (then: each wait for the server to take the next chunk, then for its answer).
   */
  import(file: UploadBody, opts: CallOptions = {}): Promise<ImportSummary> {
    return importFile(this.transport, file, opts);
  }
}
