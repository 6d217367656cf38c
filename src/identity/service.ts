/** Tenants, users and API keys: creation, lookup, revocation, and resolving a presented key to a principal and actor. */
import type { Db, Queryable } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import { AppError } from "../errors.js";
import { newId } from "../ids.js";
import { generateKey, hashesMatch, hashKey, type KeyKind, SCOPES, type Scope } from "./keys.js";
import type { Actor, Principal } from "./principal.js";
import type { ApiKey, Tenant, User } from "./schemas.js";

interface UserRow {
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

interface KeyRow {
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
}

const iso = (d: Date | null): string | null => (d ? new Date(d).toISOString() : null);

export function toUser(r: UserRow): User {
  return {
    user_id: r.external_id,
    tenant: r.tenant_id,
    name: r.name,
    email: r.email,
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
    last_active_at: iso(r.last_active_at),
    ...(r.memory_count !== undefined ? { memory_count: Number(r.memory_count) } : {}),
  };
}

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
  k.expires_at, k.revoked_at, k.last_used_at, k.created_at FROM api_keys k LEFT JOIN users u ON u.id = k.user_id`;

export interface KeyOptions {
  name?: string | undefined;
  scopes?: Scope[] | undefined;
  expires_at?: string | undefined;
  app?: string | undefined;
}

export interface CreatedKey {
  api_key: string;
  key: ApiKey;
}

/** How long a key's last_used_at may lag: one write per key per minute at most, whatever the request rate. */
const TOUCH_INTERVAL_MS = 60_000;

export class IdentityService {
  private readonly touched = new Map<string, number>();
  private readonly active = new Map<string, number>();

  constructor(private readonly db: Db) {}

  // ---- tenants

  async createTenant(id: string, name?: string): Promise<Tenant> {
    try {
      const rows = await this.db.query<{ id: string; name: string; created_at: Date }>(
        "INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
        [id, name ?? id],
      );
      const r = rows[0] as { id: string; name: string; created_at: Date };
      return { id: r.id, name: r.name, created_at: new Date(r.created_at).toISOString() };
    } catch (err) {
      if (isUniqueViolation(err))
        throw new AppError("tenant_exists", `tenant '${id}' already exists`, { field: "id" });
      throw err;
    }
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.db.query<{ id: string; name: string; created_at: Date }>(
      "SELECT id, name, created_at FROM tenants ORDER BY id",
    );
    return rows.map((r) => ({ id: r.id, name: r.name, created_at: new Date(r.created_at).toISOString() }));
  }

  private async requireTenant(q: Queryable, tenantId: string): Promise<void> {
    const rows = await q.query("SELECT 1 FROM tenants WHERE id = $1", [tenantId]);
    if (rows.length === 0)
      throw new AppError("tenant_not_found", `tenant '${tenantId}' not found`, { field: "tenant" });
  }

  // ---- users

  /** Creates a user and its first key in one transaction: no user is left without the key the caller was promised. */
  async createUser(input: {
    user_id: string;
    tenant?: string | undefined;
    name?: string | undefined;
    email?: string | undefined;
  }): Promise<{ user: User } & CreatedKey> {
    const tenantId = input.tenant ?? "default";
    return this.db.transaction(async (tx) => {
      await this.requireTenant(tx, tenantId);
      let row: UserRow;
      try {
        const rows = await tx.query<UserRow>(
          `INSERT INTO users (id, tenant_id, external_id, name, email) VALUES ($1, $2, $3, $4, $5)
           RETURNING id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at`,
          [newId("usr"), tenantId, input.user_id, input.name ?? null, input.email ?? null],
        );
        row = rows[0] as UserRow;
      } catch (err) {
        if (isUniqueViolation(err, "users_tenant_external_key")) {
          throw new AppError(
            "user_exists",
            `user '${input.user_id}' already exists in tenant '${tenantId}'`,
            {
              field: "user_id",
            },
          );
        }
        throw err;
      }
      const created = await this.insertKey(tx, "user", tenantId, row.id, { name: "default" });
      return { user: toUser(row), ...created };
    });
  }

  /** Users named by a client key are created on first use; concurrent first uses create exactly one. */
  async ensureUser(tenantId: string, externalId: string): Promise<UserRow> {
    const existing = await this.findUserRow(this.db, tenantId, externalId);
    if (existing) return existing;
    await this.db.query(
      `INSERT INTO users (id, tenant_id, external_id) VALUES ($1, $2, $3)
       ON CONFLICT ON CONSTRAINT users_tenant_external_key DO NOTHING`,
      [newId("usr"), tenantId, externalId],
    );
    const row = await this.findUserRow(this.db, tenantId, externalId);
    if (!row) throw new Error(`user ${tenantId}/${externalId} vanished after insert`);
    return row;
  }

  private async findUserRow(
    q: Queryable,
    tenantId: string,
    externalId: string,
  ): Promise<UserRow | undefined> {
    const rows = await q.query<UserRow>(
      `SELECT id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at
       FROM users WHERE tenant_id = $1 AND external_id = $2`,
      [tenantId, externalId],
    );
    return rows[0];
  }

  async requireUserRow(q: Queryable, tenantId: string, externalId: string): Promise<UserRow> {
    const row = await this.findUserRow(q, tenantId, externalId);
    if (!row) throw new AppError("user_not_found", `user '${externalId}' not found in tenant '${tenantId}'`);
    return row;
  }

  async getUser(tenantId: string, externalId: string): Promise<User> {
    const row = await this.requireUserRow(this.db, tenantId, externalId);
    const counts = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memories WHERE user_id = $1 AND state <> 'deleted'",
      [row.id],
    );
    return toUser({ ...row, memory_count: counts[0]?.n ?? 0 });
  }

  async listUsers(opts: {
    tenant?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  }): Promise<{ users: User[]; next_cursor: string | null }> {
    const rows = await this.db.query<UserRow>(
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

  async updateUser(
    tenantId: string,
    externalId: string,
    patch: { name?: string | null | undefined; email?: string | null | undefined },
  ): Promise<User> {
    const rows = await this.db.query<UserRow>(
      `UPDATE users SET
         name = CASE WHEN $3::boolean THEN $4 ELSE name END,
         email = CASE WHEN $5::boolean THEN $6 ELSE email END,
         updated_at = now()
       WHERE tenant_id = $1 AND external_id = $2
       RETURNING id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at`,
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
    return toUser(row);
  }

  /** Deletes the user and, by cascade in the same transaction, every row it owns: memories, keys, and the rest. */
  async deleteUser(tenantId: string, externalId: string): Promise<{ deleted_memories: number }> {
    return this.db.transaction(async (tx) => {
      const row = await this.requireUserRow(tx, tenantId, externalId);
      const counts = await tx.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM memories WHERE user_id = $1",
        [row.id],
      );
      await tx.query("DELETE FROM users WHERE id = $1", [row.id]);
      return { deleted_memories: counts[0]?.n ?? 0 };
    });
  }

  // ---- keys

  private async insertKey(
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
          prefix: plaintext.slice(0, Math.min(10, Math.floor(plaintext.length / 3))),
          hash: hashKey(plaintext),
        }
      : generated;
    const expires = opts.expires_at ? new Date(opts.expires_at) : null;
    if (expires && expires.getTime() <= Date.now()) {
      throw new AppError("validation_error", "expires_at: must be in the future", { field: "expires_at" });
    }
    const id = newId("key");
    await q.query(
      `INSERT INTO api_keys (id, kind, tenant_id, user_id, name, prefix, hash, scopes, expires_at, app)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9, $10)`,
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
      ],
    );
    const rows = await q.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [id]);
    return { api_key: material.plaintext, key: toKey(rows[0] as KeyRow) };
  }

  async createUserKey(tenantId: string, externalId: string, opts: KeyOptions): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      const user = await this.requireUserRow(tx, tenantId, externalId);
      return this.insertKey(tx, "user", tenantId, user.id, opts);
    });
  }

  async createClientKey(tenantId: string, opts: KeyOptions): Promise<CreatedKey> {
    return this.db.transaction(async (tx) => {
      await this.requireTenant(tx, tenantId);
      return this.insertKey(tx, "client", tenantId, null, opts);
    });
  }

  async createAdminKey(opts: KeyOptions = {}, plaintext?: string): Promise<CreatedKey> {
    return this.insertKey(this.db, "admin", null, null, opts, plaintext);
  }

  async listKeys(filter: { tenant?: string | undefined; userPk?: string | undefined }): Promise<ApiKey[]> {
    const rows = await this.db.query<KeyRow>(
      `${KEY_SELECT} WHERE ($1::text IS NULL OR k.tenant_id = $1) AND ($2::text IS NULL OR k.user_id = $2)
       ORDER BY k.id`,
      [filter.tenant ?? null, filter.userPk ?? null],
    );
    return rows.map(toKey);
  }

  async listUserKeys(tenantId: string, externalId: string): Promise<ApiKey[]> {
    const user = await this.requireUserRow(this.db, tenantId, externalId);
    return this.listKeys({ userPk: user.id });
  }

  async revokeKey(keyId: string): Promise<ApiKey> {
    const rows = await this.db.query<{ id: string }>(
      "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1 RETURNING id",
      [keyId],
    );
    if (rows.length === 0) throw new AppError("key_not_found", `key '${keyId}' not found`);
    const keys = await this.db.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1`, [keyId]);
    return toKey(keys[0] as KeyRow);
  }

  /** Issues a new key with the old one's kind, owner, scopes and expiry, and revokes the old one, atomically. */
  async rotateKey(keyId: string): Promise<CreatedKey & { rotated_from: string }> {
    return this.db.transaction(async (tx) => {
      const rows = await tx.query<KeyRow>(`${KEY_SELECT} WHERE k.id = $1 FOR UPDATE OF k`, [keyId]);
      const old = rows[0];
      if (!old) throw new AppError("key_not_found", `key '${keyId}' not found`);
      if (old.revoked_at) throw new AppError("conflict", `key '${keyId}' is revoked and cannot be rotated`);
      await tx.query("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [keyId]);
      const created = await this.insertKey(tx, old.kind, old.tenant_id, old.user_id, {
        name: old.name ?? undefined,
        scopes: old.scopes as Scope[],
        app: old.app ?? undefined,
        ...(old.expires_at && old.expires_at.getTime() > Date.now()
          ? { expires_at: old.expires_at.toISOString() }
          : {}),
      });
      return { ...created, rotated_from: keyId };
    });
  }

  async hasActiveAdminKey(): Promise<boolean> {
    const rows = await this.db.query(
      "SELECT 1 FROM api_keys WHERE kind = 'admin' AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) LIMIT 1",
    );
    return rows.length > 0;
  }

  /** Makes sure a configured admin key (ENGRAM_ADMIN_KEY) works; a no-op when it is already stored. */
  async ensureAdminKey(plaintext: string): Promise<boolean> {
    const rows = await this.db.query("SELECT 1 FROM api_keys WHERE hash = $1", [hashKey(plaintext)]);
    if (rows.length > 0) return false;
    await this.createAdminKey({ name: "ENGRAM_ADMIN_KEY" }, plaintext);
    return true;
  }

  // ---- authentication

  /** Resolves a presented key. Unknown, revoked and expired keys are 401 with distinct codes; none reveals another key. */
  async authenticate(plaintext: string): Promise<Principal> {
    const hash = hashKey(plaintext);
    const rows = await this.db.query<KeyRow>(`${KEY_SELECT} WHERE k.hash = $1`, [hash]);
    const row = rows[0];
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
    this.db.query("UPDATE api_keys SET last_used_at = now() WHERE id = $1", [keyId]).catch(() => {});
  }

  /** Records a user's last activity, at most once a minute per user and process: activity is a hint, not a log. */
  touchUser(userPk: string): void {
    const now = Date.now();
    if (now - (this.active.get(userPk) ?? 0) < TOUCH_INTERVAL_MS) return;
    this.active.set(userPk, now);
    if (this.active.size > 100_000) this.active.clear();
    this.db.query("UPDATE users SET last_active_at = now() WHERE id = $1", [userPk]).catch(() => {});
  }

  /**
   * Which user a request acts as (DESIGN §4). `requested` is the X-User-Id / X-Muxi-User-Id header, if any.
   * - user key: its own user; naming anyone else is 403.
   * - client key (and local_open): the named user of its tenant, created on first use; none named = user "0".
   * - admin key: only a user named explicitly, who must exist.
   */
  async resolveActor(p: Principal, requested: string | undefined, tenantHint?: string): Promise<Actor> {
    const actor = await this.findActor(p, requested, tenantHint);
    this.touchUser(actor.userPk);
    return actor;
  }

  private async findActor(p: Principal, requested: string | undefined, tenantHint?: string): Promise<Actor> {
    if (p.kind === "user") {
      const rows = await this.db.query<UserRow>(
        "SELECT id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at FROM users WHERE id = $1",
        [p.userPk],
      );
      const row = rows[0];
      if (!row) throw new AppError("invalid_api_key", "the API key's user no longer exists");
      if (requested !== undefined && requested !== row.external_id) {
        throw new AppError(
          "user_mismatch",
          "this key belongs to another user than the one named in X-User-Id",
          {
            field: "X-User-Id",
          },
        );
      }
      return { principal: p, tenantId: row.tenant_id, userPk: row.id, userId: row.external_id };
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
      const row = await this.requireUserRow(this.db, tenantHint ?? "default", requested);
      return { principal: p, tenantId: row.tenant_id, userPk: row.id, userId: row.external_id };
    }
    const tenantId = p.tenantId ?? "default";
    const externalId = requested ?? "0";
    const row = await this.ensureUser(tenantId, externalId);
    return { principal: p, tenantId, userPk: row.id, userId: row.external_id };
  }
}
