/** Key rotation with a grace period (issue #9): the old key works until then, then 401 key_expired; `--grace`. */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { HttpAdminApi } from "../src/cli/admin-client.js";
import { DirectAdminApi } from "../src/cli/admin-direct.js";
import { parseDuration, validate } from "../src/cli/admin-run.js";
import { AppError } from "../src/errors.js";
import { MAX_GRACE_SECONDS, RotateKeyBody } from "../src/identity/schemas.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("key rotation with a grace period ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
  });
  // Only Date is faked (never timers): the database drivers keep their own timeouts.
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A fresh user's key: its id and the key itself. */
  async function userKey(body: Record<string, unknown> = {}): Promise<{ id: string; api_key: string }> {
    const user = uid();
    await makeUser(e, user);
    const res = await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body });
    if (res.status !== 201) throw new Error(`key for ${user}: ${res.status} ${JSON.stringify(res.body)}`);
    return { id: res.body.key.id, api_key: res.body.api_key };
  }

  /** 200, or the 401's error code. */
  async function check(key: string): Promise<number | string> {
    const res = await e.call("GET", "/v1/me", { key });
    return res.status === 200 ? 200 : `${res.status} ${res.body.error.code}`;
  }

  async function stored(keyId: string): Promise<{ expires_at: string | null; revoked_at: string | null }> {
    const res = await e.call("GET", "/v1/keys", { key: ADMIN_KEY });
    return res.body.keys.find((k: { id: string }) => k.id === keyId);
  }

  it("no body (curl with no Content-Type), {} and grace_seconds 0 all revoke the old key at once", async () => {
    for (const body of [undefined, {}, { grace_seconds: 0 }]) {
      const old = await userKey();
      const res = await e.call("POST", `/v1/keys/${old.id}/rotate`, { key: ADMIN_KEY, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body).toMatchObject({ rotated_from: old.id, old_key_expires_at: null });
      expect(await check(old.api_key)).toBe("401 key_revoked");
      expect(await check(res.body.api_key)).toBe(200);
    }
  });

  it("with grace: both keys work, the old one until old_key_expires_at, then 401 key_expired", async () => {
    const old = await userKey({ scopes: ["memories:read"] });
    const before = Date.now();
    const res = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
      key: ADMIN_KEY,
      body: { grace_seconds: 600 },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const until = Date.parse(res.body.old_key_expires_at);
    expect(until).toBeGreaterThanOrEqual(before + 600_000);
    expect(until).toBeLessThanOrEqual(Date.now() + 600_000);
    expect(res.body.key).toMatchObject({ scopes: ["memories:read"], expires_at: null });
    expect(await stored(old.id)).toMatchObject({
      expires_at: res.body.old_key_expires_at,
      revoked_at: null,
    });
    expect(await check(old.api_key)).toBe(200);
    expect(await check(res.body.api_key)).toBe(200);

    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(until - 1000);
    expect(await check(old.api_key)).toBe(200);
    vi.setSystemTime(until + 1);
    expect(await check(old.api_key)).toBe("401 key_expired");
    expect(await check(res.body.api_key)).toBe(200);
  });

  it("the grace period never outlasts the old key's own expiry, which the new key keeps", async () => {
    const expires = new Date(Date.now() + 120_000).toISOString();
    const old = await userKey({ expires_at: expires });
    const res = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
      key: ADMIN_KEY,
      body: { grace_seconds: MAX_GRACE_SECONDS },
    });
    expect(res.status).toBe(201);
    expect(res.body.old_key_expires_at).toBe(expires);
    expect(res.body.key.expires_at).toBe(expires);
  });

  it("a key in its grace period cannot be rotated again (409); revoking it ends the grace at once", async () => {
    const old = await userKey();
    const first = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
      key: ADMIN_KEY,
      body: { grace_seconds: 3600 },
    });
    expect(first.status).toBe(201);
    for (const body of [undefined, { grace_seconds: 60 }]) {
      const again = await e.call("POST", `/v1/keys/${old.id}/rotate`, { key: ADMIN_KEY, body });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe("conflict");
      expect(again.body.error.message).toContain(`already rotated to '${first.body.key.id}'`);
      expect(again.body.error.message).toContain(first.body.old_key_expires_at);
    }
    // The successor is an ordinary key: it rotates like any other.
    const next = await e.call("POST", `/v1/keys/${first.body.key.id}/rotate`, { key: ADMIN_KEY });
    expect(next.status).toBe(201);

    expect(await check(old.api_key)).toBe(200);
    expect((await e.call("DELETE", `/v1/keys/${old.id}`, { key: ADMIN_KEY })).status).toBe(200);
    expect(await check(old.api_key)).toBe("401 key_revoked");
  });

  it("an invalid grace_seconds is 400 validation_error naming it, and rotates nothing", async () => {
    const old = await userKey();
    for (const grace of [-1, 1.5, "60", MAX_GRACE_SECONDS + 1, null, true]) {
      const res = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
        key: ADMIN_KEY,
        body: { grace_seconds: grace },
      });
      expect(res.status, String(grace)).toBe(400);
      expect(res.body.error).toMatchObject({ code: "validation_error", field: "grace_seconds" });
    }
    const unknown = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
      key: ADMIN_KEY,
      body: { grace: 60 },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe("validation_error");
    const malformed = await e.call("POST", `/v1/keys/${old.id}/rotate`, { key: ADMIN_KEY, raw: "{grace" });
    expect(malformed.status).toBe(400);
    expect(await stored(old.id)).toMatchObject({ expires_at: null, revoked_at: null });
    expect(await check(old.api_key)).toBe(200);
  });

  it("one key.rotate audit row naming the old key, without either secret", async () => {
    const old = await userKey();
    const res = await e.call("POST", `/v1/keys/${old.id}/rotate`, {
      key: ADMIN_KEY,
      body: { grace_seconds: 60 },
    });
    expect(res.status).toBe(201);
    const rows = await e.runtime.services.db.query<Record<string, unknown>>(
      "SELECT * FROM audit_log WHERE resource_id IN ($1, $2) ORDER BY id",
      [old.id, res.body.key.id],
    );
    // The old key's creation, then its rotation; the new key appears only in its own later rows.
    expect(rows.map((r) => [r.action, r.resource_id])).toEqual([
      ["key.create", old.id],
      ["key.rotate", old.id],
    ]);
    const dump = JSON.stringify(rows);
    expect(dump).not.toContain(old.api_key);
    expect(dump).not.toContain(res.body.api_key);
  });

  it("the OpenAPI document describes the optional body and old_key_expires_at", async () => {
    const doc = (await e.call("GET", "/openapi.json")).body;
    const op = doc.paths["/v1/keys/{key_id}/rotate"].post;
    expect(op.requestBody.required).toBe(false);
    expect(doc.components.schemas.RotateKey.properties.grace_seconds).toMatchObject({
      type: "integer",
      maximum: MAX_GRACE_SECONDS,
    });
    // An extension of CreatedKey: allOf its $ref and the added fields.
    const added = doc.components.schemas.RotatedKey.allOf.find((s: { properties?: object }) => s.properties);
    expect(added.required).toEqual(["rotated_from", "old_key_expires_at"]);
  });

  it("the admin CLI's remote mode (HttpAdminApi) sends the grace period, and none without it", async () => {
    const server = serve({ fetch: e.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise<void>((resolve) => server.once("listening", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const api = new HttpAdminApi(`http://127.0.0.1:${port}`, ADMIN_KEY);
      const graced = await userKey();
      const r1 = await api.rotateKey(graced.id, 900);
      expect(r1.old_key_expires_at).not.toBeNull();
      expect(await check(graced.api_key)).toBe(200);
      const plain = await userKey();
      const r2 = await api.rotateKey(plain.id);
      expect(r2.old_key_expires_at).toBeNull();
      expect(await check(plain.api_key)).toBe("401 key_revoked");
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// The direct mode opens the store itself, so on a store of its own (an embedded store has one opener at a time).
describe.each(backends)("the admin CLI's direct mode ($name)", (backend) => {
  it("DirectAdminApi rotates with and without a grace period", async () => {
    const db = await backend.create();
    const { api } = await DirectAdminApi.open(db.database, 40);
    try {
      const { key } = await api.createUser({ user_id: "direct" });
      const graced = await api.rotateKey(key.id, 3600);
      expect(graced.old_key_expires_at).not.toBeNull();
      const plain = await api.rotateKey(graced.key.id);
      expect(plain.old_key_expires_at).toBeNull();
      const keys = await api.listKeys({ user: "direct" });
      expect(keys.find((k) => k.id === key.id)).toMatchObject({
        revoked_at: null,
        expires_at: graced.old_key_expires_at,
      });
      expect(keys.find((k) => k.id === graced.key.id)?.revoked_at).not.toBeNull();
      await expect(api.rotateKey(key.id)).rejects.toThrow(/already rotated/);
    } finally {
      await api.close();
      await db.drop();
    }
  });
});

describe("engram keys rotate --grace", () => {
  it("takes seconds or one number with s, m, h or d", () => {
    const cases: Array<[string, number]> = [
      ["3600", 3600],
      ["90s", 90],
      ["15m", 900],
      ["1h", 3600],
      [" 2h ", 7200],
      ["7d", 604_800],
      ["0", 0],
    ];
    for (const [text, seconds] of cases) expect(parseDuration(text, "--grace"), text).toBe(seconds);
  });

  it("refuses anything else, naming --grace", () => {
    for (const text of ["", "h", "1w", "-5", "1.5h", "1h30m", "10 minutes", "0x10"]) {
      expect(() => parseDuration(text, "--grace"), text).toThrow(AppError);
      try {
        parseDuration(text, "--grace");
      } catch (err) {
        expect((err as AppError).field).toBe("--grace");
      }
    }
  });

  it("checks the range with the server's schema, before connecting anywhere", () => {
    expect(validate(RotateKeyBody, { grace_seconds: parseDuration("7d", "--grace") })).toEqual({
      grace_seconds: MAX_GRACE_SECONDS,
    });
    expect(() => validate(RotateKeyBody, { grace_seconds: parseDuration("8d", "--grace") })).toThrow(
      /--grace: must be a whole number of seconds from 0 to 604800/,
    );
  });
});
