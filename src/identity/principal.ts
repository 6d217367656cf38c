/** Who is calling (the key's principal) and, for user-scoped work, which user the call acts as. */
import type { KeyKind, Scope } from "./keys.js";

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

/** The user a request acts as. `userPk` is the internal id RLS is keyed on; `userId` the external one. */
export interface Actor {
  principal: Principal;
  tenantId: string;
  userPk: string;
  userId: string;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.kind === "admin" || p.kind === "open" || p.scopes.has(scope);
}
