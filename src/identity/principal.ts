/** Who is calling (the key's principal) and, for user-scoped work, which user the call acts as. */
import { AppError } from "../errors.js";
import type { KeyKind, Scope } from "./keys.js";

/** The user a client key (or a keyless local request) acts as when it names none: MUXI's single-user mode. */
export const DEFAULT_USER_ID = "0";

export interface Principal {
  /** "open": no key, accepted only in the explicit local_open auth mode on a loopback bind. */
  kind: KeyKind | "open";
  keyId: string | null;
  tenantId: string | null;
  /** For user keys: the one user the key is bound to (internal id). */
  userPk: string | null;
  scopes: ReadonlySet<string>;
  /** The app a key is bound to: what it writes is recorded as that app's. */
  app?: string | null;
}

/** Where a request came from, for the audit log (src/audit/store.ts): set by the HTTP face, absent elsewhere. */
export interface RequestContext {
  requestId?: string | undefined;
  clientAddr?: string | undefined;
}

/** The user a request acts as. `userPk` is the internal id RLS is keyed on; `userId` the external one. */
export interface Actor {
  principal: Principal;
  tenantId: string;
  userPk: string;
  userId: string;
  /** The request's id and client address, recorded with every change the actor makes. */
  context?: RequestContext | undefined;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.kind === "admin" || p.kind === "open" || p.scopes.has(scope);
}

/** Throws insufficient_scope (403) naming the first of `scopes` the principal lacks. */
export function requireScopes(p: Principal, scopes: readonly Scope[]): void {
  for (const scope of scopes) {
    if (!hasScope(p, scope)) throw new AppError("insufficient_scope", `this key lacks the '${scope}' scope`);
  }
}

/**
 * The keyless principal: requests without a key in the local_open auth mode, and `engram mcp --user` on the local
 * store. Like a client key it acts for any user of its tenant, created on first use.
 */
export function openPrincipal(tenantId = "default"): Principal {
  return { kind: "open", keyId: null, tenantId, userPk: null, scopes: new Set() };
}
