/** Sessions over REST on every backend: lifecycle, ordering, paging, sliding expiry, isolation, scopes and bad input. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.each(backends)("sessions ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    // No search at all: the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(backend, { ENGRAM_SESSION_TIMEOUT: "2" }, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
  });

  it("creates a session, appends messages and reads them back in order", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    const created = await e.call("POST", "/v1/sessions", { key, body: { metadata: { channel: "web" } } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ user_id: user, metadata: { channel: "web" }, expired: false });
    expect(created.body.id).toMatch(/^sess_[0-9a-z]{26}$/);
    const lifetime = Date.parse(created.body.expires_at) - Date.parse(created.body.created_at);
    expect(lifetime).toBeGreaterThan(1500);
    expect(lifetime).toBeLessThanOrEqual(2000);

    const sent: Array<[string, string]> = [
      ["user", "Hi, I'm planning a trip"],
      ["assistant", "Where to?"],
      ["user", "Lisbon"],
      ["system", "note"],
      ["tool", '{"weather": "sunny"}'],
    ];
    for (const [role, content] of sent) {
      const m = await e.call("POST", `/v1/sessions/${created.body.id}/messages`, {
        key,
        body: { role, content },
      });
      expect(m.status).toBe(201);
      expect(m.body).toMatchObject({ role, content });
      expect(m.body.id).toMatch(/^msg_[0-9a-z]{26}$/);
      expect(Object.keys(m.body).sort()).toEqual(["content", "created_at", "id", "role"]);
    }
    const got = await e.call("GET", `/v1/sessions/${created.body.id}`, { key });
    expect(got.status).toBe(200);
    expect(got.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual(
      sent,
    );
    expect(got.body).toMatchObject({ id: created.body.id, user_id: user, expired: false });
  });

  it("accepts POST /v1/sessions with no body at all (curl -X POST)", async () => {
    const key = await makeUser(e, uid());
    const res = await e.call("POST", "/v1/sessions", { key });
    expect(res.status).toBe(201);
    expect(res.body.metadata).toEqual({});
    const raw = await e.call("POST", "/v1/sessions", { key, raw: "" });
    expect(raw.status).toBe(201);
  });

  it("lists the caller's sessions newest first and pages with a cursor", async () => {
    const key = await makeUser(e, uid());
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await e.call("POST", "/v1/sessions", { key, body: {} })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `?limit=2&cursor=${cursor}` : "?limit=2";
      const page = await e.call("GET", `/v1/sessions${q}`, { key });
      expect(page.status).toBe(200);
      expect(page.body.sessions.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.sessions.map((s: { id: string }) => s.id));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
  });

  it("expiry slides with each message; an expired session refuses (410) but stays readable, and its memories stay", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    // Three messages 1 s apart: each one keeps the 2-second session alive (3 s in all).
    for (let i = 0; i < 3; i++) {
      await sleep(1000);
      const m = await e.call("POST", `/v1/sessions/${s.id}/messages`, {
        key,
        body: { role: "user", content: `msg ${i}` },
      });
      expect(m.status, `message ${i}`).toBe(201);
    }
    const live = await e.call("GET", `/v1/sessions/${s.id}`, { key });
    expect(Date.parse(live.body.expires_at)).toBeGreaterThan(Date.parse(s.expires_at) + 2500);
    const mem = await e.call("POST", "/v1/memories", {
      key,
      body: { text: "I keep bees", session_id: s.id },
    });
    expect(mem.status).toBe(201);
    await sleep(2300);
    const late = await e.call("POST", `/v1/sessions/${s.id}/messages`, {
      key,
      body: { role: "user", content: "too late" },
    });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe("session_expired");
    const read = await e.call("GET", `/v1/sessions/${s.id}`, { key });
    expect(read.status).toBe(200);
    expect(read.body.expired).toBe(true);
    expect(read.body.messages.map((m: { content: string }) => m.content)).toEqual([
      "msg 0",
      "msg 1",
      "msg 2",
    ]);
    const listed = await e.call("GET", "/v1/sessions", { key });
    expect(listed.body.sessions[0]).toMatchObject({ id: s.id, expired: true });
    expect((await e.call("GET", `/v1/memories/${mem.body.id}`, { key })).status).toBe(200);
  });

  it("delete removes the session and its messages but keeps memories made in it", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    await e.call("POST", `/v1/sessions/${s.id}/messages`, { key, body: { role: "user", content: "hello" } });
    const mem = (
      await e.call("POST", "/v1/memories", { key, body: { text: "I play the cello", session_id: s.id } })
    ).body;
    const del = await e.call("DELETE", `/v1/sessions/${s.id}`, { key });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ deleted: true, id: s.id });
    expect((await e.call("GET", `/v1/sessions/${s.id}`, { key })).status).toBe(404);
    expect((await e.call("DELETE", `/v1/sessions/${s.id}`, { key })).status).toBe(404);
    const kept = await e.call("GET", `/v1/memories/${mem.id}`, { key });
    expect(kept.status).toBe(200);
    expect(kept.body.session_id).toBe(s.id);
  });

  it("another user's session is 404 session_not_found on every route, and is left unchanged", async () => {
    const aKey = await makeUser(e, uid("a"));
    const bKey = await makeUser(e, uid("b"));
    const s = (await e.call("POST", "/v1/sessions", { key: aKey, body: { metadata: { secret: "yes" } } }))
      .body;
    await e.call("POST", `/v1/sessions/${s.id}/messages`, {
      key: aKey,
      body: { role: "user", content: "A's secret" },
    });
    const routes: Array<[string, string, unknown]> = [
      ["GET", `/v1/sessions/${s.id}`, undefined],
      ["POST", `/v1/sessions/${s.id}/messages`, { role: "user", content: "B was here" }],
      ["DELETE", `/v1/sessions/${s.id}`, undefined],
    ];
    for (const [method, path, body] of routes) {
      const res = await e.call(method, path, { key: bKey, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("session_not_found");
    }
    const chat = await e.call("POST", "/v1/chat", { key: bKey, body: { message: "hi", session_id: s.id } });
    expect(chat.status).toBe(404);
    expect(chat.body.error.code).toBe("session_not_found");
    expect((await e.call("GET", "/v1/sessions", { key: bKey })).body.sessions).toEqual([]);
    const still = await e.call("GET", `/v1/sessions/${s.id}`, { key: aKey });
    expect(still.body.messages.map((m: { content: string }) => m.content)).toEqual(["A's secret"]);
  });

  it("a client key keeps its users' sessions apart by X-User-Id", async () => {
    const tenant = uid("t");
    expect((await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } })).status).toBe(201);
    const client = (await e.call("POST", `/v1/tenants/${tenant}/keys`, { key: ADMIN_KEY, body: {} })).body
      .api_key;
    const s = (await e.call("POST", "/v1/sessions", { key: client, user: "alice", body: {} })).body;
    expect(s.user_id).toBe("alice");
    expect((await e.call("GET", `/v1/sessions/${s.id}`, { key: client, user: "bob" })).status).toBe(404);
    expect((await e.call("GET", `/v1/sessions/${s.id}`, { key: client, user: "alice" })).status).toBe(200);
  });

  it("needs sessions:read / sessions:write scopes and a key", async () => {
    const user = uid();
    const full = await makeUser(e, user);
    const s = (await e.call("POST", "/v1/sessions", { key: full, body: {} })).body;
    const ro = (
      await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: { scopes: ["sessions:read"] } })
    ).body.api_key;
    expect((await e.call("GET", `/v1/sessions/${s.id}`, { key: ro })).status).toBe(200);
    expect((await e.call("GET", "/v1/sessions", { key: ro })).status).toBe(200);
    for (const [method, path, body] of [
      ["POST", "/v1/sessions", {}],
      ["POST", `/v1/sessions/${s.id}/messages`, { role: "user", content: "x" }],
      ["DELETE", `/v1/sessions/${s.id}`, undefined],
      ["POST", "/v1/chat", { message: "hi" }],
    ] as Array<[string, string, unknown]>) {
      const res = await e.call(method, path, { key: ro, body });
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("insufficient_scope");
    }
    const memOnly = (
      await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: { scopes: ["memories:read"] } })
    ).body.api_key;
    expect((await e.call("GET", "/v1/sessions", { key: memOnly })).status).toBe(403);
    expect((await e.call("GET", "/v1/sessions")).status).toBe(401);
  });

  it("bad input is a 4xx naming the field", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    const cases: Array<[unknown, string]> = [
      [{ role: "robot", content: "x" }, "role"],
      [{ content: "x" }, "role"],
      [{ role: "user" }, "content"],
      [{ role: "user", content: "" }, "content"],
      [{ role: "user", content: "x".repeat(e.config.limits.textChars + 1) }, "content"],
    ];
    for (const [body, field] of cases) {
      const res = await e.call("POST", `/v1/sessions/${s.id}/messages`, { key, body });
      expect(res.status, JSON.stringify(body).slice(0, 60)).toBe(400);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    }
    const meta = await e.call("POST", "/v1/sessions", { key, body: { metadata: "nope" } });
    expect(meta.status).toBe(400);
    expect(meta.body.error.field).toBe("metadata");
    for (const id of ["sess_00000000000000000000000000", "nonsense", "mem_01jh8x0000abcdefghjkmnpqrs"]) {
      const res = await e.call("POST", `/v1/sessions/${id}/messages`, {
        key,
        body: { role: "user", content: "x" },
      });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("session_not_found");
    }
    const cursor = await e.call("GET", "/v1/sessions?cursor=bogus", { key });
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.field).toBe("cursor");
    const json = await e.call("POST", `/v1/sessions/${s.id}/messages`, { key, raw: "{not json" });
    expect(json.status).toBe(400);
  });

  it("RLS: a raw SELECT with no WHERE sees only the scope's own sessions and messages: A's in A's, none in B's", async () => {
    const a = uid("a");
    const b = uid("b");
    const aKey = await makeUser(e, a);
    await makeUser(e, b);
    const s = (await e.call("POST", "/v1/sessions", { key: aKey, body: {} })).body;
    await e.call("POST", `/v1/sessions/${s.id}/messages`, {
      key: aKey,
      body: { role: "user", content: "private" },
    });
    // A third user's session, so the table holds rows of someone else than A even when this test runs alone.
    const cKey = await makeUser(e, uid("c"));
    const c = (await e.call("POST", "/v1/sessions", { key: cKey, body: {} })).body;
    await e.call("POST", `/v1/sessions/${c.id}/messages`, {
      key: cKey,
      body: { role: "user", content: "someone else's" },
    });
    const { db, identity } = e.runtime.services;
    const admin = {
      kind: "admin" as const,
      keyId: null,
      tenantId: null,
      userPk: null,
      scopes: new Set<string>(),
    };
    const scan = async (userId: string) => {
      const actor = await identity.resolveActor(admin, userId);
      return db.withUser(actor.userPk, async (tx) => ({
        sessions: (await tx.query<{ id: string }>("SELECT * FROM sessions")).map((r) => r.id),
        messages: (await tx.query<{ content: string }>("SELECT * FROM session_messages")).map(
          (r) => r.content,
        ),
      }));
    };
    // The control: the same statements in A's scope return A's rows, and only A's though C's are in the same
    // tables (as the unscoped count shows), so B's empty answer is the policy at work, not a query finding nothing.
    expect(await scan(a)).toEqual({ sessions: [s.id], messages: ["private"] });
    const unscoped = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM session_messages");
    expect(unscoped[0]?.n).toBeGreaterThanOrEqual(2);
    expect(await scan(b)).toEqual({ sessions: [], messages: [] });
  });
});
