/**
 * The audit log in SQL (migrations/006_audit.sql): one row per change and per admin read of a user's data, written
 * through the caller's transaction, so a rolled-back change leaves no row. Never a secret or a memory's text: only
 * who (key id and kind), what (action, resource id), whose (tenant, user), when, and the request id and address.
 */
import type { Queryable } from "../db/db.js";
import type { Actor, Principal, RequestContext } from "../identity/principal.js";
import { newId } from "../ids.js";

/**
 * What was done. Changes are `<resource>.<verb>`; reads of a user's data by an admin key are `admin.read.<what>`;
 * `data.export` and `data.import` are the bulk copies out and in (GET /v1/export by any key, POST /v1/import).
 */
export type AuditAction =
  | "tenant.create"
  | "user.create"
  | "user.update"
  | "user.delete"
  | "key.create"
  | "key.revoke"
  | "key.rotate"
  | "app.create"
  | "app.update"
  | "app.pause"
  | "app.resume"
  | "memory.add"
  | "memory.update"
  | "memory.delete"
  | "memory.delete_all"
  | "session.create"
  | "session.append"
  | "session.delete"
  | "admin.read.memories"
  | "admin.read.sessions"
  | "data.export"
  | "data.import"
  | "request.refused";

/** `system`: start-up (ENGRAM_ADMIN_KEY, the bootstrap key); `cli`: the admin CLI on the database directly. */
export type AuditKeyKind = Principal["kind"] | "system" | "cli";

/** Who acts: a key (or its absence) and the request it came in. */
export interface AuditBy {
  keyId: string | null;
  keyKind: AuditKeyKind;
  context?: RequestContext | undefined;
}

export const SYSTEM_BY: AuditBy = { keyId: null, keyKind: "system" };
export const CLI_BY: AuditBy = { keyId: null, keyKind: "cli" };

export function byPrincipal(p: Principal, context?: RequestContext): AuditBy {
  return { keyId: p.keyId, keyKind: p.kind, context };
}

export interface AuditEntry {
  action: AuditAction;
  tenantId: string | null;
  /** Internal user id (usr_…): under RLS it must be the scoped user's. */
  userPk: string | null;
  /** External user id, kept so the trail still names a deleted user. */
  userId: string | null;
  resourceId?: string | null | undefined;
  /** `ok` (the default) for a committed change; for `request.refused`, the error code the request got. */
  outcome?: string | undefined;
}

/**
 * The details of a bulk action as its `resource_id`: `key=value` pairs separated by spaces, e.g.
 * `scope=tenant tenant=1 user=3 memory=9`. The table has no column for details (migrations/006_audit.sql), and
 * this stays readable in `engram audit` and the dashboard while splitting on spaces and `=` gives the values back.
 */
export function auditDetails(fields: Record<string, string | number | boolean>): string {
  return Object.entries(fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

/** Who-and-where values of a row: shared by recordAudit and ensureUserRow's insert-if-created statement. */
export function auditByValues(
  by: AuditBy,
): [keyId: string | null, keyKind: string, requestId: string | null, clientAddr: string | null] {
  return [by.keyId, by.keyKind, by.context?.requestId ?? null, by.context?.clientAddr ?? null];
}

/** One INSERT, in the caller's transaction (outcome `ok` unless the entry says otherwise). */
export async function recordAudit(q: Queryable, by: AuditBy, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (id, key_id, key_kind, request_id, client_addr, tenant_id, user_id, external_user_id,
       action, resource_id, outcome)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
    [
      newId("aud"),
      ...auditByValues(by),
      e.tenantId,
      e.userPk,
      e.userId,
      e.action,
      e.resourceId ?? null,
      e.outcome ?? "ok",
    ],
  );
}

/** A change (or an admin read) made by a user-scoped actor, inside its `withUser` transaction. */
export function auditActor(
  tx: Queryable,
  actor: Actor,
  action: AuditAction,
  resourceId?: string | null,
): Promise<void> {
  return recordAudit(tx, byPrincipal(actor.principal, actor.context), {
    action,
    tenantId: actor.tenantId,
    userPk: actor.userPk,
    userId: actor.userId,
    resourceId,
  });
}

/** Reads by an admin key of a user's data are recorded; the user's own reads are not. */
export async function auditAdminRead(
  tx: Queryable,
  actor: Actor,
  action: "admin.read.memories" | "admin.read.sessions",
  resourceId?: string | null,
): Promise<void> {
  if (actor.principal.kind === "admin") await auditActor(tx, actor, action, resourceId);
}

export interface AuditEvent {
  id: string;
  at: string;
  key_id: string | null;
  key_kind: AuditKeyKind;
  tenant: string | null;
  user_id: string | null;
  action: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  client_addr: string | null;
}

export interface AuditFilter {
  tenant?: string | undefined;
  user_id?: string | undefined;
  key_id?: string | undefined;
  /** An action (`memory.add`), or a prefix ending in `.*` (`memory.*`). */
  action?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface AuditRow {
  id: string;
  at: Date;
  key_id: string | null;
  key_kind: AuditKeyKind;
  tenant_id: string | null;
  external_user_id: string | null;
  action: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  client_addr: string | null;
}

/** Newest first, keyset-paged by id (ids are time-ordered). Run as the owner: engram_app reads no audit rows. */
export async function listAudit(
  q: Queryable,
  f: AuditFilter,
): Promise<{ events: AuditEvent[]; next_cursor: string | null }> {
  const prefix = f.action?.endsWith(".*") ? f.action.slice(0, -1) : null;
  const rows = await q.query<AuditRow>(
    `SELECT id, at, key_id, key_kind, tenant_id, external_user_id, action, resource_id, outcome, request_id,
       client_addr
     FROM audit_log
     WHERE ($1::text IS NULL OR tenant_id = $1)
       AND ($2::text IS NULL OR external_user_id = $2)
       AND ($3::text IS NULL OR key_id = $3)
       AND ($4::text IS NULL OR action = $4)
       AND ($5::text IS NULL OR starts_with(action, $5))
       AND ($6::timestamptz IS NULL OR at >= $6)
       AND ($7::timestamptz IS NULL OR at < $7)
       AND ($8::text IS NULL OR id < $8)
     ORDER BY id DESC LIMIT $9`,
    [
      f.tenant ?? null,
      f.user_id ?? null,
      f.key_id ?? null,
      prefix === null ? (f.action ?? null) : null,
      prefix,
      f.since ?? null,
      f.until ?? null,
      f.cursor ?? null,
      f.limit + 1,
    ],
  );
  const page = rows.slice(0, f.limit);
  const last = page[page.length - 1];
  return {
    events: page.map((r) => ({
      id: r.id,
      at: new Date(r.at).toISOString(),
      key_id: r.key_id,
      key_kind: r.key_kind,
      tenant: r.tenant_id,
      user_id: r.external_user_id,
      action: r.action,
      resource_id: r.resource_id,
      outcome: r.outcome,
      request_id: r.request_id,
      client_addr: r.client_addr,
    })),
    next_cursor: rows.length > f.limit && last ? last.id : null,
  };
}

/** Retention: deletes rows older than `days` days, as the owner (engram_app cannot delete). Returns the count. */
export async function purgeAudit(q: Queryable, days: number): Promise<number> {
  const rows = await q.query<{ n: number }>(
    `WITH gone AS (DELETE FROM audit_log WHERE at < now() - make_interval(days => $1) RETURNING 1)
     SELECT count(*)::int AS n FROM gone`,
    [Math.trunc(days)],
  );
  return rows[0]?.n ?? 0;
}
