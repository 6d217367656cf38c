/** API keys: every way a key can be wrong is 401, a missing scope 403; revoke, rotate and expiry take effect at once. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("keys ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    // Keys, scopes and status codes; search only has to answer: the words embedder is enough.
    e = await startEngram(backend, {}, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
  });

  it("no key, unknown key, malformed Authorization: 401 with distinct codes", async () => {
    const none = await e.call("GET", "/v1/memories");
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    const unknown = await e.call("GET", "/v1/memories", { key: "ek_user_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe("invalid_api_key");
    const basic = await e.call("GET", "/v1/memories", { headers: { authorization: "Basic dXNlcjpwYXNz" } });
    expect(basic.status).toBe(401);
  });

  it("accepts the key as Bearer, X-Api-Key and X-Muxi-Client-Key", async () => {
    const key = await makeUser(e, uid());
    const variants: Array<Record<string, string>> = [
      { authorization: `Bearer ${key}` },
      { "x-api-key": key },
      { "x-muxi-client-key": key },
    ];
    for (const headers of variants) {
      expect((await e.call("GET", "/v1/memories", { headers })).status).toBe(200);
    }
  });

  it("revoked key: 401 key_revoked from the next request on", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    expect((await e.call("GET", "/v1/memories", { key })).status).toBe(200);
    const keys = await e.call("GET", `/v1/users/${user}/keys`, { key: ADMIN_KEY });
    expect(keys.body.keys).toHaveLength(1);
    expect(JSON.stringify(keys.body)).not.toContain(key);
    const revoked = await e.call("DELETE", `/v1/keys/${keys.body.keys[0].id}`, { key: ADMIN_KEY });
    expect(revoked.status).toBe(200);
    expect(revoked.body.revoked_at).not.toBeNull();
    const after = await e.call("GET", "/v1/memories", { key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("key_revoked");
  });

  it("expired key: 401 key_expired", async () => {
    const user = uid();
    await makeUser(e, user);
    const soon = new Date(Date.now() + 1500).toISOString();
    const created = await e.call("POST", `/v1/users/${user}/keys`, {
      key: ADMIN_KEY,
      body: { expires_at: soon },
    });
    expect(created.status).toBe(201);
    expect((await e.call("GET", "/v1/memories", { key: created.body.api_key })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1700));
    const after = await e.call("GET", "/v1/memories", { key: created.body.api_key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("key_expired");
  });

  it("an expiry in the past is refused at creation", async () => {
    const user = uid();
    await makeUser(e, user);
    const res = await e.call("POST", `/v1/users/${user}/keys`, {
      key: ADMIN_KEY,
      body: { expires_at: "2001-01-01T00:00:00Z" },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.field).toBe("expires_at");
  });

  it("missing scope: 403 insufficient_scope; the granted scope works", async () => {
    const user = uid();
    const full = await makeUser(e, user);
    await e.call("POST", "/v1/memories", { key: full, body: { text: "readable" } });
    const ro = await e.call("POST", `/v1/users/${user}/keys`, {
      key: ADMIN_KEY,
      body: { name: "ro", scopes: ["memories:read"] },
    });
    expect(ro.body.key.scopes).toEqual(["memories:read"]);
    const read = await e.call("GET", "/v1/memories", { key: ro.body.api_key });
    expect(read.status).toBe(200);
    const search = await e.call("POST", "/v1/memories/search", {
      key: ro.body.api_key,
      body: { query: "readable" },
    });
    expect(search.status).toBe(200);
    const write = await e.call("POST", "/v1/memories", { key: ro.body.api_key, body: { text: "nope" } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe("insufficient_scope");
    const del = await e.call("DELETE", `/v1/memories?confirm=true`, { key: ro.body.api_key });
    expect(del.status).toBe(403);
    expect((await e.call("GET", "/v1/memories", { key: full })).body.memories).toHaveLength(1);
  });

  it("rotation: the old key stops, the new one works and keeps kind, user and scopes", async () => {
    const user = uid();
    await makeUser(e, user);
    const k = await e.call("POST", `/v1/users/${user}/keys`, {
      key: ADMIN_KEY,
      body: { scopes: ["memories:read"] },
    });
    const rotated = await e.call("POST", `/v1/keys/${k.body.key.id}/rotate`, { key: ADMIN_KEY });
    expect(rotated.status).toBe(201);
    expect(rotated.body.rotated_from).toBe(k.body.key.id);
    expect(rotated.body.api_key).not.toBe(k.body.api_key);
    expect(rotated.body.key).toMatchObject({ kind: "user", user_id: user, scopes: ["memories:read"] });
    expect((await e.call("GET", "/v1/memories", { key: k.body.api_key })).status).toBe(401);
    expect((await e.call("GET", "/v1/memories", { key: rotated.body.api_key })).status).toBe(200);
    const again = await e.call("POST", `/v1/keys/${k.body.key.id}/rotate`, { key: ADMIN_KEY });
    expect(again.status).toBe(409);
  });

  it("unknown key id on revoke/rotate is 404", async () => {
    expect((await e.call("DELETE", "/v1/keys/key_nope", { key: ADMIN_KEY })).status).toBe(404);
    expect((await e.call("POST", "/v1/keys/key_nope/rotate", { key: ADMIN_KEY })).status).toBe(404);
  });

  it("/v1/me describes each kind of key", async () => {
    const user = uid();
    const key = await makeUser(e, user);
    expect((await e.call("GET", "/v1/me", { key })).body).toMatchObject({
      kind: "user",
      tenant: "default",
      user_id: user,
    });
    expect((await e.call("GET", "/v1/me", { key: ADMIN_KEY })).body).toMatchObject({
      kind: "admin",
      user_id: null,
    });
  });

  it("stores only a hash and a short prefix of each key", async () => {
    const key = await makeUser(e, uid());
    const rows = await e.runtime.services.db.query<{ hash: string; prefix: string }>(
      "SELECT hash, prefix FROM api_keys",
    );
    for (const r of rows) {
      expect(r.hash).toMatch(/^[0-9a-f]{64}$/);
      expect(key.startsWith(r.prefix) ? r.prefix.length : 0).toBeLessThan(16);
    }
    expect(JSON.stringify(rows)).not.toContain(key);
  });

  it("creating the same user twice is 409 user_exists and leaves one user with one key", async () => {
    const user = uid();
    await makeUser(e, user);
    const dup = await e.call("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: user } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe("user_exists");
    expect((await e.call("GET", `/v1/users/${user}/keys`, { key: ADMIN_KEY })).body.keys).toHaveLength(1);
  });
});
