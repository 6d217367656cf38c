/** Memories over REST, happy paths, on every backend: add, get, list with cursors, update, delete, search. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("memories ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    e = await startEngram(backend);
  });
  afterAll(async () => {
    await e?.close();
  });

  it("adds a memory and reads it back with text and metadata", async () => {
    const key = await makeUser(e, uid());
    const add = await e.call("POST", "/v1/memories", {
      key,
      body: { text: "Prefers morning meetings", metadata: { topic: "work" } },
    });
    expect(add.status).toBe(201);
    expect(add.body).toMatchObject({
      text: "Prefers morning meetings",
      metadata: { topic: "work" },
      app: "default",
      state: "active",
    });
    expect(add.body.id).toMatch(/^mem_[0-9a-z]{26}$/);
    const get = await e.call("GET", `/v1/memories/${add.body.id}`, { key });
    expect(get.status).toBe(200);
    expect(get.body).toEqual(add.body);
  });

  it("defaults metadata to an empty object", async () => {
    const key = await makeUser(e, uid());
    const add = await e.call("POST", "/v1/memories", { key, body: { text: "Has a cat named Miso" } });
    expect(add.body.metadata).toEqual({});
    expect(add.body.session_id).toBeNull();
  });

  it("finds the memory that means the same thing first", async () => {
    const key = await makeUser(e, uid());
    for (const text of [
      "I prefer meetings early in the morning",
      "My sister lives in Lisbon",
      "I am allergic to peanuts",
      "My favourite programming language is Rust",
    ]) {
      expect((await e.call("POST", "/v1/memories", { key, body: { text } })).status).toBe(201);
    }
    const res = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "what food allergy do I have?" },
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(4);
    expect(res.body.results[0].text).toBe("I am allergic to peanuts");
    const scores = res.body.results.map((r: { score: number }) => r.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    for (const s of scores) expect(s).toBeGreaterThanOrEqual(0);
    for (const s of scores) expect(s).toBeLessThanOrEqual(1);
    for (const r of res.body.results)
      expect(Object.keys(r).sort()).toEqual([
        "app",
        "created_at",
        "id",
        "metadata",
        "occurred_at",
        "score",
        "session_id",
        "state",
        "text",
        "updated_at",
      ]);
  });

  it("honours limit and threshold", async () => {
    const key = await makeUser(e, uid());
    for (const text of ["I live in Berlin", "I work as a nurse", "My car is blue"]) {
      await e.call("POST", "/v1/memories", { key, body: { text } });
    }
    const one = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "where do I live", limit: 1 },
    });
    expect(one.body.results).toHaveLength(1);
    expect(one.body.results[0].text).toBe("I live in Berlin");
    const strict = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "where do I live", threshold: 0.99 },
    });
    expect(strict.body.results).toEqual([]);
  });

  it("lists newest first and pages with a cursor without gaps or repeats", async () => {
    const key = await makeUser(e, uid());
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) {
      ids.push((await e.call("POST", "/v1/memories", { key, body: { text: `fact number ${i}` } })).body.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=3&cursor=${cursor}` : "?limit=3";
      const page = await e.call("GET", `/v1/memories${q}`, { key });
      expect(page.status).toBe(200);
      expect(page.body.memories.length).toBeLessThanOrEqual(3);
      seen.push(...page.body.memories.map((m: { id: string }) => m.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it("filters the list by app and session", async () => {
    const key = await makeUser(e, uid());
    await e.call("POST", "/v1/memories", { key, body: { text: "from the notes app", app: "notes" } });
    await e.call("POST", "/v1/memories", {
      key,
      body: { text: "said in a session", session_id: "sess_abc" },
    });
    await e.call("POST", "/v1/memories", { key, body: { text: "plain" } });
    const notes = await e.call("GET", "/v1/memories?app=notes", { key });
    expect(notes.body.memories.map((m: { text: string }) => m.text)).toEqual(["from the notes app"]);
    const sess = await e.call("GET", "/v1/memories?session_id=sess_abc", { key });
    expect(sess.body.memories.map((m: { text: string }) => m.text)).toEqual(["said in a session"]);
  });

  it("filters the list by creation time, and pages through the filtered list with a cursor", async () => {
    const key = await makeUser(e, uid());
    const added: Array<{ id: string; created_at: string }> = [];
    for (let i = 0; i < 7; i++) {
      added.push((await e.call("POST", "/v1/memories", { key, body: { text: `dated fact ${i}` } })).body);
      // Responses carry milliseconds, the database microseconds: 5 ms apart, a midpoint is strictly between.
      await new Promise((r) => setTimeout(r, 5));
    }
    const between = (a: number, b: number): string => {
      const [x, y] = [Date.parse(added[a]?.created_at ?? ""), Date.parse(added[b]?.created_at ?? "")];
      expect(y - x).toBeGreaterThanOrEqual(2);
      return new Date(Math.floor((x + y) / 2)).toISOString();
    };
    const list = async (params: Record<string, string>): Promise<string[]> => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const q = new URLSearchParams({ ...params, limit: "2", ...(cursor ? { cursor } : {}) });
        const page = await e.call("GET", `/v1/memories?${q}`, { key });
        expect(page.status).toBe(200);
        expect(page.body.memories.length).toBeLessThanOrEqual(2);
        ids.push(...page.body.memories.map((m: { id: string }) => m.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      return ids;
    };
    const newestFirst = (from: number, to: number) =>
      added
        .slice(from, to)
        .map((m) => m.id)
        .reverse();
    expect(await list({ created_after: between(0, 1), created_before: between(5, 6) })).toEqual(
      newestFirst(1, 6),
    );
    expect(await list({ created_after: between(3, 4) })).toEqual(newestFirst(4, 7));
    expect(await list({ created_before: between(2, 3) })).toEqual(newestFirst(0, 3));
    // An offset is honoured: the same instant as +02:00 (encoded, since `+` in a query string is a space).
    const at = new Date(Date.parse(between(3, 4)) + 2 * 3_600_000).toISOString().replace("Z", "+02:00");
    expect(await list({ created_after: at })).toEqual(newestFirst(4, 7));
    const afterLast = new Date(Date.parse(added[6]?.created_at ?? "") + 2).toISOString();
    expect(await list({ created_after: afterLast })).toEqual([]);
  });

  it("refuses a created_after or created_before that is not a storable date-time, naming the field", async () => {
    const key = await makeUser(e, uid());
    for (const [field, value] of [
      ["created_after", "yesterday"],
      ["created_before", "2026-01-08T10:00:00"],
      ["created_after", "0000-01-01T00:00:00Z"],
      ["created_before", "2026-01-08T10:00:00+14:01"],
    ] as const) {
      const res = await e.call("GET", `/v1/memories?${new URLSearchParams({ [field]: value })}`, { key });
      expect(res.status, `${field}=${value}`).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_error", field: `query.${field}` });
      expect(res.body.error.message).toContain(field);
    }
  });

  it("updates text (and so what search finds), metadata and state", async () => {
    const key = await makeUser(e, uid());
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "My favourite colour is green" } }))
      .body;
    await e.call("POST", "/v1/memories", { key, body: { text: "I have two brothers" } });
    const upd = await e.call("PATCH", `/v1/memories/${m.id}`, {
      key,
      body: { text: "I drive a red motorbike", metadata: { v: 2 } },
    });
    expect(upd.status).toBe(200);
    expect(upd.body).toMatchObject({ id: m.id, text: "I drive a red motorbike", metadata: { v: 2 } });
    expect(Date.parse(upd.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(m.updated_at));
    const found = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "what vehicle do I ride?", limit: 1 },
    });
    expect(found.body.results[0].id).toBe(m.id);
    const archived = await e.call("PATCH", `/v1/memories/${m.id}`, { key, body: { state: "archived" } });
    expect(archived.body.state).toBe("archived");
    const list = await e.call("GET", "/v1/memories", { key });
    expect(list.body.memories.map((x: { id: string }) => x.id)).not.toContain(m.id);
    const listArchived = await e.call("GET", "/v1/memories?state=archived", { key });
    expect(listArchived.body.memories.map((x: { id: string }) => x.id)).toEqual([m.id]);
  });

  it("deletes one memory, then all with confirm=true only", async () => {
    const key = await makeUser(e, uid());
    const a = (await e.call("POST", "/v1/memories", { key, body: { text: "one" } })).body;
    await e.call("POST", "/v1/memories", { key, body: { text: "two" } });
    await e.call("POST", "/v1/memories", { key, body: { text: "three" } });
    expect((await e.call("DELETE", `/v1/memories/${a.id}`, { key })).status).toBe(200);
    expect((await e.call("GET", `/v1/memories/${a.id}`, { key })).status).toBe(404);
    const refused = await e.call("DELETE", "/v1/memories", { key });
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe("confirmation_required");
    expect((await e.call("GET", "/v1/memories", { key })).body.memories).toHaveLength(2);
    const all = await e.call("DELETE", "/v1/memories?confirm=true", { key });
    expect(all.body).toEqual({ deleted: 2 });
    expect((await e.call("GET", "/v1/memories", { key })).body.memories).toEqual([]);
  });

  it("serves health, readiness, the OpenAPI document and docs", async () => {
    expect((await e.call("GET", "/healthz")).body).toEqual({ status: "ok" });
    expect((await e.call("GET", "/readyz")).body).toMatchObject({ status: "ready", database: backend.name });
    const spec = await e.call("GET", "/openapi.json");
    expect(spec.status).toBe(200);
    expect(Object.keys(spec.body.paths)).toEqual(
      expect.arrayContaining(["/v1/memories", "/v1/memories/search", "/v1/users"]),
    );
    const docs = await e.call("GET", "/docs");
    expect(docs.status).toBe(200);
    expect(String(docs.body)).toContain("openapi.json");
  });

  it("echoes a request id, and makes one when none is given", async () => {
    const given = await e.call("GET", "/healthz", { headers: { "x-request-id": "abc-123" } });
    expect(given.headers.get("x-request-id")).toBe("abc-123");
    const made = await e.call("GET", "/nope");
    expect(made.headers.get("x-request-id")).toMatch(/^req_/);
    expect(made.body.error.request_id).toBe(made.headers.get("x-request-id"));
  });
});
