/** Key -> principal -> acting user, for every authenticated route. */
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors.js";
import type { Scope } from "../identity/keys.js";
import { type Actor, openPrincipal, type Principal, requireScopes } from "../identity/principal.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import type { AppEnv } from "./context.js";
import { checkHostAndOrigin } from "./host-guard.js";

/** The key may come as a bearer token, X-Api-Key, or MUXI's X-Muxi-Client-Key. */
export function presentedKey(c: Context): string | undefined {
  const auth = c.req.header("authorization");
  if (auth) {
    const m = /^(?:Bearer|Token)\s+(\S+)\s*$/i.exec(auth);
    if (!m)
      throw new AppError("unauthorized", "Authorization: expected 'Bearer <key>'", {
        field: "Authorization",
      });
    return m[1];
  }
  return c.req.header("x-api-key") ?? c.req.header("x-muxi-client-key") ?? undefined;
}

/** Rejects requests without a valid key, except in the explicit local_open mode (loopback only, checked at start-up). */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { identity, config } = c.var.services;
  const key = presentedKey(c);
  if (!key) {
    if (config.authMode === "local_open") {
      // The bind is loopback, but a web page in the developer's browser is on loopback too: keyless requests must
      // name this server in Host and Origin, so a page (or a DNS-rebound name) cannot read or plant memories.
      checkHostAndOrigin(c, "keyless requests in local_open mode; send an API key");
      c.set("principal", openPrincipal());
      return next();
    }
    throw new AppError("unauthorized", "an API key is required: send 'Authorization: Bearer <key>'");
  }
  c.set("principal", await identity.authenticate(key));
  return next();
};

export function requireAdmin(c: Context<AppEnv>): Principal {
  const p = c.var.principal;
  if (p.kind !== "admin") throw new AppError("forbidden", "this route needs an admin key");
  return p;
}

/** The user named by X-User-Id / X-Muxi-User-Id, with X-Muxi-Tenant-Id folded in as MUXI does (`acme:user_123`). */
export function requestedUser(c: Context): string | undefined {
  const header = c.req.header("x-user-id") !== undefined ? "X-User-Id" : "X-Muxi-User-Id";
  const raw = c.req.header("x-user-id") ?? c.req.header("x-muxi-user-id");
  if (raw === undefined) return undefined;
  const muxiTenant = c.req.header("x-muxi-tenant-id");
  const id = muxiTenant && !raw.startsWith(`${muxiTenant}:`) ? `${muxiTenant}:${raw}` : raw;
  const parsed = UserIdSchema.safeParse(id);
  if (!parsed.success) {
    throw new AppError("validation_error", `${header}: ${parsed.error.issues[0]?.message ?? "invalid"}`, {
      field: header,
    });
  }
  return parsed.data;
}

/**
 * Resolves the acting user for a user-scoped route and checks the key carries `scope` (every one, given several).
 * `bodyUser` is a user id named in the request itself (OpenMemory's `user_id`); it must agree with any user header.
 */
export async function actorFor(
  c: Context<AppEnv>,
  scope: Scope | readonly Scope[],
  bodyUser?: string,
): Promise<Actor> {
  const p = c.var.principal;
  requireScopes(p, typeof scope === "string" ? [scope] : scope);
  let tenantHint: string | undefined;
  const t = c.req.header("x-tenant-id");
  if (p.kind === "admin" && t !== undefined) {
    const parsed = TenantIdSchema.safeParse(t);
    if (!parsed.success)
      throw new AppError("validation_error", "X-Tenant-Id: not a valid tenant id", { field: "X-Tenant-Id" });
    tenantHint = parsed.data;
  }
  const header = requestedUser(c);
  if (bodyUser !== undefined && header !== undefined && header !== bodyUser) {
    throw new AppError("user_mismatch", "user_id: differs from the X-User-Id header", { field: "user_id" });
  }
  return c.var.services.identity.resolveActor(p, bodyUser ?? header, tenantHint);
}
