/** What `engram memories` and `engram sessions` do as one user, behind one interface with two faces: a server's REST API, or the local store. */
import type { Memory, SearchResult } from "../memories/schemas.js";
import type { Session, SessionDetail } from "../sessions/schemas.js";

export interface MemoryAddInput {
  text: string;
  metadata?: Record<string, unknown> | undefined;
  app?: string | undefined;
  session_id?: string | undefined;
  /** ISO 8601; undefined: now. */
  occurred_at?: string | undefined;
}

export interface MemoryListInput {
  limit: number;
  cursor?: string | undefined;
  app?: string | undefined;
  state?: Memory["state"] | undefined;
}

export interface MemorySearchInput {
  query: string;
  limit: number;
  mode?: "hybrid" | "semantic" | "keyword" | undefined;
  threshold?: number | undefined;
}

export interface MemoryUpdateInput {
  text?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  state?: Memory["state"] | undefined;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

export interface MemoryApi {
  /** How this API reaches the data, for the stderr line: "the server at …" or "embedded PGlite at …". */
  readonly via: string;
  /**
   * `created` is false when an identical active memory existed and is returned instead; undefined when the face
   * cannot tell (the REST answer's 201/200 is not visible through requestJson).
   */
  add(input: MemoryAddInput): Promise<{ memory: Memory; created?: boolean | undefined }>;
  search(input: MemorySearchInput): Promise<SearchResult[]>;
  list(input: MemoryListInput): Promise<Page<Memory>>;
  get(id: string): Promise<Memory>;
  update(id: string, patch: MemoryUpdateInput): Promise<Memory>;
  delete(id: string): Promise<void>;
  listSessions(input: { limit: number; cursor?: string | undefined }): Promise<Page<Session>>;
  getSession(id: string): Promise<SessionDetail>;
  close(): Promise<void>;
}
