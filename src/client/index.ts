/** `engram/client`: the public API of the TypeScript SDK (every export listed here is a decision). */
export { KeysApi, type ListUsersOptions, TenantsApi, type UserPageOptions, UsersApi } from "./admin.js";
export { AppsApi } from "./apps.js";
export { AuditApi, type AuditPageOptions, type ListAuditOptions } from "./audit.js";
export { type ChatOptions, ChatStream } from "./chat.js";
export { type CreateSessionOptions, EngramClient, type EngramClientOptions } from "./client.js";
export { EngramError, EngramNetworkError, EngramTimeoutError } from "./errors.js";
export { type ListMemoriesOptions, MemoriesApi, type PageOptions } from "./memories.js";
export { OwnKeysApi } from "./own-keys.js";
export { type ListSessionsOptions, type SessionPageOptions, SessionsApi } from "./sessions.js";
export type { FetchLike, UploadBody } from "./transport.js";
export type {
  AddMemoryInput,
  AddMemoryResult,
  ApiKey,
  App,
  AppendMessageInput,
  AuditEvent,
  BatchAddItem,
  BatchAddResult,
  CallOptions,
  ChatResult,
  CreateAppInput,
  CreatedKey,
  CreatedUser,
  CreateKeyInput,
  CreateOwnKeyInput,
  CreateSessionInput,
  CreateTenantInput,
  CreateUserInput,
  DeletedUser,
  ExportInput,
  ExportRecord,
  ExtractionResult,
  ImportSummary,
  ListAuditInput,
  ListMemoriesInput,
  ListSessionsInput,
  ListUsersInput,
  Me,
  Memory,
  MemoryEvent,
  Message,
  OwnKey,
  Page,
  RotatedKey,
  RotateKeyInput,
  SearchInput,
  SearchResult,
  Session,
  SessionDetail,
  Stats,
  Tenant,
  TenantCallOptions,
  UpdateAppInput,
  UpdateMemoryInput,
  UpdateUserInput,
  User,
} from "./types.js";
