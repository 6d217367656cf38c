/** `client.sessions`: open, list, read, append to and delete the acting user's sessions. */
import { paginate } from "./pages.js";
import type { Transport } from "./transport.js";
import type {
  AppendMessageInput,
  CallOptions,
  CreateSessionInput,
  ListSessionsInput,
  Message,
  Page,
  Session,
  SessionDetail,
} from "./types.js";

export interface ListSessionsOptions extends ListSessionsInput, CallOptions {}
export interface SessionPageOptions extends ListSessionsOptions {
  cursor?: string;
}

const enc = encodeURIComponent;

export class SessionsApi {
  constructor(private readonly t: Transport) {}

  create(input: CreateSessionInput = {}, opts: CallOptions = {}): Promise<Session> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/sessions", body: input });
  }

  /** Every session, newest first, as an async iterator that fetches page by page. */
  list(opts: ListSessionsOptions = {}): AsyncGenerator<Session> {
    return paginate((cursor) => this.page({ ...opts, ...(cursor ? { cursor } : {}) }));
  }

  async page(opts: SessionPageOptions = {}): Promise<Page<Session>> {
    const { userId, signal, timeoutMs, ...query } = opts;
    const res = await this.t.json<{ sessions: Session[]; next_cursor: string | null }>({
      userId,
      signal,
      timeoutMs,
      method: "GET",
      path: "/v1/sessions",
      query: { ...query },
    });
    return { items: res.sessions, nextCursor: res.next_cursor };
  }

  /** The session with its messages, oldest first (also after it expired). */
  get(id: string, opts: CallOptions = {}): Promise<SessionDetail> {
    return this.t.json({ ...opts, method: "GET", path: `/v1/sessions/${enc(id)}` });
  }

  addMessage(id: string, input: AppendMessageInput, opts: CallOptions = {}): Promise<Message> {
    return this.t.json({ ...opts, method: "POST", path: `/v1/sessions/${enc(id)}/messages`, body: input });
  }

  delete(id: string, opts: CallOptions = {}): Promise<{ deleted: true; id: string }> {
    return this.t.json({ ...opts, method: "DELETE", path: `/v1/sessions/${enc(id)}` });
  }
}
