/**
 * The TypeScript SDK (src/client/, `engram/client`) against a real server on loopback, both backends: every method,
 * listing through several pages, streamed chat, typed errors; then retries, no-retries and abort against a tiny fake
 * server (node:http) that answers what each test scripts.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EngramClient,
  type EngramClientOptions,
  EngramError,
  EngramNetworkError,
  EngramTimeoutError,
} from "../src/client/index.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

/** Serves the in-process app over real HTTP on an ephemeral loopback port. */
async function listen(e: TestEngram): Promise<{ url: string; server: ServerType }> {
  const server = serve({ fetch: e.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe.each(backends)("SDK against a live server ($name)", (backend) => {
  let e: TestEngram;
  let server: ServerType;
  let url: string;
  let admin: EngramClient;
  const clientFor = (apiKey: string, extra: Partial<EngramClientOptions> = {}) =>
    new EngramClient({ baseUrl: url, apiKey, ...extra });
  /** A fresh user and a client with its key. */
  const newUser = async () => {
    const created = await admin.users.create({ user_id: uid() });
    return { id: created.user.user_id, client: clientFor(created.api_key) };
  };

  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
    ({ url, server } = await listen(e));
    admin = clientFor(ADMIN_KEY);
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server?.close(() => resolve()));
    await e?.close();
  });

  it("memories: add, get, update, history, search, delete, deleteAll", async () => {
    const { client } = await newUser();
    const added = await client.memories.add({ text: "I like Python", metadata: { topic: "code" } });
    expect(added).toMatchObject({ text: "I like Python", state: "active", metadata: { topic: "code" } });
    expect(await client.memories.get(added.id)).toMatchObject({ id: added.id, text: "I like Python" });
    const updated = await client.memories.update(added.id, { text: "I like Python and Rust" });
    expect(updated.text).toBe("I like Python and Rust");
    expect((await client.memories.history(added.id)).map((ev) => ev.event)).toEqual(["add", "update"]);
    const found = await client.memories.search({ query: "Rust", limit: 5 });
    expect(found.map((r) => r.id)).toContain(added.id);
    expect(found[0]?.score).toBeGreaterThan(0);
    expect(await client.memories.delete(added.id)).toEqual({ deleted: true, id: added.id });
    await client.memories.add({ text: "one" });
    await client.memories.add({ text: "two" });
    expect(await client.memories.deleteAll()).toEqual({ deleted: 2 });
    expect(await collect(client.memories.list())).toEqual([]);
  });

  it("lists memories, sessions and users through several pages", async () => {
    const { id, client } = await newUser();
    const texts = Array.from({ length: 7 }, (_, i) => `fact number ${i}`);
    for (const text of texts) await client.memories.add({ text });
    const first = await client.memories.page({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.memories.page({ limit: 3, cursor: first.nextCursor ?? "" });
    expect(second.items.map((m) => m.id)).not.toContain(first.items[0]?.id);
    const all = await collect(client.memories.list({ limit: 3 }));
    expect(all.map((m) => m.text).sort()).toEqual([...texts].sort());
    expect(new Set(all.map((m) => m.id)).size).toBe(7);

    for (let i = 0; i < 5; i++) await client.sessions.create({ metadata: { i } });
    const sessions = await collect(client.sessions.list({ limit: 2 }));
    expect(sessions).toHaveLength(5);
    expect(sessions.every((s) => s.user_id === id)).toBe(true);

    const tenant = uid("t").toLowerCase();
    await admin.tenants.create({ id: tenant });
    for (let i = 0; i < 5; i++) await admin.users.create({ user_id: `p${i}`, tenant });
    const users = await collect(admin.users.list({ tenant, limit: 2 }));
    expect(users.map((u) => u.user_id).sort()).toEqual(["p0", "p1", "p2", "p3", "p4"]);
  });

  it("sessions: create, addMessage, get, list, delete", async () => {
    const { client, id } = await newUser();
    const s = await client.sessions.create({ metadata: { channel: "web" } });
    expect(s).toMatchObject({ user_id: id, metadata: { channel: "web" }, expired: false });
    const msg = await client.sessions.addMessage(s.id, { role: "user", content: "hi" });
    expect(msg).toMatchObject({ role: "user", content: "hi" });
    const detail = await client.sessions.get(s.id);
    expect(detail.messages.map((m) => m.content)).toEqual(["hi"]);
    expect((await client.sessions.page()).items.map((x) => x.id)).toEqual([s.id]);
    expect(await client.sessions.delete(s.id)).toEqual({ deleted: true, id: s.id });
    expect(await collect(client.sessions.list())).toEqual([]);
  });

  it("apps: list, create, update", async () => {
    const { client } = await newUser();
    expect((await client.apps.list()).map((a) => a.name)).toContain("default");
    const app = await client.apps.create({ name: "notes", description: "my notes" });
    expect(app).toMatchObject({ name: "notes", is_active: true });
    expect(await client.apps.update("notes", { is_active: false })).toMatchObject({ is_active: false });
    expect((await client.apps.list()).find((a) => a.name === "notes")?.is_active).toBe(false);
  });

  it("admin: tenants, users, keys (create, list, rotate, revoke), me", async () => {
    const tenant = uid("t").toLowerCase();
    expect(await admin.tenants.create({ id: tenant, name: "Acme" })).toMatchObject({
      id: tenant,
      name: "Acme",
    });
    expect((await admin.tenants.list()).map((t) => t.id)).toContain(tenant);
    const clientKey = await admin.tenants.createClientKey(tenant, { name: "muxi" });
    expect(clientKey.key).toMatchObject({ kind: "client", tenant });

    const created = await admin.users.create({ user_id: "ada", tenant, name: "Ada" });
    expect(created.user).toMatchObject({ user_id: "ada", tenant, name: "Ada" });
    expect(await admin.users.get("ada", { tenant })).toMatchObject({ user_id: "ada", memory_count: 0 });
    expect(await admin.users.update("ada", { email: "ada@example.com" }, { tenant })).toMatchObject({
      email: "ada@example.com",
    });
    const second = await admin.users.keys.create("ada", { name: "second" }, { tenant });
    expect((await admin.users.keys.list("ada", { tenant })).map((k) => k.id)).toContain(second.key.id);

    // The client's tenantId is the default tenant of admin user calls.
    const scoped = clientFor(ADMIN_KEY, { tenantId: tenant });
    expect((await scoped.users.get("ada")).tenant).toBe(tenant);

    const rotated = await admin.keys.rotate(second.key.id, { grace_seconds: 60 });
    expect(rotated.rotated_from).toBe(second.key.id);
    expect(rotated.old_key_expires_at).toEqual(expect.any(String));
    const revoked = await admin.keys.revoke(rotated.key.id);
    expect(revoked.revoked_at).toEqual(expect.any(String));
    expect((await admin.keys.list({ tenant })).map((k) => k.id)).toContain(rotated.key.id);
    const adminKey = await admin.keys.create({ name: "ops" });
    expect(adminKey.key.kind).toBe("admin");
    expect((await clientFor(adminKey.api_key).me()).kind).toBe("admin");
    expect(await clientFor(created.api_key).me()).toMatchObject({ kind: "user", user_id: "ada", tenant });

    expect(await admin.users.delete("ada", { tenant })).toMatchObject({ deleted: true, user_id: "ada" });
    expect((await admin.stats()).totals.tenants).toBeGreaterThan(0);
  });

  it("MUXI conveniences with a client key: createSession({ userId }), chat(..., { sessionId, userId })", async () => {
    const tenant = uid("t").toLowerCase();
    await admin.tenants.create({ id: tenant });
    const key = (await admin.tenants.createClientKey(tenant)).api_key;
    const client = clientFor(key, { userId: "default-user" });
    const session = await client.createSession({ userId: "alice" });
    expect(session.user_id).toBe("alice");
    const said = await client.chat("Remember I like Python", { sessionId: session.id, userId: "alice" });
    expect(said.session_id).toBe(session.id);
    expect(said.memories_created.map((m) => m.text)).toEqual(["I like Python"]);
    // The per-call user overrides the client's: alice's memory is hers, not default-user's.
    expect((await collect(client.memories.list({}))).length).toBe(0);
    expect((await collect(client.memories.list({ userId: "alice" }))).map((m) => m.text)).toEqual([
      "I like Python",
    ]);
    const detail = await client.sessions.get(session.id, { userId: "alice" });
    expect(detail.messages.map((m) => m.role)).toEqual(["user", "assistant"]);
  });

  it("chat with stream: true yields the tokens, then the full result", async () => {
    const { client } = await newUser();
    const stream = client.chat("My favourite colour is green", { stream: true });
    const tokens = await collect(stream);
    expect(tokens.length).toBeGreaterThan(0);
    const result = await stream.result();
    expect(tokens.join("")).toBe(result.reply);
    expect(stream.sessionId).toBe(result.session_id);
    expect(result.memories_created.map((m) => m.text)).toEqual(["My favourite colour is green"]);

    // result() alone reads the stream to its end; the session continues.
    const next = client.chat("What is my favourite colour?", { stream: true, sessionId: result.session_id });
    expect((await next.result()).session_id).toBe(result.session_id);
  });

  it("ownKeys: a user key lists, creates (no stronger than itself) and revokes its own user's keys", async () => {
    const { client, id } = await newUser();
    const [first] = await client.ownKeys.list();
    expect(first).toMatchObject({ kind: "user", user_id: id, current: true });
    const made = await client.ownKeys.create({ name: "laptop", scopes: ["memories:read"] });
    expect(made.key).toMatchObject({ name: "laptop", user_id: id, scopes: ["memories:read"] });
    const listed = await client.ownKeys.list();
    expect(listed.map((k) => [k.id, k.current]).sort()).toEqual(
      [
        [first?.id, true],
        [made.key.id, false],
      ].sort(),
    );
    // The new key is a working key of the same user, and cannot widen its own scopes.
    const laptop = clientFor(made.api_key);
    expect(await laptop.me()).toMatchObject({ kind: "user", user_id: id });
    const wider = await rejection(laptop.ownKeys.create({ scopes: ["memories:write"] }));
    expect(wider).toMatchObject({ status: 403, code: "insufficient_scope" });
    const revoked = await client.ownKeys.revoke(made.key.id);
    expect(revoked).toMatchObject({ id: made.key.id, revoked_at: expect.any(String) });
    expect(await rejection(laptop.me())).toMatchObject({ status: 401, code: "key_revoked" });
    // Not for admin keys, and another user's key is not found.
    expect(await rejection(admin.ownKeys.list())).toMatchObject({ status: 403, code: "forbidden" });
    const other = await newUser();
    const [otherKey] = await other.client.ownKeys.list();
    expect(await rejection(client.ownKeys.revoke(otherKey?.id ?? ""))).toMatchObject({
      status: 404,
      code: "key_not_found",
    });
  });

  it("audit: lists events with filters through several pages; admin key only", async () => {
    const { client, id } = await newUser();
    for (const text of ["a", "b", "c", "d", "e"]) await client.memories.add({ text: `audited ${text}` });
    const first = await admin.audit.page({ user_id: id, action: "memory.*", limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = await collect(admin.audit.list({ user_id: id, limit: 2 }));
    expect(all.map((e) => e.action)).toEqual([...Array(5).fill("memory.add"), "user.create"]);
    expect(all[0]).toMatchObject({ user_id: id, tenant: "default", key_kind: "user", outcome: "ok" });
    expect(new Set(all.map((e) => e.id)).size).toBe(6);
    const invalid = (await rejection(admin.audit.page({ action: "DROP TABLE" }))) as EngramError;
    expect(invalid).toMatchObject({ status: 400, code: "validation_error", field: "query.action" });
    expect(await rejection(client.audit.page())).toMatchObject({ status: 403, code: "forbidden" });
  });

  it("export: records or lines as they arrive, own data for a user key, any scope for the admin key", async () => {
    const { client, id } = await newUser();
    for (const text of ["I like tea", "I play chess", "I sail"]) await client.memories.add({ text });
    const records = await collect(client.export());
    expect(records[0]).toMatchObject({ type: "header", format: "engram-export" });
    const end = records.at(-1);
    expect(end).toMatchObject({ type: "end", counts: { user: 1, memory: 3 } });
    const texts = records.flatMap((r) => (r.type === "memory" ? [r.text] : []));
    expect(texts.sort()).toEqual(["I like tea", "I play chess", "I sail"]);
    expect(new Set(records.flatMap((r) => ("user_id" in r ? [r.user_id] : [])))).toEqual(new Set([id]));

    const lines = await collect(admin.exportLines({ user_id: id }));
    expect(lines.length).toBe(records.length);
    expect(lines.every((l) => !l.includes("\n"))).toBe(true);
    expect(JSON.parse(lines.at(-1) ?? "{}")).toMatchObject({ type: "end", counts: { user: 1 } });

    // Leaving the loop early stops the download; `all` is sent as all=true.
    let seen = 0;
    for await (const r of admin.export({ all: true })) {
      expect(r.type).toBe("header");
      seen++;
      break;
    }
    expect(seen).toBe(1);
    expect(await rejection(collect(client.export({ all: true })))).toMatchObject({
      status: 403,
      code: "forbidden",
    });
    expect(await rejection(collect(admin.export({ user_id: "nobody-here" })))).toMatchObject({
      status: 404,
      code: "user_not_found",
    });
  });

  it("import: a string, bytes, an async iterable and a ReadableStream, each answered with the server's summary", async () => {
    const tenant = uid("t").toLowerCase();
    await admin.tenants.create({ id: tenant });
    const made = await admin.users.create({ user_id: "imp", tenant });
    for (const text of ["first fact", "second fact"]) await clientFor(made.api_key).memories.add({ text });
    const file = `${(await collect(admin.exportLines({ tenant }))).join("\n")}\n`;
    const fresh = async () => admin.users.delete("imp", { tenant });

    await fresh();
    const fromString = await admin.import(file);
    expect(fromString).toMatchObject({
      ok: true,
      complete: true,
      users_imported: 1,
      imported: { memory: 2 },
    });

    // Again, as it is idempotent: nothing new.
    const again = await admin.import(new TextEncoder().encode(file));
    expect(again).toMatchObject({ ok: true, imported: { memory: 0 }, skipped_existing: { memory: 2 } });

    await fresh();
    async function* slowly(): AsyncGenerator<string> {
      // Small pieces with pauses: the body is streamed, lines split across chunks.
      for (let i = 0; i < file.length; i += 200) {
        yield file.slice(i, i + 200);
        await new Promise((r) => setTimeout(r, 5));
      }
    }
    expect(await admin.import(slowly())).toMatchObject({
      ok: true,
      users_imported: 1,
      imported: { memory: 2 },
    });

    await fresh();
    const bytes = new TextEncoder().encode(file);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 100) controller.enqueue(bytes.slice(i, i + 100));
        controller.close();
      },
    });
    expect(await admin.import(stream, { timeoutMs: 10_000 })).toMatchObject({
      ok: true,
      imported: { memory: 2 },
    });
    const asUser = clientFor(ADMIN_KEY, { tenantId: tenant, userId: "imp" });
    expect((await collect(asUser.memories.list())).map((m) => m.text).sort()).toEqual([
      "first fact",
      "second fact",
    ]);

    // Errors: not an export file (400 naming the body), and a non-admin key (403) while the body streams.
    const notAnExport = (await rejection(admin.import('{"hello":1}\n'))) as EngramError;
    expect(notAnExport).toMatchObject({ status: 400, code: "validation_error", field: "body" });
    const { client: user } = await newUser();
    expect(await rejection(user.import(slowly()))).toMatchObject({ status: 403, code: "forbidden" });
    // A failing source is the call's error, as it is.
    async function* broken(): AsyncGenerator<string> {
      yield file.slice(0, 100);
      throw new Error("disk on fire");
    }
    expect(await rejection(admin.import(broken()))).toMatchObject({ message: "disk on fire" });
  });

  it("typed errors: 401, 403, 404, 400 with its field, and a streamed chat's error before the first token", async () => {
    const { client } = await newUser();
    const unauth = await rejection(clientFor("ek_user_nope").memories.page());
    expect(unauth).toBeInstanceOf(EngramError);
    expect(unauth).toMatchObject({ status: 401, code: "invalid_api_key", requestId: expect.any(String) });

    const forbidden = await rejection(client.tenants.list());
    expect(forbidden).toMatchObject({ status: 403, code: "forbidden" });

    const missing = await rejection(client.memories.get("mem_00000000000000000000000000"));
    expect(missing).toBeInstanceOf(EngramError);
    expect((missing as EngramError).status).toBe(404);
    expect((missing as EngramError).code).toMatch(/not_found$/);

    const invalid = (await rejection(client.memories.add({ text: "   " }))) as EngramError;
    expect(invalid).toMatchObject({ status: 400, code: "validation_error", field: "text" });
    expect(invalid.message).toContain("text");

    const badSession = await rejection(client.chat("hi", { stream: true, sessionId: "sess_nope" }).result());
    expect(badSession).toMatchObject({ status: 404 });
  });
});

/** A fake Engram: each request is answered by the next scripted handler (the last one repeats). */
async function fakeServer(
  ...handlers: Array<(req: IncomingMessage, res: ServerResponse) => void>
): Promise<{ url: string; hits: Array<{ method: string; at: number }>; close(): Promise<void> }> {
  const hits: Array<{ method: string; at: number }> = [];
  const server: Server = createServer((req, res) => {
    hits.push({ method: req.method ?? "", at: Date.now() });
    const handler = handlers[Math.min(hits.length - 1, handlers.length - 1)];
    handler?.(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}) =>
  (_req: IncomingMessage, res: ServerResponse) => {
    res.writeHead(status, { "content-type": "application/json", "x-request-id": "req_fake", ...headers });
    res.end(JSON.stringify(body));
  };
const rateLimited = json(
  429,
  { error: { code: "rate_limited", message: "too many requests", request_id: "req_fake" } },
  { "retry-after": "1" },
);
const page = json(200, { memories: [], next_cursor: null });
const hang = () => undefined;

describe("SDK retries, timeouts and abort (fake server on loopback)", () => {
  const open: Array<{ close(): Promise<void> }> = [];
  const fake = async (...h: Parameters<typeof fakeServer>) => {
    const f = await fakeServer(...h);
    open.push(f);
    return f;
  };
  afterAll(async () => {
    for (const f of open) await f.close();
  });

  it("retries a 429 after its Retry-After (1 s), then returns the 200", async () => {
    const f = await fake(rateLimited, page);
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    expect(await client.memories.page()).toEqual({ items: [], nextCursor: null });
    expect(f.hits).toHaveLength(2);
    const waited = (f.hits[1]?.at ?? 0) - (f.hits[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(950);
    expect(waited).toBeLessThan(3000);
  });

  it("retries a POST's 503 too (the server refused it), and gives up after `retries`", async () => {
    const unavailable = json(503, { error: { code: "unavailable", message: "starting", request_id: "r" } });
    const f = await fake(unavailable, json(201, { id: "mem_1", text: "x" }));
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    expect(await client.memories.add({ text: "x" })).toMatchObject({ id: "mem_1" });
    expect(f.hits.map((h) => h.method)).toEqual(["POST", "POST"]);

    const g = await fake(rateLimited);
    const once = new EngramClient({ baseUrl: g.url, apiKey: "k", retries: 1 });
    const err = await rejection(once.memories.page());
    expect(err).toMatchObject({ status: 429, code: "rate_limited", requestId: "req_fake" });
    expect(g.hits).toHaveLength(2);
  });

  it("never retries a 400 (or any other 4xx)", async () => {
    const f = await fake(
      json(400, {
        error: { code: "validation_error", message: "text: bad", request_id: "r1", field: "text" },
      }),
    );
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    const err = await rejection(client.memories.add({ text: "x" }));
    expect(err).toMatchObject({ status: 400, field: "text", requestId: "r1" });
    expect(f.hits).toHaveLength(1);
  });

  it("a broken connection: a GET is retried, a POST is not (it may have been carried out)", async () => {
    const drop = (req: IncomingMessage) => req.socket.destroy();
    const f = await fake(drop, page);
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    expect((await client.memories.page()).items).toEqual([]);
    expect(f.hits).toHaveLength(2);

    const g = await fake(drop);
    const err = await rejection(
      new EngramClient({ baseUrl: g.url, apiKey: "k" }).memories.add({ text: "x" }),
    );
    expect(err).toBeInstanceOf(EngramNetworkError);
    expect(g.hits).toHaveLength(1);
  });

  it("aborts through the caller's AbortSignal, also while waiting to retry", async () => {
    const f = await fake(hang);
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const err = await rejection(client.memories.page({ signal: controller.signal }));
    expect(err).toMatchObject({ name: "AbortError" });

    const g = await fake(rateLimited);
    const started = Date.now();
    const retrying = new EngramClient({ baseUrl: g.url, apiKey: "k" });
    const during = await rejection(retrying.memories.page({ signal: AbortSignal.timeout(200) }));
    expect(during).toMatchObject({ name: expect.stringMatching(/AbortError|TimeoutError/) });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it("times out a call that takes longer than timeoutMs (per call or per client)", async () => {
    const f = await fake(hang);
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k", timeoutMs: 150 });
    const err = await rejection(client.memories.get("mem_1"));
    expect(err).toBeInstanceOf(EngramTimeoutError);
    expect(err).toMatchObject({ code: "timeout", timeoutMs: 150 });
    const perCall = await rejection(
      new EngramClient({ baseUrl: f.url, apiKey: "k" }).sessions.get("s", { timeoutMs: 100 }),
    );
    expect(perCall).toMatchObject({ code: "timeout", timeoutMs: 100 });
  });
});

describe("SDK export and import streaming (fake server on loopback)", () => {
  const open: Array<{ close(): Promise<void> }> = [];
  const fake = async (...h: Parameters<typeof fakeServer>) => {
    const f = await fakeServer(...h);
    open.push(f);
    return f;
  };
  afterAll(async () => {
    for (const f of open) await f.close();
  });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  /** Answers NDJSON lines one piece at a time, `gapMs` apart, then stops (ending the body unless `stall`). */
  const trickle =
    (pieces: string[], gapMs: number, stall = false) =>
    (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      void (async () => {
        for (const p of pieces) {
          res.write(p);
          await sleep(gapMs);
        }
        if (!stall) res.end();
      })();
    };

  it("export: timeoutMs bounds each wait for the next chunk, not the whole download", async () => {
    const lines = Array.from({ length: 8 }, (_, i) => JSON.stringify({ type: "memory", n: i }));
    // Lines cut mid-way across pieces: 8 pieces 100 ms apart, 800 ms in all against a 300 ms timeout.
    const text = `${lines.join("\n")}\n`;
    const pieces = Array.from({ length: 8 }, (_, i) =>
      text.slice(i * 20, i === 7 ? undefined : (i + 1) * 20),
    );
    const f = await fake(trickle(pieces, 100));
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k", timeoutMs: 300 });
    const got = await collect(client.exportLines());
    expect(got).toEqual(lines);

    const g = await fake(trickle([`${lines[0]}\n`], 10, true));
    const stalled = new EngramClient({ baseUrl: g.url, apiKey: "k", timeoutMs: 300 });
    const seen: unknown[] = [];
    const err = await rejection(
      (async () => {
        for await (const r of stalled.export()) seen.push(r);
      })(),
    );
    expect(seen).toEqual([{ type: "memory", n: 0 }]);
    expect(err).toBeInstanceOf(EngramTimeoutError);
  });

  it("import streams: the server gets the first chunk before the source makes the next, as x-ndjson", async () => {
    let gotFirst: () => void = () => undefined;
    const firstArrived = new Promise<void>((r) => {
      gotFirst = r;
    });
    let headers: IncomingMessage["headers"] = {};
    let received = "";
    const f = await fake((req, res) => {
      headers = req.headers;
      req.setEncoding("utf8");
      req.on("data", (d: string) => {
        received += d;
        if (received.includes("\n")) gotFirst();
      });
      req.on("end", () => json(200, { ok: true, complete: true })(req, res));
    });
    async function* source(): AsyncGenerator<string> {
      yield '{"type":"header"}\n';
      // A client that held the body whole would never get here: the server has not seen the first line yet.
      await firstArrived;
      yield '{"type":"end"}\n';
    }
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    const summary = await client.import(source(), { timeoutMs: 5_000 });
    expect(summary).toMatchObject({ ok: true, complete: true });
    expect(received).toBe('{"type":"header"}\n{"type":"end"}\n');
    expect(headers["content-type"]).toBe("application/x-ndjson");
    expect(headers["transfer-encoding"]).toBe("chunked");
  });

  it("import: no timeout by default (the client's does not apply); a call's timeoutMs bounds each wait", async () => {
    const slowAnswer = (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      req.on("end", () => setTimeout(() => json(200, { ok: true })(req, res), 500));
    };
    const f = await fake(slowAnswer);
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k", timeoutMs: 200 });
    expect(await client.import("{}\n")).toEqual({ ok: true });
    const err = await rejection(client.import("{}\n", { timeoutMs: 200 }));
    expect(err).toMatchObject({ code: "timeout", timeoutMs: 200 });
  });

  it("import retries a 503 with a string body, never with a stream (it cannot be sent twice)", async () => {
    const unavailable = json(503, { error: { code: "not_ready", message: "starting", request_id: "r" } });
    const drain =
      (then: (req: IncomingMessage, res: ServerResponse) => void) =>
      (req: IncomingMessage, res: ServerResponse) => {
        req.resume();
        req.on("end", () => then(req, res));
      };
    const f = await fake(drain(unavailable), drain(json(200, { ok: true })));
    const client = new EngramClient({ baseUrl: f.url, apiKey: "k" });
    expect(await client.import("{}\n")).toEqual({ ok: true });
    expect(f.hits).toHaveLength(2);

    const g = await fake(drain(unavailable), drain(json(200, { ok: true })));
    async function* file(): AsyncGenerator<string> {
      yield "{}\n";
    }
    const err = await rejection(new EngramClient({ baseUrl: g.url, apiKey: "k" }).import(file()));
    expect(err).toMatchObject({ status: 503, code: "not_ready" });
    expect(g.hits).toHaveLength(1);
  });
});

describe("the SDK's package surface", () => {
  const dir = resolve(import.meta.dirname, "../src/client");
  const sources = readdirSync(dir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => ({ f, text: readFileSync(join(dir, f), "utf8") }));

  it("needs nothing at run time but its own files and fetch: every other import is `import type`", () => {
    const runtime = sources.flatMap(({ f, text }) =>
      [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)]
        .map((m) => m[1] as string)
        .filter((spec) => !spec.startsWith("./"))
        .map((spec) => `${f}: ${spec}`),
    );
    expect(runtime).toEqual([]);
    expect(sources.filter(({ text }) => /export \*/.test(text)).map(({ f }) => f)).toEqual([]);
  });

  it("is exported as engram/client, with types, from the build", () => {
    const pkg = JSON.parse(readFileSync(resolve(dir, "../../package.json"), "utf8"));
    expect(pkg.exports["./client"]).toEqual({
      types: "./dist/client/index.d.ts",
      import: "./dist/client/index.js",
    });
    expect(pkg.bin.engram).toBe("dist/cli/main.js");
    const build = JSON.parse(readFileSync(resolve(dir, "../../tsconfig.build.json"), "utf8"));
    expect(build.compilerOptions.declaration).toBe(true);
  });
});
