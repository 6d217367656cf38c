/** Starts Engram: open and migrate the database, load the embedder, bootstrap the admin key, serve HTTP. */
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import { AppService } from "./apps/service.js";
import { ChatService } from "./chat/service.js";
import type { Config } from "./config/config.js";
import type { Db } from "./db/db.js";
import { describeDatabase, openDb } from "./db/open.js";
import type { PgliteDb } from "./db/pglite.js";
import { createEmbedder, type Embedder } from "./embeddings/embedder.js";
import { createApp } from "./http/app.js";
import type { App, Services } from "./http/context.js";
import { IdentityService } from "./identity/service.js";
import { createLlmClient, type LlmClient } from "./llm/client.js";
import { extractMemories } from "./memories/extraction.js";
import { createEndpointReranker, createLlmReranker, type Reranker } from "./memories/rerank.js";
import { MemoryService } from "./memories/service.js";
import { ensureVectorIndex } from "./memories/vector-index.js";
import { SessionService } from "./sessions/service.js";

export interface Runtime {
  services: Services;
  app: App;
  close(): Promise<void>;
}

/** Builds the services and app without listening: used by `serve`, by the CLI's direct mode, and by tests. */
export async function createRuntime(
  config: Config,
  log: Logger,
  opts: { embedder?: Embedder } = {},
): Promise<Runtime> {
  const t0 = performance.now();
  // The model loads in its worker while the database opens.
  const embedderPromise = opts.embedder ? Promise.resolve(opts.embedder) : createEmbedder(config.embeddings);
  let db: Db | undefined;
  try {
    const opened = await openDb(config.database, { efSearch: config.search.efSearch });
    db = opened.db;
    if (opened.applied.length > 0) log.info({ migrations: opened.applied }, "applied migrations");
    const embedder = await embedderPromise;
    await ensureVectorIndex(db, embedder);
    const identity = new IdentityService(db);
    const apps = new AppService(db);
    const llm = config.llm ? createLlmClient(config.llm) : undefined;
    const memories = new MemoryService(db, embedder, {
      maxTextLength: config.limits.textChars,
      search: config.search,
      reranker: createReranker(config, llm),
      log,
    });
    const sessions = new SessionService(db, {
      timeoutSeconds: config.sessionTimeoutSeconds,
      maxTextLength: config.limits.textChars,
    });
    const chat = new ChatService({ sessions, memories, llm, log, maxTextLength: config.limits.textChars });
    const services: Services = {
      config,
      db,
      embedder,
      identity,
      memories,
      apps,
      sessions,
      chat,
      log,
      ...(llm
        ? { llm, extractor: { extract: (actor, input) => extractMemories({ memories, llm }, actor, input) } }
        : {}),
    };
    const app = createApp(services);
    log.debug({ ms: Math.round(performance.now() - t0) }, "runtime ready");
    const owned = db;
    return {
      services,
      app,
      async close() {
        if (!opts.embedder) await embedder.close();
        await owned.close();
      },
    };
  } catch (err) {
    await db?.close().catch(() => {});
    if (!opts.embedder) await embedderPromise.then((e) => e.close()).catch(() => {});
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
export async function bootstrapAdmin(identity: IdentityService, config: Config): Promise<string | undefined> {
  if (config.adminKey) {
    await identity.ensureAdminKey(config.adminKey);
    return undefined;
  }
  if (await identity.hasActiveAdminKey()) return undefined;
  const created = await identity.createAdminKey({ name: "bootstrap" });
  return created.api_key;
}

export interface RunningServer {
  url: string;
  runtime: Runtime;
  stop(): Promise<void>;
}

export async function startServer(config: Config, log: Logger): Promise<RunningServer> {
  const t0 = performance.now();
  const runtime = await createRuntime(config, log);
  const { services } = runtime;
  const bootstrapKey = await bootstrapAdmin(services.identity, config);

  const server = serve({ fetch: runtime.app.fetch, hostname: config.host, port: config.port });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  }).catch(async (err) => {
    await runtime.close();
    throw err;
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : config.port;
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  (services.db as Partial<PgliteDb>).lock?.setUrl(url);

  log.info(
    {
      url,
      database: describeDatabase(config.database),
      embedding_model: services.embedder.model,
      ms: Math.round(performance.now() - t0),
    },
    "engram listening",
  );
  if (config.authMode === "local_open") {
    const warning =
      "AUTH MODE local_open: requests WITHOUT an API key are accepted and act as the user in X-User-Id / X-Muxi-User-Id. " +
      "For single-machine development only; this server is bound to loopback.";
    log.warn(warning);
    // Straight to stderr as well: a log level above warn must not silence this.
    process.stderr.write(`\n*** WARNING: ${warning}\n\n`);
  }
  if (bootstrapKey) {
    // stdout, once, on purpose: this is the only time the key can be seen.
    process.stdout.write(
      `\nEngram admin API key (shown once; store it now, or set ENGRAM_ADMIN_KEY):\n\n  ${bootstrapKey}\n\n` +
        `Try:  curl -s ${url}/v1/me -H "Authorization: Bearer ${bootstrapKey}"\n\n`,
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open.
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await runtime.close();
    })();
    return stopping;
  };
  return { url, runtime, stop };
}
