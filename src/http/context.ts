/** The services every route reaches through the Hono context, and the context's typed variables. */
import type { OpenAPIHono, z } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { AppService } from "../apps/service.js";
import type { ChatService } from "../chat/service.js";
import type { Config } from "../config/config.js";
import type { Db } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import { AppError } from "../errors.js";
import type { Actor, Principal } from "../identity/principal.js";
import type { IdentityService } from "../identity/service.js";
import type { LlmClient } from "../llm/client.js";
import type { AddMemoryBodyInput, ExtractionResultSchema } from "../memories/schemas.js";
import type { MemoryService } from "../memories/service.js";
import type { SessionService } from "../sessions/service.js";

/** Fact extraction (infer: true): present only when an LLM is configured. */
export interface Extractor {
  extract(
    actor: Actor,
    input: AddMemoryBodyInput,
  ): Promise<{ results: Array<z.infer<typeof ExtractionResultSchema>> }>;
}

export interface Services {
  config: Config;
  db: Db;
  embedder: Embedder;
  identity: IdentityService;
  memories: MemoryService;
  apps: AppService;
  extractor?: Extractor;
  sessions: SessionService;
  chat: ChatService;
  /** The configured OpenAI-compatible LLM, if any (chat replies, fact extraction). */
  llm?: LlmClient;
  log: Logger;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    services: Services;
    principal: Principal;
  };
}

export type App = OpenAPIHono<AppEnv>;

/** The extractor, or the 422 every interface gives for `infer: true` on a server with no LLM (REST, OpenMemory, MCP). */
export function requireExtractor(services: Pick<Services, "extractor">): Extractor {
  if (!services.extractor) {
    throw new AppError(
      "llm_not_configured",
      "infer: fact extraction needs an LLM (set ENGRAM_LLM_URL and ENGRAM_LLM_MODEL); without infer the text is stored as is",
      { field: "infer" },
    );
  }
  return services.extractor;
}
