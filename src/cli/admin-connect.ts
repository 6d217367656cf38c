/** Chooses how the admin CLI reaches the data: a server's admin API (--url, or the server holding the embedded store) or the database directly. */
import type { Config } from "../config/config.js";
import { DataDirLockedError, readLiveLock } from "../db/lockfile.js";
import type { AdminApi } from "./admin-api.js";
import { HttpAdminApi } from "./admin-client.js";
import { DirectAdminApi } from "./admin-direct.js";
import { CliError } from "./errors.js";

export interface ConnectOptions {
  /** --url or ENGRAM_URL: always go through this server. */
  url?: string | undefined;
  /** --key; falls back to the configured admin key (ENGRAM_ADMIN_KEY). */
  key?: string | undefined;
}

/** How long to wait for a process that holds the embedded store but has not recorded a URL yet (a server starting up, another CLI command). */
const LOCK_WAIT_MS = 30_000;
const POLL_MS = 200;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A server bound to every interface is reached on loopback from the same machine. */
export function reachableUrl(url: string): string {
  return url.replace("://0.0.0.0", "://127.0.0.1").replace("://[::]", "://[::1]");
}

/** Opens the AdminApi and says on `say` (one line, for stderr) which way it went. */
export async function openAdminApi(
  config: Config,
  opts: ConnectOptions,
  say: (line: string) => void,
): Promise<AdminApi> {
  const key = opts.key ?? config.adminKey;
  if (opts.url) {
    if (!key) {
      throw new CliError(
        `--url ${opts.url} needs an admin key: pass --key <admin-key> or set ENGRAM_ADMIN_KEY`,
        2,
      );
    }
    const api = new HttpAdminApi(opts.url, key);
    say(`using the server at ${opts.url}`);
    return api;
  }
  const db = config.database;
  if (db.kind === "postgres") return direct(config, say);

  const deadline = Date.now() + LOCK_WAIT_MS;
  let waiting = false;
  for (;;) {
    const holder = readLiveLock(db.dataDir);
    if (holder?.url) {
      const url = reachableUrl(holder.url);
      if (!key) {
        throw new CliError(
          `the server at ${url} (pid ${holder.pid}) holds the embedded store at ${db.dataDir}, so this command goes ` +
            "through its admin API, which needs an admin key: pass --key <admin-key> or set ENGRAM_ADMIN_KEY " +
            "(the key the server printed on its first start, or the ENGRAM_ADMIN_KEY it runs with)",
          2,
        );
      }
      say(`using the running server at ${url} (the embedded store is locked by pid ${holder.pid})`);
      return new HttpAdminApi(url, key, `the running server at ${url}`);
    }
    if (!holder) {
      try {
        return await direct(config, say);
      } catch (err) {
        // Taken between our look and our open (a server starting): look again.
        if (!(err instanceof DataDirLockedError)) throw err;
      }
    } else if (!waiting) {
      waiting = true;
      say(
        `waiting for pid ${holder.pid}, which holds the embedded store at ${db.dataDir}, to start serving or to exit…`,
      );
    }
    if (Date.now() >= deadline) {
      const pid = readLiveLock(db.dataDir)?.pid;
      throw new CliError(
        `the embedded store at ${db.dataDir} is locked by pid ${pid ?? "?"}, which is not serving HTTP; ` +
          "stop it and try again, or pass --url of a server on this store",
      );
    }
    await sleep(POLL_MS);
  }
}

async function direct(config: Config, say: (line: string) => void): Promise<AdminApi> {
  const { api, applied } = await DirectAdminApi.open(config.database, config.search.efSearch);
  say(`using ${api.via} directly`);
  if (applied.length > 0) say(`applied ${applied.length} migration(s): ${applied.join(", ")}`);
  return api;
}
