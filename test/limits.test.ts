/**
 * Limits and headers (issue #9; docs/security.md, Limits and headers): security headers on every kind of response,
 * CORS off by default and exact when configured, the per-user memory quota (under concurrency, across servers, freed
 * by deletes), the statement timeout answered 503 `timeout` with nothing written, and the Node server's timeouts.
 */
import { createHash } from "node:crypto";
import { connect } from "node:net";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { DbError } from "../src/db/db.js";
import { asAppError } from "../src/errors.js";
import { API_CSP } from "../src/http/security-headers.js";
import { createRuntime, startServer } from "../src/server.js";
import { backends, pgliteBackend } from "./helpers/backends.js";
import { isDecisionCall, isFactsCall, startFakeLlm } from "./helpers/fake-llm.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";
import { wordsEmbedder } from "./helpers/words-embedder.js";

const ALLOWED = "https://app.example.com";
const OTHER = "https://evil.example";

/** The headers every response carries, whatever its route or status. */
function expectSecurityHeaders(h: Headers): void {
  expect(h.get("x-content-type-options")).toBe("nosniff");
  expect(h.get("referrer-policy")).toBe("no-referrer");
  expect(h.get("x-frame-options")).toBe("DENY");
  expect(h.get("cross-origin-resource-policy")).toBe("same-origin");
  expect(h.get("strict-transport-security")).toBeNull();
}

function corsHeaders(h: Headers): string[] {
  return [...h.keys()].filter((k) => k.startsWith("access-control-"));
}

const preflight = (origin: string) => ({
  origin,
  "access-control-request-method": "POST",
  "access-control-request-headers": "authorization, content-type, x-user-id",
});

describe("classification", () => {
  it("a cancelled statement (57014, statement_timeout) is 503 timeout, not 500", () => {
    const err = asAppError(
      new DbError({ code: "57014", message: "canceling statement due to statement timeout" }, "SELECT 1"),
    );
    expect(err.code).toBe("timeout");
    expect(err.status).toBe(503);
  });
});

describe.each(backends)("limits and headers ($name)", (backend) => {
  describe("security headers and CORS off (defaults)", () => {
    let e: TestEngram;
    beforeAll(async () => {
      e = await startEngram(backend, {}, { embedder: "words" });
    });
    afterAll(() => e.close());

    it("JSON, error and not-found answers carry the headers and the API's CSP", async () => {
      const key = await makeUser(e, uid());
      for (const [path, status, opts] of [
        ["/healthz", 200, {}],
        ["/openapi.json", 200, {}],
        ["/v1/me", 200, { key }],
        ["/v1/me", 401, {}],
        ["/v1/no-such-route", 404, { key }],
      ] as const) {
        const res = await e.call("GET", path, opts);
        expect(res.status, path).toBe(status);
        expectSecurityHeaders(res.headers);
        expect(res.headers.get("content-security-policy"), path).toBe(API_CSP);
      }
      const bad = await e.call("POST", "/v1/memories", { key, raw: "{not json" });
      expect(bad.status).toBe(400);
      expectSecurityHeaders(bad.headers);
      expect(bad.headers.get("content-security-policy")).toBe(API_CSP);
    });

    it("/docs sets its own CSP: the CDN's script and style, its inline bootstrap by hash, no unsafe-eval", async () => {
      const res = await e.call("GET", "/docs");
      expect(res.status).toBe(200);
      expectSecurityHeaders(res.headers);
      const csp = res.headers.get("content-security-policy") ?? "";
      expect(csp).not.toBe(API_CSP);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain("unsafe-eval");
      const html = res.body as string;
      const inline = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] ?? "");
      expect(inline.length).toBe(1);
      const hash = createHash("sha256")
        .update(inline[0] ?? "")
        .digest("base64");
      const scriptSrc = csp.split("; ").find((d) => d.startsWith("script-src ")) ?? "";
      expect(scriptSrc).toContain(`'sha256-${hash}'`);
      expect(scriptSrc).not.toContain("unsafe-inline");
      // Every external script and stylesheet the page loads is allowed by the policy.
      for (const m of html.matchAll(/(?:src|href)="(https:\/\/[^/"]+)/g)) expect(csp).toContain(m[1]);
      expect(html).toContain("validatorUrl: 'none'");
    });

    it("no Access-Control-* header anywhere, preflight included", async () => {
      const key = await makeUser(e, uid());
      for (const path of ["/v1/memories", "/api/v1/memories", "/mcp"]) {
        const pre = await e.call("OPTIONS", path, { headers: { ...preflight(ALLOWED), host: "localhost" } });
        expect(pre.status, path).not.toBe(204);
        expect(corsHeaders(pre.headers), path).toEqual([]);
      }
      const res = await e.call("GET", "/v1/me", { key, headers: { origin: ALLOWED } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res.headers)).toEqual([]);
    });
  });

  describe("CORS with ENGRAM_CORS_ORIGINS", () => {
    let e: TestEngram;
    beforeAll(async () => {
      e = await startEngram(
        backend,
        { ENGRAM_CORS_ORIGINS: `${ALLOWED}, http://localhost:5173` },
        { embedder: "words" },
      );
    });
    afterAll(() => e.close());

    it("a preflight from a configured origin is allowed on /v1, /api/v1 and /mcp, exactly and without credentials", async () => {
      for (const path of ["/v1/memories", "/api/v1/memories", "/mcp"]) {
        const res = await e.call("OPTIONS", path, { headers: preflight(ALLOWED) });
        expect(res.status, path).toBe(204);
        expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
        expect(res.headers.get("access-control-allow-credentials")).toBeNull();
        const allowed = (res.headers.get("access-control-allow-headers") ?? "").toLowerCase().split(", ");
        for (const h of [
          "authorization",
          "x-api-key",
          "x-user-id",
          "x-muxi-user-id",
          "x-tenant-id",
          "x-request-id",
          "content-type",
        ]) {
          expect(allowed, h).toContain(h);
        }
        expect(res.headers.get("access-control-allow-methods")).toContain("POST");
        expect(res.headers.get("vary")).toContain("Origin");
        expectSecurityHeaders(res.headers);
      }
    });

    it("actual requests from it get the origin and the exposed headers, errors included", async () => {
      const key = await makeUser(e, uid());
      const ok = await e.call("GET", "/v1/me", { key, headers: { origin: ALLOWED } });
      expect(ok.status).toBe(200);
      expect(ok.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(ok.headers.get("access-control-expose-headers")).toBe("X-Request-Id, Retry-After");
      const denied = await e.call("GET", "/v1/me", { headers: { origin: ALLOWED } });
      expect(denied.status).toBe(401);
      expect(denied.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    });

    it("another origin (or none) gets no Access-Control-* header, and its preflight is not answered", async () => {
      const key = await makeUser(e, uid());
      for (const origin of [
        OTHER,
        "https://app.example.com.evil.example",
        "http://app.example.com",
        "null",
      ]) {
        const pre = await e.call("OPTIONS", "/v1/memories", { headers: preflight(origin) });
        expect(pre.status, origin).not.toBe(204);
        expect(corsHeaders(pre.headers), origin).toEqual([]);
        const res = await e.call("GET", "/v1/me", { key, headers: { origin } });
        expect(res.status).toBe(200);
        expect(corsHeaders(res.headers), origin).toEqual([]);
        expect(res.headers.get("vary")).toContain("Origin");
      }
      const plain = await e.call("GET", "/v1/me", { key });
      expect(corsHeaders(plain.headers)).toEqual([]);
      // Routes outside the API faces never get CORS.
      const health = await e.call("GET", "/healthz", { headers: { origin: ALLOWED } });
      expect(corsHeaders(health.headers)).toEqual([]);
    });

    it("/mcp's Origin check accepts a configured CORS origin and still refuses others", async () => {
      const key = await makeUser(e, uid());
      const mcp = (origin: string) =>
        e.call("POST", "/mcp", {
          key,
          headers: {
            host: `localhost:${e.config.port}`,
            origin,
            accept: "application/json, text/event-stream",
          },
          body: { jsonrpc: "2.0", id: 1, method: "tools/list" },
        });
      const allowed = await mcp(ALLOWED);
      expect(allowed.status, JSON.stringify(allowed.body)).toBe(200);
      expect(allowed.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      const other = await mcp(OTHER);
      expect(other.status).toBe(403);
      expect(other.body.error.field).toBe("Origin");
    });
  });

  describe("memory quota", () => {
    let e: TestEngram;
    beforeAll(async () => {
      e = await startEngram(backend, { ENGRAM_MEMORY_QUOTA: "5" }, { embedder: "words" });
    });
    afterAll(() => e.close());

    async function count(key: string): Promise<number> {
      const res = await e.call("GET", "/v1/memories?limit=100", { key });
      expect(res.status).toBe(200);
      return res.body.memories.length;
    }

    it("refuses the 6th add with 403 quota_exceeded naming the limit; identical adds and deletes behave", async () => {
      const key = await makeUser(e, uid());
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await e.call("POST", "/v1/memories", { key, body: { text: `fact number ${i}` } });
        expect(res.status).toBe(201);
        ids.push(res.body.id);
      }
      const over = await e.call("POST", "/v1/memories", { key, body: { text: "one too many" } });
      expect(over.status).toBe(403);
      expect(over.body.error.code).toBe("quota_exceeded");
      expect(over.body.error.message).toContain("5");
      // The OpenMemory face goes through the same add.
      const om = await e.call("POST", "/api/v1/memories", { key, body: { text: "via openmemory" } });
      expect(om.status).toBe(403);
      expect(om.body.error.code).toBe("quota_exceeded");
      // An identical memory is returned (200), not refused: nothing new would be stored.
      const same = await e.call("POST", "/v1/memories", { key, body: { text: "  Fact   number 0 " } });
      expect(same.status).toBe(200);
      expect(same.body.id).toBe(ids[0]);
      // A delete frees room for exactly one.
      expect((await e.call("DELETE", `/v1/memories/${ids[1]}`, { key })).status).toBe(200);
      expect((await e.call("POST", "/v1/memories", { key, body: { text: "room again" } })).status).toBe(201);
      expect((await e.call("POST", "/v1/memories", { key, body: { text: "and full again" } })).status).toBe(
        403,
      );
      expect(await count(key)).toBe(5);
      // Another user has a quota of its own.
      const other = await makeUser(e, uid());
      expect(
        (await e.call("POST", "/v1/memories", { key: other, body: { text: "fact number 0" } })).status,
      ).toBe(201);
    });

    it("20 concurrent adds with a quota of 5 store exactly 5", async () => {
      const key = await makeUser(e, uid());
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          e.call("POST", "/v1/memories", { key, body: { text: `parallel fact ${i}` } }),
        ),
      );
      const statuses = results.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 201)).toHaveLength(5);
      expect(statuses.filter((s) => s === 403)).toHaveLength(15);
      for (const r of results) if (r.status === 403) expect(r.body.error.code).toBe("quota_exceeded");
      expect(await count(key)).toBe(5);
    });

    it.runIf(backend.name === "postgres")("two servers on one database share the quota", async () => {
      // PGlite's data dir is one process's: only PostgreSQL is shared by servers.
      const second = await createRuntime(e.config, pino({ level: "silent" }), { embedder: wordsEmbedder() });
      try {
        const key = await makeUser(e, uid());
        const send = (app: typeof second.app, i: number) =>
          app.request("/v1/memories", {
            method: "POST",
            headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
            body: JSON.stringify({ text: `two servers fact ${i}` }),
          });
        const results = await Promise.all(
          Array.from({ length: 16 }, (_, i) => send(i % 2 === 0 ? e.runtime.app : second.app, i)),
        );
        expect(results.filter((r) => r.status === 201)).toHaveLength(5);
        expect(results.filter((r) => r.status === 403)).toHaveLength(11);
        expect(await count(key)).toBe(5);
      } finally {
        await second.close();
      }
    });
  });

  it("chat with an LLM at the quota keeps its reply and reports the refusal in extraction_error", async () => {
    const fake = await startFakeLlm();
    const e = await startEngram(
      backend,
      { ENGRAM_MEMORY_QUOTA: "1", ENGRAM_LLM_URL: fake.url, ENGRAM_LLM_MODEL: "fake" },
      { embedder: "words" },
    );
    try {
      const key = await makeUser(e, uid());
      expect((await e.call("POST", "/v1/memories", { key, body: { text: "I like tea" } })).status).toBe(201);
      fake.fallback((req) => {
        if (isFactsCall(req)) return JSON.stringify({ facts: ["I live in Paris"] });
        if (isDecisionCall(req))
          return JSON.stringify({ memory: [{ event: "ADD", text: "I live in Paris" }] });
        return "Noted.";
      });
      const res = await e.call("POST", "/v1/chat", { key, body: { message: "I live in Paris" } });
      expect(res.status).toBe(200);
      expect(res.body.reply).toBe("Noted.");
      expect(res.body.extraction_error).toContain("quota");
      const session = await e.call("GET", `/v1/sessions/${res.body.session_id}`, { key });
      expect(session.body.messages.map((m: { role: string }) => m.role)).toEqual(["user", "assistant"]);
    } finally {
      await e.close();
      await fake.close();
    }
  });

  it("with no quota (the default) adds are not counted", async () => {
    const e = await startEngram(backend, {}, { embedder: "words" });
    try {
      expect(e.config.limits.memoryQuota).toBe(0);
      const key = await makeUser(e, uid());
      for (let i = 0; i < 8; i++) {
        expect((await e.call("POST", "/v1/memories", { key, body: { text: `unlimited ${i}` } })).status).toBe(
          201,
        );
      }
    } finally {
      await e.close();
    }
  });

  describe("statement timeout", () => {
    // PGlite accepts SET statement_timeout but never fires it: it is one PostgreSQL session in WASM on Node's own
    // thread, with no timer to interrupt a running statement (measured: pg_sleep(1) under a 100 ms timeout returned
    // after 1 s). So this is PostgreSQL's; on PGlite the setting is not even sent.
    it.runIf(backend.name === "postgres")(
      "a statement past ENGRAM_STATEMENT_TIMEOUT_MS answers 503 timeout and writes nothing",
      async () => {
        const e = await startEngram(backend, { ENGRAM_STATEMENT_TIMEOUT_MS: "300" }, { embedder: "words" });
        const database = e.config.database;
        if (database.kind !== "postgres") throw new Error("expected PostgreSQL");
        const blocker = new pg.Client({ connectionString: database.url });
        await blocker.connect();
        try {
          const key = await makeUser(e, uid());
          expect(
            (await e.call("POST", "/v1/memories", { key, body: { text: "before the lock" } })).status,
          ).toBe(201);
          // Another session holds a lock that lets reads through and blocks every insert: the add's INSERT waits,
          // honestly slow, until statement_timeout cancels it.
          await blocker.query("BEGIN; LOCK TABLE memories IN EXCLUSIVE MODE");
          const t0 = performance.now();
          const res = await e.call("POST", "/v1/memories", { key, body: { text: "while locked" } });
          const ms = performance.now() - t0;
          expect(res.status).toBe(503);
          expect(res.body.error.code).toBe("timeout");
          expect(ms).toBeGreaterThanOrEqual(250);
          expect(ms).toBeLessThan(10_000);
          await blocker.query("ROLLBACK");
          const list = await e.call("GET", "/v1/memories", { key });
          expect(list.body.memories.map((m: { text: string }) => m.text)).toEqual(["before the lock"]);
          // The same request succeeds once nothing blocks it.
          expect((await e.call("POST", "/v1/memories", { key, body: { text: "while locked" } })).status).toBe(
            201,
          );
        } finally {
          await blocker.end();
          await e.close();
        }
      },
    );
  });
});

describe("Node server timeouts", () => {
  it("defaults, configured values, and a client that never finishes its headers gets 408", async () => {
    const db = await pgliteBackend.create();
    const config = loadConfig(
      {
        ...db.env,
        ENGRAM_PORT: "0",
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        ENGRAM_LOG_LEVEL: "silent",
        ENGRAM_HEADERS_TIMEOUT_MS: "1000",
        ENGRAM_REQUEST_TIMEOUT_MS: "1500",
        ENGRAM_KEEP_ALIVE_TIMEOUT_MS: "7000",
      },
      "/nonexistent",
    );
    expect(loadConfig({}, "/nonexistent").serverTimeouts).toEqual({
      headersMs: 20_000,
      requestMs: 60_000,
      keepAliveMs: 65_000,
    });
    const running = await startServer(config, pino({ level: "silent" }), { embedder: wordsEmbedder() });
    try {
      expect(running.server.headersTimeout).toBe(1000);
      expect(running.server.requestTimeout).toBe(1500);
      expect(running.server.keepAliveTimeout).toBe(7000);
      const { port } = new URL(running.url);
      // A slow client: a request line and one header, then nothing.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\n");
        });
        let text = "";
        socket.on("data", (d) => {
          text += d.toString();
        });
        socket.on("close", () => resolve(text));
        socket.on("error", reject);
        socket.setTimeout(15_000, () =>
          socket.destroy(new Error("the server never closed a stalled request")),
        );
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
    } finally {
      await running.stop();
      await db.drop();
    }
  });
});
