/** The SDK's request and response types, taken from the server's zod schemas (type-only: no zod at runtime). */
import type { z } from "@hono/zod-openapi";
import type { App, CreateAppBody, UpdateAppBody } from "../apps/schemas.js";
import type { AuditEvent, AuditQuery } from "../audit/schemas.js";
import type { ChatResult } from "../chat/schemas.js";
import type {
  ApiKey,
  CreatedKey,
  CreatedUser,
  CreateKeyBody,
  CreateTenantBody,
  CreateUserBody,
  DeletedUser,
  ListUsersQuery,
  Me,
  OwnKey,
  RotatedKey,
  RotateKeyBody,
  Tenant,
  UpdateUserBody,
  User,
} from "../identity/schemas.js";
import type {
  AddMemoryBody,
  BatchAddBody,
  BatchAddResult,
  ExtractionResultSchema,
  ListQuery,
  Memory,
  MemoryEvent,
  SearchBody,
  SearchResult,
  UpdateMemoryBody,
} from "../memories/schemas.js";
import type {
  AppendMessageBody,
  CreateSessionBody,
  ListSessionsQuery,
  Message,
  Session,
  SessionDetail,
} from "../sessions/schemas.js";
import type { Stats } from "../stats/schemas.js";
import type { TransferRecord } from "../transfer/format.js";
import type { ExportQuery, ImportSummarySchema } from "../transfer/schemas.js";

export type {
  ApiKey,
  App,
  BatchAddResult,
  AuditEvent,
  ChatResult,
  CreatedKey,
  CreatedUser,
  DeletedUser,
  Me,
  Memory,
  MemoryEvent,
  Message,
  OwnKey,
  RotatedKey,
  SearchResult,
  Session,
  SessionDetail,
  Stats,
  Tenant,
  User,
};

export type AddMemoryInput = z.input<typeof AddMemoryBody>;
export type UpdateMemoryInput = z.input<typeof UpdateMemoryBody>;
/** One item of POST /v1/memories/batch. */
export type BatchAddItem = z.input<typeof BatchAddBody>["items"][number];
export type SearchInput = z.input<typeof SearchBody>;
/** Query of GET /v1/memories, without the cursor the iterator manages (`limit` is the page size). */
export type ListMemoriesInput = Omit<z.input<typeof ListQuery>, "cursor" | "limit"> & { limit?: number };
export type ExtractionResult = z.infer<typeof ExtractionResultSchema>;
/** POST /v1/memories: the memory, or with `infer: true` the changes extraction applied. */
export type AddMemoryResult = Memory | { results: ExtractionResult[] };

export type CreateSessionInput = z.input<typeof CreateSessionBody>;
export type AppendMessageInput = z.input<typeof AppendMessageBody>;
export type ListSessionsInput = { limit?: number } & Omit<
  z.input<typeof ListSessionsQuery>,
  "cursor" | "limit"
>;

export type CreateAppInput = z.input<typeof CreateAppBody>;
export type UpdateAppInput = z.input<typeof UpdateAppBody>;

export type CreateUserInput = z.input<typeof CreateUserBody>;
export type UpdateUserInput = z.input<typeof UpdateUserBody>;
export type ListUsersInput = Omit<z.input<typeof ListUsersQuery>, "cursor" | "limit"> & { limit?: number };
export type CreateKeyInput = z.input<typeof CreateKeyBody>;
export type RotateKeyInput = z.input<typeof RotateKeyBody>;
export type CreateTenantInput = z.input<typeof CreateTenantBody>;
/** POST /v1/me/keys: as an admin's key creation, without `app` (the new key is bound to the calling key's app). */
export type CreateOwnKeyInput = Omit<CreateKeyInput, "app">;

/** Filters of GET /v1/audit, without the cursor the iterator manages (`limit` is the page size). */
export type ListAuditInput = Omit<z.input<typeof AuditQuery>, "cursor" | "limit"> & { limit?: number };

/** What GET /v1/export exports: with the admin key a user (`user_id`, `tenant`), a tenant, or `all`. */
export type ExportInput = Omit<z.input<typeof ExportQuery>, "all"> & { all?: boolean };
/** One record of an export file: header, tenant, user, app, memory, memory_event, session, message, end. */
export type ExportRecord = TransferRecord;
/** POST /v1/import's answer: what was imported, skipped and refused. */
export type ImportSummary = z.infer<typeof ImportSummarySchema>;

/** One page of a cursor-paginated listing. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Options every call takes. */
export interface CallOptions {
  /** Act as this user (sent as X-User-Id); overrides the client's `userId`. */
  userId?: string;
  /** Cancels the call, retries included. */
  signal?: AbortSignal;
  /** Overrides the client's `timeoutMs` for this call. */
  timeoutMs?: number;
}

/** Options of admin calls that name a user or filter keys: the tenant, else the client's `tenantId`, else `default`. */
export interface TenantCallOptions extends CallOptions {
  tenant?: string;
}
