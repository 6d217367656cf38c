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
