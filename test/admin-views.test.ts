/**
 * The dashboard's server side (issue #10): the users list (search, inactive filter, paging, counts), a user's counts
 * and what deleting it removed, /v1/me/keys, GET /v1/stats with the usage counters, and the static dashboard files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/db/db.js";
import { createApp } from "../src/http/app.js";
import { WEB_CSP, WEB_DIST_DIR } from "../src/http/web.js";
import { UsageCounters, utcDay } from "../src/stats/usage.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

async function errorOf(res: Response): Promise<{ code: string }> {
  return ((await res.json()) as { error: { code: string } }).error;
}

describe.each(backends)("admin views ($name)", (backend) => {
  let e: TestEngram;
  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
  });

  const admin = { key: ADMIN_KEY };

  async function tenant(): Promise<string> {
    const id = uid("t").toLowerCase();
    const res = await e.call("POST", "/v1/tenants", { ...admin, body: { id } });
    expect(res.status).toBe(201);
    return id;
  }

  async function user(t: string, id: string, extra: Record<string, string> = {}): Promise<string> {
    const res = await e.call("POST", "/v1/users", { ...admin, body: { user_id: id, tenant: t, ...extra } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.api_key as string;
  }

  async function list(query: string): Promise<{ ids: string[]; body: any }> {
    const res = await e.call("GET", `/v1/users?${query}`, admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return { ids: res.body.users.map((u: { user_id: string }) => u.user_id), body: res.body };
  }

  describe("GET /v1/users", () => {
    it("q: a case-insensitive substring of id, name or email, with % and _ taken literally", async () => {
      const t = await tenant();
      await user(t, "x_1");
      await user(t, "xa1");
      await user(t, "carol", { name: "Carol 100% Sure" });
      await user(t, "dave", { name: "Dave 1000 Sure" });
      await user(t, "erin", { email: "Erin@Example.COM" });
      expect((await list(`tenant=${t}&q=x_1`)).ids).toEqual(["x_1"]);
      expect((await list(`tenant=${t}&q=${encodeURIComponent("0%")}`)).ids).toEqual(["carol"]);
      expect((await list(`tenant=${t}&q=EXAMPLE.com`)).ids).toEqual(["erin"]);
      expect((await list(`tenant=${t}&q=sure`)).ids.sort()).toEqual(["carol", "dave"]);
      expect((await list(`tenant=${t}&q=${encodeURIComponent("\\")}`)).ids).toEqual([]);
      expect((await list(`tenant=${t}&q=nobody`)).ids).toEqual([]);
      const empty = await e.call("GET", `/v1/users?tenant=${t}&q=`, admin);
      expect(empty.status).toBe(400);
    });

    it("inactive_since: users never active or last active before it", async () => {
      const t = await tenant();
      for (const id of ["old", "never", "recent"]) await user(t, id);
      const { db } = e.runtime.services;
      await db.query(
        "UPDATE users SET last_active_at = now() - interval '10 days' WHERE tenant_id = $1 AND external_id = 'old'",
        [t],
      );
      await db.query(
        "UPDATE users SET last_active_at = now() WHERE tenant_id = $1 AND external_id = 'recent'",
        [t],
      );
      const since = new Date(Date.now() - 5 * 86_400_000).toISOString();
      const { ids, body } = await list(`tenant=${t}&inactive_since=${encodeURIComponent(since)}`);
      expect(ids.sort()).toEqual(["never", "old"]);
      const old = body.users.find((u: { user_id: string }) => u.user_id === "old");
      expect(new Date(old.last_active_at).getTime()).toBeLessThan(Date.parse(since));
      expect((await list(`tenant=${t}&inactive_since=${encodeURIComponent(since)}&q=ol`)).ids).toEqual([
        "old",
      ]);
      const bad = await e.call("GET", `/v1/users?tenant=${t}&inactive_since=yesterday`, admin);
      expect([bad.status, bad.body.error.field]).toEqual([400, "query.inactive_since"]);
    });

    it("pages by cursor: every user once, filters kept across pages", async () => {
      const t = await tenant();
      const made = ["p1", "p2", "p3", "p4", "p5", "q6"];
      for (const id of made) await user(t, id);
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await list(`tenant=${t}&limit=2&q=p${cursor ? `&cursor=${cursor}` : ""}`);
        expect(page.ids.length).toBeLessThanOrEqual(2);
        seen.push(...page.ids);
        cursor = page.body.next_cursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen.sort()).toEqual(["p1", "p2", "p3", "p4", "p5"]);
      expect(pages).toBe(3);
    });

    it("counts: memories, sessions, keys not revoked; the same on GET of one user", async () => {
      const t = await tenant();
      const id = uid("counted");
      const key = await user(t, id);
      const other = await user(t, uid("other"));
      const mems: string[] = [];
      for (const text of ["one", "two", "three"]) {
        const res = await e.call("POST", "/v1/memories", { key, body: { text: `${text} ${uid()}` } });
        expect(res.status).toBe(201);
        mems.push(res.body.id);
      }
      await e.call("PATCH", `/v1/memories/${mems[0]}`, { key, body: { state: "deleted" } });
      await e.call("POST", "/v1/memories", { key: other, body: { text: "not counted" } });
      expect((await e.call("POST", "/v1/sessions", { key, body: {} })).status).toBe(201);
      const extra = await e.call("POST", `/v1/users/${id}/keys?tenant=${t}`, { ...admin, body: {} });
      const revoked = await e.call("POST", `/v1/users/${id}/keys?tenant=${t}`, { ...admin, body: {} });
      expect((await e.call("DELETE", `/v1/keys/${revoked.body.key.id}`, admin)).status).toBe(200);
      expect(extra.status).toBe(201);
      const expected = { memory_count: 2, session_count: 1, key_count: 2 };
      const { body } = await list(`tenant=${t}&q=${id}`);
      expect(body.users).toHaveLength(1);
      expect(body.users[0]).toMatchObject(expected);
      const one = await e.call("GET", `/v1/users/${id}?tenant=${t}`, admin);
      expect(one.body).toMatchObject({ user_id: id, ...expected });
      // The delete counts every row it removed: the revoked key too (PATCH to state `deleted` deleted the memory).
      const del = await e.call("DELETE", `/v1/users/${id}?tenant=${t}`, admin);
      expect(del.body).toEqual({
        deleted: true,
        user_id: id,
        deleted_memories: 2,
        deleted_sessions: 1,
        deleted_keys: 3,
      });
    });

    it("DELETE: the counts shown before match what the delete removed", async () => {
      const t = await tenant();
      const id = uid("gone");
      const key = await user(t, id);
      for (let i = 0; i < 4; i++)
        await e.call("POST", "/v1/memories", { key, body: { text: `m${i} ${uid()}` } });
      for (let i = 0; i < 2; i++) await e.call("POST", "/v1/sessions", { key, body: {} });
      await e.call("POST", `/v1/users/${id}/keys?tenant=${t}`, { ...admin, body: {} });
      const shown = (await e.call("GET", `/v1/users/${id}?tenant=${t}`, admin)).body;
      const del = (await e.call("DELETE", `/v1/users/${id}?tenant=${t}`, admin)).body;
      expect([del.deleted_memories, del.deleted_sessions, del.deleted_keys]).toEqual([
        shown.memory_count,
        shown.session_count,
        shown.key_count,
      ]);
      expect([del.deleted_memories, del.deleted_sessions, del.deleted_keys]).toEqual([4, 2, 2]);
      const left = await e.runtime.services.db.query<{ n: number }>(
        `SELECT (SELECT count(*) FROM memories WHERE tenant_id = $1)
           + (SELECT count(*) FROM sessions WHERE tenant_id = $1)
           + (SELECT count(*) FROM api_keys WHERE tenant_id = $1) AS n`,
        [t],
      );
      expect(Number(left[0]?.n)).toBe(0);
      expect((await e.call("GET", `/v1/users/${id}?tenant=${t}`, admin)).status).toBe(404);
    });
  });

  describe("/v1/me/keys", () => {
    async function keyFor(t: string, id: string, body: Record<string, unknown>): Promise<string> {
      const res = await e.call("POST", `/v1/users/${id}/keys?tenant=${t}`, { ...admin, body });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body.api_key as string;
    }

    it("creates keys no stronger than the caller: scopes a subset, same app, no later expiry", async () => {
      const t = await tenant();
      const id = uid("self");
      await user(t, id);
      const rw = await keyFor(t, id, { scopes: ["memories:read", "memories:write"], app: "notes" });
      const same = await e.call("POST", "/v1/me/keys", { key: rw, body: { name: "laptop" } });
      expect(same.status).toBe(201);
      expect(same.body.api_key).toMatch(/^ek_user_/);
      expect(same.body.key).toMatchObject({
        kind: "user",
        name: "laptop",
        user_id: id,
        tenant: t,
        app: "notes",
        scopes: ["memories:read", "memories:write"],
        expires_at: null,
      });
      const stronger = await e.call("POST", "/v1/me/keys", {
        key: rw,
        body: { scopes: ["memories:read", "sessions:read"] },
      });
      expect([stronger.status, stronger.body.error.code]).toEqual([403, "insufficient_scope"]);
      expect(stronger.body.error.message).toContain("sessions:read");
      const ro = await e.call("POST", "/v1/me/keys", { key: rw, body: { scopes: ["memories:read"] } });
      expect(ro.status).toBe(201);
      expect((await e.call("GET", "/v1/memories", { key: ro.body.api_key })).status).toBe(200);
      const write = await e.call("POST", "/v1/memories", { key: ro.body.api_key, body: { text: "x" } });
      expect([write.status, write.body.error.code]).toEqual([403, "insufficient_scope"]);
      // The read-only key cannot mint a writer either.
      const up = await e.call("POST", "/v1/me/keys", {
        key: ro.body.api_key,
        body: { scopes: ["memories:write"] },
      });
      expect(up.status).toBe(403);
      // An app binding cannot be chosen (the caller's is inherited).
      const app = await e.call("POST", "/v1/me/keys", { key: rw, body: { app: "other" } });
      expect(app.status).toBe(400);

      const expiry = new Date(Date.now() + 3_600_000).toISOString();
      const expiring = await keyFor(t, id, { expires_at: expiry });
      const inherits = await e.call("POST", "/v1/me/keys", { key: expiring, body: {} });
      expect(inherits.status).toBe(201);
      expect(inherits.body.key.expires_at).toBe(expiry);
      expect(inherits.body.key.app).toBeNull();
      const sooner = new Date(Date.now() + 600_000).toISOString();
      const ok = await e.call("POST", "/v1/me/keys", { key: expiring, body: { expires_at: sooner } });
      expect(ok.body.key.expires_at).toBe(sooner);
      const later = await e.call("POST", "/v1/me/keys", {
        key: expiring,
        body: { expires_at: new Date(Date.now() + 7_200_000).toISOString() },
      });
      expect([later.status, later.body.error.code, later.body.error.field]).toEqual([
        403,
        "forbidden",
        "expires_at",
      ]);
    });

    it("lists the user's keys without secrets, the calling one marked current", async () => {
      const t = await tenant();
      const id = uid("lister");
      const first = await user(t, id);
      const second = await e.call("POST", "/v1/me/keys", { key: first, body: { name: "second" } });
      await user(t, uid("neighbour"));
      const res = await e.call("GET", "/v1/me/keys", { key: first });
      expect(res.status).toBe(200);
      expect(res.body.keys).toHaveLength(2);
      expect(res.body.keys.every((k: { user_id: string }) => k.user_id === id)).toBe(true);
      expect(
        res.body.keys.filter((k: { current: boolean }) => k.current).map((k: { name: string }) => k.name),
      ).toEqual(["default"]);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(first);
      expect(text).not.toContain(second.body.api_key);
      expect(text).not.toContain("api_key");
      const fromSecond = await e.call("GET", "/v1/me/keys", { key: second.body.api_key });
      expect(fromSecond.body.keys.find((k: { current: boolean }) => k.current).id).toBe(second.body.key.id);
    });

    it("revokes its own keys (itself too); another user's key id is 404; audited", async () => {
      const t = await tenant();
      const id = uid("revoker");
      const key = await user(t, id);
      const me = (await e.call("GET", "/v1/me", { key })).body.key_id as string;
      const spare = await e.call("POST", "/v1/me/keys", { key, body: { name: "spare" } });
      const otherKey = await user(t, uid("victim"));
      const otherId = (await e.call("GET", "/v1/me", { key: otherKey })).body.key_id as string;

      const foreign = await e.call("DELETE", `/v1/me/keys/${otherId}`, { key });
      expect([foreign.status, foreign.body.error.code]).toEqual([404, "key_not_found"]);
      const missing = await e.call("DELETE", "/v1/me/keys/key_01zzzzzzzzzzzzzzzzzzzzzzzz", { key });
      expect([missing.status, missing.body.error.code]).toEqual([404, "key_not_found"]);
      expect(foreign.body.error.message).toBe(missing.body.error.message.replace(/key_01z+/, otherId));
      expect((await e.call("GET", "/v1/me", { key: otherKey })).status).toBe(200);

      const revoked = await e.call("DELETE", `/v1/me/keys/${spare.body.key.id}`, { key });
      expect(revoked.status).toBe(200);
      expect(revoked.body.revoked_at).not.toBeNull();
      expect((await e.call("GET", "/v1/me", { key: spare.body.api_key })).body.error.code).toBe(
        "key_revoked",
      );

      const self = await e.call("DELETE", `/v1/me/keys/${me}`, { key });
      expect(self.status).toBe(200);
      const after = await e.call("GET", "/v1/me/keys", { key });
      expect([after.status, after.body.error.code]).toEqual([401, "key_revoked"]);

      const audit = await e.call("GET", `/v1/audit?tenant=${t}&key_id=${me}&action=key.*`, admin);
      const rows = audit.body.events.map(
        (r: { action: string; resource_id: string; key_kind: string; user_id: string }) => [
          r.action,
          r.resource_id,
          r.key_kind,
          r.user_id,
        ],
      );
      expect(rows).toEqual([
        ["key.revoke", me, "user", id],
        ["key.revoke", spare.body.key.id, "user", id],
        ["key.create", spare.body.key.id, "user", id],
      ]);
    });

    it("admin and client keys are refused with 403 forbidden, saying the routes are for user keys", async () => {
      const t = await tenant();
      const id = uid("u");
      const key = await user(t, id);
      const client = (await e.call("POST", `/v1/tenants/${t}/keys`, { ...admin, body: {} })).body.api_key;
      for (const [who, opts] of [
        ["admin", admin],
        ["admin naming the user", { key: ADMIN_KEY, user: id, headers: { "x-tenant-id": t } }],
        ["client", { key: client, user: id }],
      ] as const) {
        for (const [method, path, body] of [
          ["GET", "/v1/me/keys", undefined],
          ["POST", "/v1/me/keys", {}],
          ["DELETE", "/v1/me/keys/key_01zzzzzzzzzzzzzzzzzzzzzzzz", undefined],
        ] as const) {
          const res = await e.call(method, path, { ...opts, body });
          expect([res.status, res.body.error.code], `${who} ${method}`).toEqual([403, "forbidden"]);
          expect(res.body.error.message).toContain("user keys");
        }
      }
      const mismatch = await e.call("GET", "/v1/me/keys", { key, user: uid("someone") });
      expect([mismatch.status, mismatch.body.error.code]).toEqual([403, "user_mismatch"]);
    });
  });

  describe("GET /v1/stats", () => {
    type Day = {
      day: string;
      new_users: number;
      active_users: number;
      memories_added: number;
      searches: number;
    };
    type Totals = { tenants: number; users: number; memories: number; sessions: number; keys: number };
    async function stats(days?: number): Promise<{ totals: Totals; days: Day[] }> {
      const res = await e.call("GET", `/v1/stats${days ? `?days=${days}` : ""}`, admin);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return res.body;
    }
    const today = (s: { days: Day[] }): Day => s.days[s.days.length - 1] as Day;

    it("every UTC day of the window, oldest first, zeros included; days 1..365", async () => {
      const s = await stats(5);
      expect(s.days).toHaveLength(5);
      expect(today(s).day).toBe(utcDay(new Date()));
      for (let i = 1; i < s.days.length; i++) {
        const prev = Date.parse(`${s.days[i - 1]?.day}T00:00:00Z`);
        expect(Date.parse(`${s.days[i]?.day}T00:00:00Z`) - prev).toBe(86_400_000);
      }
      expect(s.days[0]).toMatchObject({ new_users: 0, memories_added: 0, searches: 0, active_users: 0 });
      expect((await stats()).days).toHaveLength(30);
      expect((await stats(365)).days).toHaveLength(365);
      for (const bad of ["0", "366", "x"]) {
        const res = await e.call("GET", `/v1/stats?days=${bad}`, admin);
        expect([res.status, res.body.error.field], bad).toEqual([400, "query.days"]);
      }
    });

    it("counts new and active users, memories added (deleted ones too) and searches on every face", async () => {
      const before = await stats(2);
      const t = await tenant();
      const id = uid("stat");
      const key = await user(t, id);
      const added: string[] = [];
      for (const text of ["apple pie", "banana bread"]) {
        added.push((await e.call("POST", "/v1/memories", { key, body: { text } })).body.id);
      }
      expect((await e.call("DELETE", `/v1/memories/${added[0]}`, { key })).status).toBe(200);
      expect((await e.call("POST", "/v1/memories/search", { key, body: { query: "banana" } })).status).toBe(
        200,
      );
      expect((await e.call("POST", "/v1/memories/search", { key, body: { query: "pie" } })).status).toBe(200);
      const om = await e.call("POST", "/api/v1/memories/search", { key, body: { query: "bread" } });
      expect(om.status).toBe(200);
      // A refused search is not counted.
      expect((await e.call("POST", "/v1/memories/search", { key, body: {} })).status).toBe(400);
      const after = await stats(2);
      expect(after.totals.users - before.totals.users).toBe(1);
      expect(after.totals.memories - before.totals.memories).toBe(1);
      expect(after.totals.tenants - before.totals.tenants).toBe(1);
      expect(after.totals.keys - before.totals.keys).toBe(1);
      expect(today(after).new_users - today(before).new_users).toBe(1);
      expect(today(after).memories_added - today(before).memories_added).toBe(2);
      expect(today(after).searches - today(before).searches).toBe(3);
      expect(today(after).active_users - today(before).active_users).toBe(1);
    });

    it("usage counters: several servers' flushes add up; a failed flush keeps its counts", async () => {
      const { db } = e.runtime.services;
      const day = utcDay(new Date());
      const read = async (): Promise<number> => {
        const rows = await db.query<{ n: string }>(
          "SELECT coalesce(sum(count), 0)::text AS n FROM usage_daily WHERE day = $1 AND metric = 'searches'",
          [day],
        );
        return Number(rows[0]?.n ?? 0);
      };
      await e.runtime.services.usage.flush();
      const start = await read();
      const a = new UsageCounters(db);
      const b = new UsageCounters(db);
      a.count("searches", 2);
      b.count("searches", 5);
      await Promise.all([a.flush(), b.flush()]);
      expect((await read()) - start).toBe(7);
      a.count("searches");
      await a.close();
      expect((await read()) - start).toBe(8);

      let fail = true;
      const flaky: Queryable = {
        query: async (sql, params) => {
          if (fail) throw new Error("database away");
          return db.query(sql, params);
        },
        exec: (sql) => db.exec(sql),
      };
      const c = new UsageCounters(flaky);
      c.count("searches", 4);
      await c.flush();
      expect((await read()) - start).toBe(8);
      fail = false;
      c.count("searches");
      await c.close();
      expect((await read()) - start).toBe(13);
      const s = await stats(1);
      expect(today(s).searches).toBe(await read());
    });
  });

  describe("the dashboard's files", () => {
    let root: string;
    let dist: string;
    let empty: string;
    let serve: (path: string, init?: RequestInit) => Promise<Response>;
    let serveEmpty: (path: string) => Promise<Response>;

    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), "engram-web-"));
      dist = join(root, "dist");
      empty = join(root, "empty");
      mkdirSync(join(dist, "assets"), { recursive: true });
      mkdirSync(empty);
      writeFileSync(
        join(dist, "index.html"),
        '<!doctype html><title>Engram</title><script type="module" src="/assets/app-3f2a1b.js"></script>INDEX-MARKER',
      );
      writeFileSync(join(dist, "assets", "app-3f2a1b.js"), "console.log('app')");
      writeFileSync(join(dist, "assets", "app-3f2a1b.css"), "body{}");
      writeFileSync(join(dist, "favicon.svg"), "<svg/>");
      writeFileSync(join(dist, ".env"), "SECRET-DOTFILE");
      writeFileSync(join(root, "secret.txt"), "SECRET-OUTSIDE");
      const app = createApp(e.runtime.services, { webDir: dist });
      const bare = createApp(e.runtime.services, { webDir: empty });
      // As a browser navigating there asks: the page stands in for client routes only for such requests.
      const browser = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" };
      serve = async (path, init) =>
        app.request(path, { ...init, headers: { ...browser, ...(init?.headers as Record<string, string>) } });
      serveEmpty = async (path) => bare.request(path, { headers: browser });
    });
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    it("/ and client-side routes answer index.html with the dashboard's CSP and no-cache", async () => {
      for (const path of [
        "/",
        "/index.html",
        "/login",
        "/memories",
        "/admin/users",
        "/admin/users/john.doe%40x",
      ]) {
        const res = await serve(path);
        expect(res.status, path).toBe(200);
        expect(res.headers.get("content-type"), path).toBe("text/html; charset=utf-8");
        expect(res.headers.get("content-security-policy"), path).toBe(WEB_CSP);
        expect(res.headers.get("x-frame-options"), path).toBe("DENY");
        expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
        expect(res.headers.get("cache-control"), path).toBe("no-cache");
        expect(await res.text(), path).toContain("INDEX-MARKER");
      }
      expect(WEB_CSP).toBe(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
          "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      );
      // An API client that mistypes a path (it asks for JSON, or anything) gets the API's 404, not the page; the
      // root still answers the page.
      for (const accept of ["application/json", "*/*"]) {
        const res = await serve("/login", { headers: { accept } });
        expect([res.status, (await errorOf(res)).code], accept).toEqual([404, "route_not_found"]);
        expect((await serve("/", { headers: { accept } })).status, accept).toBe(200);
      }
      const head = await serve("/login", { method: "HEAD" });
      expect(head.status).toBe(200);
      expect(await head.text()).toBe("");
      const etag = (await serve("/")).headers.get("etag") ?? "";
      expect((await serve("/", { headers: { "if-none-match": etag } })).status).toBe(304);
    });

    it("assets: their content types, long caching for hashed ones; a missing asset is 404", async () => {
      const js = await serve("/assets/app-3f2a1b.js");
      expect(js.status).toBe(200);
      expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(await js.text()).toBe("console.log('app')");
      const css = await serve("/assets/app-3f2a1b.css");
      expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
      const svg = await serve("/favicon.svg");
      expect([svg.status, svg.headers.get("content-type"), svg.headers.get("cache-control")]).toEqual([
        200,
        "image/svg+xml",
        "no-cache",
      ]);
      const missing = await serve("/assets/app-000000.js");
      expect(missing.status).toBe(404);
      expect((await errorOf(missing)).code).toBe("route_not_found");
    });

    it("refuses paths out of the directory and hidden files", async () => {
      for (const path of [
        "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
        "/assets/..%5c..%5csecret.txt",
        "/..%252fsecret.txt",
        "/.env",
        "/%2eenv",
        "/assets/app-3f2a1b.js%00.html",
        "/%E0%A4%A",
        "/../secret.txt",
      ]) {
        const res = await serve(path);
        const text = await res.text();
        expect(text, path).not.toContain("SECRET");
        expect([200, 404], path).toContain(res.status);
        // Only a client route may answer 200, and then with the page itself.
        if (res.status === 200) expect(text, path).toContain("INDEX-MARKER");
      }
      for (const path of ["/..%2fsecret.txt", "/assets/..%2f..%2fsecret.txt", "/.env", "/%2eenv"]) {
        expect((await serve(path)).status, path).toBe(404);
      }
    });

    it("leaves the API's paths to the API", async () => {
      const noKey = await serve("/v1/memories");
      expect([noKey.status, (await errorOf(noKey)).code]).toEqual([401, "unauthorized"]);
      const unknown = await serve("/api/nothing-here");
      expect([unknown.status, (await errorOf(unknown)).code]).toEqual([404, "route_not_found"]);
      expect((await serve("/openapi.json")).headers.get("content-type")).toContain("application/json");
      expect((await serve("/healthz")).status).toBe(200);
      const post = await serve("/login", { method: "POST" });
      expect(post.status).toBe(404);
      // API answers keep the API's own policy.
      expect((await serve("/healthz")).headers.get("content-security-policy")).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
    });

    it("not built: / and client routes answer 503 with how to build it", async () => {
      for (const path of ["/", "/login", "/admin/users"]) {
        const res = await serveEmpty(path);
        expect(res.status, path).toBe(503);
        expect(res.headers.get("content-type")).toContain("text/html");
        expect(res.headers.get("content-security-policy")).toBe(WEB_CSP);
        expect(await res.text()).toContain("npm run build:web");
      }
      expect((await serveEmpty("/assets/app.js")).status).toBe(404);
      // The API's paths, however spelled, are the API's 404 and never this page (nor a 503).
      for (const path of [
        "/V1/SESSIONS",
        "//v1/sessions",
        "//api/v1/memories/x",
        "/healthz;x=1",
        "/Docs/x",
      ]) {
        for (const get of [serveEmpty, serve]) {
          const res = await get(path);
          expect([res.status, (await errorOf(res)).code], path).toEqual([404, "route_not_found"]);
        }
      }
    });

    it("finds web/dist at the package root, from src/ (and so from dist/, one level down alike)", () => {
      const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
      expect(resolve(WEB_DIST_DIR)).toBe(join(repo, "web", "dist"));
    });
  });
});
