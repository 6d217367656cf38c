/** Isolation: another user's memories are invisible on every route, and RLS holds even for a query with no user filter. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("isolation ($name)", (backend) => {
  let e: TestEngram;
  let aKey: string;
  let bKey: string;
  let aMem: { id: string };
  const aUser = uid("alice");
  const bUser = uid("bob");

  beforeAll(async () => {
    // Who sees which rows, never how they rank: the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(backend, {}, { embedder: "words" });
    aKey = await makeUser(e, aUser);
    bKey = await makeUser(e, bUser);
    aMem = (
      await e.call("POST", "/v1/memories", {
        key: aKey,
        body: { text: "Alice's secret: the vault code is 4711" },
      })
    ).body;
    await e.call("POST", "/v1/memories", { key: aKey, body: { text: "Alice likes Python" } });
    await e.call("POST", "/v1/memories", { key: bKey, body: { text: "Bob likes cycling" } });
  });
  afterAll(async () => {
    await e?.close();
  });

  it("answers 404 (not 403) to B on every route for A's memory id, and changes nothing", async () => {
    const routes: Array<[string, unknown]> = [
      ["GET", undefined],
      ["PATCH", { text: "overwritten by bob" }],
      ["DELETE", undefined],
    ];
    for (const [method, body] of routes) {
      const res = await e.call(method, `/v1/memories/${aMem.id}`, { key: bKey, body });
      expect(res.status, `${method}`).toBe(404);
      expect(res.body.error.code).toBe("memory_not_found");
    }
    const still = await e.call("GET", `/v1/memories/${aMem.id}`, { key: aKey });
    expect(still.status).toBe(200);
    expect(still.body.text).toBe("Alice's secret: the vault code is 4711");
  });

  it("never returns A's rows in B's list or search", async () => {
    const list = await e.call("GET", "/v1/memories?limit=100", { key: bKey });
    expect(list.body.memories.map((m: { text: string }) => m.text)).toEqual(["Bob likes cycling"]);
    const search = await e.call("POST", "/v1/memories/search", {
      key: bKey,
      body: { query: "vault code secret Python", limit: 100 },
    });
    expect(search.body.results.map((m: { text: string }) => m.text)).toEqual(["Bob likes cycling"]);
    const deleted = await e.call("DELETE", "/v1/memories?confirm=true", { key: bKey });
    expect(deleted.body.deleted).toBe(1);
    expect((await e.call("GET", "/v1/memories", { key: aKey })).body.memories).toHaveLength(2);
    await e.call("POST", "/v1/memories", { key: bKey, body: { text: "Bob likes cycling" } });
  });

  it("RLS: a raw SELECT with no WHERE inside B's scope returns only B's rows", async () => {
    const { db, identity } = e.runtime.services;
    const b = await identity.resolveActor(
      { kind: "admin", keyId: null, tenantId: null, userPk: null, scopes: new Set() },
      bUser,
    );
    const rows = await db.withUser(b.userPk, (tx) =>
      tx.query<{ text: string; user_id: string }>("SELECT * FROM memories"),
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.user_id).toBe(b.userPk);
    const count = await db.withUser(b.userPk, (tx) =>
      tx.query<{ n: number }>("SELECT count(*)::int AS n FROM memories"),
    );
    expect(count[0]?.n).toBe(rows.length);
    // Outside any user scope the table holds more than B's rows, so the filter above is RLS, not an empty table.
    const all = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM memories");
    expect(all[0]?.n).toBeGreaterThan(rows.length);
  });

  it("RLS: B's scope cannot insert or update rows of A", async () => {
    const { db, identity } = e.runtime.services;
    const admin = {
      kind: "admin" as const,
      keyId: null,
      tenantId: null,
      userPk: null,
      scopes: new Set<string>(),
    };
    const a = await identity.resolveActor(admin, aUser);
    const b = await identity.resolveActor(admin, bUser);
    await expect(
      db.withUser(b.userPk, (tx) =>
        tx.query(
          `INSERT INTO memories (id, tenant_id, user_id, text, embedding, embedding_model)
           VALUES ('mem_forged', 'default', $1, 'forged', '[1,0,0]', 'x')`,
          [a.userPk],
        ),
      ),
    ).rejects.toThrow(/row-level security/);
    const updated = await db.withUser(b.userPk, (tx) =>
      tx.query("UPDATE memories SET text = 'pwned' RETURNING id"),
    );
    for (const r of updated as Array<{ id: string }>) expect(r.id).not.toBe(aMem.id);
    expect((await e.call("GET", `/v1/memories/${aMem.id}`, { key: aKey })).body.text).not.toBe("pwned");
  });

  it("RLS: a scope whose user setting is unset sees nothing", async () => {
    const { db } = e.runtime.services;
    const rows = await db.transaction(async (tx) => {
      await tx.exec("SET LOCAL ROLE engram_app");
      return tx.query("SELECT * FROM memories");
    });
    expect(rows).toEqual([]);
  });

  it("a user key naming another user is refused with 403", async () => {
    const res = await e.call("GET", "/v1/memories", { key: bKey, user: aUser });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("user_mismatch");
    const muxi = await e.call("GET", "/v1/memories", { key: bKey, headers: { "x-muxi-user-id": aUser } });
    expect(muxi.status).toBe(403);
  });

  it("a client key acts for the named users of its tenant, and cannot reach another tenant's users", async () => {
    const t1 = uid("t").toLowerCase();
    const t2 = uid("t").toLowerCase();
    for (const t of [t1, t2])
      expect((await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: t } })).status).toBe(201);
    const k1 = (await e.call("POST", `/v1/tenants/${t1}/keys`, { key: ADMIN_KEY, body: {} })).body.api_key;
    const k2 = (await e.call("POST", `/v1/tenants/${t2}/keys`, { key: ADMIN_KEY, body: {} })).body.api_key;
    expect(k1).toMatch(/^ek_client_/);
    // Same external id in two tenants: two different users.
    const m1 = await e.call("POST", "/v1/memories", {
      key: k1,
      user: "user_1",
      body: { text: "tenant one's user_1 likes tea" },
    });
    expect(m1.status).toBe(201);
    await e.call("POST", "/v1/memories", {
      key: k2,
      user: "user_1",
      body: { text: "tenant two's user_1 likes coffee" },
    });
    const s2 = await e.call("POST", "/v1/memories/search", {
      key: k2,
      user: "user_1",
      body: { query: "tea", limit: 50 },
    });
    expect(s2.body.results.map((r: { text: string }) => r.text)).toEqual([
      "tenant two's user_1 likes coffee",
    ]);
    expect((await e.call("GET", `/v1/memories/${m1.body.id}`, { key: k2, user: "user_1" })).status).toBe(404);
    // Users of the default tenant are out of reach of a tenant's client key.
    expect((await e.call("GET", `/v1/memories/${aMem.id}`, { key: k1, user: aUser })).status).toBe(404);
    // Two users of the same tenant are apart too.
    const other = await e.call("GET", "/v1/memories", { key: k1, user: "user_2" });
    expect(other.body.memories).toEqual([]);
    // No user header: the tenant's single-user mode, user "0".
    await e.call("POST", "/v1/memories", { key: k1, body: { text: "for user zero" } });
    const zero = await e.call("GET", "/v1/memories", { key: k1, user: "0" });
    expect(zero.body.memories.map((m: { text: string }) => m.text)).toEqual(["for user zero"]);
  });

  it("compound MUXI ids (tenant_a:user_1) are distinct users, and X-Muxi-Tenant-Id folds in the same way", async () => {
    const t = uid("m").toLowerCase();
    await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: t } });
    const k = (await e.call("POST", `/v1/tenants/${t}/keys`, { key: ADMIN_KEY, body: {} })).body.api_key;
    await e.call("POST", "/v1/memories", {
      key: k,
      headers: { "x-muxi-user-id": "tenant_a:user_1" },
      body: { text: "A1 fact" },
    });
    await e.call("POST", "/v1/memories", {
      key: k,
      headers: { "x-muxi-user-id": "tenant_b:user_1" },
      body: { text: "B1 fact" },
    });
    const a = await e.call("GET", "/v1/memories", {
      key: k,
      headers: { "x-muxi-user-id": "tenant_a:user_1" },
    });
    expect(a.body.memories.map((m: { text: string }) => m.text)).toEqual(["A1 fact"]);
    const viaTenant = await e.call("GET", "/v1/memories", {
      key: k,
      headers: { "x-muxi-tenant-id": "tenant_b", "x-muxi-user-id": "user_1" },
    });
    expect(viaTenant.body.memories.map((m: { text: string }) => m.text)).toEqual(["B1 fact"]);
  });

  it("an admin key reads memories only for a user it names", async () => {
    const none = await e.call("GET", "/v1/memories", { key: ADMIN_KEY });
    expect(none.status).toBe(400);
    expect(none.body.error.field).toBe("X-User-Id");
    const named = await e.call("GET", "/v1/memories", { key: ADMIN_KEY, user: aUser });
    expect(named.status).toBe(200);
    expect(named.body.memories).toHaveLength(2);
    const unknown = await e.call("GET", "/v1/memories", { key: ADMIN_KEY, user: "nobody-here" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("user_not_found");
  });

  it("user and client keys cannot use admin routes", async () => {
    for (const path of ["/v1/users", "/v1/keys", "/v1/tenants"]) {
      const res = await e.call("GET", path, { key: aKey });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
    const res = await e.call("POST", "/v1/users", { key: aKey, body: { user_id: "sneaky" } });
    expect(res.status).toBe(403);
  });

  it("deleting a user purges its memories and keys in one go", async () => {
    const victim = uid("victim");
    const key = await makeUser(e, victim);
    await e.call("POST", "/v1/memories", { key, body: { text: "to be purged" } });
    const del = await e.call("DELETE", `/v1/users/${victim}`, { key: ADMIN_KEY });
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({ deleted: true, deleted_memories: 1 });
    expect((await e.call("GET", "/v1/memories", { key })).status).toBe(401);
    const left = await e.runtime.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memories m WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.id = m.user_id)",
    );
    expect(left[0]?.n).toBe(0);
    expect((await e.call("GET", `/v1/users/${victim}`, { key: ADMIN_KEY })).status).toBe(404);
  });
});
