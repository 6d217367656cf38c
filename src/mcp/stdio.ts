/** `engram mcp`: MCP on stdin/stdout, forwarding to a running server (--url/--key) or on the local store for one --user. */
import { Writable } from "node:stream";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { type Command, Option } from "commander";
import type { Logger } from "pino";
import type { z } from "zod";
import { CliError } from "../cli/admin-api.js";
import { guarded } from "../cli/admin-run.js";
import { loadConfigOrExit } from "../cli/serve.js";
import { DataDirLockedError } from "../db/lockfile.js";
import type { Actor, Principal } from "../identity/principal.js";
import { TenantIdSchema, UserIdSchema } from "../identity/schemas.js";
import { createLogger } from "../log.js";
import { createRuntime, type Runtime } from "../server.js";
import { VERSION } from "../version.js";
import { LocalMemoryPort } from "./local.js";
import { RemoteMemoryPort } from "./remote.js";
import { createMcpServer, type MemoryPort } from "./tools.js";

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
    .addOption(new Option("--url <url>", "forward to the Engram server at this URL").env("ENGRAM_URL"))
    .addOption(
      new Option("--key <api-key>", "API key for --url: a user key, or a client key with --user").env(
        "ENGRAM_API_KEY",
      ),
    )
    .addOption(
      new Option(
        "--user <user_id>",
        "with --url and a client key: the user to act for; without --url: the local user",
      ).env("ENGRAM_USER_ID"),
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

/**
 * Keeps stdout for the protocol alone: anything else that writes there (a stray console.log, a worker thread's
 * output piped to process.stdout) goes to stderr instead. Returns the stream the transport writes to.
 */
function reserveStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout);
  const protocol = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      write(chunk, (err) => callback(err ?? null));
    },
  });
  stdout.write = process.stderr.write.bind(process.stderr) as typeof stdout.write;
  console.log = console.error;
  console.info = console.error;
  console.debug = console.error;
  return protocol;
}

async function runMcp(flags: McpFlags): Promise<void> {
  const protocolOut = reserveStdout();
  const config = loadConfigOrExit(process.env);
  const log = createLogger(config.logLevel).child({ component: "mcp" });

  let port: MemoryPort;
  let runtime: Runtime | undefined;
  if (flags.url !== undefined || flags.key !== undefined) {
    if (!flags.url)
      throw new CliError("--key needs --url (or ENGRAM_URL): the server to send tool calls to", 2);
    if (!flags.key)
      throw new CliError(`--url ${flags.url} needs --key (or ENGRAM_API_KEY): the API key to act as`, 2);
    const user = flags.user === undefined ? undefined : checked(UserIdSchema, flags.user, "--user");
    port = new RemoteMemoryPort({ url: flags.url, key: flags.key, user, userAgent: `engram-mcp/${VERSION}` });
    checkServer(flags.url, flags.key, log);
    log.info({ url: flags.url }, "engram mcp: forwarding tool calls");
  } else {
    if (flags.user === undefined) {
      throw new CliError(
        "engram mcp needs either --url and --key (ENGRAM_URL / ENGRAM_API_KEY) to use a running server, " +
          "or --user <user_id> to open the local store directly",
        2,
      );
    }
    const userId = checked(UserIdSchema, flags.user, "--user");
    const tenantId = checked(TenantIdSchema, flags.tenant, "--tenant");
    runtime = await openLocal(config, log);
    if (!(await runtime.services.identity.listTenants()).some((t) => t.id === tenantId)) {
      await runtime.close();
      throw new CliError(
        `--tenant: tenant '${tenantId}' not found (create it with: engram tenants create ${tenantId})`,
        2,
      );
    }
    port = new LocalMemoryPort(runtime.services, directActor(runtime, tenantId, userId));
    log.info({ user: userId, tenant: tenantId }, "engram mcp: using the local store directly");
  }

  const calls = trackCalls(port);
  const server = createMcpServer(calls.port, { version: VERSION, log });
  const transport = new StdioServerTransport(process.stdin, protocolOut);
  let closing = false;
  const shutdown = async (why: string) => {
    if (closing) return;
    closing = true;
    log.debug({ why }, "engram mcp: closing");
    // A client may close stdin right after its last request: answer what is under way first.
    await calls.idle();
    await server.close().catch(() => {});
    // Closing the store flushes it and releases the embedded store's lock.
    await runtime
      ?.close()
      .catch((err: unknown) => log.error({ err }, "engram mcp: error while closing the store"));
    process.exit(0);
  };
  // The client ends the session by closing our stdin.
  process.stdin.once("end", () => void shutdown("stdin closed"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  await server.connect(transport);
}

/** Counts tool calls under way, so that shutting down can wait for their answers to be written. */
function trackCalls(port: MemoryPort): { port: MemoryPort; idle(): Promise<void> } {
  const running = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    running.add(p);
    p.then(
      () => running.delete(p),
      () => running.delete(p),
    );
    return p;
  };
  return {
    port: {
      add: (input) => track(port.add(input)),
      search: (input) => track(port.search(input)),
      list: (input) => track(port.list(input)),
      update: (id, text) => track(port.update(id, text)),
      remove: (id) => track(port.remove(id)),
      removeAll: () => track(port.removeAll()),
      sessionHistory: (id) => track(port.sessionHistory(id)),
    },
    async idle() {
      while (running.size > 0) await Promise.allSettled([...running]);
      // The answer is sent in the promise callbacks that follow; a macrotask runs only after all of them.
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function checked<S extends z.ZodType>(schema: S, value: string, flag: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new CliError(`${flag}: ${r.error.issues[0]?.message ?? "invalid"}`, 2);
}

async function openLocal(config: ReturnType<typeof loadConfigOrExit>, log: Logger): Promise<Runtime> {
  try {
    return await createRuntime(config, log);
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
function directActor(runtime: Runtime, tenantId: string, userId: string): () => Promise<Actor> {
  const principal: Principal = { kind: "open", keyId: null, tenantId, userPk: null, scopes: new Set() };
  let actor: Promise<Actor> | undefined;
  return () => {
    actor ??= runtime.services.identity.resolveActor(principal, userId).catch((err: unknown) => {
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
  fetch(isClientKey ? `${base}/healthz` : `${base}/v1/me`, {
    headers: { authorization: `Bearer ${key}` },
    signal: AbortSignal.timeout(10_000),
  })
    .then(async (res) => {
      if (res.ok) return;
      const body = (await res.json().catch(() => undefined)) as
        | { error?: { code?: string; message?: string } }
        | undefined;
      log.warn(
        { url, status: res.status, code: body?.error?.code },
        `engram mcp: the server refused the key: ${body?.error?.message ?? res.statusText}`,
      );
    })
    .catch((err: unknown) => {
      log.warn(
        { url, err: (err as Error).message },
        "engram mcp: cannot reach the server (tool calls will fail until it is up)",
      );
    });
}
