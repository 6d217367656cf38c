/** Users in SQL: insertion (explicit, or on a client key's first use), lookup, listing, update and deletion. */
import { type AuditBy, auditByValues, SYSTEM_BY } from "../audit/store.js";
import type { Queryable } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import { AppError } from "../errors.js";
import { newId } from "../ids.js";
import type { User } from "./schemas.js";

export interface UserRow {
  id: string;
  tenant_id: string;
  external_id: string;
  name: string | null;
  email: string | null;
  created_at: Date;
  updated_at: Date;
  last_active_at: Date | null;
  memory_count?: number;
  session_count?: number;
  key_count?: number;
}

const USER_COLUMNS = "id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at";

export function toUser(r: UserRow): User {
  return {
    user_id: r.external_id,
    tenant: r.tenant_id,
    name: r.name,
    email: r.email,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    last_active_at: r.last_active_at ? new Date(r.last_active_at).toISOString() : null,
    ...(r.memory_count !== undefined ? { memory_count: Number(r.memory_count) } : {}),
    ...(r.session_count !== undefined ? { session_count: Number(r.session_count) } : {}),
    ...(r.key_count !== undefined ? { key_count: Number(r.key_count) } : {}),
  };
}

export async function insertUser(
  q: Queryable,
  tenantId: string,
  input: { user_id: string; name?: string | undefined; email?: string | undefined },
): Promise<UserRow> {
  try {
    const rows = await q.query<UserRow>(
      `INSERT INTO users (id, tenant_id, external_id, name, email) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${USER_COLUMNS}`,
      [newId("usr"), tenantId, input.user_id, input.name ?? null, input.email ?? null],
    );
    return rows[0] as UserRow;
  } catch (err) {
    if (isUniqueViolation(err, "users_tenant_external_key")) {
      throw new AppError("user_exists", `user '${input.user_id}' already exists in tenant '${tenantId}'`, {
        field: "user_id",
      });
    }
    throw err;
  }
}

/**
 * Users named by a client key are created on first use; concurrent first uses create exactly one. The creation and
 * its audit row are one statement (so atomic without a transaction); a lost race inserts neither.
 */
export async function ensureUserRow(
  q: Queryable,
  tenantId: string,
  externalId: string,
  by: AuditBy = SYSTEM_BY,
): Promise<UserRow> {
  const existing = await findUserRow(q, tenantId, externalId);
  if (existing) return existing;
  const userPk = newId("usr");
  // One statement: the user and its audit row are written together, and a lost race writes neither.
  await q.query(
    `WITH ins AS (
       INSERT INTO users (id, tenant_id, external_id) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT users_tenant_external_key DO NOTHING RETURNING id
     )
     INSERT INTO audit_log (id, key_id, key_kind, request_id, client_addr, tenant_id, user_id, external_user_id,
       action, resource_id)
     SELECT $4, $5, $6, $7, $8, $2, ins.id, $3, 'user.create', ins.id FROM ins`,
    [userPk, tenantId, externalId, newId("aud"), ...auditByValues(by)],
  );
  const row = await findUserRow(q, tenantId, externalId);
  if (!row) throw new Error(`user ${tenantId}/${externalId} vanished after insert`);
  return row;
}

export async function findUserRow(
  q: Queryable,
  tenantId: string,
  externalId: string,
): Promise<UserRow | undefined> {
  const rows = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS} FROM users WHERE tenant_id = $1 AND external_id = $2`,
    [tenantId, externalId],
  );
  return rows[0];
}

export async function findUserRowByPk(q: Queryable, userPk: string | null): Promise<UserRow | undefined> {
  const rows = await q.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userPk]);
  return rows[0];
}

export async function requireUserRow(q: Queryable, tenantId: string, externalId: string): Promise<UserRow> {
  const row = await findUserRow(q, tenantId, externalId);
  if (!row) throw new AppError("user_not_found", `user '${externalId}' not found in tenant '${tenantId}'`);
  return row;
}

/**
 * A user's counts, as correlated subqueries of `u` (one statement, each an index lookup on the user's rows):
 * memories not in state `deleted`, sessions (expired ones too, until removed), and keys not revoked.
 */
const USER_COUNTS = `
  (SELECT count(*)::int FROM memories m WHERE m.user_id = u.id AND m.state <> 'deleted') AS memory_count,
  (SELECT count(*)::int FROM sessions s WHERE s.user_id = u.id) AS session_count,
  (SELECT count(*)::int FROM api_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS key_count`;

const USER_COLUMNS_U = USER_COLUMNS.split(", ")
  .map((c) => `u.${c}`)
  .join(", ");

export async function getUser(q: Queryable, tenantId: string, externalId: string): Promise<User> {
  const rows = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS_U}, ${USER_COUNTS} FROM users u WHERE u.tenant_id = $1 AND u.external_id = $2`,
    [tenantId, externalId],
  );
  const row = rows[0];
  if (!row) throw new AppError("user_not_found", `user '${externalId}' not found in tenant '${tenantId}'`);
  return toUser(row);
}

/** `text` as a LIKE pattern matching itself anywhere: its `%`, `_` and `\` are literal (ids are never patterns). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
}

export interface ListUsersOptions {
  tenant?: string | undefined;
  limit: number;
  cursor?: string | undefined;
  /** Case-insensitive substring of the user id, name or email. */
  q?: string | undefined;
  /** Users never active, or last active before this instant (ISO date-time). */
  inactive_since?: string | undefined;
}

/**
 * One page of users in id order (keyset: `cursor` is the last id of the page before), with their counts. One
 * statement whatever the page size: the filters walk users in id order (users_tenant_id_idx within a tenant, the
 * primary key across tenants) until the page is full, and the counts are computed for the page's rows only.
 */
export async function listUsers(
  q: Queryable,
  opts: ListUsersOptions,
): Promise<{ users: User[]; next_cursor: string | null }> {
  const rows = await q.query<UserRow>(
    `SELECT ${USER_COLUMNS_U}, ${USER_COUNTS}
     FROM users u
     WHERE ($1::text IS NULL OR u.tenant_id = $1) AND ($2::text IS NULL OR u.id > $2)
       AND ($3::text IS NULL OR u.external_id ILIKE $3 ESCAPE '\\' OR u.name ILIKE $3 ESCAPE '\\'
            OR u.email ILIKE $3 ESCAPE '\\')
       AND ($4::timestamptz IS NULL OR u.last_active_at IS NULL OR u.last_active_at < $4)
     ORDER BY u.id LIMIT $5`,
    [
      opts.tenant ?? null,
      opts.cursor ?? null,
      opts.q ? containsPattern(opts.q) : null,
      opts.inactive_since ?? null,
      opts.limit + 1,
    ],
  );
  const page = rows.slice(0, opts.limit);
  const last = page[page.length - 1];
  return { users: page.map(toUser), next_cursor: rows.length > opts.limit && last ? last.id : null };
}

export async function updateUser(
  q: Queryable,
  tenantId: string,
  externalId: string,
  patch: { name?: string | null | undefined; email?: string | null | undefined },
): Promise<UserRow> {
  const rows = await q.query<UserRow>(
    `UPDATE users SET
       name = CASE WHEN $3::boolean THEN $4 ELSE name END,
       email = CASE WHEN $5::boolean THEN $6 ELSE email END,
       updated_at = now()
     WHERE tenant_id = $1 AND external_id = $2
     RETURNING ${USER_COLUMNS}`,
    [
      tenantId,
      externalId,
      patch.name !== undefined,
      patch.name ?? null,
      patch.email !== undefined,
      patch.email ?? null,
    ],
  );
  const row = rows[0];
  if (!row) throw new AppError("user_not_found", `user '${externalId}' not found in tenant '${tenantId}'`);
  return row;
}

/** What deleting a user removed, counted from the DELETE statements themselves. */
export interface DeletedCounts {
  /** Every memory row, whatever its state (a memory in state `deleted` too). */
  deleted_memories: number;
  deleted_sessions: number;
  /** Every key, revoked or not. */
  deleted_keys: number;
}

/**
 * Deletes the user and every row it owns: memories, sessions and keys explicitly (their counts come from these
 * deletes, so they are what was removed), the rest by cascade. Run inside a transaction (the caller's, which also
 * records the audit row). `userPk`: the deleted user's internal id.
 */
export async function deleteUser(
  tx: Queryable,
  tenantId: string,
  externalId: string,
): Promise<DeletedCounts & { userPk: string }> {
  const row = await requireUserRow(tx, tenantId, externalId);
  const counts = await tx.query<DeletedCounts>(
    `WITH m AS (DELETE FROM memories WHERE user_id = $1 RETURNING 1),
       s AS (DELETE FROM sessions WHERE user_id = $1 RETURNING 1),
       k AS (DELETE FROM api_keys WHERE user_id = $1 RETURNING 1)
     SELECT (SELECT count(*)::int FROM m) AS deleted_memories, (SELECT count(*)::int FROM s) AS deleted_sessions,
       (SELECT count(*)::int FROM k) AS deleted_keys`,
    [row.id],
  );
  await tx.query("DELETE FROM users WHERE id = $1", [row.id]);
  const c = counts[0];
  return {
    deleted_memories: c?.deleted_memories ?? 0,
    deleted_sessions: c?.deleted_sessions ?? 0,
    deleted_keys: c?.deleted_keys ?? 0,
    userPk: row.id,
  };
}

export async function markUserActive(q: Queryable, userPk: string): Promise<void> {
  await q.query("UPDATE users SET last_active_at = now() WHERE id = $1", [userPk]);
}
