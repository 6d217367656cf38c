/** OpenMemory's API flows (login, create, list, search, get, delete) answered by Engram's adapters, with keys isolating users. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("OpenMemory-compatible API ($name)", (backend) => {
  let e: TestEngram;
  let aliceKey: string;
  let bobKey: string;
  const alice = uid("alice");
  const bob = uid("bob");

  beforeAll(async () => {
    // The adapter's shapes and isolation; its one ranked search ("editor theme") shares the word "editor"
    // with the memory it expects first, which the words embedder (test/helpers/runtime.ts) ranks first too.
    e = await startEngram(backend, {}, { embedder: "words" });
    const res = await e.call("POST", "/v1/users", {
      key: ADMIN_KEY,
      body: { user_id: alice, name: "Alice" },
    });
    aliceKey = res.body.api_key;
    bobKey = await makeUser(e, bob);
  });
  afterAll(async () => {
    await e?.close();
  });

  it("login with a valid key names its user; an invalid key is 401 with success false", async () => {
    const ok = await e.call("POST", "/api/v1/auth/login", {
      raw: JSON.stringify({ api_key: aliceKey }),
      headers: { "content-type": "application/json" },
    });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ success: true, user_id: alice, name: "Alice", message: "Login successful" });
    const bad = await e.call("POST", "/api/v1/auth/login", { body: { api_key: "ek_user_nope" } });
    expect(bad.status).toBe(401);
    expect(bad.body.success).toBe(false);
  });

  it("creates, lists, searches, gets and deletes memories with OpenMemory's field names beside ours", async () => {
    const created = await e.call("POST", "/api/v1/memories/", {
      key: aliceKey,
      raw: JSON.stringify({
        text: "I prefer dark mode in every editor",
        app: "openmemory",
        metadata: { source: "chat" },
      }),
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      text: "I prefer dark mode in every editor",
      content: "I prefer dark mode in every editor",
      app: "openmemory",
      app_name: "openmemory",
      metadata: { source: "chat" },
      metadata_: { source: "chat" },
      state: "active",
    });
    await e.call("POST", "/api/v1/memories/", { key: aliceKey, body: { text: "I use Vim keybindings" } });

    const list = await e.call("GET", "/api/v1/memories/?page=1&size=1", { key: aliceKey });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 2, page: 1, size: 1, pages: 2 });
    expect(list.body.items).toHaveLength(1);
    const noSlash = await e.call("GET", "/api/v1/memories", { key: aliceKey });
    expect(noSlash.body.total).toBe(2);

    const search = await e.call(
      "POST",
      `/api/v1/memories/search?query=${encodeURIComponent("editor theme")}`,
      { key: aliceKey },
    );
    expect(search.status).toBe(200);
    expect(search.body.results[0].text).toBe("I prefer dark mode in every editor");
    const searchBody = await e.call("POST", "/api/v1/memories/search", {
      key: aliceKey,
      body: { query: "keyboard shortcuts", limit: 1 },
    });
    expect(searchBody.body.results).toHaveLength(1);

    const got = await e.call("GET", `/api/v1/memories/${created.body.id}`, { key: aliceKey });
    expect(got.body.id).toBe(created.body.id);
    const del = await e.call("DELETE", `/api/v1/memories/${created.body.id}`, { key: aliceKey });
    expect(del.status).toBe(200);
    expect((await e.call("GET", `/api/v1/memories/${created.body.id}`, { key: aliceKey })).status).toBe(404);
  });

  it("two keys never see each other's memories", async () => {
    await e.call("POST", "/api/v1/memories/", { key: bobKey, body: { text: "Bob's bank is in Zurich" } });
    const aliceSearch = await e.call("POST", "/api/v1/memories/search?query=bank", { key: aliceKey });
    expect(aliceSearch.body.results.map((r: any) => r.text)).not.toContain("Bob's bank is in Zurich");
    const aliceList = await e.call("GET", "/api/v1/memories/", { key: aliceKey });
    expect(aliceList.body.items.map((r: any) => r.text)).not.toContain("Bob's bank is in Zurich");
    const bobsId = (await e.call("GET", "/api/v1/memories/", { key: bobKey })).body.items[0].id;
    expect((await e.call("GET", `/api/v1/memories/${bobsId}`, { key: aliceKey })).status).toBe(404);
    expect((await e.call("DELETE", `/api/v1/memories/${bobsId}`, { key: aliceKey })).status).toBe(404);
  });

  it("a user_id in the body can only be the key's own user", async () => {
    const own = await e.call("POST", "/api/v1/memories/", {
      key: aliceKey,
      body: { text: "naming myself", user_id: alice },
    });
    expect(own.status).toBe(200);
    const other = await e.call("POST", "/api/v1/memories/", {
      key: aliceKey,
      body: { text: "as bob", user_id: bob },
    });
    expect(other.status).toBe(403);
    expect(other.body.error.code).toBe("user_mismatch");
    expect(
      (await e.call("GET", "/api/v1/memories/", { key: bobKey })).body.items.map((m: any) => m.text),
    ).not.toContain("as bob");
  });

  it("no key is 401; bad input is 400 naming the field", async () => {
    expect((await e.call("GET", "/api/v1/memories/")).status).toBe(401);
    const noQuery = await e.call("POST", "/api/v1/memories/search", { key: aliceKey });
    expect(noQuery.status).toBe(400);
    expect(noQuery.body.error.field).toBe("query");
    const noText = await e.call("POST", "/api/v1/memories/", { key: aliceKey, body: { app: "x" } });
    expect(noText.status).toBe(400);
    expect(noText.body.error.field).toBe("text");
    const badSize = await e.call("GET", "/api/v1/memories/?size=1000", { key: aliceKey });
    expect(badSize.status).toBe(400);
  });
});
