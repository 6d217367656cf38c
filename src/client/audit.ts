/** `client.audit`: the audit log (GET /v1/audit, admin key only), newest first. */
import { paginate } from "./pages.js";
import type { Transport } from "./transport.js";
import type { AuditEvent, CallOptions, ListAuditInput, Page } from "./types.js";

export interface ListAuditOptions extends ListAuditInput, CallOptions {}
export interface AuditPageOptions extends ListAuditOptions {
  cursor?: string;
}

export class AuditApi {
  constructor(private readonly t: Transport) {}

  /** Every event matching the filters, newest first, as an async iterator that fetches page by page. */
  list(opts: ListAuditOptions = {}): AsyncGenerator<AuditEvent> {
    return paginate((cursor) => this.page({ ...opts, ...(cursor ? { cursor } : {}) }));
  }

  async page(opts: AuditPageOptions = {}): Promise<Page<AuditEvent>> {
    const { userId, signal, timeoutMs, ...query } = opts;
    const res = await this.t.json<{ events: AuditEvent[]; next_cursor: string | null }>({
      userId,
      signal,
      timeoutMs,
      method: "GET",
      path: "/v1/audit",
      query: { ...query },
    });
    return { items: res.events, nextCursor: res.next_cursor };
  }
}
