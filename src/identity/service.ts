/**
 * Identity as the rest of the server sees it: tenants, users and API keys (their SQL in tenant-store.ts,
 * user-store.ts and key-store.ts), and resolving a presented key to a principal and the actor a request acts as.
 */
import type { Logger } from "pino";
import { requireBoundAppActive } from "../apps/service.js";
import {
  type AuditAction,
  type AuditBy,
  type AuditEntry,
  byPrincipal,
  recordAudit,
  SYSTEM_BY,
} from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import { AppError } from "../errors.js";
import type { CreatedKey, KeyOptions } from "./key-store.js";
import * as keyStore from "./key-store.js";
import { hashesMatch, hashKey } from "./keys.js";
import * as ownKeys from "./own-keys.js";
import { type Actor, DEFAULT_USER_ID, type Principal, type RequestContext } from "./principal.js";
import type { ApiKey, RotatedKey, Tenant, User } from "./schemas.js";
import * as tenantStore from "./tenant-store.js";
import type { UserRow } from "./user-store.js";
import * as userStore from "./user-store.js";

/** How long a key's last_used_at may lag: one write per key per minute at most, whatever the request rate. */
const TOUCH_INTERVAL_MS = 60_000;

export class IdentityService {
  private readonly touched = new Map<string, number>();
  private readonly active = new Map<string, number>();

  constructor(
    private readonly db: Db,
    /** Where failed last_used_at / last-activity writes are reported (they never fail the request). */
    private readonly log?: Logger,
  ) {}

  // ---- tenants
  // Every change below writes its audit row (src/audit/store.ts) in the same transaction; `by` is who acted
  // (the admin key and its request on the REST face, `cli` for the admin CLI's direct mode, `system` otherwise).

  createTenant(id: string, name?: string, by: AuditBy = SYSTEM_BY): Promise<Tenant> {
    return this.db.transaction(async (tx) => {
      const tenant = await tenantStore.createTenant(tx, id, name);
      await recordAudit(tx, by, {
        action: "tenant.create",
        tenantId: id,
        userPk: null,
        userId: null,
        resourceId: id,
      });
      return tenant;
    });
  }

  listTenants(): Promise<Tenant[]> {
    return tenantStore.listTenants(this.db);
  }

  // ---- users

  /** Creates a user and its first key in one transaction: no user is left without the key the caller was promised. */
  async createUser(
    input: {
      user_id: string;
      tenant?: string | undefined;
      name?: string | undefined;
      email?: string | undefined;
    },
    by: AuditBy = SYSTEM_BY,
  ): Promise<{ user: User } & CreatedKey> {
    const tenantId = input.tenant ?? "default";
    return this.db.transaction(async (tx) => {
      await tenantStore.requireTenant(tx, tenantId);
      const row = await userStore.insertUser(tx, tenantId, input);
      const created = await keyStore.insertKey(tx, "user", tenantId, row.id, { name: "default" });
      // One row for the change: the user's first key comes with it (its id is in every later row of that key).
      await recordAudit(tx, by, userEntry("user.create", row, row.id));
      return { user: userStore.toUser(row), ...created };
    });
  }

  /** Users named by a client key are created on first use; concurrent first uses create exactly one. */
  ensureUser(tenantId: string, externalId: string, by: AuditBy = SYSTEM_BY): Promise<UserRow> {
    return userStore.ensureUserRow(this.db, tenantId, externalId, by);
  }

  requireUserRow(q: Queryable, tenantId: string, externalId: string): Promise<UserRow> {
    return userStore.requireUserRow(q, tenantId, externalId);
  }

  getUser(tenantId: string, externalId: string): Promise<User> {
    return userStore.getUser(this.db, tenantId, externalId);
  }

  listUsers(opts: userStore.ListUsersOptions): Promise<{ users: User[]; next_cursor: string | null }> {
    return userStore.listUsers(this.db, opts);
  }

  updateUser(
    tenantId: string,
    externalId: string,
    patch: { name?: string | null | undefined; email?: string | null | undefined },
    by: AuditBy = SYSTEM_BY,
  ): Promise<User> {
    return this.db.transaction(async (tx) => {
      const row = await userStore.updateUser(tx, tenantId, externalId, patch);
      await recordAudit(tx, by, userEntry("user.update", row, row.id));
      return userStore.toUser(row);
    });
  }

  /** Deletes the user and every row it owns (memories, sessions, keys, and the rest) in one transaction, with counts. */
  deleteUser(
    tenantId: string,
    externalId: string,
    by: AuditBy = SYSTEM_BY,
  ): Promise<userStore.DeletedCounts> {
    return this.db.transaction(async (tx) => {
      const { userPk, ...deleted } = await userStore.deleteUser(tx, tenantId, externalId);
      // The audit row has no foreign key: it outlives the user it names.
      const entry = { tenant_id: tenantId, id: userPk, external_id: externalId };
      await recordAudit(tx, by, userEntry("user.delete", entry, userPk));
      return deleted;
    });
  }

  // ---- keys

  createUserKey(
    tenantId: string,
    externalId: string,
    opts: KeyOptions,
    by: AuditBy = SYSTEM_BY,
  ): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      const { userPk, ...created } = await keyStore.createUserKey(tx, tenantId, externalId, opts);
      await recordAudit(tx, by, keyEntry("key.create", created.key, userPk));
      return created;
    });
  }

  createClientKey(tenantId: string, opts: KeyOptions, by: AuditBy = SYSTEM_BY): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      const created = await keyStore.createClientKey(tx, tenantId, opts);
      await recordAudit(tx, by, keyEntry("key.create", created.key, null));
      return created;
    });
  }

  createAdminKey(opts: KeyOptions = {}, plaintext?: string, by: AuditBy = SYSTEM_BY): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      const created = await keyStore.insertKey(tx, "admin", null, null, opts, plaintext);
      await recordAudit(tx, by, keyEntry("key.create", created.key, null));
      return created;
    });
  }

  listKeys(filter: { tenant?: string | undefined; userPk?: string | undefined }): Promise<ApiKey[]> {
    return keyStore.listKeys(this.db, filter);
  }

  listUserKeys(tenantId: string, externalId: string): Promise<ApiKey[]> {
    return keyStore.listUserKeys(this.db, tenantId, externalId);
  }

  revokeKey(keyId: string, by: AuditBy = SYSTEM_BY): Promise<ApiKey> {
    return this.db.transaction(async (tx) => {
      const { key, userPk } = await keyStore.revokeKey(tx, keyId);
      await recordAudit(tx, by, keyEntry("key.revoke", key, userPk));
      return key;
    });
  }

  // ---- a user key's own keys (/v1/me/keys; the rules in own-keys.ts)

  listOwnKeys(p: Principal): Promise<Array<ApiKey & { current: boolean }>> {
    return ownKeys.listOwnKeys(this.db, p);
  }

  createOwnKey(p: Principal, input: ownKeys.OwnKeyInput, by: AuditBy): Promise<CreatedKey> {
    return ownKeys.createOwnKey(this.db, p, input, by);
  }

  revokeOwnKey(p: Principal, keyId: string, by: AuditBy): Promise<ApiKey> {
    return ownKeys.revokeOwnKey(this.db, p, keyId, by);
  }

  /**
   * Issues a new key with the old one's kind, owner, scopes and expiry, and revokes the old one (or, with
   * `grace_seconds`, lets it expire then), atomically. One audit row, `key.rotate`, naming the old key (the new
   * one's id is in the response and in its own later rows; the grace period's end is the old key's expires_at).
   */
  rotateKey(
    keyId: string,
    opts: { grace_seconds?: number | undefined } = {},
    by: AuditBy = SYSTEM_BY,
  ): Promise<RotatedKey> {
    return this.db.transaction(async (tx) => {
      const { userPk, ...rotated } = await keyStore.rotateKey(tx, keyId, opts.grace_seconds ?? 0);
      await recordAudit(tx, by, { ...keyEntry("key.rotate", rotated.key, userPk), resourceId: keyId });
      return rotated;
    });
  }

  hasActiveAdminKey(): Promise<boolean> {
    return keyStore.hasActiveAdminKey(this.db);
  }

  /** Makes sure a configured admin key (ENGRAM_ADMIN_KEY) works; a no-op when it is already stored. */
  ensureAdminKey(plaintext: string): Promise<keyStore.EnvAdminKeyOutcome> {
    return keyStore.ensureAdminKey(this.db, plaintext);
  }

  // ---- authentication

  /** Resolves a presented key. Unknown, revoked and expired keys are 401 with distinct codes; none reveals another key. */
  async authenticate(plaintext: string): Promise<Principal> {
    const hash = hashKey(plaintext);
    const row = await keyStore.findKeyByHash(this.db, hash);
    // The lookup is by hash; the constant-time comparison guards against any index or collation surprise.
    if (!row || !hashesMatch(row.hash, hash))
      throw new AppError("invalid_api_key", "the API key is not valid");
    if (row.revoked_at) throw new AppError("key_revoked", "the API key has been revoked");
    if (row.expires_at && new Date(row.expires_at).getTime() <= Date.now()) {
      throw new AppError("key_expired", "the API key has expired");
    }
    this.touchKey(row.id);
    return {
      kind: row.kind,
      keyId: row.id,
      tenantId: row.tenant_id,
      userPk: row.user_id,
      scopes: new Set(row.scopes),
      app: row.app,
    };
  }

  private touchKey(keyId: string): void {
    const now = Date.now();
    if (now - (this.touched.get(keyId) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.touched.set(keyId, now);
    // Best effort and off the request's path: a missed last_used_at is not worth failing a request for.
    keyStore
      .markKeyUsed(this.db, keyId)
      .catch((err: unknown) =>
        this.log?.warn({ err, key_id: keyId }, "could not record the API key's last_used_at"),
      );
  }

  /** Records a user's last activity, at most once a minute per user and process: activity is a hint, not a log. */
  touchUser(userPk: string): void {
    const now = Date.now();
    if (now - (this.active.get(userPk) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.active.set(userPk, now);
    if (this.active.size > 100_000) this.active.clear();
    // Best effort, like touchKey: a missed activity update is logged, never a failed request.
    userStore
      .markUserActive(this.db, userPk)
      .catch((err: unknown) =>
        this.log?.warn({ err, user_pk: userPk }, "could not record the user's last activity"),
      );
  }

  /**
   * Which user a request acts as (docs/architecture.md, Isolation). `requested` is the user the request names, if
   * any: the X-User-Id / X-Muxi-User-Id header, or OpenMemory's `user_id`; `opts.requestedIn` names where, for the
   * error that refuses it (default X-User-Id).
   * - user key: its own user; naming anyone else is 403.
   * - client key (and local_open): the named user of its tenant, created on first use; none named = user "0".
   * - admin key: only a user named explicitly, who must exist.
   * A key bound to an app (`Principal.app`) that is paused for that user is refused here, with 403 app_paused, for
   * every user-scoped route and MCP tool: one lookup per request, not one per statement.
   */
  async resolveActor(
    p: Principal,
    requested: string | undefined,
    opts: { tenantHint?: string | undefined; context?: RequestContext; requestedIn?: string } = {},
  ): Promise<Actor> {
    const actor = await this.findActor(p, requested, opts);
    await requireBoundAppActive(this.db, actor);
    this.touchUser(actor.userPk);
    return actor;
  }

  /**
   * Which user a request with this key and user header acts as, without refusing a paused bound app: only to
   * describe a key (GET /v1/me, OpenMemory's login), never for user-scoped work, which goes through resolveActor.
   */
  async identifyActor(p: Principal, requested: string | undefined): Promise<Actor> {
    const actor = await this.findActor(p, requested, {});
    this.touchUser(actor.userPk);
    return actor;
  }

  /** `context` goes on the actor (and into the audit row of a user created here on a client key's first use). */
  private async findActor(
    p: Principal,
    requested: string | undefined,
    { tenantHint, context, requestedIn = "X-User-Id" }: Parameters<IdentityService["resolveActor"]>[2] = {},
  ): Promise<Actor> {
    const withContext = context ? { context } : {};
    if (p.kind === "user") {
      const row = await userStore.findUserRowByPk(this.db, p.userPk);
      if (!row) throw new AppError("invalid_api_key", "the API key's user no longer exists");
      if (requested !== undefined && requested !== row.external_id) {
        throw new AppError(
          "user_mismatch",
          `this key belongs to another user than the one named in ${requestedIn}`,
          { field: requestedIn },
        );
      }
      return {
        principal: p,
        tenantId: row.tenant_id,
        userPk: row.id,
        userId: row.external_id,
        ...withContext,
      };
    }
    if (p.kind === "admin") {
      if (requested === undefined) {
        throw new AppError(
          "bad_request",
          "X-User-Id: an admin key reads or writes memories only for a user it names",
          {
            field: "X-User-Id",
          },
        );
      }
      const row = await userStore.requireUserRow(this.db, tenantHint ?? "default", requested);
      return {
        principal: p,
        tenantId: row.tenant_id,
        userPk: row.id,
        userId: row.external_id,
        ...withContext,
      };
    }
    const tenantId = p.tenantId ?? "default";
    const externalId = requested ?? DEFAULT_USER_ID;
    const row = await userStore.ensureUserRow(this.db, tenantId, externalId, byPrincipal(p, context));
    return { principal: p, tenantId, userPk: row.id, userId: row.external_id, ...withContext };
  }
}

function userEntry(
  action: AuditAction,
  row: Pick<UserRow, "tenant_id" | "id" | "external_id">,
  resourceId: string,
): AuditEntry {
  return { action, tenantId: row.tenant_id, userPk: row.id, userId: row.external_id, resourceId };
}

/** A key's audit entry: its tenant and user (none for admin keys), the key as the resource. */
function keyEntry(action: AuditAction, key: ApiKey, userPk: string | null): AuditEntry {
  return { action, tenantId: key.tenant, userPk, userId: key.user_id, resourceId: key.id };
}
