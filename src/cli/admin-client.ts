/** AdminApi over a running server's REST admin routes (src/identity/*-routes.ts), with an admin key as Bearer token. */
import type { AuditEvent } from "../audit/store.js";
import type { ApiKey, RotatedKey, Tenant, User } from "../identity/schemas.js";
import type {
  AdminApi,
  AuditListFilter,
  CreatedKey,
  CreateUserInput,
  DeletedUserCounts,
  KeyInput,
  UserListFilter,
} from "./admin-api.js";
import { callServer, type Query } from "./server-call.js";

const PAGE = 500;

export class HttpAdminApi implements AdminApi {
  readonly via: string;
  private readonly base: string;

  constructor(
    url: string,
    private readonly adminKey: string,
    via?: string,
  ) {
    this.base = url.replace(/\/+$/, "");
    this.via = via ?? `the server at ${this.base}`;
  }

  private call<T>(method: string, path: string, opts: { query?: Query; body?: unknown } = {}): Promise<T> {
    return callServer<T>(
      {
        base: this.base,
        key: this.adminKey,
        keyHint: "the admin key given with --key or ENGRAM_ADMIN_KEY",
        forbiddenHint: "the key given is not an admin key",
      },
      method,
      path,
      opts,
    );
  }

  async createTenant(id: string, name?: string): Promise<Tenant> {
    return this.call("POST", "/v1/tenants", { body: { id, ...(name !== undefined ? { name } : {}) } });
  }

  async listTenants(): Promise<Tenant[]> {
    return (await this.call<{ tenants: Tenant[] }>("GET", "/v1/tenants")).tenants;
  }

  createUser(input: CreateUserInput): Promise<CreatedKey & { user: User }> {
    return this.call("POST", "/v1/users", { body: dropUndefined(input) });
  }

  async listUsers(filter: UserListFilter): Promise<User[]> {
    const all: User[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call<{ users: User[]; next_cursor: string | null }>("GET", "/v1/users", {
        query: { ...filter, limit: PAGE, cursor },
      });
      all.push(...page.users);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return all;
  }

  async deleteUser(tenant: string, userId: string): Promise<DeletedUserCounts> {
    const r = await this.call<DeletedUserCounts>("DELETE", `/v1/users/${encodeURIComponent(userId)}`, {
      query: { tenant },
    });
    return {
      deleted_memories: r.deleted_memories,
      deleted_sessions: r.deleted_sessions,
      deleted_keys: r.deleted_keys,
    };
  }

  createUserKey(tenant: string, userId: string, opts: KeyInput): Promise<CreatedKey> {
    return this.call("POST", `/v1/users/${encodeURIComponent(userId)}/keys`, {
      query: { tenant },
      body: dropUndefined(opts),
    });
  }

  createClientKey(tenant: string, opts: KeyInput): Promise<CreatedKey> {
    return this.call("POST", `/v1/tenants/${encodeURIComponent(tenant)}/keys`, { body: dropUndefined(opts) });
  }

  createAdminKey(opts: KeyInput): Promise<CreatedKey> {
    return this.call("POST", "/v1/keys", { body: dropUndefined(opts) });
  }

  async listKeys(filter: { tenant?: string | undefined; user?: string | undefined }): Promise<ApiKey[]> {
    const path = filter.user !== undefined ? `/v1/users/${encodeURIComponent(filter.user)}/keys` : "/v1/keys";
    return (await this.call<{ keys: ApiKey[] }>("GET", path, { query: { tenant: filter.tenant } })).keys;
  }

  revokeKey(keyId: string): Promise<ApiKey> {
    return this.call("DELETE", `/v1/keys/${encodeURIComponent(keyId)}`);
  }

  rotateKey(keyId: string, graceSeconds?: number): Promise<RotatedKey> {
    // No body without a grace period: what servers from before grace periods accept.
    const body = graceSeconds ? { grace_seconds: graceSeconds } : undefined;
    return this.call("POST", `/v1/keys/${encodeURIComponent(keyId)}/rotate`, { body });
  }

  async listAudit(filter: AuditListFilter, limit: number): Promise<AuditEvent[]> {
    const all: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.call<{ events: AuditEvent[]; next_cursor: string | null }>("GET", "/v1/audit", {
        query: { ...filter, limit: Math.min(PAGE, limit - all.length), cursor },
      });
      all.push(...page.events);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && all.length < limit);
    return all;
  }

  async close(): Promise<void> {}
}

/** The routes' bodies are strict: an absent option must be absent, not `undefined` turned into nothing or null. */
function dropUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
