/** The admin operations the CLI needs, behind one interface with two faces: the database directly, or a server's admin API. */
import type { AuditEvent } from "../audit/store.js";
import type { Scope } from "../identity/keys.js";
import type { ApiKey, RotatedKey, Tenant, User } from "../identity/schemas.js";

export interface KeyInput {
  name?: string | undefined;
  scopes?: Scope[] | undefined;
  expires_at?: string | undefined;
}

export interface CreatedKey {
  /** The key itself: shown once. */
  api_key: string;
  key: ApiKey;
}

export interface CreateUserInput {
  user_id: string;
  tenant?: string | undefined;
  name?: string | undefined;
  email?: string | undefined;
}

/** The filters of `engram users list` (GET /v1/users's query without the paging). */
export interface UserListFilter {
  tenant?: string | undefined;
  /** Case-insensitive substring of the user id, name or email. */
  q?: string | undefined;
  /** Users never active, or last active before this instant (ISO date-time). */
  inactive_since?: string | undefined;
}

/** What deleting a user removed (DELETE /v1/users/{user_id}'s counts). */
export interface DeletedUserCounts {
  deleted_memories: number;
  deleted_sessions: number;
  deleted_keys: number;
}

/** The filters of `engram audit` (GET /v1/audit's query without the paging). */
export interface AuditListFilter {
  user_id?: string | undefined;
  tenant?: string | undefined;
  key_id?: string | undefined;
  action?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

export interface AdminApi {
  /** How this API reaches the data, for messages: "the running server at …" or "embedded PGlite at …". */
  readonly via: string;
  createTenant(id: string, name?: string): Promise<Tenant>;
  listTenants(): Promise<Tenant[]>;
  createUser(input: CreateUserInput): Promise<CreatedKey & { user: User }>;
  /** Every user (all pages) matching `filter`. */
  listUsers(filter: UserListFilter): Promise<User[]>;
  deleteUser(tenant: string, userId: string): Promise<DeletedUserCounts>;
  createUserKey(tenant: string, userId: string, opts: KeyInput): Promise<CreatedKey>;
  createClientKey(tenant: string, opts: KeyInput): Promise<CreatedKey>;
  createAdminKey(opts: KeyInput): Promise<CreatedKey>;
  /** With `user`, that user's keys (in `tenant`, default `default`); otherwise all keys, optionally of one tenant. */
  listKeys(filter: { tenant?: string | undefined; user?: string | undefined }): Promise<ApiKey[]>;
  revokeKey(keyId: string): Promise<ApiKey>;
  /** `graceSeconds` > 0: the old key keeps working that long (never past its own expiry) instead of stopping now. */
  rotateKey(keyId: string, graceSeconds?: number): Promise<RotatedKey>;
  /** The newest `limit` audit events matching `filter`, newest first (as many pages as that takes). */
  listAudit(filter: AuditListFilter, limit: number): Promise<AuditEvent[]>;
  close(): Promise<void>;
}
