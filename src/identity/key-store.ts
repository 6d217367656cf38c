/** API keys in SQL: issuing (admin, client and user keys), listing, revoking, rotating, and lookup by hash. */
import { type AuditEntry, recordAudit, SYSTEM_BY } from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import { AppError } from "../errors.js";
import { newId } from "../ids.js";
import { ENV_KEY_PREFIX_CHARS, generateKey, hashKey, type KeyKind, SCOPES, type Scope } from "./keys.js";
import type { ApiKey, RotatedKey } from "./schemas.js";
import { requireTenant } from "./tenant-store.js";
import { requireUserRow } from "./user-store.js";

export interface KeyRow {
  id: string;
  kind: KeyKind;
  tenant_id: string | null;
  user_id: string | null;
  external_id: string | null;
  name: string | null;
  prefix: string;
  hash: string;
  scopes: string[];
  app: string | null;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Date;
  /** The key that replaced this one, once rotated (it may still be in its grace period). */
  rotated_to: string | null;
}

export interface KeyOptions {
  name?: string | undefined;
  scopes?: Scope[] | undefined;
  expires_at?: string | undefined;
  app?: string | undefined;
  /** Stored from ENGRAM_ADMIN_KEY (start-up only; a changed variable revokes it). */
  fromEnv?: boolean;
}

export interface CreatedKey {
  api_key: string;
  key: ApiKey;
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

function toKey(r: KeyRow): ApiKey {
  return {
    id: r.id,
    kind: r.kind,
    name: r.name,
    prefix: r.prefix,
    tenant: r.tenant_id,
    user_id: r.external_id,
    scopes: r.scopes,
    app: r.app,
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
    last_used_at: iso(r.last_used_at),
    created_at: new Date(r.created_at).toISOString(),
  };
}

const KEY_SELECT = `SELECT k.id, k.kind, k.tenant_id, k.user_id, u.external_id, k.name, k.prefix, k.hash, k.scopes, k.app,
  k.expires_at, k.revoked_at, k.last_used_at, k.created_at, k.rotated_to FROM api_keys k LEFT JOIN users u ON u.id = k.user_id`;

/** Stores a new key (or, for ENGRAM_ADMIN_KEY, the given `plaintext`) and returns it with its secret, shown once. */
export async function insertKey(
  q: Queryable,
  kind: KeyKind,
  tenantId: string | null,
  userPk: string | null,
  opts: KeyOptions,
  plaintext?: string,
): Promise<CreatedKey> {
  const generated = generateKey(kind);
  const material = plaintext
    ? {
        plaintext,
        // A fixed 8 characters, whatever the length: enough to recognise it, never a length-dependent share of it.
        prefix: plaintext.slice(0, ENV_KEY_PREFIX_CHARS),
        hash: hashKey(plaintext),
      }
    : generated;
  const expires = opts.expires_at ? new Date(opts.expires_at) : null;
  if (expires && expires.getTime() <= Date.now()) {
    throw new AppError("validation_error", "expires_at: must be in the future", { field: "expires_at" });
  }
  const id = newId("key");
  await q.query(
    `INSERT INTO api_keys (id, kind, tenant_id, user_id, name, prefix, hash, scopes, expires_at, app, from_env)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10, $11)`,
    [
      id,
      kind,
      tenantId,
      userPk,
      opts.name ?? null,
      material.prefix,
      material.hash,
      opts.scopes ?? [...SCOPES],
      expires,
      opts.app ?? null,
      opts.fromEnv === true,
    ],
  );
  const rows = await q.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [id]);
  return { api_key: material.plaintext, key: toKey(rows[0] as KeyRow) };
}

/** Run inside a transaction (the caller's, which also records the audit row); `userPk` is the owner's internal id. */
export async function createUserKey(
  tx: Queryable,
  tenantId: string,
  externalId: string,
  opts: KeyOptions,
): Promise<CreatedKey & { userPk: string }> {
  const user = await requireUserRow(tx, tenantId, externalId);
  return { ...(await insertKey(tx, "user", tenantId, user.id, opts)), userPk: user.id };
}

/** Run inside a transaction (the caller's). */
export async function createClientKey(
  tx: Queryable,
  tenantId: string,
  opts: KeyOptions,
): Promise<CreatedKey> {
  await requireTenant(tx, tenantId);
  return insertKey(tx, "client", tenantId, null, opts);
}

export async function listKeys(
  q: Queryable,
  filter: { tenant?: string | undefined; userPk?: string | undefined },
): Promise<ApiKey[]> {
  const rows = await q.query<KeyRow>(
    `${KEY_SELECT} WHERE ($1::text IS NULL OR k.tenant_id = $1) AND ($2::text IS NULL OR k.user_id = $2)
     ORDER BY k.id`,
    [filter.tenant ?? null, filter.userPk ?? null],
  );
  return rows.map(toKey);
}

export async function listUserKeys(q: Queryable, tenantId: string, externalId: string): Promise<ApiKey[]> {
  const user = await requireUserRow(q, tenantId, externalId);
  return listKeys(q, { userPk: user.id });
}

/** `userPk`: the key's user's internal id (user keys), for the audit row. */
export async function revokeKey(
  q: Queryable,
  keyId: string,
): Promise<{ key: ApiKey; userPk: string | null }> {
  const rows = await q.query<{ id: string }>(
    "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id",
    [keyId],
  );
  if (rows.length === 0) throw new AppError("key_not_found", `key '${keyId}' not found`);
  const keys = await q.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [keyId]);
  const row = keys[0] as KeyRow;
  return { key: toKey(row), userPk: row.user_id };
}

/**
 * Issues a new key with the old one's kind, owner, scopes and expiry; run inside a transaction (the caller's), so
 * both changes happen or neither. Without a grace period the old key is revoked; with one it stays valid until
 * `now + graceSeconds` (or its own earlier expiry) and is then refused as expired. Either way it records its
 * successor, and a key already rotated cannot be rotated again (409): a second successor for a key that is on
 * its way out is more likely a retried script than intent. `userPk`: the owner's internal id, for the audit row.
 */
export async function rotateKey(
  tx: Queryable,
  keyId: string,
  graceSeconds = 0,
  now = Date.now(),
): Promise<RotatedKey & { userPk: string | null }> {
  const rows = await tx.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1 FOR UPDATE OF k`, [keyId]);
  const old = rows[0];
  if (!old) throw new AppError("key_not_found", `key '${keyId}' not found`);
  if (old.revoked_at) throw new AppError("conflict", `key '${keyId}' is revoked and cannot be rotated`);
  const oldExpiry = old.expires_at ? new Date(old.expires_at) : null;
  if (old.rotated_to) {
    throw new AppError(
      "conflict",
      `key '${keyId}' was already rotated to '${old.rotated_to}' and works only until ${iso(oldExpiry)}; ` +
        "revoke it to stop it sooner",
    );
  }
  const created = await insertKey(tx, old.kind, old.tenant_id, old.user_id, {
    name: old.name ?? undefined,
    scopes: old.scopes as Scope[],
    app: old.app ?? undefined,
    ...(oldExpiry && oldExpiry.getTime() > now ? { expires_at: oldExpiry.toISOString() } : {}),
  });
  let stopsAt: Date | null = null;
  if (graceSeconds > 0) {
    const graceEnd = new Date(now + graceSeconds * 1000);
    stopsAt = oldExpiry && oldExpiry < graceEnd ? oldExpiry : graceEnd;
    await tx.query("UPDATE api_keys SET expires_at = $2, rotated_to = $3 WHERE id = $1", [
      keyId,
      stopsAt,
      created.key.id,
    ]);
  } else {
    await tx.query("UPDATE api_keys SET revoked_at = now(), rotated_to = $2 WHERE id = $1", [
      keyId,
      created.key.id,
    ]);
  }
  return { ...created, rotated_from: keyId, old_key_expires_at: iso(stopsAt), userPk: old.user_id };
}

export async function hasActiveAdminKey(q: Queryable): Promise<boolean> {
  const rows = await q.query(
    "SELECT 1 FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1",
  );
  return rows.length > 0;
}

/** Makes sure a configured admin key (ENGRAM_ADMIN_KEY) works; a no-op when it is already stored. */
/** What start-up did with ENGRAM_ADMIN_KEY: whether it stored it, and which earlier env-provided keys it revoked. */
export interface EnvAdminKeyOutcome {
  created: boolean;
  revoked: Array<{ id: string; prefix: string }>;
}

/**
 * Stores ENGRAM_ADMIN_KEY (if new) and revokes every other key an earlier ENGRAM_ADMIN_KEY stored, in one
 * transaction: changing the variable and restarting is how an operator rotates it, so the old one must stop working.
 * A key already stored (even revoked through the API) is left as it is.
 */
export async function ensureAdminKey(db: Db, plaintext: string): Promise<EnvAdminKeyOutcome> {
  return db.transaction(async (tx) => {
    const hash = hashKey(plaintext);
    // Two servers starting at once with the same new key must not both insert it.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('engram:env-admin-key'))");
    const rows = await tx.query("SELECT 1 FROM api_keys WHERE hash = $1", [hash]);
    const created = rows.length === 0;
    const stored = created
      ? await insertKey(tx, "admin", null, null, { name: "ENGRAM_ADMIN_KEY", fromEnv: true }, plaintext)
      : undefined;
    const revoked = await tx.query<{ id: string; prefix: string }>(
      `UPDATE api_keys SET revoked_at = now()
       WHERE from_env AND revoked_at IS NULL AND hash <> $1 RETURNING id, prefix`,
      [hash],
    );
    // Start-up's changes are audited too, as `system`: who changed ENGRAM_ADMIN_KEY is the operator.
    if (stored) await recordAudit(tx, SYSTEM_BY, adminKeyEntry("key.create", stored.key.id));
    for (const key of revoked) {
      await recordAudit(tx, SYSTEM_BY, adminKeyEntry("key.revoke", key.id));
    }
    return { created, revoked };
  });
}

function adminKeyEntry(action: "key.create" | "key.revoke", keyId: string): AuditEntry {
  return { action, tenantId: null, userPk: null, userId: null, resourceId: keyId };
}

export async function findKeyByHash(q: Queryable, hash: string): Promise<KeyRow | undefined> {
  const rows = await q.query<KeyRow>(`${KEY_SELECT} WHERE k.hash = $1`, [hash]);
  return rows[0];
}

export async function markKeyUsed(q: Queryable, keyId: string): Promise<void> {
  await q.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [keyId]);
}
