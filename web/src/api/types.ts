/**
 * The shapes the dashboard reads from the API: the server's own zod-inferred types, re-exported so that views
 * import from here and never from src/. Type-only imports: the build erases them, so no server code or zod
 * reaches the bundle.
 */

import type { App } from "../../../src/apps/schemas.js";
import type { AuditEvent } from "../../../src/audit/schemas.js";
import type {
  ApiKey,
  CreatedKey,
  CreatedUser,
  DeletedUser,
  Me,
  OwnKey,
  Tenant,
  User,
} from "../../../src/identity/schemas.js";
import type { Scope } from "../../../src/identity/scopes.js";
import type { Memory, MemoryEvent, MemoryState, SearchResult } from "../../../src/memories/schemas.js";
import type { Message, Session, SessionDetail } from "../../../src/sessions/schemas.js";
import type { Stats, StatsDay } from "../../../src/stats/schemas.js";

export type {
  ApiKey,
  App,
  AuditEvent,
  CreatedKey,
  CreatedUser,
  DeletedUser,
  Me,
  Memory,
  MemoryEvent,
  MemoryState,
  Message,
  OwnKey,
  Scope,
  SearchResult,
  Session,
  SessionDetail,
  Stats,
  StatsDay,
  Tenant,
  User,
};

/** Who a key is: GET /v1/me's `kind` (`open` when the server runs without keys). */
export type KeyKind = Me["kind"];

/** Compiles only when `Missing` is never, i.e. when a list below names every value the server has. */
type NoneMissing<Missing extends never> = Missing;

// The browser needs these lists at run time, so they are written here; the checks tie them to the server's.
export const MEMORY_STATES = [
  "active",
  "paused",
  "archived",
  "deleted",
] as const satisfies readonly MemoryState[];
type _AllStates = NoneMissing<Exclude<MemoryState, (typeof MEMORY_STATES)[number]>>;

export const SCOPES = [
  "memories:read",
  "memories:write",
  "sessions:read",
  "sessions:write",
] as const satisfies readonly Scope[];
type _AllScopes = NoneMissing<Exclude<Scope, (typeof SCOPES)[number]>>;

/** A cursor-paged list as the API returns it, under the resource's own name. */
export interface PageOf<T> {
  items: T[];
  next_cursor: string | null;
}
