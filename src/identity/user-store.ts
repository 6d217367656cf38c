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

export async function getUser(q: Queryable, tenantId: string, externalId: string): Promise<User> {
  const row = await requireUserRow(q, tenantId, externalId);
  const counts = await q.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM memories WHERE user_id = $1 AND state <> 'deleted'",
    [row.id],
  );
  return toUser({ ...row, memory_count: counts[0]?.n ?? 0 });
}

export async function listUsers(
  q: Queryable,
  opts: { tenant?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ users: User[]; next_cursor: string | null }> {
  const rows = await q.query<UserRow>(
    `SELECT u.id, u.tenant_id, u.external_id, u.name, u.email, u.created_at, u.updated_at, u.last_active_at,
       (SELECT count(*)::int FROM memories m WHERE m.user_id = u.id AND m.state <> 'deleted') AS memory_count
     FROM users u
     WHERE ($1::text IS NULL OR u.tenant_id = $1) AND ($2::text IS NULL OR u.id > $2)
     ORDER BY u.id LIMIT $3`,
    [opts.tenant ?? null, opts.cursor ?? null, opts.limit + 1],
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

/**
 * Deletes the user and, by cascade, every row it owns: memories, keys, and the rest. Run inside a transaction (the
 * caller's, which also records the audit row). `userPk`: the deleted user's internal id.
 */
export async function deleteUser(
  tx: Queryable,
  tenantId: string,
  externalId: string,
): Promise<{ deleted_memories: number; userPk: string }> {
  const row = await requireUserRow(tx, tenantId, externalId);
  const counts = await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM memories WHERE user_id = $1", [
    row.id,
  ]);
  await tx.query("DELETE FROM users WHERE id = $1", [row.id]);
  return { deleted_memories: counts[0]?.n ?? 0, userPk: row.id };
}

export async function markUserActive(q: Queryable, userPk: string): Promise<void> {
  await q.query("UPDATE users SET last_active_at = now() WHERE id = $1", [userPk]);
}
