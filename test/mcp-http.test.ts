/** MCP over Streamable HTTP at /mcp, driven by the SDK's own client against a real server on 127.0.0.1, on both backends. */
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { RemoteMemoryPort } from "../src/mcp/remote.js";
import { type RunningServer, startServer } from "../src/server.js";
import { backends } from "./helpers/backends.js";
import { type FakeLlm, isFactsCall, startFakeLlm } from "./helpers/fake-llm.js";
import { ADMIN_KEY, uid } from "./helpers/runtime.js";

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

describe.each(backends)("MCP over Streamable HTTP ($name)", (backend) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let port: string;
  const clients: Client[] = [];

  async function rest(
    method: string,
    path: string,
    opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const res = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
        ...(opts.body !== undefined ? { "content-type": "application/json" } : {}),
        ...opts.headers,
      },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
  }

  async function makeUser(userId = uid("mcp")): Promise<{ userId: string; key: string }> {
    const res = await rest("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: userId } });
    expect(res.status).toBe(201);
    return { userId, key: res.body.api_key };
  }

  async function connect(key: string, headers: Record<string, string> = {}): Promise<Client> {
    const client = new Client({ name: "engram-test", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${key}`, ...headers } },
    });
    await client.connect(transport);
    clients.push(client);
    return client;
  }

  async function call(
    client: Client,
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<CallToolResult> {
    return (await client.callTool({ name, arguments: args })) as CallToolResult;
  }

  function text(result: CallToolResult): string {
    const first = result.content[0];
    return first?.type === "text" ? first.text : "";
  }

  /** The structured content of a successful call, checked to be the same object as its JSON text. */
  function data(result: CallToolResult): any {
    expect(result.isError, text(result)).toBeFalsy();
    expect(JSON.parse(text(result))).toEqual(result.structuredContent);
    return result.structuredContent;
  }

  /** Raw HTTP to /mcp with chosen Host/Origin headers (fetch does not let a caller set Host). */
  function rawPost(headers: Record<string, string>): Promise<{ status: number; body: string }> {
    const body = JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } },
    });
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/mcp`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            accept: "application/json, text/event-stream",
            ...headers,
          },
        },
        (res) => {
          let out = "";
          res.on("data", (d: Buffer) => {
            out += d.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: out }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  }

  beforeAll(async () => {
    const db = await backend.create();
    drop = db.drop;
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
    port = new URL(server.url).port;
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  it("lists the tools, each with a description and input and output schemas", async () => {
    const { key } = await makeUser();
    const client = await connect(key);
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.description?.length, t.name).toBeGreaterThan(40);
      expect(t.inputSchema.type).toBe("object");
      expect(t.outputSchema?.type, t.name).toBe("object");
    }
    const add = tools.find((t) => t.name === "add_memories");
    expect(add?.inputSchema.required).toEqual(["text"]);
    expect(Object.keys(add?.inputSchema.properties ?? {}).sort()).toEqual(["infer", "occurred_at", "text"]);
    expect(client.getServerVersion()?.name).toBe("engram");
  });

  it("the documented URL-and-header block (docs/mcp.md, README) connects as written", async () => {
    const { key } = await makeUser();
    const doc = readFileSync(join(import.meta.dirname, "..", "docs", "mcp.md"), "utf8");
    const block = /<!-- mcp-config: http -->\s*```json\n([\s\S]*?)\n```/.exec(doc)?.[1];
    const entry = (
      JSON.parse(block ?? "{}") as {
        mcpServers: { engram: { url: string; headers: Record<string, string> } };
      }
    ).mcpServers.engram;
    expect(Object.keys(entry.headers)).toEqual(["Authorization"]);
    const url = new URL(entry.url.replace(":8765", `:${port}`));
    expect(url.hostname).toBe("localhost");
    const headers = { Authorization: entry.headers.Authorization?.replace("ek_user_...", key) ?? "" };
    const client = new Client({ name: "engram-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }));
    clients.push(client);
    expect(
      data(await call(client, "add_memories", { text: "connected as documented" })).results[0].event,
    ).toBe("ADD");
  });

  it("add then search: finds by meaning, returns text and matching structured content", async () => {
    const { key } = await makeUser();
    const client = await connect(key);
    const added = data(await call(client, "add_memories", { text: "I am allergic to peanuts" }));
    expect(added.results).toHaveLength(1);
    expect(added.results[0].event).toBe("ADD");
    expect(added.results[0].memory.text).toBe("I am allergic to peanuts");
    expect(added.results[0].memory.id).toMatch(/^mem_/);
    data(await call(client, "add_memories", { text: "My favourite city is Lisbon", infer: false }));
    const found = data(await call(client, "search_memory", { query: "what food should I avoid?", limit: 5 }));
    expect(found.results[0].text).toBe("I am allergic to peanuts");
    expect(found.results[0].score).toBeGreaterThan(found.results[1].score);
    // The same memory through REST: one service behind both faces.
    const viaRest = await rest("GET", `/v1/memories/${added.results[0].memory.id}`, { key });
    expect(viaRest.body.text).toBe("I am allergic to peanuts");
  });

  it("list pages with a cursor; update; delete some; delete all", async () => {
    const { key } = await makeUser();
    const client = await connect(key);
    const ids: string[] = [];
    for (const t of ["one fact", "two fact", "three fact"]) {
      ids.push(data(await call(client, "add_memories", { text: t })).results[0].memory.id);
    }
    const page1 = data(await call(client, "list_memories", { limit: 2 }));
    expect(page1.memories.map((m: { text: string }) => m.text)).toEqual(["three fact", "two fact"]);
    const page2 = data(await call(client, "list_memories", { limit: 2, cursor: page1.next_cursor }));
    expect(page2.memories.map((m: { text: string }) => m.text)).toEqual(["one fact"]);
    expect(page2.next_cursor).toBeNull();

    const updated = data(
      await call(client, "update_memory", { memory_id: ids[0], text: "first fact, corrected" }),
    );
    expect(updated).toMatchObject({ id: ids[0], text: "first fact, corrected" });

    const del = data(await call(client, "delete_memories", { memory_ids: [ids[1], UNKNOWN_ID] }));
    expect(del).toEqual({ deleted: [ids[1]], not_found: [UNKNOWN_ID] });
    expect(data(await call(client, "delete_all_memories")).deleted).toBe(2);
    expect(data(await call(client, "list_memories")).memories).toEqual([]);
  });

  it("two users with two keys never see each other's memories through any tool", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const a = await connect(alice.key);
    const b = await connect(bob.key);
    const secret = data(await call(a, "add_memories", { text: "Alice's vault code is 4711" })).results[0]
      .memory;
    data(await call(b, "add_memories", { text: "Bob plays the cello" }));

    const search = data(await call(b, "search_memory", { query: "vault code", limit: 100 }));
    expect(search.results.map((m: { text: string }) => m.text)).toEqual(["Bob plays the cello"]);
    const list = data(await call(b, "list_memories", { limit: 100 }));
    expect(list.memories.map((m: { text: string }) => m.text)).toEqual(["Bob plays the cello"]);

    // Alice's id in Bob's hands: "not found", exactly as for an id that does not exist, and nothing of hers.
    for (const [name, args] of [
      ["update_memory", { memory_id: secret.id, text: "overwritten by bob" }],
      ["delete_memories", { memory_ids: [secret.id] }],
    ] as const) {
      const res = await call(b, name, args);
      expect(res.isError, name).toBe(true);
      expect(text(res)).toContain("not found");
      expect(text(res)).toContain("memory_not_found");
      expect(text(res)).not.toContain("4711");
      expect(res.structuredContent).toBeUndefined();
    }
    expect(data(await call(b, "delete_all_memories")).deleted).toBe(1);

    const still = data(await call(a, "list_memories"));
    expect(still.memories.map((m: { text: string }) => m.text)).toEqual(["Alice's vault code is 4711"]);
  });

  it("get_session_history: the user's own session, oldest message first; another user's session is 'not found'", async () => {
    const alice = await makeUser();
    const bob = await makeUser();
    const session = (await rest("POST", "/v1/sessions", { key: alice.key, body: {} })).body;
    for (const [role, content] of [
      ["user", "Remind me what I am allergic to"],
      ["assistant", "Peanuts."],
    ]) {
      const res = await rest("POST", `/v1/sessions/${session.id}/messages`, {
        key: alice.key,
        body: { role, content },
      });
      expect(res.status).toBe(201);
    }
    const a = await connect(alice.key);
    const history = data(await call(a, "get_session_history", { session_id: session.id }));
    expect(history.id).toBe(session.id);
    expect(history.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ["user", "Remind me what I am allergic to"],
      ["assistant", "Peanuts."],
    ]);
    const b = await connect(bob.key);
    for (const id of [session.id, "sess_00000000000000000000000000", "../x"]) {
      const res = await call(b, "get_session_history", { session_id: id });
      expect(res.isError).toBe(true);
      expect(text(res)).toBe(`session '${id}' not found (session_not_found)`);
    }
  });

  it("a client key acting for two users (X-User-Id, X-Muxi-User-Id) keeps them apart; no header is user 0", async () => {
    const tenant = uid("t").toLowerCase();
    expect((await rest("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } })).status).toBe(201);
    const created = await rest("POST", `/v1/tenants/${tenant}/keys`, {
      key: ADMIN_KEY,
      body: { name: "mcp" },
    });
    const clientKey: string = created.body.api_key;
    const carol = await connect(clientKey, { "X-User-Id": "carol" });
    const dave = await connect(clientKey, { "X-Muxi-User-Id": "dave" });
    const zero = await connect(clientKey);
    data(await call(carol, "add_memories", { text: "Carol prefers email" }));
    data(await call(dave, "add_memories", { text: "Dave works night shifts" }));
    const texts = async (c: Client) =>
      data(await call(c, "search_memory", { query: "contact preferences and work", limit: 100 })).results.map(
        (m: { text: string }) => m.text,
      );
    expect(await texts(carol)).toEqual(["Carol prefers email"]);
    expect(await texts(dave)).toEqual(["Dave works night shifts"]);
    expect(await texts(zero)).toEqual([]);
    const users = await rest("GET", `/v1/users?tenant=${tenant}`, { key: ADMIN_KEY });
    expect(users.body.users.map((u: { user_id: string }) => u.user_id).sort()).toEqual([
      "0",
      "carol",
      "dave",
    ]);
  });

  it("missing or wrong-typed arguments are MCP errors that name the field", async () => {
    const { key } = await makeUser();
    const client = await connect(key);
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ["add_memories", {}, "text"],
      ["add_memories", { text: 42 }, "text"],
      ["add_memories", { text: "x", infer: "yes" }, "infer"],
      ["search_memory", { limit: 3 }, "query"],
      ["search_memory", { query: "x", limit: "5" }, "limit"],
      ["search_memory", { query: "x", limit: 0 }, "limit"],
      ["list_memories", { cursor: 7 }, "cursor"],
      ["update_memory", { memory_id: UNKNOWN_ID }, "text"],
      ["delete_memories", { memory_ids: UNKNOWN_ID }, "memory_ids"],
      ["delete_memories", { memory_ids: [] }, "memory_ids"],
      ["get_session_history", {}, "session_id"],
    ];
    for (const [name, args, field] of cases) {
      const res = await call(client, name, args);
      expect(res.isError, `${name} ${JSON.stringify(args)}`).toBe(true);
      expect(text(res), `${name} ${JSON.stringify(args)}`).toMatch(
        new RegExp(`Input validation error.*\\b${field}\\b`, "s"),
      );
    }
    // A cursor that is a string but not one of ours is the service's validation error, also naming it.
    const cursor = await call(client, "list_memories", { cursor: "nonsense" });
    expect(cursor.isError).toBe(true);
    expect(text(cursor)).toMatch(/cursor.*validation_error/);
  });

  it("an unknown memory id is 'not found'; infer without an LLM is a clear tool error", async () => {
    const { key } = await makeUser();
    const client = await connect(key);
    for (const id of [UNKNOWN_ID, "not-an-id", "../../v1/users"]) {
      const res = await call(client, "update_memory", { memory_id: id, text: "x" });
      expect(res.isError).toBe(true);
      expect(text(res)).toBe(`memory '${id}' not found (memory_not_found)`);
    }
    const infer = await call(client, "add_memories", { text: "I moved to Porto", infer: true });
    expect(infer.isError).toBe(true);
    expect(text(infer)).toMatch(/^infer: fact extraction needs an LLM.*\(llm_not_configured\)$/);
    expect(data(await call(client, "list_memories")).memories).toEqual([]);
  });

  it("checks the key on every request: a key revoked mid-session is refused at the next call", async () => {
    const { userId, key } = await makeUser();
    const client = await connect(key);
    data(await call(client, "add_memories", { text: "before revocation" }));
    const keys = await rest("GET", `/v1/users/${userId}/keys`, { key: ADMIN_KEY });
    expect((await rest("DELETE", `/v1/keys/${keys.body.keys[0].id}`, { key: ADMIN_KEY })).status).toBe(200);
    await expect(call(client, "list_memories")).rejects.toMatchObject({ code: 401, message: /key_revoked/ });
    await expect(client.listTools()).rejects.toMatchObject({ code: 401, message: /key_revoked/ });
  });

  it("a key without the write scope can search but not add", async () => {
    const { userId } = await makeUser();
    const ro = await rest("POST", `/v1/users/${userId}/keys`, {
      key: ADMIN_KEY,
      body: { scopes: ["memories:read"] },
    });
    const client = await connect(ro.body.api_key);
    expect(data(await call(client, "search_memory", { query: "anything" })).results).toEqual([]);
    const add = await call(client, "add_memories", { text: "nope" });
    expect(add.isError).toBe(true);
    expect(text(add)).toContain("insufficient_scope");
  });

  it("no key or a bad key: 401 before any MCP; the SDK client cannot connect", async () => {
    const none = await rest("POST", "/mcp", { body: { jsonrpc: "2.0", id: 1, method: "tools/list" } });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    const bad = await rest("POST", "/mcp", {
      key: "ek_user_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
    });
    expect(bad.status).toBe(401);
    expect(bad.body.error.code).toBe("invalid_api_key");
    const client = new Client({ name: "engram-test", version: "1.0.0" });
    await expect(
      client.connect(new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`))),
    ).rejects.toMatchObject({
      code: 401,
    });
  });

  it("a malformed X-User-Id or a user key naming another user is refused", async () => {
    const { key } = await makeUser();
    const bad = await rawPost({
      host: `127.0.0.1:${port}`,
      authorization: `Bearer ${key}`,
      "x-user-id": "*",
    });
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error.field).toBe("X-User-Id");
    const other = await connect(key, { "X-User-Id": "someone-else" });
    const res = await call(other, "list_memories");
    expect(res.isError).toBe(true);
    expect(text(res)).toContain("user_mismatch");
  });

  it("DNS-rebinding protection: only loopback names and the bound host on this port; bad Host/Origin is 403", async () => {
    const { key } = await makeUser();
    const auth = { authorization: `Bearer ${key}` };
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      const res = await rawPost({ ...auth, host });
      expect(res.status, host).toBe(200);
      expect(JSON.parse(res.body).result.serverInfo.name).toBe("engram");
    }
    for (const host of [
      `evil.example:${port}`,
      "evil.example",
      `127.0.0.1:${Number(port) + 1}`,
      "localhost",
      `127.0.0.2:${port}`,
    ]) {
      const res = await rawPost({ ...auth, host });
      expect(res.status, host).toBe(403);
      expect(JSON.parse(res.body).error.field).toBe("Host");
    }
    const sameOrigin = await rawPost({
      ...auth,
      host: `localhost:${port}`,
      origin: `http://localhost:${port}`,
    });
    expect(sameOrigin.status).toBe(200);
    for (const origin of [
      "http://evil.example",
      `http://evil.example:${port}`,
      "http://localhost:3000",
      "null",
    ]) {
      const res = await rawPost({ ...auth, host: `localhost:${port}`, origin });
      expect(res.status, origin).toBe(403);
      expect(JSON.parse(res.body).error.field).toBe("Origin");
    }
    // The check comes before authentication: a rebinding page learns nothing, with or without a key.
    expect((await rawPost({ host: "evil.example" })).status).toBe(403);
    expect((await rawPost({ host: `localhost:${port}` })).status).toBe(401);
  });

  it("ENGRAM_ALLOWED_HOSTS adds names: bare for any port, name:port for one, nothing else", async () => {
    const { key } = await makeUser();
    const parsed = loadConfig(
      { ENGRAM_ALLOWED_HOSTS: "Memory.Example.com, api.example.com:8443" },
      "/nonexistent",
    );
    expect(parsed.allowedHosts).toEqual(["memory.example.com", "api.example.com:8443"]);
    // The running server reads its config per request; give it the parsed list rather than start another.
    const { config } = server.runtime.services;
    config.allowedHosts = parsed.allowedHosts;
    try {
      const auth = { authorization: `Bearer ${key}` };
      for (const host of [
        "memory.example.com",
        "memory.example.com:443",
        "api.example.com:8443",
        `localhost:${port}`,
      ]) {
        expect((await rawPost({ ...auth, host })).status, host).toBe(200);
      }
      for (const host of [
        "api.example.com",
        "api.example.com:443",
        "example.com",
        `localhost:${Number(port) + 1}`,
      ]) {
        expect((await rawPost({ ...auth, host })).status, host).toBe(403);
      }
      expect(
        (await rawPost({ ...auth, host: "memory.example.com", origin: "https://memory.example.com" })).status,
      ).toBe(200);
    } finally {
      delete config.allowedHosts;
    }
  });

  it("is stateless: no session id is issued; GET and DELETE /mcp answer 405", async () => {
    const { key } = await makeUser();
    const res = await rawPost({ host: `127.0.0.1:${port}`, authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    const init = await fetch(`${server.url}/mcp`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        accept: "application/json, text/event-stream",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" }),
    });
    expect(init.status).toBe(200);
    expect(init.headers.get("mcp-session-id")).toBeNull();
    const listed = (await init.json()) as { result: { tools: unknown[] } };
    expect(listed.result.tools).toHaveLength(TOOLS.length);
    for (const method of ["GET", "DELETE"]) {
      const r = await rest(method, "/mcp", { key });
      expect(r.status).toBe(405);
      expect(r.headers.get("allow")).toBe("POST");
    }
  });
});

describe.each(backends)("MCP add_memories with infer: true and an LLM configured ($name)", (backend) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  let fake: FakeLlm;

  beforeAll(async () => {
    fake = await startFakeLlm();
    const db = await backend.create();
    drop = db.drop;
    const config = loadConfig(
      {
        ...db.env,
        ENGRAM_PORT: "0",
        ENGRAM_HOST: "127.0.0.1",
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        ENGRAM_LOG_LEVEL: "silent",
        ENGRAM_LLM_URL: fake.url,
        ENGRAM_LLM_MODEL: "fake",
      },
      "/nonexistent",
    );
    server = await startServer(config, pino({ level: "silent" }));
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
    await fake?.close();
  });

  it("extracts facts through the same service as POST /v1/memories, over /mcp and over the REST port of engram mcp", async () => {
    const user = await fetch(`${server.url}/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: uid("infer") }),
    });
    const key = ((await user.json()) as { api_key: string }).api_key;

    const client = new Client({ name: "engram-test", version: "1.0.0" });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${server.url}/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${key}` } },
      }),
    );
    try {
      fake.script(JSON.stringify({ facts: ["Lives in Porto", "Has a dog called Rex"] }));
      const res = (await client.callTool({
        name: "add_memories",
        arguments: { text: "I moved to Porto with my dog Rex", infer: true },
      })) as CallToolResult;
      expect(res.isError).toBeFalsy();
      const results = (
        res.structuredContent as { results: Array<{ event: string; memory: { text: string } }> }
      ).results;
      expect(results.map((r) => [r.event, r.memory.text])).toEqual([
        ["ADD", "Lives in Porto"],
        ["ADD", "Has a dog called Rex"],
      ]);
      expect(fake.requests.some(isFactsCall)).toBe(true);
    } finally {
      await client.close();
    }

    // engram mcp --url forwards to POST /v1/memories and reads its extraction answer the same way.
    const remote = new RemoteMemoryPort({ url: server.url, key });
    fake.script(
      JSON.stringify({ facts: ["Works as a nurse"] }),
      JSON.stringify({ memory: [{ event: "ADD", text: "Works as a nurse" }] }),
    );
    const forwarded = await remote.add({ text: "I work as a nurse", infer: true });
    expect(forwarded.results.map((r) => [r.event, r.memory?.text])).toEqual([["ADD", "Works as a nurse"]]);
    expect((await remote.list({ limit: 10 })).memories.map((m) => m.text).sort()).toEqual([
      "Has a dog called Rex",
      "Lives in Porto",
      "Works as a nurse",
    ]);
  });
});
