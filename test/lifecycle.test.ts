/** Memory lifecycle: apps (paused = no reads or writes), states, history events, tombstones, duplicate-add, activity. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("memory lifecycle ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    // States, apps and history; its searches check which memories are eligible (every eligible one is
    // returned), not their order: the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(backend, {}, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
  });

  it("every user has a default app, and memories record the app that wrote them", async () => {
    const key = await makeUser(e, uid());
    await e.call("POST", "/v1/memories", { key, body: { text: "written by default" } });
    await e.call("POST", "/v1/memories", { key, body: { text: "written by the notes app", app: "notes" } });
    const apps = await e.call("GET", "/v1/apps", { key });
    expect(apps.status).toBe(200);
    expect(apps.body.apps.map((a: any) => [a.name, a.is_active, a.memory_count])).toEqual([
      ["default", true, 1],
      ["notes", true, 1],
    ]);
    const created = await e.call("POST", "/v1/apps", {
      key,
      body: { name: "calendar", description: "events" },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "calendar", is_active: true, memory_count: 0 });
    expect((await e.call("POST", "/v1/apps", { key, body: { name: "calendar" } })).status).toBe(409);
  });

  it("a paused app can neither write nor read; resuming restores both", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "from the crm", app: "crm" } }))
      .body;
    await e.call("POST", "/v1/memories", { key, body: { text: "from default" } });
    const paused = await e.call("PATCH", "/v1/apps/crm", { key, body: { is_active: false } });
    expect(paused.status).toBe(200);
    expect(paused.body.is_active).toBe(false);

    const write = await e.call("POST", "/v1/memories", {
      key,
      body: { text: "more from the crm", app: "crm" },
    });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("app_paused");
    expect((await e.call("GET", "/v1/memories?app=crm", { key })).status).toBe(403);
    expect((await e.call("GET", `/v1/memories/${m.id}`, { key })).body.error.code).toBe("app_paused");
    const list = await e.call("GET", "/v1/memories", { key });
    expect(list.body.memories.map((x: any) => x.text)).toEqual(["from default"]);
    const search = await e.call("POST", "/v1/memories/search", { key, body: { query: "crm" } });
    expect(search.body.results.map((x: any) => x.text)).toEqual(["from default"]);

    // A key bound to the paused app is stopped everywhere, whatever it names.
    const bound = await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: { app: "crm" } });
    expect(bound.body.key.app).toBe("crm");
    expect((await e.call("GET", "/v1/memories", { key: bound.body.api_key })).status).toBe(403);
    expect(
      (await e.call("POST", "/v1/memories", { key: bound.body.api_key, body: { text: "x" } })).status,
    ).toBe(403);

    const appId = (await e.call("GET", "/v1/apps", { key })).body.apps.find((a: any) => a.name === "crm").id;
    expect(
      (await e.call("PATCH", `/v1/apps/${appId}`, { key, body: { is_active: true } })).body.is_active,
    ).toBe(true);
    expect((await e.call("GET", `/v1/memories/${m.id}`, { key })).status).toBe(200);
    const viaBound = await e.call("POST", "/v1/memories", {
      key: bound.body.api_key,
      body: { text: "written by the bound key", app: "other" },
    });
    expect(viaBound.status).toBe(201);
    expect(viaBound.body.app).toBe("crm");
    expect((await e.call("PATCH", "/v1/apps/nope", { key, body: { is_active: false } })).status).toBe(404);
  });

  it("list and search see active memories unless a state filter asks", async () => {
    const key = await makeUser(e, uid());
    const a = (await e.call("POST", "/v1/memories", { key, body: { text: "I play the cello" } })).body;
    const b = (await e.call("POST", "/v1/memories", { key, body: { text: "I play the violin" } })).body;
    await e.call("PATCH", `/v1/memories/${a.id}`, { key, body: { state: "paused" } });
    await e.call("PATCH", `/v1/memories/${b.id}`, { key, body: { state: "archived" } });
    await e.call("POST", "/v1/memories", { key, body: { text: "I play the drums" } });
    const search = async (filters?: unknown) =>
      (
        await e.call("POST", "/v1/memories/search", {
          key,
          body: { query: "instrument", ...(filters ? { filters } : {}) },
        })
      ).body.results
        .map((r: any) => r.text)
        .sort();
    expect(await search()).toEqual(["I play the drums"]);
    expect(await search({ state: "paused" })).toEqual(["I play the cello"]);
    expect(await search({ state: ["paused", "archived"] })).toEqual([
      "I play the cello",
      "I play the violin",
    ]);
    const listed = await e.call("GET", "/v1/memories?state=archived", { key });
    expect(listed.body.memories.map((m: any) => m.text)).toEqual(["I play the violin"]);
  });

  it("history records add, update and state change with old and new text, key and time", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    const keyId = (await e.call("GET", "/v1/me", { key })).body.key_id;
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "I live in Oslo" } })).body;
    await e.call("PATCH", `/v1/memories/${m.id}`, { key, body: { text: "I live in Bergen" } });
    await e.call("PATCH", `/v1/memories/${m.id}`, { key, body: { state: "archived" } });
    const h = await e.call("GET", `/v1/memories/${m.id}/history`, { key });
    expect(h.status).toBe(200);
    expect(
      h.body.events.map((x: any) => [x.event, x.old_text, x.new_text, x.old_state, x.new_state]),
    ).toEqual([
      ["add", null, "I live in Oslo", null, "active"],
      ["update", "I live in Oslo", "I live in Bergen", null, null],
      ["state", null, null, "active", "archived"],
    ]);
    for (const ev of h.body.events) {
      expect(ev.key_id).toBe(keyId);
      expect(Number.isNaN(Date.parse(ev.created_at))).toBe(false);
    }
  });

  it("delete removes the text everywhere and leaves a tombstone event", async () => {
    const key = await makeUser(e, uid());
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "my PIN is 9911" } })).body;
    await e.call("PATCH", `/v1/memories/${m.id}`, { key, body: { text: "my PIN is 1199" } });
    expect((await e.call("DELETE", `/v1/memories/${m.id}`, { key })).status).toBe(200);
    expect((await e.call("GET", `/v1/memories/${m.id}`, { key })).status).toBe(404);
    const h = await e.call("GET", `/v1/memories/${m.id}/history`, { key });
    expect(h.body.events.map((x: any) => x.event)).toEqual(["add", "update", "delete"]);
    expect(h.body.events.at(-1)).toMatchObject({
      old_state: "active",
      new_state: "deleted",
      old_text: null,
      new_text: null,
    });
    expect(JSON.stringify(h.body)).not.toMatch(/9911|1199/);
    const leftovers = await e.runtime.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memory_events WHERE old_text LIKE '%PIN%' OR new_text LIKE '%PIN%'",
    );
    expect(leftovers[0]?.n).toBe(0);
  });

  it("PATCH state=deleted deletes the same way", async () => {
    const key = await makeUser(e, uid());
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "temporary note" } })).body;
    const res = await e.call("PATCH", `/v1/memories/${m.id}`, { key, body: { state: "deleted" } });
    expect(res.status).toBe(200);
    expect(res.body.state).toBe("deleted");
    expect((await e.call("GET", `/v1/memories/${m.id}`, { key })).status).toBe(404);
  });

  it("delete-all leaves a tombstone per memory", async () => {
    const key = await makeUser(e, uid());
    const ids = [];
    for (const text of ["alpha fact", "beta fact"])
      ids.push((await e.call("POST", "/v1/memories", { key, body: { text } })).body.id);
    await e.call("DELETE", "/v1/memories?confirm=true", { key });
    for (const id of ids) {
      const h = await e.call("GET", `/v1/memories/${id}/history`, { key });
      expect(h.body.events.map((x: any) => [x.event, x.new_text])).toEqual([
        ["add", null],
        ["delete", null],
      ]);
    }
  });

  it("another user's history is 404", async () => {
    const a = await makeUser(e, uid());
    const b = await makeUser(e, uid());
    const m = (await e.call("POST", "/v1/memories", { key: a, body: { text: "A's only" } })).body;
    expect((await e.call("GET", `/v1/memories/${m.id}/history`, { key: b })).status).toBe(404);
  });

  it("adding text identical after case and white space returns the existing memory", async () => {
    const key = await makeUser(e, uid());
    const first = await e.call("POST", "/v1/memories", { key, body: { text: "I like green tea" } });
    expect(first.status).toBe(201);
    const again = await e.call("POST", "/v1/memories", { key, body: { text: "  i LIKE   green tea " } });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await e.call("GET", "/v1/memories", { key })).body.memories).toHaveLength(1);
    // Not a duplicate once the first is archived: only active memories count.
    await e.call("PATCH", `/v1/memories/${first.body.id}`, { key, body: { state: "archived" } });
    expect((await e.call("POST", "/v1/memories", { key, body: { text: "I like green tea" } })).status).toBe(
      201,
    );
  });

  it("infer without an LLM configured is 422 llm_not_configured and stores nothing", async () => {
    const key = await makeUser(e, uid());
    const res = await e.call("POST", "/v1/memories", { key, body: { text: "I moved to Rome", infer: true } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("llm_not_configured");
    expect((await e.call("GET", "/v1/memories", { key })).body.memories).toEqual([]);
  });

  it("admin user list shows memory counts and last activity", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    const before = await e.call("GET", `/v1/users/${user}`, { key: ADMIN_KEY });
    expect(before.body.last_active_at).toBeNull();
    await e.call("POST", "/v1/memories", { key, body: { text: "one thing" } });
    await e.call("POST", "/v1/memories", { key, body: { text: "another thing" } });
    // Activity is recorded off the request path; give it a moment.
    let row: any;
    for (let i = 0; i < 20; i++) {
      const list = await e.call("GET", "/v1/users?limit=500", { key: ADMIN_KEY });
      row = list.body.users.find((u: any) => u.user_id === user);
      if (row?.last_active_at) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(row.memory_count).toBe(2);
    expect(Date.now() - Date.parse(row.last_active_at)).toBeLessThan(60_000);
  });
});
