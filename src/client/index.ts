/** `engram/client`: the public API of the TypeScript SDK (every export listed here is a decision). */
export { KeysApi, type ListUsersOptions, TenantsApi, type UserPageOptions, UsersApi } from "./admin.js";
export { AppsApi } from "./apps.js";
export { type ChatOptions, ChatStream } from "./chat.js";
export { type CreateSessionOptions, EngramClient, type EngramClientOptions } from "./client.js";
export { EngramError, EngramNetworkError, EngramTimeoutError } from "./errors.js";
export { type ListMemoriesOptions, MemoriesApi, type PageOptions } from "./memories.js";
export { type ListSessionsOptions, type SessionPageOptions, SessionsApi } from "./sessions.js";
export type { FetchLike } from "./transport.js";
export type {
  AddMemoryInput,
  AddMemoryResult,
  ApiKey,
  App,
  AppendMessageInput,
  CallOptions,
  ChatResult,
  CreateAppInput,
  CreatedKey,
  CreatedUser,
  CreateKeyInput,
  CreateSessionInput,
  CreateTenantInput,
  CreateUserInput,
  DeletedUser,
  ExtractionResult,
  ListMemoriesInput,
  ListSessionsInput,
  ListUsersInput,
  Me,
  Memory,
  MemoryEvent,
  Message,
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
