/** Starts Engram's HTTP server: the services (src/services.ts), the app on them, the admin key bootstrap, listening. */
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import type { Logger } from "pino";
import type { Config } from "./config/config.js";
import { describeDatabase } from "./db/open.js";
import type { PgliteDb } from "./db/pglite.js";
import type { Embedder } from "./embeddings/embedder.js";
import { createApp } from "./http/app.js";
import type { App } from "./http/context.js";
import { applyRequestTimeout } from "./http/request-timeout.js";
import { bootstrapAdmin, createServices, type Services } from "./services.js";

export interface Runtime {
  services: Services;
  app: App;
  close(): Promise<void>;
}

/** The services and the HTTP app on them, without listening: used by `serve` and by tests. */
export async function createRuntime(
  config: Config,
  log: Logger,
  opts: { embedder?: Embedder } = {},
): Promise<Runtime> {
  const t0 = performance.now();
  const { services, close } = await createServices(config, log, opts);
  const app = createApp(services);
  log.debug({ ms: Math.round(performance.now() - t0) }, "runtime ready");
  return { services, app, close };
}

export interface RunningServer {
  url: string;
  runtime: Runtime;
  /** The Node HTTP server (its timeouts are those of `config.serverTimeouts`). */
  server: Server;
  stop(): Promise<void>;
}

/**
 * Node's limits against slow clients: all of the headers within `headersMs`, the whole request within `requestMs`
 * (Node answers 408 and closes; a streamed import instead within `requestMs` of progress: src/http/request-timeout.ts),
 * an idle keep-alive socket closed after `keepAliveMs`. 0 turns one off.
 */
export function applyServerTimeouts(server: Server, t: Config["serverTimeouts"]): void {
  server.headersTimeout = t.headersMs;
  applyRequestTimeout(server, t.requestMs);
  server.keepAliveTimeout = t.keepAliveMs;
}

export async function startServer(
  config: Config,
  log: Logger,
  opts: { embedder?: Embedder } = {},
): Promise<RunningServer> {
  const t0 = performance.now();
  const runtime = await createRuntime(config, log, opts);
  const { services } = runtime;
  const bootstrapKey = await bootstrapAdmin(services.identity, config, log);

  // serve() creates an http.Server (no TLS or HTTP/2 options are passed). Node looks for connections past their
  // headers or request timeout every connectionsCheckingInterval (default 30 s); every second keeps them near exact.
  const server = serve({
    fetch: runtime.app.fetch,
    hostname: config.host,
    port: config.port,
    serverOptions: { connectionsCheckingInterval: 1000 },
  }) as Server;
  applyServerTimeouts(server, config.serverTimeouts);
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  }).catch(async (err) => {
    await runtime.close();
    throw err;
  });
  // Audit retention: a purge now, then daily on an unref'd timer.
  const stopRetention = services.audit.startRetention();
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
        `Try:  curl -s ${url}/v1/me -H "Authorization: Bearer ${bootstrapKey}"\n` +
        `  or sign in to the dashboard at ${url}/ with it.\n\n`,
    );
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      stopRetention();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would hold close() open.
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await runtime.close();
    })();
    return stopping;
  };
  return { url, runtime, server, stop };
}
