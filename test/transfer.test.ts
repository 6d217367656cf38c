/**
 * Export and import (src/transfer/): a round trip PGlite -> PostgreSQL -> PGlite (PGlite -> PGlite without
 * ENGRAM_TEST_DATABASE_URL) keeps users, memories, history, sessions and messages to the microsecond and answers
 * the same searches; re-import changes nothing; bad lines spoil only their user's block and are reported by number;
 * a truncated file is reported; a user key exports only its own data; a file from another model is re-embedded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Services } from "../src/services.js";
import { type ExportScope, exportLines } from "../src/transfer/export.js";
import { ndjsonValues } from "../src/transfer/format.js";
import { type ImportSummary, importRecords } from "../src/transfer/import.js";
import { pgliteBackend, postgresBackend } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";
import { WORDS_MODEL } from "./helpers/words-embedder.js";

const target = process.env.ENGRAM_TEST_DATABASE_URL ? postgresBackend : pgliteBackend;
const QUERIES = ["coffee in the morning", "project deadline friday", "sister birthday", "alpha"];

async function collect(lines: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

async function* from(lines: string[]): AsyncGenerator<string> {
  // Odd-sized chunks, so lines are split across chunks as on a socket.
  const text = `${lines.join("\n")}\n`;
  for (let i = 0; i < text.length; i += 777) yield text.slice(i, i + 777);
}

const exportAll = (e: TestEngram, scope: ExportScope = { kind: "all" }) =>
  collect(exportLines(e.runtime.services, scope, { batchSize: 3 }));
const importLines = (e: TestEngram, lines: string[]): Promise<ImportSummary> =>
  importRecords(e.runtime.services, ndjsonValues(from(lines)), { batchSize: 4 });

/** Every user-visible row of the store, keyed by tenant and external user id (internal ids differ between stores). */
async function dump(s: Services): Promise<Record<string, unknown[]>> {
  const ts = (c: string) => `to_char(${c} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')`;
  const q = async (sql: string) => s.db.query(sql);
  return {
    // The default tenant comes with every store (migrations/001), so its creation time is each store's own.
    tenants: await q(
      `SELECT id, name, CASE WHEN id <> 'default' THEN ${ts("created_at")} END AS c FROM tenants ORDER BY id`,
    ),
    users: await q(
      `SELECT tenant_id, external_id, name, email, ${ts("created_at")} AS c, ${ts("updated_at")} AS u
       FROM users ORDER BY tenant_id, external_id`,
    ),
    memories: await q(
      `SELECT m.id, u.tenant_id, u.external_id, m.app, m.session_id, m.text, m.metadata, m.state, m.embedding::text AS v,
         ${ts("m.created_at")} AS c, ${ts("m.updated_at")} AS u
       FROM memories m JOIN users u ON u.id = m.user_id ORDER BY m.id`,
    ),
    events: await q(
      `SELECT e.id, u.external_id, e.memory_id, e.event, e.old_text, e.new_text, e.old_state, e.new_state,
         ${ts("e.created_at")} AS c
       FROM memory_events e JOIN users u ON u.id = e.user_id ORDER BY e.id`,
    ),
    apps: await q(
      `SELECT a.id, u.external_id, a.name, a.description, a.is_active, ${ts("a.created_at")} AS c
       FROM apps a JOIN users u ON u.id = a.user_id ORDER BY a.id`,
    ),
    sessions: await q(
      `SELECT s.id, u.external_id, s.metadata, ${ts("s.created_at")} AS c, ${ts("s.expires_at")} AS x
       FROM sessions s JOIN users u ON u.id = s.user_id ORDER BY s.id`,
    ),
    messages: await q(
      `SELECT m.id, u.external_id, m.session_id, m.role, m.content, ${ts("m.created_at")} AS c
       FROM session_messages m JOIN users u ON u.id = m.user_id ORDER BY m.id`,
    ),
  };
}

async function ok(res: Awaited<ReturnType<TestEngram["call"]>>, what: string) {
  if (res.status >= 300) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A user with apps, memories in several states and with history, a deleted memory, and a session. */
async function seedUser(e: TestEngram, tenant: string, userId: string, topic: string): Promise<string> {
  const key = await makeUser(e, userId, tenant);
  await ok(await e.call("POST", "/v1/apps", { key, body: { name: "notes" } }), "app");
  const session = await ok(
    await e.call("POST", "/v1/sessions", { key, body: { metadata: { topic } } }),
    "sess",
  );
  for (const [role, content] of [
    ["user", `hello about ${topic}`],
    ["assistant", "noted"],
  ]) {
    await ok(
      await e.call("POST", `/v1/sessions/${session.id}/messages`, { key, body: { role, content } }),
      "msg",
    );
  }
  const texts = [
    `${userId} drinks coffee in the morning`,
    `${userId} has a project deadline on friday`,
    `${userId} sister birthday is in may (${topic})`,
    `alpha ${topic} fact`,
  ];
  const ids: string[] = [];
  for (const text of texts) {
    const m = await ok(
      await e.call("POST", "/v1/memories", {
        key,
        body: { text, app: "notes", session_id: session.id, metadata: { topic, n: ids.length } },
      }),
      "add",
    );
    ids.push(m.id);
  }
  await ok(
    await e.call("PATCH", `/v1/memories/${ids[0]}`, { key, body: { text: `${texts[0]}, black` } }),
    "upd",
  );
  await ok(await e.call("PATCH", `/v1/memories/${ids[1]}`, { key, body: { state: "archived" } }), "state");
  await ok(await e.call("DELETE", `/v1/memories/${ids[3]}`, { key }), "delete");
  return key;
}

async function searches(e: TestEngram, key: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const query of QUERIES) {
    const res = await ok(
      await e.call("POST", "/v1/memories/search", { key, body: { query, limit: 5 } }),
      "search",
    );
    out.push((res.results as Array<{ id: string; score: number }>).map((r) => [r.id, r.score.toFixed(5)]));
  }
  return out;
}

async function userKey(e: TestEngram, tenant: string, userId: string): Promise<string> {
  const res = await ok(
    await e.call("POST", `/v1/users/${userId}/keys?tenant=${tenant}`, { key: ADMIN_KEY, body: {} }),
    "key",
  );
  return res.api_key as string;
}

describe(`export and import (pglite -> ${target.name} -> pglite)`, () => {
  let src: TestEngram;
  let dst: TestEngram;
  let back: TestEngram;
  const t1 = uid("t").toLowerCase();
  const t2 = uid("t").toLowerCase();
  const alice = uid("alice");
  const bob = uid("bob");
  const carol = uid("carol");
  const keys: Record<string, string> = {};
  let file: string[];

  beforeAll(async () => {
    [src, dst, back] = await Promise.all([
      startEngram(pgliteBackend, {}, { embedder: "words" }),
      startEngram(target, {}, { embedder: "words" }),
      startEngram(pgliteBackend, {}, { embedder: "words" }),
    ]);
    for (const t of [t1, t2])
      await ok(await src.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: t } }), t);
    keys[alice] = await seedUser(src, t1, alice, "tea");
    keys[bob] = await seedUser(src, t1, bob, "chess");
    keys[carol] = await seedUser(src, t2, carol, "sailing");
    file = await exportAll(src);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([src?.close(), dst?.close(), back?.close()]);
  });

  it("writes a header, tenants, contiguous user blocks and an end record with the counts", () => {
    const recs = file.map((l) => JSON.parse(l));
    expect(recs[0]).toMatchObject({ type: "header", format: "engram-export", version: 1, dimensions: 512 });
    expect(recs[0].embedding_model).toBe(WORDS_MODEL);
    const end = recs[recs.length - 1];
    expect(end.type).toBe("end");
    const counted: Record<string, number> = {};
    for (const r of recs.slice(1, -1)) counted[r.type] = (counted[r.type] ?? 0) + 1;
    expect(end.counts).toEqual({
      tenant: 3,
      user: 3,
      app: 3,
      memory: 9,
      memory_event: 21,
      session: 3,
      message: 6,
    });
    expect(counted).toEqual(end.counts);
    // Per user, contiguous: every record after a user line names that user until the next user line.
    let current = "";
    for (const r of recs.slice(1, -1)) {
      if (r.type === "user") current = `${r.tenant}/${r.user_id}`;
      else if (r.type !== "tenant") expect(`${r.tenant}/${r.user_id}`).toBe(current);
    }
    expect(file.join("\n")).not.toMatch(/ek_(admin|user|client)_|key_/);
  });

  it("round trip: same rows to the microsecond, same searches, and the same file back", async () => {
    const first = await importLines(dst, file);
    expect(first.errors).toEqual([]);
    expect(first).toMatchObject({
      ok: true,
      complete: true,
      users_imported: 3,
      users_failed: 0,
      reembedded: 0,
    });
    expect(first.imported).toMatchObject({
      user: 3,
      app: 3,
      memory: 9,
      memory_event: 21,
      session: 3,
      message: 6,
    });
    // default tenant exists everywhere; the two others are new.
    expect(first.imported.tenant).toBe(2);
    expect(await dump(dst.runtime.services)).toEqual(await dump(src.runtime.services));
    for (const [user, tenant] of [
      [alice, t1],
      [bob, t1],
      [carol, t2],
    ] as const) {
      const key = await userKey(dst, tenant, user);
      expect(await searches(dst, key), user).toEqual(await searches(src, keys[user] as string));
    }
    const again = await exportAll(dst);
    // But for what differs by design: the default tenant is each store's own, and the searches above were activity.
    const body = (lines: string[]) =>
      lines
        .slice(1)
        .map((l) => JSON.parse(l))
        .map((r) => (r.type === "user" ? { ...r, last_active_at: null } : r))
        .map((r) => (r.type === "tenant" && r.id === "default" ? { ...r, created_at: null } : r))
        .map((r) => JSON.stringify(r))
        .sort();
    expect(body(again)).toEqual(body(file));

    const third = await importLines(back, again);
    expect(third.ok).toBe(true);
    expect(await dump(back.runtime.services)).toEqual(await dump(src.runtime.services));
  });

  it("re-import changes nothing", async () => {
    const before = await dump(dst.runtime.services);
    const second = await importLines(dst, file);
    expect(second.ok).toBe(true);
    expect(second.imported).toEqual({
      tenant: 0,
      user: 0,
      app: 0,
      memory: 0,
      memory_event: 0,
      session: 0,
      message: 0,
    });
    expect(second.skipped_existing).toMatchObject({
      tenant: 3,
      user: 3,
      memory: 9,
      memory_event: 21,
      message: 6,
    });
    expect(await dump(dst.runtime.services)).toEqual(before);
  });

  it("corrupt lines: nothing of the bad user, the others imported, every bad line reported by number", async () => {
    const fresh = await startEngram(pgliteBackend, {}, { embedder: "words" });
    try {
      const lines = [...file];
      const recs = lines.map((l) => JSON.parse(l));
      const bobLines = recs.flatMap((r, i) => (r.user_id === bob && r.type !== "user" ? [i] : []));
      const [a, b] = [bobLines[1] as number, bobLines[4] as number];
      lines[a] = "{ this is not json";
      lines[b] = JSON.stringify({ ...recs[b], created_at: "yesterday" });
      const summary = await importLines(fresh, lines);
      expect(summary.ok).toBe(false);
      expect(summary.complete).toBe(true);
      expect(summary.users_imported).toBe(2);
      expect(summary.users_failed).toBe(1);
      expect(summary.errors.map((e) => e.line)).toEqual([a + 1, b + 1]);
      expect(summary.errors[0]?.message).toMatch(/not JSON/);
      expect(summary.errors[1]?.message).toMatch(/created_at/);
      const d = await dump(fresh.runtime.services);
      const owners = new Set((d.memories as Array<{ external_id: string }>).map((m) => m.external_id));
      expect([...owners].sort()).toEqual([alice, carol].sort());
      expect((d.users as Array<{ external_id: string }>).map((u) => u.external_id)).not.toContain(bob);
    } finally {
      await fresh.close();
    }
  });

  it("a truncated file is reported, and its last, possibly cut, user block is not written", async () => {
    const fresh = await startEngram(pgliteBackend, {}, { embedder: "words" });
    try {
      const cut = file.slice(0, -3);
      const summary = await importLines(fresh, cut);
      expect(summary.ok).toBe(false);
      expect(summary.complete).toBe(false);
      expect(summary.users_imported).toBe(2);
      expect(summary.users_failed).toBe(1);
      expect(summary.errors.at(-1)?.message).toMatch(/without its end record/);
      expect(summary.errors.at(-1)?.line).toBe(cut.length);
    } finally {
      await fresh.close();
    }
  });

  it("REST: a user key exports only its own data; admin scopes; import streams NDJSON", async () => {
    const res = await src.runtime.app.request("/v1/export", {
      headers: { authorization: `Bearer ${keys[alice]}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/application\/x-ndjson/);
    const recs = (await res.text())
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const users = new Set(recs.filter((r) => "user_id" in r).map((r) => r.user_id));
    expect([...users]).toEqual([alice]);
    expect(recs.map((r) => r.type)).toContain("memory");
    expect(recs.filter((r) => r.type === "tenant").map((r) => r.id)).toEqual([t1]);
    expect(recs.at(-1)).toMatchObject({ type: "end", counts: { user: 1, memory: 3 } });

    const named = await src.call("GET", `/v1/export?all=true`, { key: keys[alice] as string });
    expect([named.status, named.body.error.code]).toEqual([403, "forbidden"]);
    const bare = await src.call("GET", "/v1/export", { key: ADMIN_KEY });
    expect([bare.status, bare.body.error.code]).toEqual([400, "validation_error"]);
    const missing = await src.call("GET", `/v1/export?user_id=nobody&tenant=${t1}`, { key: ADMIN_KEY });
    expect(missing.status).toBe(404);
    const tenant = await src.runtime.app.request(`/v1/export?tenant=${t2}`, {
      headers: { authorization: `Bearer ${ADMIN_KEY}` },
    });
    const tenantRecs = (await tenant.text()).trim().split("\n");
    expect(JSON.parse(tenantRecs.at(-1) as string).counts).toMatchObject({ tenant: 1, user: 1 });

    const fresh = await startEngram(pgliteBackend, {}, { embedder: "words" });
    try {
      const body = `${tenantRecs.join("\n")}\n`;
      const imp = await fresh.call("POST", "/v1/import", {
        key: ADMIN_KEY,
        raw: body,
        headers: { "content-type": "application/x-ndjson" },
      });
      expect(imp.status).toBe(200);
      expect(imp.body).toMatchObject({ ok: true, users_imported: 1, imported: { memory: 3 } });
      const notAnExport = await fresh.call("POST", "/v1/import", {
        key: ADMIN_KEY,
        raw: '{"hello":1}\n',
        headers: { "content-type": "application/x-ndjson" },
      });
      expect([notAnExport.status, notAnExport.body.error.code]).toEqual([400, "validation_error"]);
    } finally {
      await fresh.close();
    }
  });

  it("a file from another model is re-embedded with this server's", async () => {
    const other = await startEngram(pgliteBackend);
    try {
      const model = other.runtime.services.embedder.model;
      expect(model).not.toBe(WORDS_MODEL);
      const summary = await importLines(other, file);
      expect(summary.ok).toBe(true);
      expect(summary.reembedded).toBe(9);
      const rows = await other.runtime.services.db.query<{ embedding_model: string; n: number }>(
        "SELECT embedding_model, count(*)::int AS n FROM memories GROUP BY 1",
      );
      expect(rows).toEqual([{ embedding_model: model, n: 9 }]);
      // Again: nothing written, and no text embedded for memories already here.
      const again = await importLines(other, file);
      expect([again.ok, again.reembedded, again.imported.memory, again.skipped_existing.memory]).toEqual([
        true,
        0,
        0,
        9,
      ]);
      const key = await userKey(other, t1, alice);
      const res = await ok(
        await other.call("POST", "/v1/memories/search", {
          key,
          body: { query: "hot drink early in the day" },
        }),
        "search",
      );
      expect(res.results[0].text).toMatch(/coffee/);
    } finally {
      await other.close();
    }
  }, 120_000);
});
