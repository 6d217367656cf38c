/**
 * Keys bound to an app (issue #9): a key bound to a paused app is refused with 403 app_paused on every user-scoped
 * route and MCP tool, not only on memory lists; a bound key pauses and resumes nothing and manages only its own app;
 * an unbound key's resume restores it. Reads by a bound key span the user's apps (documented in docs/api.md). On
 * every backend.
 */
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("keys bound to an app ($name)", (backend) => {
  let e: TestEngram;
  let server: ServerType;
  let mcpUrl: URL;

  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
    // /mcp over real HTTP, as an MCP client reaches it: the same app, listening on a free loopback port.
    server = serve({ fetch: e.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
    mcpUrl = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    await e?.close();
  });

  /** A user with an unbound key and a key bound to `app`, and one memory written by each. */
  async function setup(app = "crm") {
    const user = uid("bind");
    const key = await makeUser(e, user);
    const created = await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: { app } });
    expect(created.status).toBe(201);
    expect(created.body.key.app).toBe(app);
    const bound = created.body.api_key as string;
    const mine = await e.call("POST", "/v1/memories", { key, body: { text: "written unbound as default" } });
    expect(mine.status).toBe(201);
    const theirs = await e.call("POST", "/v1/memories", {
      key: bound,
      body: { text: "written by the bound key", app: "ignored" },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.body.app).toBe(app);
    return { user, key, bound, defaultMemory: mine.body.id as string, boundMemory: theirs.body.id as string };
  }

  async function setActive(key: string, app: string, active: boolean) {
    const res = await e.call("PATCH", `/v1/apps/${app}`, { key, body: { is_active: active } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.is_active).toBe(active);
  }

  /** Every user-scoped route, as [label, method, path, body]; ids from `setup` and a session of the bound key. */
  function userScopedRoutes(ids: { defaultMemory: string; boundMemory: string; session: string }) {
    const { defaultMemory, boundMemory, session } = ids;
    return [
      ["list memories", "GET", "/v1/memories"],
      ["list memories of another app", "GET", "/v1/memories?app=default"],
      ["add a memory", "POST", "/v1/memories", { text: "one more" }],
      ["search", "POST", "/v1/memories/search", { query: "written" }],
      [
        "search another app",
        "POST",
        "/v1/memories/search",
        { query: "written", filters: { app: "default" } },
      ],
      ["get its own memory", "GET", `/v1/memories/${boundMemory}`],
      ["get another app's memory", "GET", `/v1/memories/${defaultMemory}`],
      ["history", "GET", `/v1/memories/${boundMemory}/history`],
      ["history of another app's memory", "GET", `/v1/memories/${defaultMemory}/history`],
      ["update", "PATCH", `/v1/memories/${defaultMemory}`, { text: "changed" }],
      ["delete", "DELETE", `/v1/memories/${defaultMemory}`],
      ["delete all", "DELETE", "/v1/memories?confirm=true"],
      ["list apps", "GET", "/v1/apps"],
      ["create an app", "POST", "/v1/apps", { name: "crm" }],
      ["resume its own app", "PATCH", "/v1/apps/crm", { is_active: true }],
      ["pause another app", "PATCH", "/v1/apps/default", { is_active: false }],
      ["open a session", "POST", "/v1/sessions", {}],
      ["list sessions", "GET", "/v1/sessions"],
      ["read a session", "GET", `/v1/sessions/${session}`],
      ["post to a session", "POST", `/v1/sessions/${session}/messages`, { role: "user", content: "hi" }],
      ["delete a session", "DELETE", `/v1/sessions/${session}`],
      ["chat", "POST", "/v1/chat", { message: "what did I write?", session_id: session }],
      ["OpenMemory list", "GET", "/api/v1/memories/"],
      ["OpenMemory add", "POST", "/api/v1/memories/", { text: "via openmemory" }],
      ["OpenMemory search", "POST", "/api/v1/memories/search?query=written"],
      ["OpenMemory get", "GET", `/api/v1/memories/${defaultMemory}`],
      ["OpenMemory delete", "DELETE", `/api/v1/memories/${defaultMemory}`],
    ] as Array<[string, string, string, unknown?]>;
  }

  it("a key bound to a paused app gets 403 app_paused on every user-scoped route, and changes nothing", async () => {
    const s = await setup();
    const session = await e.call("POST", "/v1/sessions", { key: s.bound, body: {} });
    expect(session.status).toBe(201);
    const sessionId = session.body.id as string;
    expect(
      (
        await e.call("POST", `/v1/sessions/${sessionId}/messages`, {
          key: s.bound,
          body: { role: "user", content: "before the pause" },
        })
      ).status,
    ).toBe(201);

    // Before: the reads that used to leak after a pause all work.
    expect((await e.call("GET", "/v1/memories", { key: s.bound })).status).toBe(200);
    const history = await e.call("GET", `/v1/memories/${s.boundMemory}/history`, { key: s.bound });
    expect(history.status).toBe(200);
    expect(history.body.events[0].new_text).toBe("written by the bound key");
    expect((await e.call("GET", `/v1/sessions/${sessionId}`, { key: s.bound })).status).toBe(200);
    expect((await e.call("GET", "/v1/sessions", { key: s.bound })).status).toBe(200);
    const chat = await e.call("POST", "/v1/chat", {
      key: s.bound,
      body: { message: "hello there", session_id: sessionId },
    });
    expect(chat.status, JSON.stringify(chat.body)).toBe(200);
    const before = await e.call("GET", "/v1/memories?limit=100", { key: s.key });
    const beforeSession = await e.call("GET", `/v1/sessions/${sessionId}`, { key: s.key });

    await setActive(s.key, "crm", false);

    for (const [label, method, path, body] of userScopedRoutes({ ...s, session: sessionId })) {
      const res = await e.call(method, path, { key: s.bound, ...(body !== undefined ? { body } : {}) });
      expect(res.status, `${label}: ${JSON.stringify(res.body)}`).toBe(403);
      expect(res.body.error.code, label).toBe("app_paused");
      expect(res.body.error.message, label).toContain("bound to app 'crm'");
    }

    // Nothing was written, deleted or resumed by any of them (the memories are compared after the resume below).
    const afterSession = await e.call("GET", `/v1/sessions/${sessionId}`, { key: s.key });
    expect(afterSession.body.messages).toEqual(beforeSession.body.messages);
    const apps = (await e.call("GET", "/v1/apps", { key: s.key })).body.apps;
    expect(apps.map((a: any) => [a.name, a.is_active])).toEqual([
      ["crm", false],
      ["default", true],
    ]);

    // Describing the key is not user-scoped work: /v1/me and OpenMemory's login still answer.
    const me = await e.call("GET", "/v1/me", { key: s.bound });
    expect(me.status).toBe(200);
    expect(me.body.user_id).toBe(s.user);
    const login = await e.call("POST", "/api/v1/auth/login", { body: { api_key: s.bound } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ success: true, user_id: s.user });

    // The unbound key is unaffected outside the paused app, and its resume restores the bound key.
    expect((await e.call("GET", `/v1/memories/${s.defaultMemory}`, { key: s.key })).status).toBe(200);
    await setActive(s.key, "crm", true);
    expect((await e.call("GET", "/v1/memories?limit=100", { key: s.key })).body).toEqual(before.body);
    expect((await e.call("GET", "/v1/memories", { key: s.bound })).status).toBe(200);
    const again = await e.call("GET", `/v1/memories/${s.boundMemory}/history`, { key: s.bound });
    expect(again.status).toBe(200);
    expect(again.body.events[0].new_text).toBe("written by the bound key");
    expect((await e.call("GET", `/v1/sessions/${sessionId}`, { key: s.bound })).status).toBe(200);
    expect(
      (
        await e.call("POST", `/v1/sessions/${sessionId}/messages`, {
          key: s.bound,
          body: { role: "user", content: "after the resume" },
        })
      ).status,
    ).toBe(201);
  });

  it("a bound key cannot pause or resume any app, and manages only its own", async () => {
    const s = await setup();
    await e.call("POST", "/v1/apps", { key: s.key, body: { name: "notes" } });
    const crmId = (await e.call("GET", "/v1/apps", { key: s.key })).body.apps.find(
      (a: any) => a.name === "crm",
    ).id;

    for (const target of ["crm", crmId, "default", "notes", "nope"]) {
      for (const isActive of [false, true]) {
        const res = await e.call("PATCH", `/v1/apps/${target}`, {
          key: s.bound,
          body: { is_active: isActive },
        });
        expect(res.status, `${target} ${isActive}`).toBe(403);
        expect(res.body.error.code).toBe("forbidden");
        expect(res.body.error.message).toContain("cannot pause or resume apps");
      }
    }
    // Its own app's description is fine, by name or id; another app's is not.
    const described = await e.call("PATCH", `/v1/apps/${crmId}`, {
      key: s.bound,
      body: { description: "the CRM" },
    });
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ name: "crm", description: "the CRM", is_active: true });
    const other = await e.call("PATCH", "/v1/apps/notes", { key: s.bound, body: { description: "x" } });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("forbidden");
    expect(
      (await e.call("PATCH", "/v1/apps/nope", { key: s.bound, body: { description: "x" } })).status,
    ).toBe(404);
    // It lists its own app only, and creates no other.
    const listed = await e.call("GET", "/v1/apps", { key: s.bound });
    expect(listed.status).toBe(200);
    expect(listed.body.apps.map((a: any) => [a.name, a.memory_count])).toEqual([["crm", 1]]);
    const created = await e.call("POST", "/v1/apps", { key: s.bound, body: { name: "calendar" } });
    expect(created.status).toBe(403);
    expect(created.body.error.code).toBe("forbidden");
    expect((await e.call("POST", "/v1/apps", { key: s.bound, body: { name: "crm" } })).status).toBe(409);

    // Nothing changed for the unbound key, which still pauses and resumes.
    const apps = (await e.call("GET", "/v1/apps", { key: s.key })).body.apps;
    expect(apps.map((a: any) => [a.name, a.is_active])).toEqual([
      ["crm", true],
      ["default", true],
      ["notes", true],
    ]);
    await setActive(s.key, "notes", false);
    await setActive(s.key, "notes", true);

    // A bound key that has not written yet lists its app all the same (created, like `default`, on first use).
    const fresh = await e.call("POST", `/v1/users/${s.user}/keys`, { key: ADMIN_KEY, body: { app: "mail" } });
    const freshApps = await e.call("GET", "/v1/apps", { key: fresh.body.api_key });
    expect(freshApps.body.apps.map((a: any) => [a.name, a.is_active, a.memory_count])).toEqual([
      ["mail", true, 0],
    ]);
  });

  it("a client key bound to an app is stopped only for the users whose app is paused", async () => {
    const tenant = `t${uid()
      .toLowerCase()
      .replace(/[^a-z0-9]/g, "")}`.slice(0, 40);
    expect((await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } })).status).toBe(201);
    const client = await e.call("POST", `/v1/tenants/${tenant}/keys`, {
      key: ADMIN_KEY,
      body: { app: "crm" },
    });
    expect(client.status).toBe(201);
    const key = client.body.api_key as string;
    for (const user of ["alice", "bob"]) {
      const res = await e.call("POST", "/v1/memories", { key, user, body: { text: `${user} was here` } });
      expect(res.status).toBe(201);
      expect(res.body.app).toBe("crm");
    }
    // The admin key is not bound: it pauses crm for alice only.
    const paused = await e.call("PATCH", "/v1/apps/crm", {
      key: ADMIN_KEY,
      body: { is_active: false },
      headers: { "x-user-id": "alice", "x-tenant-id": tenant },
    });
    expect(paused.status).toBe(200);
    const alice = await e.call("GET", "/v1/memories", { key, user: "alice" });
    expect(alice.status).toBe(403);
    expect(alice.body.error.code).toBe("app_paused");
    expect((await e.call("GET", "/v1/sessions", { key, user: "alice" })).status).toBe(403);
    const bob = await e.call("GET", "/v1/memories", { key, user: "bob" });
    expect(bob.status).toBe(200);
    expect(bob.body.memories.map((m: any) => m.text)).toEqual(["bob was here"]);
    // A user named for the first time has no crm app yet: active, created by the first write.
    expect((await e.call("POST", "/v1/memories", { key, user: "carol", body: { text: "hi" } })).status).toBe(
      201,
    );
  });

  it("a bound key reads every app of its user that is not paused (binding labels writes, it does not filter reads)", async () => {
    const s = await setup();
    const notes = await e.call("POST", "/v1/memories", {
      key: s.key,
      body: { text: "written as notes", app: "notes" },
    });
    expect(notes.status).toBe(201);
    const texts = async (res: Promise<{ body: any }>) =>
      ((await res).body.memories ?? (await res).body.results).map((m: any) => m.text).sort();

    expect(await texts(e.call("GET", "/v1/memories", { key: s.bound }))).toEqual([
      "written as notes",
      "written by the bound key",
      "written unbound as default",
    ]);
    expect(
      await texts(
        e.call("POST", "/v1/memories/search", { key: s.bound, body: { query: "written", limit: 10 } }),
      ),
    ).toEqual(["written as notes", "written by the bound key", "written unbound as default"]);
    expect(await texts(e.call("GET", "/v1/memories?app=default", { key: s.bound }))).toEqual([
      "written unbound as default",
    ]);
    expect((await e.call("GET", `/v1/memories/${s.defaultMemory}`, { key: s.bound })).status).toBe(200);
    expect((await e.call("GET", `/v1/memories/${s.defaultMemory}/history`, { key: s.bound })).status).toBe(
      200,
    );

    // Another paused app's memories drop out for it as for anyone; naming that app, or reading one of its
    // memories or that memory's history, is 403 app_paused (the history check is new: it used to show the texts).
    await setActive(s.key, "notes", false);
    expect(await texts(e.call("GET", "/v1/memories", { key: s.bound }))).toEqual([
      "written by the bound key",
      "written unbound as default",
    ]);
    for (const k of [s.bound, s.key]) {
      for (const path of [
        `/v1/memories/${notes.body.id}`,
        `/v1/memories/${notes.body.id}/history`,
        "/v1/memories?app=notes",
      ]) {
        const res = await e.call("GET", path, { key: k });
        expect(res.status, path).toBe(403);
        expect(res.body.error.code).toBe("app_paused");
      }
    }
    await setActive(s.key, "notes", true);
    expect((await e.call("GET", `/v1/memories/${notes.body.id}/history`, { key: s.key })).status).toBe(200);
  });

  describe("MCP over HTTP", () => {
    const TOOL_CALLS: Array<[string, Record<string, unknown>]> = [
      ["add_memories", { text: "added over mcp" }],
      ["add_memories_batch", { texts: ["batched over mcp"] }],
      ["search_memory", { query: "written" }],
      ["list_memories", {}],
      ["update_memory", { memory_id: "MEMORY", text: "changed over mcp" }],
      ["delete_memories", { memory_ids: ["MEMORY"] }],
      ["delete_all_memories", {}],
      ["get_session_history", { session_id: "SESSION" }],
    ];

    async function connect(key: string): Promise<Client> {
      const client = new Client({ name: "engram-test", version: "1.0.0" });
      await client.connect(
        new StreamableHTTPClientTransport(mcpUrl, {
          requestInit: { headers: { authorization: `Bearer ${key}` } },
        }),
      );
      return client;
    }

    function text(result: CallToolResult): string {
      const first = result.content[0];
      return first?.type === "text" ? first.text : "";
    }

    it("every tool fails with app_paused for a key bound to a paused app, and works again after a resume", async () => {
      const s = await setup();
      const session = (await e.call("POST", "/v1/sessions", { key: s.key, body: {} })).body.id as string;
      const client = await connect(s.bound);
      try {
        const { tools } = await client.listTools();
        // Every tool is covered below, with the ids it needs.
        expect(tools.map((t) => t.name).sort()).toEqual(TOOL_CALLS.map(([n]) => n).sort());
        const args = (a: Record<string, unknown>) =>
          JSON.parse(JSON.stringify(a).replaceAll("MEMORY", s.defaultMemory).replaceAll("SESSION", session));

        const listed = (await client.callTool({ name: "list_memories", arguments: {} })) as CallToolResult;
        expect(listed.isError, text(listed)).toBeFalsy();
        const history = (await client.callTool({
          name: "get_session_history",
          arguments: { session_id: session },
        })) as CallToolResult;
        expect(history.isError, text(history)).toBeFalsy();

        await setActive(s.key, "crm", false);
        for (const [name, a] of TOOL_CALLS) {
          const res = (await client.callTool({ name, arguments: args(a) })) as CallToolResult;
          expect(res.isError, `${name}: ${text(res)}`).toBe(true);
          expect(text(res), name).toContain("(app_paused)");
        }
        // Nothing was added, changed or deleted.
        const memories = (await e.call("GET", "/v1/memories", { key: s.key })).body.memories;
        expect(memories.map((m: any) => m.text).sort()).toEqual(["written unbound as default"]);
        expect((await e.call("GET", `/v1/memories/${s.defaultMemory}`, { key: s.key })).body.text).toBe(
          "written unbound as default",
        );

        await setActive(s.key, "crm", true);
        const after = (await client.callTool({ name: "list_memories", arguments: {} })) as CallToolResult;
        expect(after.isError, text(after)).toBeFalsy();
        expect(text(after)).toContain("written by the bound key");
      } finally {
        await client.close();
      }
    });
  });
});
