/**
 * Export and import (src/transfer/): a round trip PGlite -> PostgreSQL -> PGlite (PGlite -> PGlite without
 * ENGRAM_TEST_DATABASE_URL) keeps users, memories, history, sessions and messages to the microsecond and answers
 * the same searches; re-import changes nothing; bad lines spoil only their user's block and are reported by number;
 * a truncated file is reported; a user key exports only its own data; a file from another model is re-embedded.
 * Over real HTTP with a short request timeout: an import streamed slower than the timeout but steadily completes,
 * a stalled one is cut with 408, and every other request (an unauthenticated import too) keeps the timeout.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { connect } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import type { Services } from "../src/services.js";
import { type ExportScope, exportLines } from "../src/transfer/export.js";
import { ndjsonValues } from "../src/transfer/format.js";
import { type ImportSummary, importRecords } from "../src/transfer/import.js";
import { pgliteBackend, postgresBackend } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";
import { WORDS_MODEL, wordsEmbedder } from "./helpers/words-embedder.js";

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

interface SlowAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Milliseconds from the first byte sent to the answer, and to the connection's close. */
  answeredMs: number;
  closedMs: number;
}

/**
 * POSTs `pieces` over real HTTP as a chunked body, one piece every `gapMs`, ending the body unless `stall` (then it
 * sends nothing more and waits); resolves once the answer is read and the connection has closed.
 */
function slowPost(
  url: string,
  path: string,
  headers: Record<string, string>,
  pieces: string[],
  gapMs: number,
  stall = false,
): Promise<SlowAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let answer: Omit<SlowAnswer, "closedMs"> | undefined;
    let closed: number | undefined;
    const settle = () => {
      if (answer && closed !== undefined) resolve({ ...answer, closedMs: closed - started });
    };
    const req = httpRequest(`${url}${path}`, {
      method: "POST",
      agent: false,
      headers: { "transfer-encoding": "chunked", ...headers },
    });
    req.on("socket", (socket) =>
      socket.on("close", () => {
        closed = Date.now();
        settle();
      }),
    );
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => {
        answer = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          answeredMs: Date.now() - started,
        };
        settle();
      });
    });
    // Writing to a connection the server closed is expected here; the answer tells what happened.
    req.on("error", (err) => (answer ? undefined : reject(err)));
    (async () => {
      for (const piece of pieces) {
        if (req.destroyed || answer) return;
        req.write(piece);
        await new Promise((r) => setTimeout(r, gapMs));
      }
      if (!stall && !req.destroyed) req.end();
    })().catch(reject);
    setTimeout(() => req.destroy(new Error("no answer and no close within 20 s")), 20_000).unref();
  });
}

/** The file's text cut into `n` pieces of about equal size (lines split across pieces, as on a socket). */
function pieces(text: string, n: number): string[] {
  const size = Math.ceil(text.length / n);
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size)).filter((p) => p !== "");
}

describe("long imports and the request timeout (real HTTP, ENGRAM_REQUEST_TIMEOUT_MS=1500)", () => {
  const TIMEOUT_MS = 1500;
  let src: TestEngram;
  let running: RunningServer;
  let drop: () => Promise<void>;
  let file: string;
  const user = uid("slow");

  beforeAll(async () => {
    src = await startEngram(pgliteBackend, {}, { embedder: "words" });
    const key = await makeUser(src, user);
    for (let i = 0; i < 12; i++) {
      await ok(await src.call("POST", "/v1/memories", { key, body: { text: `slow fact ${i}` } }), "add");
    }
    file = `${(await exportAll(src, { kind: "user", tenant: "default", userId: user })).join("\n")}\n`;
    const db = await pgliteBackend.create();
    drop = db.drop;
    const config = loadConfig(
      {
        ...db.env,
        ENGRAM_PORT: "0",
        ENGRAM_HOST: "127.0.0.1",
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        ENGRAM_LOG_LEVEL: "silent",
        ENGRAM_HEADERS_TIMEOUT_MS: "1000",
        ENGRAM_REQUEST_TIMEOUT_MS: String(TIMEOUT_MS),
      },
      "/nonexistent",
    );
    running = await startServer(config, pino({ level: "silent" }), { embedder: wordsEmbedder() });
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
    await drop?.();
    await src?.close();
  });

  const ndjsonAdmin = { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/x-ndjson" };

  it("an import streamed steadily for well over the timeout completes", async () => {
    // 16 pieces, 300 ms apart: about 4.8 s of upload against a 1.5 s timeout (checked every second).
    const res = await slowPost(running.url, "/v1/import", ndjsonAdmin, pieces(file, 16), 300);
    expect(res.answeredMs).toBeGreaterThan(3 * TIMEOUT_MS);
    expect(res.status, res.body).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      ok: true,
      complete: true,
      users_imported: 1,
      imported: { memory: 12 },
    });
  }, 30_000);

  it("a stalled import is cut with 408 and its connection closed, recorded as aborted", async () => {
    const lines = file.split("\n");
    // The header and the user's first lines, then nothing.
    const res = await slowPost(
      running.url,
      "/v1/import",
      ndjsonAdmin,
      [`${lines.slice(0, 3).join("\n")}\n`],
      50,
      true,
    );
    expect(res.status).toBe(408);
    expect(res.headers.connection).toBe("close");
    expect(res.answeredMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(res.answeredMs).toBeLessThan(TIMEOUT_MS + 2500);
    expect(res.closedMs).toBeLessThan(TIMEOUT_MS + 3500);
    const rows = await running.runtime.services.db.query<{ outcome: string; key_kind: string }>(
      "SELECT outcome, key_kind FROM audit_log WHERE action = 'data.import' ORDER BY id DESC LIMIT 1",
    );
    expect(rows).toEqual([{ outcome: "aborted", key_kind: "admin" }]);
  }, 30_000);

  it("every other request keeps the whole-request timeout: a trickled memory body gets Node's 408", async () => {
    const created = await fetch(`${running.url}/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ user_id: uid("trickle") }),
    });
    expect(created.status).toBe(201);
    const key = ((await created.json()) as { api_key: string }).api_key;
    const body = JSON.stringify({ text: "a memory sent one piece at a time, far too slowly" });
    const res = await slowPost(
      running.url,
      "/v1/memories",
      { authorization: `Bearer ${key}`, "content-type": "application/json" },
      pieces(body, 20),
      300,
    );
    expect(res.status).toBe(408);
    expect(res.answeredMs).toBeLessThan(TIMEOUT_MS + 2500);
  }, 30_000);

  it("other client errors are answered as Node answers them: 400 for a malformed request, 431 for huge headers", async () => {
    const { port } = new URL(running.url);
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => socket.write(text));
        let got = "";
        socket.on("data", (d) => {
          got += d.toString();
        });
        socket.on("close", () => resolve(got));
        socket.on("error", reject);
      });
    expect(await raw("NOT HTTP AT ALL\r\n\r\n")).toMatch(/^HTTP\/1\.1 400 Bad Request\r\nConnection: close/);
    const huge = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`;
    expect(await raw(huge)).toMatch(/^HTTP\/1\.1 431 /);
  });

  it("an import without a valid key is answered at once and its connection closed: no exemption to abuse", async () => {
    const res = await slowPost(
      running.url,
      "/v1/import",
      { "content-type": "application/x-ndjson" },
      pieces(file, 40),
      300,
    );
    expect(res.status).toBe(401);
    expect(res.answeredMs).toBeLessThan(1000);
    expect(res.closedMs).toBeLessThan(TIMEOUT_MS + 2500);
  }, 30_000);
});
