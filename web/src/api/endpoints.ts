/** One typed function per API call the dashboard makes; the views call these, never paths. */
import type { Api } from "./client";
import type {
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
  OwnKey,
  PageOf,
  SearchResult,
  Session,
  SessionDetail,
  Stats,
  Tenant,
  User,
} from "./types";

const seg = encodeURIComponent;

export const me = (api: Api): Promise<Me> => api.get<Me>("/v1/me");

// --- memories -------------------------------------------------------------------------------------------

export interface MemoryListQuery {
  limit?: number;
  cursor?: string | null;
  app?: string;
  session_id?: string;
  state?: MemoryState;
  created_after?: string;
  created_before?: string;
}

export async function listMemories(api: Api, q: MemoryListQuery): Promise<PageOf<Memory>> {
  const r = await api.get<{ memories: Memory[]; next_cursor: string | null }>("/v1/memories", { ...q });
  return { items: r.memories, next_cursor: r.next_cursor };
}

export interface SearchFilters {
  app?: string;
  session_id?: string;
  state?: MemoryState;
  created_after?: string;
  created_before?: string;
}

export async function searchMemories(
  api: Api,
  query: string,
  filters: SearchFilters,
  limit = 20,
): Promise<SearchResult[]> {
  const f = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined && v !== ""));
  const body = { query, limit, mode: "hybrid", ...(Object.keys(f).length ? { filters: f } : {}) };
  return (await api.post<{ results: SearchResult[] }>("/v1/memories/search", body)).results;
}

export const addMemory = (api: Api, body: { text: string; app?: string; session_id?: string }) =>
  api.post<Memory>("/v1/memories", body);

export const updateMemory = (api: Api, id: string, body: { text?: string; state?: MemoryState }) =>
  api.patch<Memory>(`/v1/memories/${seg(id)}`, body);

export const deleteMemory = (api: Api, id: string) => api.del<unknown>(`/v1/memories/${seg(id)}`);

export const memoryHistory = async (api: Api, id: string): Promise<MemoryEvent[]> =>
  (await api.get<{ events: MemoryEvent[] }>(`/v1/memories/${seg(id)}/history`)).events;

// --- sessions and apps ----------------------------------------------------------------------------------

export async function listSessions(api: Api, cursor: string | null, limit = 20): Promise<PageOf<Session>> {
  const r = await api.get<{ sessions: Session[]; next_cursor: string | null }>("/v1/sessions", {
    limit,
    cursor,
  });
  return { items: r.sessions, next_cursor: r.next_cursor };
}

export const getSession = (api: Api, id: string) => api.get<SessionDetail>(`/v1/sessions/${seg(id)}`);

export const listApps = async (api: Api): Promise<App[]> => (await api.get<{ apps: App[] }>("/v1/apps")).apps;

export const setAppActive = (api: Api, id: string, isActive: boolean) =>
  api.patch<App>(`/v1/apps/${seg(id)}`, { is_active: isActive });

// --- keys -----------------------------------------------------------------------------------------------

export interface NewKey {
  name?: string;
  scopes?: string[];
  expires_at?: string;
}

export const listMyKeys = async (api: Api): Promise<OwnKey[]> =>
  (await api.get<{ keys: OwnKey[] }>("/v1/me/keys")).keys;
export const createMyKey = (api: Api, body: NewKey) => api.post<CreatedKey>("/v1/me/keys", body);
export const revokeMyKey = (api: Api, id: string) => api.del<unknown>(`/v1/me/keys/${seg(id)}`);

export const listKeys = async (api: Api, tenant?: string): Promise<ApiKey[]> =>
  (await api.get<{ keys: ApiKey[] }>("/v1/keys", { tenant })).keys;
export const revokeKey = (api: Api, id: string) => api.del<ApiKey>(`/v1/keys/${seg(id)}`);
export const createClientKey = (api: Api, tenant: string, body: NewKey) =>
  api.post<CreatedKey>(`/v1/tenants/${seg(tenant)}/keys`, body);

// --- admin ----------------------------------------------------------------------------------------------

export interface UserListQuery {
  tenant?: string;
  q?: string;
  inactive_since?: string;
  limit?: number;
  cursor?: string | null;
}

export async function listUsers(api: Api, q: UserListQuery): Promise<PageOf<User>> {
  const r = await api.get<{ users: User[]; next_cursor: string | null }>("/v1/users", { ...q });
  return { items: r.users, next_cursor: r.next_cursor };
}

export const getUser = (api: Api, userId: string, tenant: string) =>
  api.get<User>(`/v1/users/${seg(userId)}`, { tenant });

export const createUser = (
  api: Api,
  body: { user_id: string; tenant?: string; name?: string; email?: string },
) => api.post<CreatedUser>("/v1/users", body);

export const deleteUser = (api: Api, userId: string, tenant: string) =>
  api.del<DeletedUser>(`/v1/users/${seg(userId)}`, { tenant });

export const listTenants = async (api: Api): Promise<Tenant[]> =>
  (await api.get<{ tenants: Tenant[] }>("/v1/tenants")).tenants;
export const createTenant = (api: Api, body: { id: string; name?: string }) =>
  api.post<Tenant>("/v1/tenants", body);

export interface AuditQuery {
  user_id?: string;
  tenant?: string;
  action?: string;
  since?: string;
  limit?: number;
  cursor?: string | null;
}

export async function listAudit(api: Api, q: AuditQuery): Promise<PageOf<AuditEvent>> {
  const r = await api.get<{ events: AuditEvent[]; next_cursor: string | null }>("/v1/audit", { ...q });
  return { items: r.events, next_cursor: r.next_cursor };
}

export const stats = (api: Api, days = 30) => api.get<Stats>("/v1/stats", { days });
