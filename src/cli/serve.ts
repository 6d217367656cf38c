/** `engram serve` and `engram migrate`: configuration errors and start-up failures end with one clear line. */
import { ConfigError, loadConfig } from "../config/config.js";
import { describeDatabase, openDb } from "../db/open.js";
import { createLogger } from "../log.js";
import { startServer } from "../server.js";

export async function runServe(opts: { port?: string; host?: string }): Promise<void> {
  const env = { ...process.env };
  if (opts.port !== undefined) env.ENGRAM_PORT = opts.port;
  if (opts.host !== undefined) env.ENGRAM_HOST = opts.host;
  const config = loadConfigOrExit(env);
  const log = createLogger(config.logLevel);
  const server = await startServer(config, log);
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) process.exit(1);
    log.info({ signal }, "shutting down");
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error({ err }, "error while shutting down");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", () => shutdown("SIGINT"));
  process.on("SIGTERM", () => shutdown("SIGTERM"));
}

export async function runMigrate(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const { db, applied } = await openDb(config.database, { efSearch: config.search.efSearch });
  await db.close();
  process.stdout.write(
    applied.length > 0
      ? `applied ${applied.length} migration(s) to ${describeDatabase(config.database)}: ${applied.join(", ")}\n`
      : `${describeDatabase(config.database)} is up to date\n`,
  );
}

/**
 * `env` without the variables whose flag was given (`{ ENGRAM_URL: flags.url }`): the flag wins, so a bad value
 * left in the variable is not an error.
 */
export function overriddenBy(
  env: NodeJS.ProcessEnv,
  flags: Record<string, string | undefined>,
): NodeJS.ProcessEnv {
  const out = { ...env };
  for (const [name, value] of Object.entries(flags)) if (value !== undefined) delete out[name];
  return out;
}

export function loadConfigOrExit(env: NodeJS.ProcessEnv): ReturnType<typeof loadConfig> {
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`engram: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
