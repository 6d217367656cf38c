/** The service container every face stands on (REST, MCP, CLI, dashboard), and its assembly from the configuration. */
import type { Logger } from "pino";
import { AppService } from "./apps/service.js";
import { AuditService } from "./audit/service.js";
import { ChatService } from "./chat/service.js";
import type { Config } from "./config/config.js";
import type { Db } from "./db/db.js";
import { openDb } from "./db/open.js";
import { createEmbedder } from "./embeddings/create-embedder.js";
import type { Embedder } from "./embeddings/embedder.js";
import { adminKeyWeakness } from "./identity/keys.js";
import { IdentityService } from "./identity/service.js";
import { createLlmClient, type LlmClient } from "./llm/client.js";
import { createEndpointReranker, createLlmReranker, type Reranker } from "./memories/rerank.js";
import { MemoryService } from "./memories/service.js";
import { ensureVectorIndex } from "./memories/vector-index.js";
import { SessionService } from "./sessions/service.js";
import { StatsService } from "./stats/service.js";
import { UsageCounters } from "./stats/usage.js";

export interface Services {
  config: Config;
  db: Db;
  embedder: Embedder;
  identity: IdentityService;
  memories: MemoryService;
  apps: AppService;
  sessions: SessionService;
  chat: ChatService;
  /** The audit log: listing and retention (each service writes its own rows). */
  audit: AuditService;
  /** The admin overview's numbers (GET /v1/stats). */
  stats: StatsService;
  /** This server's usage counters (searches per day), flushed to the database every few seconds and at close. */
  usage: UsageCounters;
  /** The configured OpenAI-compatible LLM, if any (chat replies, fact extraction). */
  llm?: LlmClient;
  log: Logger;
}

export interface OpenServices {
  services: Services;
  /** Closes the database and, unless it was passed in, the embedder. */
  close(): Promise<void>;
}

/** Opens and migrates the database, loads the embedder, and builds the services on them. */
export async function createServices(
  config: Config,
  log: Logger,
  opts: { embedder?: Embedder } = {},
): Promise<OpenServices> {
  // The model loads in its worker while the database opens.
  const embedderPromise = opts.embedder ? Promise.resolve(opts.embedder) : createEmbedder(config.embeddings);
  let db: Db | undefined;
  try {
    const opened = await openDb(config.database, {
      efSearch: config.search.efSearch,
      log,
      statementTimeoutMs: config.limits.statementTimeoutMs,
    });
    db = opened.db;
    if (opened.applied.length > 0) log.info({ migrations: opened.applied }, "applied migrations");
    const embedder = await embedderPromise;
    const vectors = await ensureVectorIndex(db, embedder);
    if (vectors.otherModels.length > 0) {
      // Searches by meaning skip these memories on this server until the reindex moves or finishes them.
      log.warn(
        { other_models: vectors.otherModels, reindex_target: vectors.reindexTarget },
        "a reindex is in progress: memories on another model are found by keyword only on this server",
      );
    }
    const llm = config.llm ? createLlmClient(config.llm) : undefined;
    const usage = new UsageCounters(db, { log });
    const memories = new MemoryService(db, embedder, {
      usage,
      maxTextLength: config.limits.textChars,
      memoryQuota: config.limits.memoryQuota,
      search: config.search,
      reranker: createReranker(config, llm),
      llm,
      log,
    });
    const sessions = new SessionService(db, {
      timeoutSeconds: config.sessionTimeoutSeconds,
      maxTextLength: config.limits.textChars,
    });
    const services: Services = {
      config,
      db,
      embedder,
      identity: new IdentityService(db, log),
      memories,
      apps: new AppService(db),
      sessions,
      chat: new ChatService({ sessions, memories, llm, log, maxTextLength: config.limits.textChars }),
      audit: new AuditService(db, { retentionDays: config.audit.retentionDays, log }),
      stats: new StatsService(db, usage),
      usage,
      log,
      ...(llm ? { llm } : {}),
    };
    const owned = db;
    usage.start();
    return {
      services,
      async close() {
        // Before the database closes: the last seconds' counts are written.
        await usage.close();
        if (!opts.embedder) await embedder.close();
        await owned.close();
      },
    };
  } catch (err) {
    // The start-up error is what the caller must see; a failure to clean up after it is only logged.
    await db
      ?.close()
      .catch((closeErr: unknown) =>
        log.warn({ err: closeErr }, "closing the database after a failed start-up failed"),
      );
    if (!opts.embedder) {
      await embedderPromise
        .then((e) => e.close())
        .catch((closeErr: unknown) =>
          log.warn({ err: closeErr }, "closing the embedder after a failed start-up failed"),
        );
    }
    throw err;
  }
}

function createReranker(config: Config, llm: LlmClient | undefined): Reranker | undefined {
  const r = config.search.rerank;
  if (r.mode === "endpoint" && r.url) {
    return createEndpointReranker({
      url: r.url,
      model: r.model,
      apiKey: r.apiKey,
      timeoutMs: config.llm?.timeoutMs ?? 10_000,
    });
  }
  if (r.mode === "llm" && llm) return createLlmReranker(llm);
  return undefined;
}

/** First start on an empty store creates an admin key and prints it once; ENGRAM_ADMIN_KEY replaces that. */
export async function bootstrapAdmin(
  identity: IdentityService,
  config: Config,
  log?: Logger,
): Promise<string | undefined> {
  if (config.adminKey) {
    const weakness = adminKeyWeakness(config.adminKey);
    if (weakness) log?.warn(weakness);
    const { revoked } = await identity.ensureAdminKey(config.adminKey);
    for (const key of revoked) {
      log?.warn(
        { key_id: key.id, prefix: key.prefix },
        "ENGRAM_ADMIN_KEY changed: the previous one is revoked and no longer works",
      );
    }
    return undefined;
  }
  if (await identity.hasActiveAdminKey()) return undefined;
  const created = await identity.createAdminKey({ name: "bootstrap" });
  return created.api_key;
}
