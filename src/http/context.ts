/** The services every route reaches through the Hono context, and the context's typed variables. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import type { Config } from "../config/config.js";
import type { Db } from "../db/db.js";
import type { Embedder } from "../embeddings/embedder.js";
import type { IdentityService } from "../identity/service.js";
import type { Principal } from "../identity/principal.js";
import type { MemoryService } from "../memories/service.js";

export interface Services {
  config: Config;
  db: Db;
  embedder: Embedder;
  identity: IdentityService;
  memories: MemoryService;
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
