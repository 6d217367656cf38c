/** Key kinds and scopes as plain constants: no Node imports, so schemas (and the dashboard's types) can use them. */

export const KEY_KINDS = ["admin", "client", "user"] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

export const SCOPES = ["memories:read", "memories:write", "sessions:read", "sessions:write"] as const;
export type Scope = (typeof SCOPES)[number];
