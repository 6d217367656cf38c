/** The shapes the dashboard reads from the API (a subset of /openapi.json, written for the browser build). */

export type KeyKind = "admin" | "client" | "user" | "open";

export interface Me {
  kind: KeyKind;
  key_id: string | null;
  tenant: string | null;
  user_id: string | null;
  scopes: string[];
}

export const MEMORY_STATES = ["active", "paused", "archived", "deleted"] as const;
export type MemoryState = (typeof MEMORY_STATES)[number];

export interface Memory {
  id: string;
  text: string;
  metadata: Record<string, unknown>;
  app: string;
  session_id: string | null;
  state: MemoryState;
  created_at: string;
  updated_at: string;
}

export interface SearchResult extends Memory {
  score: number;
}

export interface MemoryEvent {
  id: string;
  memory_id: string;
  event: "add" | "update" | "state" | "delete";
  old_text: string | null;
  new_text: string | null;
  old_state: MemoryState | null;
  new_state: MemoryState | null;
  key_id: string | null;
  created_at: string;
}

export interface Session {
  id: string;
  user_id: string;
  metadata: Record<string, unknown>;
  created_at: string;
  last_activity_at: string;
  expires_at: string;
  expired: boolean;
}

export interface Message {
  id: string;
  role: "user" | "assistant" | "system" | "tool";
  content: string;
  created_at: string;
}

export interface SessionDetail extends Session {
  messages: Message[];
}

export interface App {
  id: string;
  name: string;
  description: string | null;
  is_active: boolean;
  memory_count: number;
  created_at: string;
  updated_at: string;
}

export const SCOPES = ["memories:read", "memories:write", "sessions:read", "sessions:write"] as const;

export interface ApiKey {
  id: string;
  kind: "admin" | "client" | "user";
  name: string | null;
  prefix: string;
  tenant: string | null;
  user_id: string | null;
  scopes: string[];
  app: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  created_at: string;
  /** GET /v1/me/keys: the key making the request. */
  current?: boolean;
}

export interface CreatedKey {
  api_key: string;
  key: ApiKey;
}

export interface User {
  user_id: string;
  tenant: string;
  name: string | null;
  email: string | null;
  created_at: string;
  updated_at: string;
  last_active_at: string | null;
  memory_count?: number;
  session_count?: number;
  key_count?: number;
}

export interface CreatedUser extends CreatedKey {
  user: User;
}

export interface DeletedUser {
  deleted: true;
  user_id: string;
  deleted_memories: number;
  deleted_sessions?: number;
  deleted_keys?: number;
}

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
}

export interface AuditEvent {
  id: string;
  at: string;
  key_id: string | null;
  key_kind: string;
  tenant: string | null;
  user_id: string | null;
  action: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  client_addr: string | null;
}

export interface StatsDay {
  day: string;
  new_users: number;
  active_users: number;
  memories_added: number;
  searches: number;
}

export interface Stats {
  totals: { tenants: number; users: number; memories: number; sessions: number; keys: number };
  days: StatsDay[];
}

/** A cursor-paged list as the API returns it, under the resource's own name. */
export interface PageOf<T> {
  items: T[];
  next_cursor: string | null;
}
