/**
 * Rate limits (src/http/rate-limit.ts, docs/security.md): failed authentication per client address under a
 * concurrent brute force, through real HTTP servers on loopback whose clients bind 127.0.0.x addresses; requests per
 * key; windows that pass; two servers on one database sharing the counts; health never limited. Both backends.
 */
import { Agent, request as httpRequest } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { createApp } from "../src/http/app.js";
import type { App } from "../src/http/context.js";
import { addressBucket } from "../src/http/rate-limit.js";
import { createRuntime, type Runtime } from "../src/server.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";
import { wordsEmbedder } from "./helpers/words-embedder.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

const agents = new Map<string, Agent>();
/** One keep-alive agent per source address, so 50 requests in flight reuse their sockets. */
function agentFor(from: string): Agent {
  let a = agents.get(from);
  if (!a) {
    a = new Agent({ keepAlive: true, maxSockets: 64 });
    agents.set(from, a);
  }
  return a;
}

/** One request over real HTTP from the loopback address `from` (127.0.0.0/8 is all local on Linux). */
function send(
  base: string,
  from: string,
  method: string,
  path: string,
  opts: { key?: string; headers?: Record<string, string>; body?: unknown } = {},
): Promise<Reply> {
  const url = new URL(path, base);
  const body = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        localAddress: from,
        agent: agentFor(from),
        headers: {
          ...(opts.key !== undefined ? { authorization: `Bearer ${opts.key}` } : {}),
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d: string) => {
          text += d;
        });
        res.on("end", () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** Runs `fn(i)` for i in [0, n) with at most `concurrency` in flight. */
async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const i = next++;
        out[i] = await fn(i);
      }
    }),
  );
  return out;
}

const servers: ServerType[] = [];
async function listen(app: App): Promise<string> {
  const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port: 0 });
  servers.push(server);
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(async () => {
  for (const s of servers) await new Promise<void>((resolve) => s.close(() => resolve()));
  for (const a of agents.values()) a.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function expectRateLimited(r: Reply, maxSeconds: number): void {
  expect(r.status).toBe(429);
  expect(r.body.error.code).toBe("rate_limited");
  expect(r.body.error.message).toMatch(/retry in \d+ s \(after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)/);
  const retry = Number(r.headers["retry-after"]);
  expect(Number.isInteger(retry)).toBe(true);
  expect(retry).toBeGreaterThanOrEqual(1);
  expect(retry).toBeLessThanOrEqual(maxSeconds);
}

describe("addressBucket", () => {
  it("counts IPv4 as itself and IPv6 by its /64", () => {
    expect(addressBucket("127.0.0.2")).toBe("127.0.0.2");
    expect(addressBucket("::ffff:10.1.2.3")).toBe("10.1.2.3");
    expect(addressBucket("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("2001:DB8:1:2::ff")).toBe("2001:db8:1:2::/64");
    expect(addressBucket("[2001:db8::1]")).toBe("2001:db8:0:0::/64");
    expect(addressBucket("::1")).toBe("0:0:0:0::/64");
  });
});

describe("rate-limit settings", () => {
  it("have defaults, take 0 for off, and read trust_proxy as a hop count or a boolean", () => {
    expect(loadConfig({}, "/nonexistent").rateLimits).toEqual({
      perKey: 600,
      failedAuth: 30,
      windowSeconds: 60,
    });
    const c = loadConfig(
      { ENGRAM_RATE_LIMIT_PER_KEY: "0", ENGRAM_RATE_LIMIT_FAILED_AUTH: "5", ENGRAM_RATE_LIMIT_WINDOW: "2" },
      "/nonexistent",
    );
    expect(c.rateLimits).toEqual({ perKey: 0, failedAuth: 5, windowSeconds: 2 });
    expect(loadConfig({}, "/nonexistent").trustProxy).toBe(0);
    expect(loadConfig({ ENGRAM_TRUST_PROXY: "true" }, "/nonexistent").trustProxy).toBe(1);
    expect(loadConfig({ ENGRAM_TRUST_PROXY: "false" }, "/nonexistent").trustProxy).toBe(0);
    expect(loadConfig({ ENGRAM_TRUST_PROXY: "2" }, "/nonexistent").trustProxy).toBe(2);
    expect(() => loadConfig({ ENGRAM_TRUST_PROXY: "-1" }, "/nonexistent")).toThrow(/ENGRAM_TRUST_PROXY/);
    expect(() => loadConfig({ ENGRAM_RATE_LIMIT_WINDOW: "0" }, "/nonexistent")).toThrow(
      /ENGRAM_RATE_LIMIT_WINDOW/,
    );
  });
});

describe.each(backends)("rate limits ($name)", (backend) => {
  const opened: TestEngram[] = [];
  afterAll(async () => {
    for (const e of opened) await e.close();
  });

  async function start(env: Record<string, string>): Promise<TestEngram> {
    const e = await startEngram(backend, env, { embedder: "words" });
    opened.push(e);
    return e;
  }

  it("a brute force from one address: 2,000 wrong keys, 50 in flight, get exactly the limit of 401s, then 429 with Retry-After; another address is unaffected", async () => {
    const LIMIT = 20;
    const e = await start({ ENGRAM_RATE_LIMIT_FAILED_AUTH: String(LIMIT) });
    const key = await makeUser(e, uid("rl"));
    const url = await listen(e.runtime.app);
    const attacker = "127.0.0.2";
    // Every way to fail: a wrong key of each kind, no key, a malformed header, on /v1, /api/v1, /mcp and the login.
    const attempt = (i: number): Promise<Reply> => {
      const wrong = `ek_user_${String(i).padStart(32, "x")}`;
      switch (i % 6) {
        case 0:
          return send(url, attacker, "GET", "/v1/me", { key: wrong });
        case 1:
          return send(url, attacker, "GET", "/v1/memories", { headers: { "x-api-key": wrong } });
        case 2:
          return send(url, attacker, "GET", "/v1/me");
        case 3:
          return send(url, attacker, "GET", "/api/v1/memories/", { headers: { authorization: "Basic abc" } });
        case 4:
          return send(url, attacker, "POST", "/api/v1/auth/login", { body: { api_key: wrong } });
        default:
          return send(url, attacker, "POST", "/mcp", {
            key: wrong,
            headers: { accept: "application/json, text/event-stream" },
            body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
          });
      }
    };
    const replies = await pool(2000, 50, attempt);
    const statuses = new Map<number, number>();
    for (const r of replies) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    // Counting is atomic in the database: exactly LIMIT failures are answered 401, whatever the interleaving.
    expect(Object.fromEntries(statuses)).toEqual({ 401: LIMIT, 429: 2000 - LIMIT });
    for (const r of replies.filter((x) => x.status === 429)) expectRateLimited(r, 60);

    // The same address is refused even with a valid key until the window passes (a guesser learns nothing)...
    expectRateLimited(await send(url, attacker, "GET", "/v1/me", { key }), 60);
    // ...but health is never limited, and a valid key from another address works.
    expect((await send(url, attacker, "GET", "/healthz")).status).toBe(200);
    expect((await send(url, attacker, "GET", "/readyz")).status).toBe(200);
    const me = await send(url, "127.0.0.1", "GET", "/v1/me", { key });
    expect(me.status).toBe(200);
    // And another address's wrong key is a plain 401, not caught up in the first address's block.
    expect((await send(url, "127.0.0.3", "GET", "/v1/me", { key: "ek_user_nope" })).status).toBe(401);

    // On PostgreSQL the counters table holds a row per bucket, not one per attempt; PGlite, one process's store,
    // counts in that process's memory and writes none.
    const rows = await e.runtime.services.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM engram_rate_limits",
    );
    if (backend.name === "pglite") expect(rows[0]?.n).toBe(0);
    else expect(rows[0]?.n).toBeLessThanOrEqual(4);
  });

  it("per key: the request after the limit is 429, another key is unaffected, and the window passes", async () => {
    const LIMIT = 10;
    const e = await start({
      ENGRAM_RATE_LIMIT_PER_KEY: String(LIMIT),
      // Long enough that 50 requests on a loaded 2-core machine fit in one window (at 2 s they once did not).
      ENGRAM_RATE_LIMIT_WINDOW: "5",
      // The admin key sets up the users; it has its own bucket.
    });
    const a = await makeUser(e, uid("rla"));
    const b = await makeUser(e, uid("rlb"));
    const url = await listen(e.runtime.app);
    const me = (key: string) => send(url, "127.0.0.1", "GET", "/v1/me", { key });
    // 50 in flight with one key: exactly LIMIT pass.
    const first = await Promise.all(Array.from({ length: 50 }, () => me(a)));
    expect(first.filter((r) => r.status === 200)).toHaveLength(LIMIT);
    const refused = first.filter((r) => r.status === 429);
    expect(refused).toHaveLength(50 - LIMIT);
    for (const r of refused) {
      expectRateLimited(r, 5);
      expect(r.body.error.message).toMatch(/limit is 10 per 5 s; retry in [1-5] s/);
    }
    // The other key has its own count; health is not counted at all.
    expect((await me(b)).status).toBe(200);
    expect((await send(url, "127.0.0.1", "GET", "/healthz")).status).toBe(200);
    // Every face: /api/v1 and /mcp answer 429 for the exhausted key too.
    expect((await send(url, "127.0.0.1", "GET", "/api/v1/memories/", { key: a })).status).toBe(429);
    const mcp = await send(url, "127.0.0.1", "POST", "/mcp", {
      key: a,
      headers: { accept: "application/json, text/event-stream" },
      body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
    });
    expect(mcp.status).toBe(429);
    // In-process requests (no socket, no client address) are not limited: the rest of the suite runs that way.
    expect((await e.call("GET", "/v1/me", { key: a })).status).toBe(200);

    await sleep(Number(refused[0]?.headers["retry-after"]) * 1000 + 100);
    expect((await me(a)).status).toBe(200);
  });

  it("the admin key is not limited per key", async () => {
    const e = await start({ ENGRAM_RATE_LIMIT_PER_KEY: "2" });
    const url = await listen(e.runtime.app);
    for (let i = 0; i < 6; i++) {
      expect((await send(url, "127.0.0.1", "GET", "/v1/me", { key: ADMIN_KEY })).status).toBe(200);
    }
  });

  it("failed authentication: the window passes, and X-Forwarded-For counts only with ENGRAM_TRUST_PROXY", async () => {
    const e = await start({
      ENGRAM_RATE_LIMIT_FAILED_AUTH: "3",
      ENGRAM_RATE_LIMIT_WINDOW: "2",
      ENGRAM_TRUST_PROXY: "1",
    });
    const key = await makeUser(e, uid("rlw"));
    const url = await listen(e.runtime.app);
    const from = "127.0.0.4";
    const fail = (xff?: string) =>
      send(url, from, "GET", "/v1/me", {
        key: "ek_user_wrong",
        ...(xff ? { headers: { "x-forwarded-for": xff } } : {}),
      });
    // Behind the (trusted) proxy at 127.0.0.4: the client is the last X-Forwarded-For entry, not whatever the client
    // put before it.
    for (let i = 0; i < 3; i++) expect((await fail(`6.6.6.${i}, 10.0.0.1`)).status).toBe(401);
    const blocked = await fail("10.0.0.1");
    expectRateLimited(blocked, 2);
    expect((await fail("10.0.0.2")).status).toBe(401);
    // The proxy's own address is not blocked by its clients' failures.
    expect((await send(url, from, "GET", "/v1/me", { key })).status).toBe(200);

    await sleep(Number(blocked.headers["retry-after"]) * 1000 + 100);
    expect((await fail("10.0.0.1")).status).toBe(401);
    expect(
      (await send(url, from, "GET", "/v1/me", { key, headers: { "x-forwarded-for": "10.0.0.1" } })).status,
    ).toBe(200);
  });

  it("without ENGRAM_TRUST_PROXY, X-Forwarded-For is ignored: the socket's address is counted", async () => {
    const e = await start({ ENGRAM_RATE_LIMIT_FAILED_AUTH: "2" });
    const url = await listen(e.runtime.app);
    const from = "127.0.0.5";
    for (let i = 0; i < 2; i++) {
      const r = await send(url, from, "GET", "/v1/me", { headers: { "x-forwarded-for": `9.9.9.${i}` } });
      expect(r.status).toBe(401);
    }
    expectRateLimited(
      await send(url, from, "GET", "/v1/me", { headers: { "x-forwarded-for": "9.9.9.9" } }),
      60,
    );
  });

  it("two servers on one database share the counts", async () => {
    const LIMIT = 20;
    const env = { ENGRAM_RATE_LIMIT_PER_KEY: String(LIMIT), ENGRAM_RATE_LIMIT_FAILED_AUTH: "10" };
    const e = await start(env);
    const key = await makeUser(e, uid("rl2"));
    // A second server: its own runtime (pool, limiter) on the same PostgreSQL database. PGlite is one process's
    // store, so there the second server is a second app (its own limiter) on the same store.
    let second: Runtime | undefined;
    let app2: App;
    if (e.config.database.kind === "postgres") {
      const config = loadConfig(
        {
          ENGRAM_ADMIN_KEY: ADMIN_KEY,
          ENGRAM_LOG_LEVEL: "silent",
          ENGRAM_DATABASE_URL: e.config.database.url,
          ...env,
        },
        "/nonexistent",
      );
      second = await createRuntime(config, pino({ level: "silent" }), { embedder: wordsEmbedder() });
      app2 = second.app;
    } else {
      app2 = createApp(e.runtime.services);
    }
    try {
      const urls = [await listen(e.runtime.app), await listen(app2)];
      // Per key: requests alternate between the servers, 8 in flight; the total that passes is the limit.
      const replies = await pool(60, 8, (i) =>
        send(urls[i % 2] as string, "127.0.0.1", "GET", "/v1/me", { key }),
      );
      expect(replies.filter((r) => r.status === 200)).toHaveLength(LIMIT);
      expect(replies.filter((r) => r.status === 429)).toHaveLength(60 - LIMIT);
      for (const url of urls) expectRateLimited(await send(url, "127.0.0.1", "GET", "/v1/me", { key }), 60);

      // Failed authentication from one address, split across both: the 11th failure overall is the first 429.
      const from = "127.0.0.6";
      for (let i = 0; i < 10; i++) {
        expect(
          (await send(urls[i % 2] as string, from, "GET", "/v1/me", { key: "ek_user_bad" })).status,
        ).toBe(401);
      }
      for (const url of urls) {
        expectRateLimited(await send(url, from, "GET", "/v1/me", { key: "ek_user_bad" }), 60);
      }
    } finally {
      await second?.close();
    }
  });
});
