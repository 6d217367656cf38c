/**
 * The audit log (issue #9): one row per change and per admin read, in the change's transaction, never a text or a
 * key; GET /v1/audit (admin only, filters, paging); append-only for the app role; retention; `engram audit`.
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serve } from "@hono/node-server";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditService } from "../src/audit/service.js";
import { auditActor } from "../src/audit/store.js";
import { parseWhen } from "../src/cli/audit-command.js";
import { loadConfig } from "../src/config/config.js";
import { createRuntime } from "../src/server.js";
import { bootstrapAdmin } from "../src/services.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";
import { wordsEmbedder } from "./helpers/words-embedder.js";

interface Row {
  id: string;
  key_id: string | null;
  key_kind: string;
  tenant_id: string | null;
  user_id: string | null;
  external_user_id: string | null;
  action: string;
  resource_id: string | null;
  outcome: string;
  request_id: string | null;
  client_addr: string | null;
}

const SECRET_TEXT = "the vault code is 4711 and my doctor is Dr Zhivago";

describe.each(backends)("audit log ($name)", (backend) => {
  let e: TestEngram;
  let adminKeyId: string;
  let n = 0;
  /** A fresh request id per call, so each call's audit rows can be found exactly. */
  const rid = () => `audit-test-${process.pid}-${++n}`;

  const rowsOf = (requestId: string) =>
    e.runtime.services.db.query<Row>("SELECT * FROM audit_log WHERE request_id = $1 ORDER BY id", [
      requestId,
    ]);

  /** Makes a call with its own request id and returns the response and the audit rows it wrote. */
  async function audited(method: string, path: string, opts: Parameters<TestEngram["call"]>[2] = {}) {
    const requestId = rid();
    const res = await e.call(method, path, {
      ...opts,
      headers: { ...opts.headers, "x-request-id": requestId },
    });
    return { res, rows: await rowsOf(requestId), requestId };
  }

  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
    adminKeyId = (await e.runtime.services.identity.authenticate(ADMIN_KEY)).keyId as string;
  });
  afterAll(async () => {
    await e?.close();
  });

  it("writes exactly one row per change, with who, what, whose and the request, and never a text or a key", async () => {
    const tenant = uid("t")
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, "");
    const user = uid("alice");
    const secrets: string[] = [];
    const one = (rows: Row[], action: string) => {
      expect(rows.map((r) => r.action)).toEqual([action]);
      const row = rows[0] as Row;
      expect(row.outcome).toBe("ok");
      return row;
    };

    let r = await audited("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } });
    expect(r.res.status).toBe(201);
    let row = one(r.rows, "tenant.create");
    expect(row).toMatchObject({
      key_id: adminKeyId,
      key_kind: "admin",
      tenant_id: tenant,
      resource_id: tenant,
    });
    expect(row.request_id).toBe(r.requestId);

    r = await audited("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: user, tenant } });
    expect(r.res.status).toBe(201);
    const userKey = r.res.body.api_key as string;
    const userKeyId = r.res.body.key.id as string;
    secrets.push(userKey);
    row = one(r.rows, "user.create");
    expect(row).toMatchObject({ key_id: adminKeyId, tenant_id: tenant, external_user_id: user });
    const userPk = row.user_id as string;
    expect(userPk).toMatch(/^usr_/);

    r = await audited("PATCH", `/v1/users/${user}?tenant=${tenant}`, {
      key: ADMIN_KEY,
      body: { name: "Alice" },
    });
    expect(r.res.status).toBe(200);
    expect(one(r.rows, "user.update")).toMatchObject({ user_id: userPk, external_user_id: user });

    r = await audited("POST", `/v1/users/${user}/keys?tenant=${tenant}`, {
      key: ADMIN_KEY,
      body: { name: "k2" },
    });
    expect(r.res.status).toBe(201);
    secrets.push(r.res.body.api_key);
    const key2 = r.res.body.key.id as string;
    expect(one(r.rows, "key.create")).toMatchObject({
      resource_id: key2,
      user_id: userPk,
      tenant_id: tenant,
    });

    r = await audited("POST", "/v1/memories", { key: userKey, body: { text: SECRET_TEXT } });
    expect(r.res.status).toBe(201);
    const memId = r.res.body.id as string;
    row = one(r.rows, "memory.add");
    expect(row).toMatchObject({
      key_id: userKeyId,
      key_kind: "user",
      tenant_id: tenant,
      user_id: userPk,
      external_user_id: user,
      resource_id: memId,
    });

    r = await audited("PATCH", `/v1/memories/${memId}`, {
      key: userKey,
      body: { text: `${SECRET_TEXT}, updated`, state: "paused" },
    });
    expect(r.res.status).toBe(200);
    expect(one(r.rows, "memory.update").resource_id).toBe(memId);

    r = await audited("POST", "/v1/apps", { key: userKey, body: { name: "notes" } });
    expect(r.res.status).toBe(201);
    const appId = r.res.body.id as string;
    expect(one(r.rows, "app.create").resource_id).toBe(appId);
    r = await audited("PATCH", "/v1/apps/notes", { key: userKey, body: { is_active: false } });
    expect(one(r.rows, "app.pause").resource_id).toBe(appId);
    r = await audited("PATCH", "/v1/apps/notes", { key: userKey, body: { is_active: true } });
    expect(one(r.rows, "app.resume").resource_id).toBe(appId);
    r = await audited("PATCH", "/v1/apps/notes", { key: userKey, body: { description: "mine" } });
    expect(one(r.rows, "app.update").resource_id).toBe(appId);

    r = await audited("POST", "/v1/sessions", { key: userKey, body: {} });
    expect(r.res.status).toBe(201);
    const sessId = r.res.body.id as string;
    expect(one(r.rows, "session.create").resource_id).toBe(sessId);
    r = await audited("POST", `/v1/sessions/${sessId}/messages`, {
      key: userKey,
      body: { role: "user", content: SECRET_TEXT },
    });
    expect(r.res.status).toBe(201);
    expect(one(r.rows, "session.append").resource_id).toBe(sessId);
    r = await audited("DELETE", `/v1/sessions/${sessId}`, { key: userKey });
    expect(one(r.rows, "session.delete").resource_id).toBe(sessId);

    r = await audited("DELETE", `/v1/memories/${memId}`, { key: userKey });
    expect(r.res.status).toBeLessThan(300);
    expect(one(r.rows, "memory.delete").resource_id).toBe(memId);
    await e.call("POST", "/v1/memories", { key: userKey, body: { text: "another one" } });
    r = await audited("DELETE", "/v1/memories?confirm=true", { key: userKey });
    expect(one(r.rows, "memory.delete_all").user_id).toBe(userPk);

    r = await audited("POST", `/v1/keys/${key2}/rotate`, { key: ADMIN_KEY });
    expect(r.res.status).toBe(201);
    secrets.push(r.res.body.api_key);
    expect(one(r.rows, "key.rotate")).toMatchObject({ resource_id: key2, user_id: userPk });
    r = await audited("DELETE", `/v1/keys/${r.res.body.key.id}`, { key: ADMIN_KEY });
    expect(one(r.rows, "key.revoke").user_id).toBe(userPk);

    r = await audited("DELETE", `/v1/users/${user}?tenant=${tenant}`, { key: ADMIN_KEY });
    expect(r.res.status).toBe(200);
    expect(one(r.rows, "user.delete")).toMatchObject({ user_id: userPk, external_user_id: user });

    // The trail outlives the user, and holds no text and no key.
    const all = await e.runtime.services.db.query<Row>("SELECT * FROM audit_log WHERE tenant_id = $1", [
      tenant,
    ]);
    expect(all.length).toBeGreaterThanOrEqual(19);
    const dump = JSON.stringify(await e.runtime.services.db.query("SELECT * FROM audit_log"));
    expect(dump).not.toContain("4711");
    expect(dump).not.toContain("Zhivago");
    expect(dump).not.toMatch(/ek_(admin|user|client)_/);
    for (const s of secrets) expect(dump).not.toContain(s);
  });

  it("records a client key's first use of a user, and the client address", async () => {
    const created = await e.call("POST", "/v1/tenants/default/keys", { key: ADMIN_KEY, body: {} });
    const clientKey = created.body.api_key as string;
    const clientKeyId = created.body.key.id as string;
    const user = uid("carol");
    const requestId = rid();
    const res = await e.runtime.app.request(
      "/v1/memories",
      { headers: { authorization: `Bearer ${clientKey}`, "x-user-id": user, "x-request-id": requestId } },
      // What @hono/node-server passes: the socket the request came on.
      { incoming: { socket: { remoteAddress: "10.1.2.3" } } },
    );
    expect(res.status).toBe(200);
    const rows = await rowsOf(requestId);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      action: "user.create",
      key_id: clientKeyId,
      key_kind: "client",
      external_user_id: user,
      client_addr: "10.1.2.3",
    });
    // The user exists now: a second call creates nothing.
    const again = await audited("GET", "/v1/memories", { key: clientKey, user });
    expect(again.rows).toEqual([]);
  });

  it("records an admin key's reads of a user's data, not the user's own", async () => {
    const user = uid("dave");
    const key = await makeUser(e, user);
    const mem = (await e.call("POST", "/v1/memories", { key, body: { text: "dave likes tea" } })).body;
    const own = await audited("GET", "/v1/memories", { key });
    expect(own.rows).toEqual([]);
    for (const [method, path, body] of [
      ["GET", "/v1/memories", undefined],
      ["GET", `/v1/memories/${mem.id}`, undefined],
      ["GET", `/v1/memories/${mem.id}/history`, undefined],
      ["POST", "/v1/memories/search", { query: "tea" }],
      ["GET", "/v1/sessions", undefined],
    ] as const) {
      const r = await audited(method, path, { key: ADMIN_KEY, user, body });
      expect(r.res.status, path).toBe(200);
      expect(r.rows.map((x) => x.action)).toEqual([
        path.startsWith("/v1/sessions") ? "admin.read.sessions" : "admin.read.memories",
      ]);
      expect(r.rows[0]).toMatchObject({ key_id: adminKeyId, key_kind: "admin", external_user_id: user });
    }
  });

  it("records a key refused with 403 as request.refused: who, which route, which code; nothing for a 401", async () => {
    const user = uid("rex");
    const key = await makeUser(e, user);
    const keyId = (await e.runtime.services.identity.authenticate(key)).keyId;
    const readOnly = (
      await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: { scopes: ["memories:read"] } })
    ).body.api_key as string;
    const refusals: Array<[string, string, string, unknown, string]> = [
      [key, "GET", "/v1/users", undefined, "forbidden"],
      [key, "DELETE", "/v1/keys/key_00000000000000000000000000", undefined, "forbidden"],
      [readOnly, "POST", "/v1/memories", { text: SECRET_TEXT }, "insufficient_scope"],
      [key, "GET", "/v1/memories", undefined, "user_mismatch"],
    ];
    for (const [k, method, path, body, code] of refusals) {
      const headers = code === "user_mismatch" ? { "x-user-id": uid("someone-else") } : undefined;
      const r = await audited(method, path, { key: k, body, ...(headers ? { headers } : {}) });
      expect([r.res.status, r.res.body.error.code], path).toEqual([403, code]);
      expect(r.rows.length, path).toBe(1);
      const row = r.rows[0] as Row;
      const route = path.replace(/key_0+$/, ":key_id");
      expect([row.action, row.resource_id, row.outcome, row.key_kind, row.request_id], path).toEqual([
        "request.refused",
        `${method} ${route}`,
        code,
        "user",
        r.requestId,
      ]);
      if (k === key) expect(row.key_id).toBe(keyId);
      expect(JSON.stringify(row)).not.toContain("4711");
    }
    // No key, or a wrong one: nothing to name; those are counted per address by the rate limiter instead.
    expect((await audited("GET", "/v1/users", { key: "ek_user_nope" })).rows).toEqual([]);
    expect((await audited("GET", "/v1/users")).rows).toEqual([]);
    // The admin reads them like any event.
    const listed = await e.call("GET", `/v1/audit?action=request.refused&key_id=${keyId}`, {
      key: ADMIN_KEY,
    });
    expect(listed.status).toBe(200);
    expect(listed.body.events.map((x: { outcome: string }) => x.outcome).sort()).toEqual([
      "forbidden",
      "forbidden",
      "user_mismatch",
    ]);
  });

  it("writes nothing for a failed change", async () => {
    const user = uid("erin");
    const key = await makeUser(e, user);
    const failures: Array<[string, string, unknown]> = [
      ["POST", "/v1/users", { user_id: user }], // exists
      ["POST", `/v1/users/${user}/keys`, { expires_at: "2001-01-01T00:00:00Z" }], // in the past
      ["DELETE", "/v1/keys/key_00000000000000000000000000", undefined],
      ["POST", "/v1/tenants", { id: "default" }],
    ];
    for (const [method, path, body] of failures) {
      const r = await audited(method, path, { key: ADMIN_KEY, body });
      expect(r.res.status, path).toBeGreaterThanOrEqual(400);
      expect(r.rows, path).toEqual([]);
    }
    const r = await audited("PATCH", "/v1/memories/mem_00000000000000000000000000", {
      key,
      body: { text: "x" },
    });
    expect(r.res.status).toBe(404);
    expect(r.rows).toEqual([]);

    // A change whose transaction rolls back after its audit row was written leaves no row either.
    const actor = await e.runtime.services.identity.resolveActor(
      await e.runtime.services.identity.authenticate(key),
      undefined,
      { context: { requestId: "rolled-back" } },
    );
    await expect(
      e.runtime.services.db.withUser(actor.userPk, async (tx) => {
        await auditActor(tx, actor, "memory.add", "mem_x");
        throw new Error("validation failed mid-way");
      }),
    ).rejects.toThrow("mid-way");
    expect(await rowsOf("rolled-back")).toEqual([]);
  });

  it("is append-only for the app role, which reads no rows and writes only its own user's", async () => {
    const user = uid("frank");
    const key = await makeUser(e, user);
    await e.call("POST", "/v1/memories", { key, body: { text: "frank" } });
    const actor = await e.runtime.services.identity.resolveActor(
      await e.runtime.services.identity.authenticate(key),
      undefined,
    );
    const { db } = e.runtime.services;
    await expect(
      db.withUser(actor.userPk, (tx) => tx.query("UPDATE audit_log SET action = 'x'")),
    ).rejects.toThrow(/permission denied/);
    await expect(db.withUser(actor.userPk, (tx) => tx.query("DELETE FROM audit_log"))).rejects.toThrow(
      /permission denied/,
    );
    await expect(db.withUser(actor.userPk, (tx) => tx.query("TRUNCATE audit_log"))).rejects.toThrow(
      /permission denied/,
    );
    expect(await db.withUser(actor.userPk, (tx) => tx.query("SELECT * FROM audit_log"))).toEqual([]);
    const other = (
      await db.query<{ id: string }>("SELECT id FROM users WHERE id <> $1 LIMIT 1", [actor.userPk])
    )[0];
    await expect(
      db.withUser(actor.userPk, (tx) =>
        auditActor(tx, { ...actor, userPk: other?.id as string }, "memory.add", "mem_forged"),
      ),
    ).rejects.toThrow(/row-level security/);
    // Its own rows are still there, untouched.
    const mine = await db.query<Row>("SELECT * FROM audit_log WHERE user_id = $1 ORDER BY id", [
      actor.userPk,
    ]);
    expect(mine.map((r) => r.action)).toEqual(["user.create", "memory.add"]);
  });

  it("GET /v1/audit filters by user, key, action and time, and pages newest first", async () => {
    const user = uid("gina");
    const key = await makeUser(e, user);
    const keyId = (await e.runtime.services.identity.authenticate(key)).keyId;
    const before = new Date(Date.now() - 1000).toISOString();
    for (const text of ["one", "two", "three", "four", "five"]) {
      await e.call("POST", "/v1/memories", { key, body: { text } });
    }
    const get = (q: string, k = ADMIN_KEY) => e.call("GET", `/v1/audit?${q}`, { key: k });

    const byUser = await get(`user_id=${user}`);
    expect(byUser.status).toBe(200);
    expect(byUser.body.events.map((x: { action: string }) => x.action)).toEqual([
      ...Array(5).fill("memory.add"),
      "user.create",
    ]);
    expect(byUser.body.events[0]).toMatchObject({
      tenant: "default",
      user_id: user,
      key_kind: "user",
      outcome: "ok",
    });
    expect(byUser.body.events[0]).not.toHaveProperty("text");
    expect(byUser.body.next_cursor).toBeNull();

    const byKey = await get(`key_id=${keyId}`);
    expect(byKey.body.events).toHaveLength(5);
    const byAction = await get(`user_id=${user}&action=user.create`);
    expect(byAction.body.events).toHaveLength(1);
    const byPrefix = await get(`user_id=${user}&action=memory.*`);
    expect(byPrefix.body.events).toHaveLength(5);
    expect((await get(`user_id=${user}&since=${encodeURIComponent(before)}`)).body.events).toHaveLength(6);
    expect((await get(`user_id=${user}&until=${encodeURIComponent(before)}`)).body.events).toHaveLength(0);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { events: Array<{ id: string }>; next_cursor: string | null } } =
        await get(`user_id=${user}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((x) => x.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(byUser.body.events.map((x: { id: string }) => x.id));
    expect([...seen].sort().reverse()).toEqual(seen);

    expect((await get("cursor=nope")).status).toBe(400);
    expect((await get("action=DROP TABLE")).status).toBe(400);
    // Users and clients never read it.
    const denied = await get(`user_id=${user}`, key);
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("forbidden");
  });

  it("records every export and import: who, the scope and the counts (data.export, data.import)", async () => {
    const tenant = uid("t")
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, "");
    await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } });
    const user = uid("erin");
    const key = await makeUser(e, user, tenant);
    const userKeyId = (await e.runtime.services.identity.authenticate(key)).keyId;
    for (const text of ["erin likes tea", "erin plays chess"]) {
      await e.call("POST", "/v1/memories", { key, body: { text } });
    }
    const details = (row: Row | undefined) =>
      Object.fromEntries((row?.resource_id ?? "").split(" ").map((kv) => kv.split("=")));
    const exported = async (query: string, k: string) => {
      const requestId = rid();
      const res = await e.runtime.app.request(`/v1/export${query}`, {
        headers: { authorization: `Bearer ${k}`, "x-request-id": requestId },
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      return { text, rows: await rowsOf(requestId) };
    };

    // A user key's export of its own data is recorded too.
    const own = await exported("", key);
    expect(own.rows.map((r) => [r.action, r.outcome])).toEqual([["data.export", "ok"]]);
    expect(own.rows[0]).toMatchObject({
      key_id: userKeyId,
      key_kind: "user",
      tenant_id: tenant,
      external_user_id: user,
    });
    expect(details(own.rows[0])).toEqual({
      scope: "user",
      tenant: "1",
      user: "1",
      app: "1",
      memory: "2",
      memory_event: "2",
      session: "0",
      message: "0",
    });
    // The counts are the file's: its end record says the same.
    const end = JSON.parse(own.text.trim().split("\n").at(-1) as string);
    expect(Object.fromEntries(Object.entries(end.counts).map(([k, v]) => [k, String(v)]))).toEqual({
      ...details(own.rows[0]),
      scope: undefined,
    });

    const byTenant = await exported(`?tenant=${tenant}`, ADMIN_KEY);
    expect(byTenant.rows[0]).toMatchObject({
      action: "data.export",
      key_id: adminKeyId,
      key_kind: "admin",
      tenant_id: tenant,
      external_user_id: null,
      outcome: "ok",
    });
    expect(details(byTenant.rows[0])).toMatchObject({ scope: "tenant", user: "1", memory: "2" });
    const all = await exported("?all=true", ADMIN_KEY);
    expect(all.rows[0]).toMatchObject({ action: "data.export", key_kind: "admin", tenant_id: null });
    expect(details(all.rows[0]).scope).toBe("all");

    // A client that stops reading early leaves an `aborted` row with what was sent so far.
    const requestId = rid();
    const partial = await e.runtime.app.request(`/v1/export?tenant=${tenant}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "x-request-id": requestId },
    });
    const reader = (partial.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    let aborted: Row[] = [];
    for (let i = 0; i < 50 && aborted.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      aborted = await rowsOf(requestId);
    }
    expect(aborted.map((r) => [r.action, r.outcome])).toEqual([["data.export", "aborted"]]);
    expect(Number(details(aborted[0]).memory)).toBeLessThan(2);

    // Import: the user deleted, then brought back from the tenant's file by the admin key.
    await e.call("DELETE", `/v1/users/${user}?tenant=${tenant}`, { key: ADMIN_KEY });
    const imp = await audited("POST", "/v1/import", {
      key: ADMIN_KEY,
      raw: byTenant.text,
      headers: { "content-type": "application/x-ndjson" },
    });
    expect(imp.res.status).toBe(200);
    expect(imp.rows.map((r) => r.action).sort()).toEqual(["data.import", "user.create"]);
    const row = imp.rows.find((r) => r.action === "data.import");
    expect(row).toMatchObject({ key_id: adminKeyId, key_kind: "admin", outcome: "ok", tenant_id: null });
    expect(details(row)).toEqual({
      complete: "true",
      users_imported: "1",
      users_failed: "0",
      errors: "0",
      tenant: "0",
      user: "1",
      app: "1",
      memory: "2",
      memory_event: "2",
      session: "0",
      message: "0",
      skipped: "1",
      reembedded: "0",
    });
    // Never a text in the trail.
    expect(JSON.stringify(imp.rows)).not.toMatch(/tea|chess/);

    // Nothing is written for a body that is not an export file, so nothing is recorded.
    const refused = await audited("POST", "/v1/import", {
      key: ADMIN_KEY,
      raw: '{"hello":1}\n',
      headers: { "content-type": "application/x-ndjson" },
    });
    expect([refused.res.status, refused.rows]).toEqual([400, []]);
    const listed = await e.call("GET", "/v1/audit?action=data.*&limit=500", { key: ADMIN_KEY });
    expect(listed.body.events.map((x: { action: string }) => x.action)).toEqual(
      expect.arrayContaining(["data.export", "data.import"]),
    );
  });

  it("is in the OpenAPI document", async () => {
    const doc = (await e.call("GET", "/openapi.json")).body;
    expect(doc.paths["/v1/audit"].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(["user_id", "tenant", "key_id", "action", "since", "until", "limit", "cursor"]),
    );
    expect(doc.components.schemas.AuditEvent).toBeDefined();
  });

  it("retention purges rows older than the configured days, as the owner", async () => {
    const user = uid("hank");
    await makeUser(e, user);
    const { db } = e.runtime.services;
    const [old] = await db.query<{ id: string }>(
      "SELECT id FROM audit_log WHERE external_user_id = $1 AND action = 'user.create'",
      [user],
    );
    await db.query("UPDATE audit_log SET at = now() - interval '91 days' WHERE id = $1", [old?.id]);
    await e.call("POST", `/v1/users/${user}/keys`, { key: ADMIN_KEY, body: {} });

    expect(await new AuditService(db, { retentionDays: 0 }).purge()).toBe(0);
    expect(await new AuditService(db, { retentionDays: 100 }).purge()).toBe(0);
    expect(e.config.audit.retentionDays).toBe(90);
    expect(await e.runtime.services.audit.purge()).toBeGreaterThanOrEqual(1);
    const left = await db.query<Row>("SELECT * FROM audit_log WHERE external_user_id = $1", [user]);
    expect(left.map((r) => r.action)).toEqual(["key.create"]);
  });
});

describe("engram audit --since/--until", () => {
  it("takes an ISO date or date-time, or a duration ago, and refuses anything else", () => {
    expect(parseWhen("2026-01-02", "--since")).toBe("2026-01-02T00:00:00.000Z");
    const ago = Date.parse(parseWhen("2h", "--since"));
    expect(Math.abs(Date.now() - 7_200_000 - ago)).toBeLessThan(5_000);
    expect(() => parseWhen("yesterday", "--since")).toThrow(/--since: expected/);
  });
});

/** The built CLI, as test/cli.test.ts runs it (`npm test` builds dist/ first). */
describe.each(backends)("engram audit ($name)", (backend) => {
  const ROOT = join(import.meta.dirname, "..");
  const CLI = join(ROOT, "dist", "cli", "main.js");
  const CWD = mkdtempSync(join(tmpdir(), "engram-audit-cwd-"));

  function engram(args: string[], env: Record<string, string>) {
    const clean: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith("ENGRAM_")) clean[k] = v;
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args], {
        cwd: CWD,
        env: { ...clean, ENGRAM_LOG_LEVEL: "silent", ...env },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      child.once("error", reject);
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("prints the events through a server and on the database directly", async () => {
    const store = await backend.create();
    try {
      const config = loadConfig(
        { ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_LOG_LEVEL: "silent", ...store.env },
        CWD,
      );
      const runtime = await createRuntime(config, pino({ level: "silent" }), { embedder: wordsEmbedder() });
      await bootstrapAdmin(runtime.services.identity, config);
      const server = serve({ fetch: runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
      await new Promise<void>((resolve) => server.once("listening", () => resolve()));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        const res = await runtime.app.request("/v1/users", {
          method: "POST",
          headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
          body: JSON.stringify({ user_id: "alice" }),
        });
        expect(res.status).toBe(201);
        const viaServer = await engram(["audit", "--url", url, "--key", ADMIN_KEY, "--user", "alice"], {});
        expect(viaServer.stderr).toContain(`using the server at ${url}`);
        expect(viaServer.code).toBe(0);
        expect(viaServer.stdout).toMatch(/^TIME \(UTC\)\s+ACTION\s+KEY/);
        expect(viaServer.stdout).toMatch(/user\.create\s+key_\w+\s+default\s+alice\s+usr_\w+\s+ok/);
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await runtime.close();
      }
      // Direct mode: its own changes are recorded as `cli`, and listed.
      expect((await engram(["users", "create", "bob"], store.env)).code).toBe(0);
      const direct = await engram(["audit", "--since", "1h", "--action", "user.*", "--json"], store.env);
      expect(direct.code).toBe(0);
      const events = JSON.parse(direct.stdout).events as Array<Record<string, unknown>>;
      expect(events.map((x) => [x.action, x.key_kind, x.user_id])).toEqual([
        ["user.create", "cli", "bob"],
        ["user.create", "admin", "alice"],
      ]);
    } finally {
      await store.drop();
    }
  }, 180_000);
});
