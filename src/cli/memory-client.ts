/** MemoryApi over a running server's REST routes (/v1/memories, /v1/sessions), as the principal of an API key. */
import type { Memory, SearchResult } from "../memories/schemas.js";
import type { Session, SessionDetail } from "../sessions/schemas.js";
import type {
  MemoryAddInput,
  MemoryApi,
  MemoryListInput,
  MemorySearchInput,
  MemoryUpdateInput,
  Page,
} from "./memory-api.js";
import { callServer, type Query } from "./server-call.js";

export class HttpMemoryApi implements MemoryApi {
  readonly via: string;
  private readonly base: string;

  constructor(
    url: string,
    private readonly key: string,
    /** Sent as X-User-Id: the user a client or admin key acts for (a user key acts as its own user). */
    private readonly user: string | undefined,
    via?: string,
    /** Sent as X-Tenant-Id with --user: the tenant an admin key's user is in (other keys' tenant is their own). */
    private readonly tenant?: string,
  ) {
    this.base = url.replace(/\/+$/, "");
    this.via = via ?? `the server at ${this.base}`;
  }

  private call<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    const headers =
      this.user !== undefined
        ? { "x-user-id": this.user, ...(this.tenant ? { "x-tenant-id": this.tenant } : {}) }
        : undefined;
    return callServer<T>(
      { base: this.base, key: this.key, headers, keyHint: "the key given with --key or ENGRAM_API_KEY" },
      method,
      path,
      opts,
    );
  }

  async add(input: MemoryAddInput): Promise<{ memory: Memory }> {
    return { memory: await this.call<Memory>("POST", "/v1/memories", { body: dropUndefined(input) }) };
  }

  async search(input: MemorySearchInput): Promise<SearchResult[]> {
    return (
      await this.call<{ results: SearchResult[] }>("POST", "/v1/memories/search", {
        body: dropUndefined(input),
      })
    ).results;
  }

  async list(input: MemoryListInput): Promise<Page<Memory>> {
    const page = await this.call<{ memories: Memory[]; next_cursor: string | null }>("GET", "/v1/memories", {
      query: { ...input },
    });
    return { items: page.memories, next_cursor: page.next_cursor };
  }

  get(id: string): Promise<Memory> {
    return this.call("GET", `/v1/memories/${encodeURIComponent(id)}`);
  }

  update(id: string, patch: MemoryUpdateInput): Promise<Memory> {
    return this.call("PATCH", `/v1/memories/${encodeURIComponent(id)}`, { body: dropUndefined(patch) });
  }

  async delete(id: string): Promise<void> {
    await this.call("DELETE", `/v1/memories/${encodeURIComponent(id)}`);
  }

  async listSessions(input: { limit: number; cursor?: string | undefined }): Promise<Page<Session>> {
    const page = await this.call<{ sessions: Session[]; next_cursor: string | null }>("GET", "/v1/sessions", {
      query: { ...input },
    });
    return { items: page.sessions, next_cursor: page.next_cursor };
  }

  getSession(id: string): Promise<SessionDetail> {
    return this.call("GET", `/v1/sessions/${encodeURIComponent(id)}`);
  }

  async close(): Promise<void> {}
}

/** The routes' bodies are strict: an absent option must be absent. */
function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
