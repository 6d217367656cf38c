/**
 * AdminApi on the configured database itself, through IdentityService: no server, no embedding model. Its changes
 * are audited with key kind `cli` (no key is involved: whoever can run this can open the database).
 */

import type { AuditEvent } from "../audit/store.js";
import { CLI_BY, listAudit } from "../audit/store.js";
import type { DatabaseConfig } from "../config/config.js";
import type { Db } from "../db/db.js";
import { describeDatabase, openDb } from "../db/open.js";
import type { User } from "../identity/schemas.js";
import { IdentityService } from "../identity/service.js";
import type { AdminApi, AuditListFilter, UserListFilter } from "./admin-api.js";

const PAGE = 500;

export class DirectAdminApi implements AdminApi {
  private constructor(
    private readonly db: Db,
    private readonly identity: IdentityService,
    readonly via: string,
  ) {}

  /** Opens (and migrates, so a fresh store works) the database. On PGlite this takes the data dir's lock. */
  static async open(
    config: DatabaseConfig,
    efSearch: number,
  ): Promise<{ api: DirectAdminApi; applied: string[] }> {
    const { db, applied } = await openDb(config, { efSearch });
    return { api: new DirectAdminApi(db, new IdentityService(db), describeDatabase(config)), applied };
  }

  createTenant(id: string, name?: string) {
    return this.identity.createTenant(id, name, CLI_BY);
  }

  listTenants() {
    return this.identity.listTenants();
  }

  createUser(input: Parameters<AdminApi["createUser"]>[0]) {
    return this.identity.createUser(input, CLI_BY);
  }

  async listUsers(filter: UserListFilter): Promise<User[]> {
    const all: User[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.identity.listUsers({ ...filter, limit: PAGE, cursor });
      all.push(...page.users);
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
    return all;
  }

  deleteUser(tenant: string, userId: string) {
    return this.identity.deleteUser(tenant, userId, CLI_BY);
  }

  createUserKey(tenant: string, userId: string, opts: Parameters<AdminApi["createUserKey"]>[2]) {
    return this.identity.createUserKey(tenant, userId, opts, CLI_BY);
  }

  createClientKey(tenant: string, opts: Parameters<AdminApi["createClientKey"]>[1]) {
    return this.identity.createClientKey(tenant, opts, CLI_BY);
  }

  createAdminKey(opts: Parameters<AdminApi["createAdminKey"]>[0]) {
    return this.identity.createAdminKey(opts, undefined, CLI_BY);
  }

  listKeys(filter: { tenant?: string | undefined; user?: string | undefined }) {
    if (filter.user !== undefined) return this.identity.listUserKeys(filter.tenant ?? "default", filter.user);
    return this.identity.listKeys({ tenant: filter.tenant });
  }

  revokeKey(keyId: string) {
    return this.identity.revokeKey(keyId, CLI_BY);
  }

  rotateKey(keyId: string, graceSeconds?: number) {
    return this.identity.rotateKey(keyId, { grace_seconds: graceSeconds }, CLI_BY);
  }

  async listAudit(filter: AuditListFilter, limit: number): Promise<AuditEvent[]> {
    const all: AuditEvent[] = [];
    let cursor: string | undefined;
    do {
      const page = await listAudit(this.db, { ...filter, limit: Math.min(PAGE, limit - all.length), cursor });
      all.push(...page.events);
      cursor = page.next_cursor ?? undefined;
    } while (cursor && all.length < limit);
    return all;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
