/**
 * Self-service keys (GET/POST/DELETE /v1/me/keys): a user key lists, creates and revokes its own user's keys. A key
 * never mints a stronger one: the new key's scopes are a subset of the caller's, it lives no longer than the
 * caller, and it is bound to the caller's app (or to none, like the caller).
 */
import { type AuditBy, recordAudit } from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import { AppError } from "../errors.js";
import type { CreatedKey } from "./key-store.js";
import * as keyStore from "./key-store.js";
import { SCOPES, type Scope } from "./keys.js";
import { type Principal, requireScopes } from "./principal.js";
import type { ApiKey } from "./schemas.js";
import { findUserRowByPk, type UserRow } from "./user-store.js";

/** What POST /v1/me/keys takes: no `app` (the caller's binding is inherited), no kind (always a user key). */
export interface OwnKeyInput {
  name?: string | undefined;
  scopes?: Scope[] | undefined;
  expires_at?: string | undefined;
}

/** A user key's principal, with the ids these routes need; anything else is refused (the guard refuses first). */
export interface UserPrincipal extends Principal {
  kind: "user";
  keyId: string;
  userPk: string;
}

export function isUserPrincipal(p: Principal): p is UserPrincipal {
  return p.kind === "user" && p.keyId !== null && p.userPk !== null;
}

export const NOT_FOR_THIS_KEY =
  "these routes are for user keys (their own user's keys); admin keys use /v1/users/{user_id}/keys and /v1/keys";

function requireUserPrincipal(p: Principal): UserPrincipal {
  if (!isUserPrincipal(p)) throw new AppError("forbidden", NOT_FOR_THIS_KEY);
  return p;
}

async function ownerOf(q: Queryable, p: UserPrincipal): Promise<UserRow> {
  const row = await findUserRowByPk(q, p.userPk);
  if (!row) throw new AppError("invalid_api_key", "the API key's user no longer exists");
  return row;
}

/** The user's keys (never their secrets), oldest first, the calling key marked `current`. */
export async function listOwnKeys(
  db: Db,
  principal: Principal,
): Promise<Array<ApiKey & { current: boolean }>> {
  const p = requireUserPrincipal(principal);
  const keys = await keyStore.listKeys(db, { userPk: p.userPk });
  return keys.map((k) => ({ ...k, current: k.id === p.keyId }));
}

/**
 * Creates another key for the caller's user. Scopes default to the caller's, and naming one it lacks is 403
 * insufficient_scope; expires_at defaults to the caller's expiry, and a later one is 403 forbidden; the app binding
 * is the caller's. One audit row, `key.create`, by the calling key.
 */
export async function createOwnKey(
  db: Db,
  principal: Principal,
  input: OwnKeyInput,
  by: AuditBy,
): Promise<CreatedKey> {
  const p = requireUserPrincipal(principal);
  const scopes = input.scopes ? [...new Set(input.scopes)] : SCOPES.filter((s) => p.scopes.has(s));
  requireScopes(p, scopes);
  return db.transaction(async (tx) => {
    const callers = await tx.query<{ expires_at: Date | null }>(
      "SELECT expires_at FROM api_keys WHERE id = $1 AND user_id = $2",
      [p.keyId, p.userPk],
    );
    const caller = callers[0];
    if (!caller) throw new AppError("invalid_api_key", "the API key is not valid");
    let expiresAt = input.expires_at;
    if (caller.expires_at) {
      const limit = new Date(caller.expires_at);
      if (expiresAt === undefined) expiresAt = limit.toISOString();
      else if (new Date(expiresAt).getTime() > limit.getTime()) {
        throw new AppError(
          "forbidden",
          `expires_at: a key cannot outlive the key that creates it (this one expires at ${limit.toISOString()})`,
          { field: "expires_at" },
        );
      }
    }
    const owner = await ownerOf(tx, p);
    const created = await keyStore.insertKey(tx, "user", owner.tenant_id, owner.id, {
      name: input.name,
      scopes,
      expires_at: expiresAt,
      app: p.app ?? undefined,
    });
    await recordAudit(tx, by, {
      action: "key.create",
      tenantId: owner.tenant_id,
      userPk: owner.id,
      userId: owner.external_id,
      resourceId: created.key.id,
    });
    return created;
  });
}

/**
 * Revokes one of the user's keys (the calling key too, if it names itself: it stops working at once). Another
 * user's key id answers 404 key_not_found, exactly like an id that does not exist. One audit row, `key.revoke`.
 */
export async function revokeOwnKey(
  db: Db,
  principal: Principal,
  keyId: string,
  by: AuditBy,
): Promise<ApiKey> {
  const p = requireUserPrincipal(principal);
  return db.transaction(async (tx) => {
    const mine = await tx.query("SELECT 1 FROM api_keys WHERE id = $1 AND user_id = $2 FOR UPDATE", [
      keyId,
      p.userPk,
    ]);
    if (mine.length === 0) throw new AppError("key_not_found", `key '${keyId}' not found`);
    const { key, userPk } = await keyStore.revokeKey(tx, keyId);
    await recordAudit(tx, by, {
      action: "key.revoke",
      tenantId: key.tenant,
      userPk,
      userId: key.user_id,
      resourceId: key.id,
    });
    return key;
  });
}
