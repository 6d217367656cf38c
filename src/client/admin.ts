/** Admin groups (an admin key): `client.users`, `client.keys` and `client.tenants`. */
import { paginate } from "./pages.js";
import type { Transport } from "./transport.js";
import type {
  ApiKey,
  CallOptions,
  CreatedKey,
  CreatedUser,
  CreateKeyInput,
  CreateTenantInput,
  CreateUserInput,
  DeletedUser,
  ListUsersInput,
  Page,
  RotatedKey,
  RotateKeyInput,
  Tenant,
  TenantCallOptions,
  UpdateUserInput,
  User,
} from "./types.js";

export interface ListUsersOptions extends ListUsersInput, CallOptions {}
export interface UserPageOptions extends ListUsersOptions {
  cursor?: string;
}

const enc = encodeURIComponent;

/** `client.users`: users of a tenant and their keys. */
export class UsersApi {
  constructor(
    private readonly t: Transport,
    private readonly defaultTenant: string | undefined,
  ) {}

  private tenant(opts: TenantCallOptions): { tenant: string | undefined } {
    return { tenant: opts.tenant ?? this.defaultTenant };
  }

  /** Creates the user (in `input.tenant`, else the client's `tenantId`) and its first key, shown once. */
  create(input: CreateUserInput, opts: CallOptions = {}): Promise<CreatedUser> {
    const tenant = input.tenant ?? this.defaultTenant;
    return this.t.json({
      ...opts,
      method: "POST",
      path: "/v1/users",
      body: { ...input, ...(tenant ? { tenant } : {}) },
    });
  }

  /** Every user matching the filters, as an async iterator that fetches page by page. */
  list(opts: ListUsersOptions = {}): AsyncGenerator<User> {
    return paginate((cursor) => this.page({ ...opts, ...(cursor ? { cursor } : {}) }));
  }

  async page(opts: UserPageOptions = {}): Promise<Page<User>> {
    const { userId, signal, timeoutMs, ...query } = opts;
    const res = await this.t.json<{ users: User[]; next_cursor: string | null }>({
      userId,
      signal,
      timeoutMs,
      method: "GET",
      path: "/v1/users",
      query: { ...query, tenant: query.tenant ?? this.defaultTenant },
    });
    return { items: res.users, nextCursor: res.next_cursor };
  }

  get(userId: string, opts: TenantCallOptions = {}): Promise<User> {
    return this.t.json({
      ...opts,
      method: "GET",
      path: `/v1/users/${enc(userId)}`,
      query: this.tenant(opts),
    });
  }

  update(userId: string, input: UpdateUserInput, opts: TenantCallOptions = {}): Promise<User> {
    return this.t.json({
      ...opts,
      method: "PATCH",
      path: `/v1/users/${enc(userId)}`,
      query: this.tenant(opts),
      body: input,
    });
  }

  /** Deletes the user and everything it owns. */
  delete(userId: string, opts: TenantCallOptions = {}): Promise<DeletedUser> {
    return this.t.json({
      ...opts,
      method: "DELETE",
      path: `/v1/users/${enc(userId)}`,
      query: this.tenant(opts),
    });
  }

  /** The user's keys: `list` (never the secrets) and `create` (the new key, shown once). */
  readonly keys = {
    list: async (userId: string, opts: TenantCallOptions = {}): Promise<ApiKey[]> => {
      const res = await this.t.json<{ keys: ApiKey[] }>({
        ...opts,
        method: "GET",
        path: `/v1/users/${enc(userId)}/keys`,
        query: this.tenant(opts),
      });
      return res.keys;
    },
    create: (userId: string, input: CreateKeyInput = {}, opts: TenantCallOptions = {}): Promise<CreatedKey> =>
      this.t.json({
        ...opts,
        method: "POST",
        path: `/v1/users/${enc(userId)}/keys`,
        query: this.tenant(opts),
        body: input,
      }),
  };
}

/** `client.keys`: admin keys, and listing, revoking and rotating any key. */
export class KeysApi {
  constructor(private readonly t: Transport) {}

  /** Creates another admin key, shown once. */
  create(input: CreateKeyInput = {}, opts: CallOptions = {}): Promise<CreatedKey> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/keys", body: input });
  }

  /** Every key, or only those of `opts.tenant`. */
  async list(opts: TenantCallOptions = {}): Promise<ApiKey[]> {
    const res = await this.t.json<{ keys: ApiKey[] }>({
      ...opts,
      method: "GET",
      path: "/v1/keys",
      query: { tenant: opts.tenant },
    });
    return res.keys;
  }

  revoke(keyId: string, opts: CallOptions = {}): Promise<ApiKey> {
    return this.t.json({ ...opts, method: "DELETE", path: `/v1/keys/${enc(keyId)}` });
  }

  /** A new key of the same kind, owner and scopes; the old one stops at once, or after `grace_seconds`. */
  rotate(keyId: string, input: RotateKeyInput = {}, opts: CallOptions = {}): Promise<RotatedKey> {
    return this.t.json({ ...opts, method: "POST", path: `/v1/keys/${enc(keyId)}/rotate`, body: input });
  }
}

/** `client.tenants`: tenants and their client keys (which act for any user named in X-User-Id). */
export class TenantsApi {
  constructor(private readonly t: Transport) {}

  create(input: CreateTenantInput, opts: CallOptions = {}): Promise<Tenant> {
    return this.t.json({ ...opts, method: "POST", path: "/v1/tenants", body: input });
  }

  async list(opts: CallOptions = {}): Promise<Tenant[]> {
    return (await this.t.json<{ tenants: Tenant[] }>({ ...opts, method: "GET", path: "/v1/tenants" }))
      .tenants;
  }

  createClientKey(tenantId: string, input: CreateKeyInput = {}, opts: CallOptions = {}): Promise<CreatedKey> {
    return this.t.json({ ...opts, method: "POST", path: `/v1/tenants/${enc(tenantId)}/keys`, body: input });
  }
}
