/** Sessions and their messages, with sliding expiry kept in the database (so every server agrees), always inside RLS. */

import { auditActor, auditAdminRead } from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import { AppError } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import { newId } from "../ids.js";
import type {
  AppendMessageInput,
  CreateSessionInput,
  ListSessionsInput,
  Message,
  Session,
  SessionDetail,
} from "./schemas.js";

interface SessionRow {
  id: string;
  metadata: Record<string, unknown> | null;
  created_at: Date;
  last_activity_at: Date;
  expires_at: Date;
  expired: boolean;
}

interface MessageRow {
  id: string;
  role: Message["role"];
  content: string;
  created_at: Date;
}

// `expired` is computed by the database clock, never this process's, so servers behind a balancer agree.
const SESSION_COLUMNS =
  "id, metadata, created_at, last_activity_at, expires_at, expires_at <= now() AS expired";
const MESSAGE_COLUMNS = "id, role, content, created_at";
const SESSION_ID = /^sess_[0-9a-z]{26}$/;

function notFound(id: string): AppError {
  return new AppError("session_not_found", `session '${id}' not found`);
}

function toMessage(r: MessageRow): Message {
  return { id: r.id, role: r.role, content: r.content, created_at: new Date(r.created_at).toISOString() };
}

export interface SessionServiceOptions {
  /** Seconds of inactivity after which a session refuses new messages. */
  timeoutSeconds: number;
  maxTextLength: number;
}

export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly opts: SessionServiceOptions,
  ) {}

  private toSession(actor: Actor, r: SessionRow): Session {
    return {
      id: r.id,
      user_id: actor.userId,
      metadata: r.metadata ?? {},
      created_at: new Date(r.created_at).toISOString(),
      last_activity_at: new Date(r.last_activity_at).toISOString(),
      expires_at: new Date(r.expires_at).toISOString(),
      expired: r.expired,
    };
  }

  async create(actor: Actor, input: CreateSessionInput): Promise<Session> {
    const row = await this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query<SessionRow>(
        `INSERT INTO sessions (id, tenant_id, user_id, metadata, expires_at)
         VALUES ($1, $2, $3, $4::jsonb, now() + make_interval(secs => $5))
         RETURNING ${SESSION_COLUMNS}`,
        [
          newId("sess"),
          actor.tenantId,
          actor.userPk,
          JSON.stringify(input.metadata ?? {}),
          this.opts.timeoutSeconds,
        ],
      );
      const created = rows[0] as SessionRow;
      await auditActor(tx, actor, "session.create", created.id);
      return created;
    });
    return this.toSession(actor, row);
  }

  async list(
    actor: Actor,
    input: ListSessionsInput,
  ): Promise<{ sessions: Session[]; next_cursor: string | null }> {
    if (input.cursor !== undefined && !SESSION_ID.test(input.cursor)) {
      throw new AppError("validation_error", "cursor: not a cursor returned by this API", {
        field: "cursor",
      });
    }
    const params: unknown[] = [actor.userPk];
    let where = "user_id = $1";
    if (input.cursor) {
      params.push(input.cursor);
      where += ` AND id < $${params.length}`;
    }
    params.push(input.limit + 1);
    const rows = await this.db.withUser(actor.userPk, async (tx) => {
      await auditAdminRead(tx, actor, "admin.read.sessions");
      return tx.query<SessionRow>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE ${where} ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
    });
    const page = rows.slice(0, input.limit);
    const last = page[page.length - 1];
    return {
      sessions: page.map((r) => this.toSession(actor, r)),
      next_cursor: rows.length > input.limit && last ? last.id : null,
    };
  }

  /** The session with its whole history, oldest message first; readable after expiry. */
  async get(actor: Actor, id: string): Promise<SessionDetail> {
    if (!SESSION_ID.test(id)) throw notFound(id);
    const { session, messages } = await this.db.withUser(actor.userPk, async (tx) => {
      const s = await this.findSession(tx, actor, id);
      const m = await tx.query<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM session_messages WHERE session_id = $1 AND user_id = $2 ORDER BY created_at, id`,
        [id, actor.userPk],
      );
      await auditAdminRead(tx, actor, "admin.read.sessions", id);
      return { session: s, messages: m };
    });
    return { ...this.toSession(actor, session), messages: messages.map(toMessage) };
  }

  /** The last `n` messages, oldest first: the conversation window a reply is written from. */
  async recentMessages(actor: Actor, id: string, n: number): Promise<Message[]> {
    if (!SESSION_ID.test(id)) throw notFound(id);
    const rows = await this.db.withUser(actor.userPk, async (tx) => {
      await this.findSession(tx, actor, id);
      return tx.query<MessageRow>(
        `SELECT * FROM (
           SELECT ${MESSAGE_COLUMNS} FROM session_messages WHERE session_id = $1 AND user_id = $2
           ORDER BY created_at DESC, id DESC LIMIT $3
         ) m ORDER BY created_at, id`,
        [id, actor.userPk, n],
      );
    });
    return rows.map(toMessage);
  }

  /**
   * Appends a message and slides the expiry to now() + timeout, in one statement: the UPDATE locks the session row,
   * so a concurrent delete or a second append cannot interleave. An expired session refuses with session_expired,
   * unless `opts.evenIfExpired` (a reply to a message the session accepted while it was live).
   */
  async append(
    actor: Actor,
    id: string,
    input: AppendMessageInput,
    opts: { evenIfExpired?: boolean } = {},
  ): Promise<Message> {
    if (!SESSION_ID.test(id)) throw notFound(id);
    if (input.content.length > this.opts.maxTextLength) {
      throw new AppError(
        "validation_error",
        `content: must be at most ${this.opts.maxTextLength} characters (got ${input.content.length})`,
        { field: "content" },
      );
    }
    return this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query<MessageRow>(
        `WITH s AS (
           UPDATE sessions SET last_activity_at = now(), expires_at = now() + make_interval(secs => $3)
           WHERE id = $1 AND user_id = $2 AND ($4 OR expires_at > now())
           RETURNING id, tenant_id
         )
         INSERT INTO session_messages (id, tenant_id, user_id, session_id, role, content)
         SELECT $5, s.tenant_id, $2, s.id, $6, $7 FROM s
         RETURNING ${MESSAGE_COLUMNS}`,
        [
          id,
          actor.userPk,
          this.opts.timeoutSeconds,
          opts.evenIfExpired === true,
          newId("msg"),
          input.role,
          input.content,
        ],
      );
      const row = rows[0];
      if (row) {
        // The message's text is never in the audit row: the session is the resource.
        await auditActor(tx, actor, "session.append", id);
        return toMessage(row);
      }
      const s = await this.findSession(tx, actor, id);
      if (s.expired) {
        throw new AppError(
          "session_expired",
          `session '${id}' expired at ${new Date(s.expires_at).toISOString()}; start a new one`,
        );
      }
      // Not expired and not updated: cannot happen inside this transaction, but never report success for it.
      throw new Error(`append to session ${id} matched no row`);
    });
  }

  /** Deletes the session and its messages; memories made in it are kept. */
  async delete(actor: Actor, id: string): Promise<void> {
    if (!SESSION_ID.test(id)) throw notFound(id);
    await this.db.withUser(actor.userPk, async (tx) => {
      const rows = await tx.query("DELETE FROM sessions WHERE id = $1 AND user_id = $2 RETURNING id", [
        id,
        actor.userPk,
      ]);
      if (rows.length === 0) throw notFound(id);
      await auditActor(tx, actor, "session.delete", id);
    });
  }

  private async findSession(tx: Queryable, actor: Actor, id: string): Promise<SessionRow> {
    const rows = await tx.query<SessionRow>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1 AND user_id = $2`,
      [id, actor.userPk],
    );
    const row = rows[0];
    if (!row) throw notFound(id);
    return row;
  }
}
