/** Key -> principal -> acting user, for every authenticated route. */
import type { Context, MiddlewareHandler } from "hono";
import { type AuditBy, byPrincipal } from "../audit/store.js";
import { AppError } from "../errors.js";
import type { Scope } from "../identity/keys.js";
import { isUserPrincipal, NOT_FOR_THIS_KEY } from "../identity/own-keys.js";
import {
  type Actor,
  openPrincipal,
  type Principal,
  type RequestContext,
  requireScopes,
} from "../identity/principal.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import type { AppEnv } from "./context.js";
import { checkHostAndOrigin } from "./host-guard.js";
import { clientAddress } from "./rate-limit.js";

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

/**
 * Rejects requests without a valid key, except in the explicit local_open mode (loopback only, checked at start-up).
 * Rate limits (src/http/rate-limit.ts): a missing, malformed or refused key counts against the client's address, and
 * a valid user or client key against itself; over either limit the answer is 429 (a keyless local_open request is
 * not counted).
 */
export const authenticate: MiddlewareHandler<AppEnv> = async (c, next) => {
  const { config } = c.var.services;
  const limiter = c.var.rateLimiter;
  const address = clientAddress(c, config.trustProxy);
  let key: string | undefined;
  try {
    key = presentedKey(c);
  } catch (err) {
    limiter.checkAddress(address);
    await limiter.failedAuth(address);
    throw err;
  }
  if (!key) {
    if (config.authMode === "local_open") {
      // The bind is loopback, but a web page in the developer's browser is on loopback too: keyless requests must
      // name this server in Host and Origin, so a page (or a DNS-rebound name) cannot read or plant memories.
      checkHostAndOrigin(c, "keyless requests in local_open mode; send an API key");
      c.set("principal", openPrincipal());
      return next();
    }
    limiter.checkAddress(address);
    await limiter.failedAuth(address);
    throw new AppError("unauthorized", "an API key is required: send 'Authorization: Bearer <key>'");
  }
  c.set("principal", await authenticateKey(c, key, address));
  return next();
};

/**
 * A presented key -> its principal, under the rate limits: refused (429) while the address is over its
 * failed-authentication limit; a 401 counts against the address; a valid key counts against itself.
 */
export async function authenticateKey(
  c: Context<AppEnv>,
  key: string,
  address: string | undefined = clientAddress(c, c.var.services.config.trustProxy),
): Promise<Principal> {
  const limiter = c.var.rateLimiter;
  limiter.checkAddress(address);
  let principal: Principal;
  try {
    principal = await c.var.services.identity.authenticate(key);
  } catch (err) {
    if (err instanceof AppError && err.status === 401) await limiter.failedAuth(address);
    throw err;
  }
  // The admin key is the operator's: bulk administration is not throttled (docs/security.md, Rate limits).
  await limiter.keyHit(principal.kind === "admin" ? undefined : (principal.keyId ?? principal.kind), address);
  return principal;
}

/*
 * Route guards, for createRoute's `middleware`. @hono/zod-openapi runs a route's middleware before its validators,
 * so a key the route refuses gets its 403 whatever the body, query or path it sent: the answer never depends on
 * whether the request was otherwise valid. The handlers check again (requireAdminBy, routeActor): a guard left off
 * a route fails closed, as an error, instead of opening it.
 */

/** Admin routes: anything but the admin key is 403 forbidden. */
export const adminOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  requireAdmin(c);
  await next();
};

/**
 * Routes about the calling user key's own user (/v1/me/keys): anything but a user key is 403 forbidden, and so is
 * naming another user in X-User-Id (user_mismatch). No scope is needed: any user key may manage its own user's
 * keys, and what it may create is bounded by its own scopes (src/identity/own-keys.ts).
 */
export const userKeyOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  const p = c.var.principal;
  if (!isUserPrincipal(p)) throw new AppError("forbidden", NOT_FOR_THIS_KEY);
  // As everywhere: a user key naming another user in X-User-Id is 403 user_mismatch, not silently itself.
  const requested = requestedUser(c);
  if (requested !== undefined) await c.var.services.identity.identifyActor(p, requested);
  await next();
};

/** User-scoped routes: the key must carry every one of `scopes` (403 insufficient_scope naming the first missing). */
export function needs(...scopes: [Scope, ...Scope[]]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    requireScopes(c.var.principal, scopes);
    c.set("scopes", scopes);
    await next();
  };
}

export function requireAdmin(c: Context<AppEnv>): Principal {
  const p = c.var.principal;
  if (p.kind !== "admin") throw new AppError("forbidden", "this route needs an admin key");
  return p;
}

/** The request's id and client address, recorded in the audit log with every change it makes. */
export function requestContext(c: Context<AppEnv>): RequestContext {
  return { requestId: c.var.requestId, clientAddr: clientAddress(c, c.var.services.config.trustProxy) };
}

/** For admin routes that change something: requires an admin key, and returns who acts for the audit row. */
export function requireAdminBy(c: Context<AppEnv>): AuditBy {
  return byPrincipal(requireAdmin(c), requestContext(c));
}

/** Which header names the user: X-User-Id when sent, else MUXI's X-Muxi-User-Id. */
function userHeaderName(c: Context): string {
  return c.req.header("x-user-id") !== undefined ? "X-User-Id" : "X-Muxi-User-Id";
}

/** The user named by X-User-Id / X-Muxi-User-Id, with X-Muxi-Tenant-Id folded in as MUXI does (`acme:user_123`). */
export function requestedUser(c: Context): string | undefined {
  const header = userHeaderName(c);
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
 * The acting user of a route guarded by `needs(...)`, under the scopes the guard checked. `bodyUser` as for actorFor.
 * A route without the guard is a programming error: it fails (500) rather than acting without a scope check.
 */
export function routeActor(c: Context<AppEnv>, bodyUser?: string): Promise<Actor> {
  const scopes = c.var.scopes;
  if (!scopes)
    throw new Error(`${c.req.method} ${c.req.routePath}: no needs(...) guard in the route's middleware`);
  return actorFor(c, scopes, bodyUser);
}

/**
 * Resolves the acting user for user-scoped work and checks the key carries `scope` (every one, given several).
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
    throw new AppError("user_mismatch", `user_id: differs from the ${userHeaderName(c)} header`, {
      field: "user_id",
    });
  }
  return c.var.services.identity.resolveActor(p, bodyUser ?? header, {
    tenantHint,
    context: requestContext(c),
    requestedIn: bodyUser !== undefined ? "user_id" : userHeaderName(c),
  });
}
