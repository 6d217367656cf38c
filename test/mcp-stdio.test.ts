/** `engram mcp` over stdio: the built CLI spawned by the SDK's client with the documented config blocks, on both backends. */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, uid } from "./helpers/runtime.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const TOOLS = [
  "add_memories",
  "add_memories_batch",
  "delete_all_memories",
  "delete_memories",
  "get_session_history",
  "list_memories",
  "search_memory",
  "update_memory",
];
const UNKNOWN_ID = "mem_00000000000000000000000000";

interface DesktopServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/** The JSON block after `<!-- mcp-config: name -->` in a Markdown file, or undefined when there is none. */
function configBlock(file: string, name: string): unknown {
  const text = readFileSync(join(ROOT, file), "utf8");
  const m = new RegExp(`<!-- mcp-config: ${name} -->\\s*\`\`\`json\\n([\\s\\S]*?)\\n\`\`\``).exec(text);
  return m?.[1] === undefined ? undefined : JSON.parse(m[1]);
}

/** The `engram` entry of a documented Claude Desktop config, exactly as written in docs/mcp.md. */
function documented(name: string): DesktopServer {
  const block = configBlock("docs/mcp.md", name) as { mcpServers: { engram: DesktopServer } } | undefined;
  if (!block) throw new Error(`docs/mcp.md has no block '${name}'`);
  return block.mcpServers.engram;
}

/** The documented args with the clone's path and, if given, the --user value filled in. */
function argsOf(server: DesktopServer, user?: string): string[] {
  const args = server.args.map((a) => a.replace("/path/to/engram", ROOT));
  const u = args.indexOf("--user");
  if (user !== undefined && u >= 0) args[u + 1] = user;
  return args;
}

function text(result: CallToolResult): string {
  const first = result.content[0];
  return first?.type === "text" ? first.text : "";
}

function data(result: CallToolResult): any {
  expect(result.isError, text(result)).toBeFalsy();
  expect(JSON.parse(text(result))).toEqual(result.structuredContent);
  return result.structuredContent;
}

interface Spawned {
  client: Client;
  stderr(): string;
  /** Errors the client saw on the wire, e.g. a line on stdout that is not JSON-RPC. */
  errors: Error[];
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
}

const open = new Set<Client>();
const cwd = mkdtempSync(join(tmpdir(), "engram-mcp-cwd-"));

/** Spawns the CLI the way an MCP client does: this command, these args, this env and nothing else of ours. */
async function spawnMcp(command: string, args: string[], env: Record<string, string>): Promise<Spawned> {
  const transport = new StdioClientTransport({ command, args, env, cwd, stderr: "pipe" });
  let err = "";
  transport.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const client = new Client({ name: "engram-test", version: "1.0.0" });
  const errors: Error[] = [];
  client.onerror = (e) => errors.push(e);
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`${(e as Error).message}\nstderr:\n${err}`);
  }
  open.add(client);
  return {
    client,
    errors,
    stderr: () => err,
    call: async (name, a = {}) => (await client.callTool({ name, arguments: a })) as CallToolResult,
  };
}

async function closeAll(): Promise<void> {
  await Promise.all([...open].map((c) => c.close()));
  open.clear();
}

beforeAll(() => {
  // The test drives the built CLI, as an MCP client would; build it if src/ is newer.
  execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  if (!existsSync(CLI)) throw new Error(`${CLI} missing after build`);
}, 300_000);
afterAll(() => {
  rmSync(cwd, { recursive: true, force: true });
});

describe("documented config blocks", () => {
  it("the README's blocks are docs/mcp.md's, and the Claude Desktop env is exactly ENGRAM_URL and ENGRAM_API_KEY", () => {
    for (const name of ["claude-desktop", "claude-desktop-client-key"]) {
      expect(Object.keys(documented(name).env).sort(), name).toEqual(["ENGRAM_API_KEY", "ENGRAM_URL"]);
    }
    expect(Object.keys(documented("claude-desktop-direct").env)).toEqual(["ENGRAM_DATA_DIR"]);
    for (const name of ["claude-desktop", "http"]) {
      const inReadme = configBlock("README.md", name);
      if (inReadme !== undefined) expect(inReadme, name).toEqual(configBlock("docs/mcp.md", name));
    }
  });
});

describe.each(backends)("engram mcp over stdio ($name)", (backend) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let serverDataDir: string | undefined;

  async function rest(method: string, path: string, key: string, body?: unknown) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function makeUser(): Promise<{ userId: string; key: string }> {
    const userId = uid("mcp");
    const res = await rest("POST", "/v1/users", ADMIN_KEY, { user_id: userId });
    expect(res.status).toBe(201);
    return { userId, key: res.body.api_key };
  }

  /** Forwarding mode, from a documented block: its command and args, its env keys with this test's values. */
  function forwarding(name: string, key: string, user?: string): Promise<Spawned> {
    const doc = documented(name);
    const port = new URL(server.url).port;
    const env = { ENGRAM_URL: doc.env.ENGRAM_URL?.replace(":8765", `:${port}`) ?? "", ENGRAM_API_KEY: key };
    return spawnMcp(doc.command, argsOf(doc, user), env);
  }

  beforeAll(async () => {
    const db = await backend.create();
    drop = db.drop;
    serverDataDir = db.env.ENGRAM_DATA_DIR;
    const config = loadConfig(
      {
        ...db.env,
        ENGRAM_PORT: "0",
        ENGRAM_HOST: "127.0.0.1",
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        ENGRAM_LOG_LEVEL: "silent",
      },
      "/nonexistent",
    );
    server = await startServer(config, pino({ level: "silent" }));
  });
  afterEach(closeAll);
  afterAll(async () => {
    await closeAll();
    await server?.stop();
    await drop?.();
  });

  it("the documented Claude Desktop block starts a server that lists the tools; stdout carries only MCP", async () => {
    const { key } = await makeUser();
    const t0 = performance.now();
    const mcp = await forwarding("claude-desktop", key);
    const ready = performance.now() - t0;
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    expect(mcp.client.getServerVersion()?.name).toBe("engram");
    expect(mcp.errors).toEqual([]);
    expect(mcp.stderr()).toContain("forwarding tool calls");
    console.info(`[mcp-stdio ${backend.name}] spawn to initialized (forwarding): ${Math.round(ready)} ms`);
  });

  it("add then search, and the memory is the server's (REST sees it)", async () => {
    const { key } = await makeUser();
    const mcp = await forwarding("claude-desktop", key);
    const added = data(await mcp.call("add_memories", { text: "I am allergic to peanuts" })).results[0];
    expect(added).toMatchObject({ event: "ADD", memory: { text: "I am allergic to peanuts" } });
    data(await mcp.call("add_memories", { text: "My favourite city is Lisbon" }));
    const found = data(await mcp.call("search_memory", { query: "what food should I avoid?", limit: 5 }));
    expect(found.results[0].text).toBe("I am allergic to peanuts");
    expect((await rest("GET", `/v1/memories/${added.memory.id}`, key)).body.text).toBe(
      "I am allergic to peanuts",
    );
    const listed = data(await mcp.call("list_memories", { limit: 1 }));
    expect(listed.memories).toHaveLength(1);
    expect(data(await mcp.call("list_memories", { cursor: listed.next_cursor })).memories).toHaveLength(1);
    expect(mcp.errors).toEqual([]);
  });

  it("two users with two keys never see each other's memories through any tool", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const a = await forwarding("claude-desktop", alice.key);
    const b = await forwarding("claude-desktop", bob.key);
    const secret = data(await a.call("add_memories", { text: "Alice's vault code is 4711" })).results[0]
      .memory;
    data(await b.call("add_memories", { text: "Bob plays the cello" }));
    const texts = (ms: Array<{ text: string }>) => ms.map((m) => m.text);
    expect(texts(data(await b.call("search_memory", { query: "vault code", limit: 100 })).results)).toEqual([
      "Bob plays the cello",
    ]);
    expect(texts(data(await b.call("list_memories", { limit: 100 })).memories)).toEqual([
      "Bob plays the cello",
    ]);
    const update = await b.call("update_memory", { memory_id: secret.id, text: "overwritten by bob" });
    expect(update.isError).toBe(true);
    expect(text(update)).toBe(`memory '${secret.id}' not found (memory_not_found)`);
    const del = await b.call("delete_memories", { memory_ids: [secret.id] });
    expect(del.isError).toBe(true);
    expect(text(del)).toBe(`no memory deleted: not found: ${secret.id} (memory_not_found)`);
    expect(data(await b.call("delete_all_memories")).deleted).toBe(1);
    expect(texts(data(await a.call("list_memories")).memories)).toEqual(["Alice's vault code is 4711"]);
  });

  it("get_session_history forwards: own session readable, another user's 'not found'", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const session = (await rest("POST", "/v1/sessions", alice.key, {})).body;
    expect(
      (await rest("POST", `/v1/sessions/${session.id}/messages`, alice.key, { role: "user", content: "hi" }))
        .status,
    ).toBe(201);
    const a = await forwarding("claude-desktop", alice.key);
    const history = data(await a.call("get_session_history", { session_id: session.id }));
    expect(history.messages.map((m: { content: string }) => m.content)).toEqual(["hi"]);
    const b = await forwarding("claude-desktop", bob.key);
    const res = await b.call("get_session_history", { session_id: session.id });
    expect(text(res)).toBe(`session '${session.id}' not found (session_not_found)`);
  });

  it("one client key acting for two users (--user) keeps them apart", async () => {
    const tenant = uid("t").toLowerCase();
    expect((await rest("POST", "/v1/tenants", ADMIN_KEY, { id: tenant })).status).toBe(201);
    const clientKey: string = (
      await rest("POST", `/v1/tenants/${tenant}/keys`, ADMIN_KEY, { name: "desktop" })
    ).body.api_key;
    const carol = await forwarding("claude-desktop-client-key", clientKey, "carol");
    const dave = await forwarding("claude-desktop-client-key", clientKey, "dave");
    data(await carol.call("add_memories", { text: "Carol prefers email" }));
    data(await dave.call("add_memories", { text: "Dave works night shifts" }));
    const search = async (s: Spawned) =>
      data(await s.call("search_memory", { query: "contact and work", limit: 100 })).results.map(
        (m: { text: string }) => m.text,
      );
    expect(await search(carol)).toEqual(["Carol prefers email"]);
    expect(await search(dave)).toEqual(["Dave works night shifts"]);
    const users = await rest("GET", `/v1/users?tenant=${tenant}`, ADMIN_KEY);
    expect(users.body.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual(["carol", "dave"]);
  });

  it("bad input names the field; an unknown id is 'not found'; a revoked key is refused mid-session", async () => {
    const { userId, key } = await makeUser();
    const mcp = await forwarding("claude-desktop", key);
    for (const [name, args, field] of [
      ["add_memories", {}, "text"],
      ["search_memory", { query: "x", limit: "many" }, "limit"],
      ["delete_memories", { memory_ids: "mem_x" }, "memory_ids"],
    ] as const) {
      const res = await mcp.call(name, args);
      expect(res.isError, name).toBe(true);
      expect(text(res)).toMatch(new RegExp(`Input validation error.*\\b${field}\\b`, "s"));
    }
    for (const id of [UNKNOWN_ID, "../../v1/users", "mem_x?confirm=true"]) {
      const res = await mcp.call("update_memory", { memory_id: id, text: "x" });
      expect(res.isError).toBe(true);
      expect(text(res)).toBe(`memory '${id}' not found (memory_not_found)`);
    }
    const infer = await mcp.call("add_memories", { text: "I moved to Porto", infer: true });
    expect(infer.isError).toBe(true);
    expect(text(infer)).toContain("llm_not_configured");

    data(await mcp.call("add_memories", { text: "before revocation" }));
    const keys = await rest("GET", `/v1/users/${userId}/keys`, ADMIN_KEY);
    expect((await rest("DELETE", `/v1/keys/${keys.body.keys[0].id}`, ADMIN_KEY)).status).toBe(200);
    const after = await mcp.call("list_memories");
    expect(after.isError).toBe(true);
    expect(text(after)).toBe("the API key has been revoked (key_revoked)");
  });

  it("direct mode (--user, no server): the store opened for one user at a time, isolated and durable", async () => {
    const db = await backend.create();
    try {
      const doc = documented("claude-desktop-direct");
      // The block as written for PGlite; the same args on PostgreSQL with its URL instead of a data dir.
      const env = db.env.ENGRAM_DATA_DIR !== undefined ? { ENGRAM_DATA_DIR: db.env.ENGRAM_DATA_DIR } : db.env;
      const direct = (user: string) =>
        spawnMcp(doc.command, argsOf(doc, user), { ...env, ENGRAM_LOG_LEVEL: "warn" });

      let alice = await direct("alice");
      const mem = data(await alice.call("add_memories", { text: "Alice grows tomatoes" })).results[0].memory;
      expect(data(await alice.call("search_memory", { query: "gardening" })).results[0].text).toBe(
        "Alice grows tomatoes",
      );
      expect(alice.errors).toEqual([]);
      await closeAll(); // releases the embedded store's lock

      const bob = await direct("bob");
      expect(data(await bob.call("list_memories")).memories).toEqual([]);
      expect(data(await bob.call("search_memory", { query: "tomatoes", limit: 100 })).results).toEqual([]);
      const steal = await bob.call("update_memory", { memory_id: mem.id, text: "bob was here" });
      expect(text(steal)).toBe(`memory '${mem.id}' not found (memory_not_found)`);
      await closeAll();

      alice = await direct("alice");
      expect(data(await alice.call("list_memories")).memories.map((m: { text: string }) => m.text)).toEqual([
        "Alice grows tomatoes",
      ]);
    } finally {
      await closeAll();
      await db.drop();
    }
  }, 240_000); // three starts, each opening the store and loading the model

  it.runIf(backend.name === "pglite")(
    "direct mode on a store a server holds refuses to start and names --url",
    async () => {
      const doc = documented("claude-desktop-direct");
      const err = await spawnMcp(doc.command, argsOf(doc, "alice"), {
        ENGRAM_DATA_DIR: serverDataDir ?? "",
      }).then(
        () => "started",
        (e: Error) => e.message,
      );
      expect(err).toContain("in use by process");
      expect(err).toContain(`engram mcp --url ${server.url}`);
    },
  );

  it("without --url/--key or --user it explains both modes; --url without a key says what is missing", async () => {
    const doc = documented("claude-desktop");
    const none = await spawnMcp(doc.command, argsOf(doc), {}).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(none).toMatch(/needs either --url and --key .* or --user/);
    const noKey = await spawnMcp(doc.command, argsOf(doc), { ENGRAM_URL: server.url }).then(
      () => "started",
      (e: Error) => e.message,
    );
    expect(noKey).toContain("needs --key (or ENGRAM_API_KEY)");
  });
});
