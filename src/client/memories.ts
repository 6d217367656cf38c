/** `client.memories`: add, list, get, update, delete, delete all, search and history of the acting user's memories. */

import { paginate } from "./pages.js";
import type { Transport } from "./transport.js";
import type {
  AddMemoryInput,
  AddMemoryResult,
  BatchAddItem,
  BatchAddResult,
  CallOptions,
  ExtractionResult,
  ListMemoriesInput,
  Memory,
  MemoryEvent,
  Page,
  SearchInput,
  SearchResult,
  UpdateMemoryInput,
} from "./types.js";

export interface ListMemoriesOptions extends ListMemoriesInput, CallOptions {}
export interface PageOptions extends ListMemoriesOptions {
  cursor?: string;
}

const enc = encodeURIComponent;

export class MemoriesApi {
  constructor(private readonly t: Transport) {}

  /** Stores a text (201, or the identical active memory already there), or with `infer: true` extracts facts. */
  add(input: AddMemoryInput & { infer: true }, opts?: CallOptions): Promise<{ results: ExtractionResult[] }>;
  add(input: AddMemoryInput & { infer?: false }, opts?: CallOptions): Promise<Memory>;
  add(input: AddMemoryInput, opts?: CallOptions): Promise<AddMemoryResult>;
  add(input: AddMemoryInput, opts: CallOptions = {}): Promise<AddMemoryResult> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/memories", body: input });
  }

  /**
   * Up to 100 memories in one request (one embedding call, one transaction), stored verbatim; each item is
   * answered on its own: `created`, `existing` or `error` (the others are unaffected).
   */
  addBatch(items: BatchAddItem[], opts: CallOptions = {}): Promise<BatchAddResult> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/memories/batch", body: { items } });
  }

  /** Every memory matching the filters, newest first, as an async iterator that fetches page by page. */
  list(opts: ListMemoriesOptions = {}): AsyncGenerator<Memory> {
    return paginate((cursor) => this.page({ ...opts, ...(cursor ? { cursor } : {}) }));
  }

  /** One page of the listing; pass its `nextCursor` as `cursor` for the next. */
  async page(opts: PageOptions = {}): Promise<Page<Memory>> {
    const { userId, signal, timeoutMs, ...query } = opts;
    const res = await this.t.json<{ memories: Memory[]; next_cursor: string | null }>({
      userId,
      signal,
      timeoutMs,
      method: "GET",
      path: "/v1/memories",
      query: { ...query },
    });
    return { items: res.memories, nextCursor: res.next_cursor };
  }

  get(id: string, opts: CallOptions = {}): Promise<Memory> {
    return this.t.json({ ...opts, method: "GET", path: `/v1/memories/${enc(id)}` });
  }

  update(id: string, input: UpdateMemoryInput, opts: CallOptions = {}): Promise<Memory> {
    return this.t.json({ ...opts, method: "PATCH", path: `/v1/memories/${enc(id)}`, body: input });
  }

  delete(id: string, opts: CallOptions = {}): Promise<{ deleted: true; id: string }> {
    return this.t.json({ ...opts, method: "DELETE", path: `/v1/memories/${enc(id)}` });
  }

  /** Deletes every memory of the acting user (the API's `?confirm=true` is sent for you). */
  deleteAll(opts: CallOptions = {}): Promise<{ deleted: number }> {
    return this.t.json({ ...opts, method: "DELETE", path: "/v1/memories", query: { confirm: "true" } });
  }

  async search(input: SearchInput, opts: CallOptions = {}): Promise<SearchResult[]> {
    const res = await this.t.json<{ results: SearchResult[] }>({
      ...opts,
      method: "POST",
      path: "/v1/memories/search",
      body: input,
    });
    return res.results;
  }

  /** The memory's events, oldest first. */
  async history(id: string, opts: CallOptions = {}): Promise<MemoryEvent[]> {
    const res = await this.t.json<{ events: MemoryEvent[] }>({
      ...opts,
      method: "GET",
      path: `/v1/memories/${enc(id)}/history`,
    });
    return res.events;
  }
}
