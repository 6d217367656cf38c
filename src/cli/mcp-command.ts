/** `engram mcp`: the command; MCP on stdio itself is src/mcp/stdio.ts, over a running server or the local store. */
import type { Command } from "commander";
import type { Logger } from "pino";
import type { z } from "zod";
import type { Config } from "../config/config.js";
import { DataDirLockedError } from "../db/lockfile.js";
import { type Actor, openPrincipal } from "../identity/principal.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { createLogger } from "../log.js";
import { LocalMemoryPort } from "../mcp/local.js";
import { RemoteMemoryPort } from "../mcp/remote.js";
import { reserveStdout, serveStdio } from "../mcp/stdio.js";
import type { MemoryPort } from "../mcp/tools.js";
import { OutboundError, requestJson } from "../outbound/http.js";
import { createServices, type OpenServices } from "../services.js";
import { VERSION } from "../version.js";
import { guarded } from "./admin-run.js";
import { CliError } from "./errors.js";
import { loadConfigOrExit, overriddenBy } from "./serve.js";

interface McpFlags {
  url?: string;
  key?: string;
  user?: string;
  tenant: string;
}

export function registerMcpCommand(program: Command): void {
  program
    .command("mcp")
    .description("speak MCP on stdin/stdout, for Claude Desktop and other MCP clients that start a command")
    // The variables are read by the config module (config.client), which checks ENGRAM_URL; a flag wins over its variable.
    .option(
      "--url <url>",
      "forward to the Engram server at this URL (env: ENGRAM_URL, else OPENMEMORY_API_URL)",
    )
    .option(
      "--key <api-key>",
      "API key for --url: a user key, or a client key with --user (env: ENGRAM_API_KEY, else OPENMEMORY_API_KEY)",
    )
    .option(
      "--user <user_id>",
      "with --url and a client key: the user to act for; without --url: the local user (env: ENGRAM_USER_ID)",
    )
    .option("--tenant <tenant>", "without --url: the tenant of --user", "default")
    .addHelpText(
      "after",
      `
Two modes:
  --url <server> --key <key>   forward every tool call to a running server's REST API, as that key's principal
                               (or ENGRAM_URL / ENGRAM_API_KEY)
  --user <user_id>             no server: open the configured store (ENGRAM_DATA_DIR or ENGRAM_DATABASE_URL)
                               directly, as that user; an embedded store must not be held by a running server
Only MCP goes to stdout; logs go to stderr. See docs/mcp.md.

Examples:
  ENGRAM_URL=http://127.0.0.1:8765 ENGRAM_API_KEY=ek_user_… engram mcp
  engram mcp --url http://127.0.0.1:8765 --key ek_client_… --user alice
  engram mcp --user alice`,
    )
    .action(guarded(runMcp));
}

async function runMcp(flags: McpFlags): Promise<void> {
  const protocolOut = reserveStdout();
  const config = loadConfigOrExit(
    overriddenBy(process.env, {
      ENGRAM_URL: flags.url,
      ENGRAM_API_KEY: flags.key,
      ENGRAM_USER_ID: flags.user,
      OPENMEMORY_API_URL: flags.url,
      OPENMEMORY_API_KEY: flags.key,
    }),
  );
  const log = createLogger(config.logLevel).child({ component: "mcp" });
  // OpenMemory's variables last: a Claude Desktop block moved from OpenMemory keeps its env as it was.
  const url = flags.url ?? config.client.url ?? config.client.openMemory?.url;
  const key = flags.key ?? config.client.apiKey ?? config.client.openMemory?.apiKey;
  const userFrom = flags.user !== undefined ? "--user" : "ENGRAM_USER_ID";
  const userId = flags.user ?? config.client.userId;

  let port: MemoryPort;
  let local: OpenServices | undefined;
  if (url !== undefined || key !== undefined) {
    if (!url) throw new CliError("--key needs --url (or ENGRAM_URL): the server to send tool calls to", 2);
    if (!key) throw new CliError(`--url ${url} needs --key (or ENGRAM_API_KEY): the API key to act as`, 2);
    const user = userId === undefined ? undefined : checked(UserIdSchema, userId, userFrom);
    port = new RemoteMemoryPort({ url, key, user, userAgent: `engram-mcp/${VERSION}` });
    checkServer(url, key, log);
    log.info({ url }, "engram mcp: forwarding tool calls");
  } else {
    if (userId === undefined) {
      throw new CliError(
        "engram mcp needs either --url and --key (ENGRAM_URL / ENGRAM_API_KEY) to use a running server, " +
          "or --user <user_id> to open the local store directly",
        2,
      );
    }
    const user = checked(UserIdSchema, userId, userFrom);
    const tenantId = checked(TenantIdSchema, flags.tenant, "--tenant");
    local = await openLocal(config, log);
    if (!(await local.services.identity.listTenants()).some((t) => t.id === tenantId)) {
      await local.close();
      throw new CliError(
        `--tenant: tenant '${tenantId}' not found (create it with: engram tenants create ${tenantId})`,
        2,
      );
    }
    port = new LocalMemoryPort(local.services, directActor(local, tenantId, user));
    log.info({ user, tenant: tenantId }, "engram mcp: using the local store directly");
  }

  const store = local;
  await serveStdio(port, protocolOut, {
    version: VERSION,
    log,
    ...(store ? { onClose: () => store.close() } : {}),
  });
}

function checked<S extends z.ZodType>(schema: S, value: string, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new CliError(`${flag}: ${r.error.issues[0]?.message ?? "invalid"}`, 2);
}

async function openLocal(config: Config, log: Logger): Promise<OpenServices> {
  try {
    return await createServices(config, log);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      const url = err.holder.url;
      throw new CliError(
        `the embedded store at ${err.dataDir} is in use by process ${err.holder.pid}` +
          (url
            ? `; connect to that server instead: engram mcp --url ${url} --key <your API key>`
            : "; stop it, or use --url and --key"),
      );
    }
    throw err;
  }
}

/** Direct mode: whoever can open the store acts as the named user (created on first use), like local_open. */
function directActor(local: OpenServices, tenantId: string, userId: string): () => Promise<Actor> {
  const principal = openPrincipal(tenantId);
  let actor: Promise<Actor> | undefined;
  return () => {
    actor ??= local.services.identity.resolveActor(principal, userId).catch((err: unknown) => {
      actor = undefined; // a failed lookup (e.g. an unknown tenant) is retried by the next call
      throw err;
    });
    return actor;
  };
}

/**
 * Says on stderr, early, when the server is unreachable or refuses the key: the first place people look. A client
 * key is only checked for reachability, since asking who it is would create its user "0".
 */
function checkServer(url: string, key: string, log: Logger): void {
  const base = url.replace(/\/+$/, "");
  const isClientKey = key.startsWith("ek_client_");
  requestJson(isClientKey ? `${base}/healthz` : `${base}/v1/me`, {
    method: "GET",
    bearer: key,
    timeoutMs: 10_000,
  })
    .then(() => undefined)
    .catch((err: unknown) => {
      if (err instanceof OutboundError && err.status !== undefined) {
        const body = err.body as { error?: { code?: string; message?: string } } | undefined;
        log.warn(
          { url, status: err.status, code: body?.error?.code },
          `engram mcp: the server refused the key: ${body?.error?.message ?? err.statusText ?? err.reason}`,
        );
        return;
      }
      log.warn(
        { url, err: err instanceof OutboundError ? err.reason : String(err) },
        "engram mcp: cannot reach the server (tool calls will fail until it is up)",
      );
    });
}
