/** What `engram memories` and `engram sessions` share: the options naming the server or store and the user, and opening the MemoryApi. */
import type { Command } from "commander";
import type { Config } from "../config/config.js";
import { DataDirLockedError, readLiveLock } from "../db/lockfile.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { reachableUrl } from "./admin-connect.js";
import { validate } from "./admin-run.js";
import { CliError } from "./errors.js";
import type { MemoryApi } from "./memory-api.js";
import { HttpMemoryApi } from "./memory-client.js";
import { DirectMemoryApi } from "./memory-direct.js";
import { loadConfigOrExit, overriddenBy } from "./serve.js";

export interface UserFlags {
  url?: string;
  key?: string;
  user?: string;
  tenant: string;
  json?: boolean;
}

/** Adds --url, --key, --user, --tenant and --json to a command acting as one user. */
export function withUserOptions(cmd: Command): Command {
  return cmd
    .option("--url <url>", "go through the Engram server at this URL (env: ENGRAM_URL)")
    .option(
      "--key <api-key>",
      "API key for the server: a user key, or a client/admin key with --user (env: ENGRAM_API_KEY)",
    )
    .option("--user <user_id>", "the user to act as (env: ENGRAM_USER_ID); required on the local store")
    .option("--tenant <tenant>", "the tenant of --user", "default")
    .option("--json", "print JSON instead of text");
}

export const USER_HELP = `
Where it runs: through the server given with --url and --key (or ENGRAM_URL / ENGRAM_API_KEY), as the key's
user, or with a client or admin key as --user; otherwise on the local store (ENGRAM_DATA_DIR or
ENGRAM_DATABASE_URL) directly, as --user of --tenant (created on first use). While a server holds the embedded
store, through that server instead (with ENGRAM_API_KEY or ENGRAM_ADMIN_KEY). A line on stderr says which.`;

/** Opens the MemoryApi for one command, runs `fn` with it, and closes it. */
export async function runAsUser(flags: UserFlags, fn: (api: MemoryApi) => Promise<void>): Promise<void> {
  const config = loadConfigOrExit(
    overriddenBy(process.env, {
      ENGRAM_URL: flags.url,
      ENGRAM_API_KEY: flags.key,
      ENGRAM_USER_ID: flags.user,
    }),
  );
  const api = await openMemoryApi(config, flags, (line) => process.stderr.write(`engram: ${line}\n`));
  try {
    await fn(api);
  } finally {
    await api.close();
  }
}

export async function openMemoryApi(
  config: Config,
  flags: UserFlags,
  say: (line: string) => void,
): Promise<MemoryApi> {
  const url = flags.url ?? config.client.url;
  const key = flags.key ?? config.client.apiKey;
  const rawUser = flags.user ?? config.client.userId;
  const user = rawUser === undefined ? undefined : validate(UserIdSchema, rawUser, "--user");
  const tenant = validate(TenantIdSchema, flags.tenant, "--tenant");
  if (url !== undefined || flags.key !== undefined) {
    if (!url) throw new CliError("--key needs --url (or ENGRAM_URL): the server to send requests to", 2);
    if (!key) throw new CliError(`--url ${url} needs --key (or ENGRAM_API_KEY): the API key to act as`, 2);
    say(`using the server at ${url}${user ? ` as user ${user}` : ""}`);
    return new HttpMemoryApi(url, key, user, undefined, user ? tenant : undefined);
  }
  if (user === undefined) {
    throw new CliError(
      "name the user to act as: --user <user_id> (or ENGRAM_USER_ID) on the local store, or pass --url and --key " +
        "(ENGRAM_URL / ENGRAM_API_KEY) to use a server",
      2,
    );
  }
  const db = config.database;
  if (db.kind === "pglite") {
    const holder = readLiveLock(db.dataDir);
    if (holder?.url)
      return viaHolder(reachableUrl(holder.url), holder.pid, key ?? config.adminKey, user, tenant, say);
  }
  try {
    const api = await DirectMemoryApi.open(config, tenant, user);
    say(`using ${api.via} directly, as user ${user} of tenant ${tenant}`);
    return api;
  } catch (err) {
    if (!(err instanceof DataDirLockedError)) throw err;
    if (err.holder.url) {
      return viaHolder(
        reachableUrl(err.holder.url),
        err.holder.pid,
        key ?? config.adminKey,
        user,
        tenant,
        say,
      );
    }
    throw new CliError(
      `the embedded store at ${err.dataDir} is in use by process ${err.holder.pid}, which is not serving HTTP; ` +
        "stop it and try again, or pass --url and --key of a server on this store",
    );
  }
}

/** The embedded store is held by a running server: go through it, with ENGRAM_API_KEY or the admin key. */
function viaHolder(
  url: string,
  pid: number,
  key: string | undefined,
  user: string,
  tenant: string,
  say: (line: string) => void,
): MemoryApi {
  if (!key) {
    throw new CliError(
      `the server at ${url} (pid ${pid}) holds the embedded store, so this command goes through it, which needs ` +
        "a key: pass --url and --key <api-key>, or set ENGRAM_API_KEY or ENGRAM_ADMIN_KEY",
      2,
    );
  }
  say(`using the running server at ${url} as user ${user} (the embedded store is locked by pid ${pid})`);
  return new HttpMemoryApi(url, key, user, `the running server at ${url}`, tenant);
}
