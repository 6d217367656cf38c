/** Tenants in SQL: creation, listing, and the existence check that writes into a tenant make first. */
import type { Queryable } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import { AppError } from "../errors.js";
import type { Tenant } from "./schemas.js";

interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
}

function toTenant(r: TenantRow): Tenant {
  return { id: r.id, name: r.name, created_at: new Date(r.created_at).toISOString() };
}

export async function createTenant(q: Queryable, id: string, name?: string): Promise<Tenant> {
  try {
    const rows = await q.query<TenantRow>(
      "INSERT INTO tenants (id, name) VALUES ($1, $2) RETURNING id, name, created_at",
      [id, name ?? id],
    );
    return toTenant(rows[0] as TenantRow);
  } catch (err) {
    if (isUniqueViolation(err))
      throw new AppError("tenant_exists", `tenant '${id}' already exists`, { field: "id" });
    throw err;
  }
}

export async function listTenants(q: Queryable): Promise<Tenant[]> {
  const rows = await q.query<TenantRow>("SELECT id, name, created_at FROM tenants ORDER BY id");
  return rows.map(toTenant);
}

export async function requireTenant(q: Queryable, tenantId: string): Promise<void> {
  const rows = await q.query("SELECT 1 FROM tenants WHERE id = $1", [tenantId]);
  if (rows.length === 0)
    throw new AppError("tenant_not_found", `tenant '${tenantId}' not found`, { field: "tenant" });
}
