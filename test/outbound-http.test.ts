/** The outbound HTTP helper against a real loopback server: timeouts, aborts, error bodies, retries, no leaks. */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../src/errors.js";
import { formatMs, OutboundError, requestJson, requestStream, Upstream } from "../src/outbound/http.js";

const SECRET = "sk-outbound-secret-7";
const UPSTREAM_DETAIL = "stack trace of the upstream: db01.internal";

interface Hit {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
let host: string;
let hits: Hit[] = [];
/** /flaky answers 503 this many times before a 200. */
let flakyFailures = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const path = req.url ?? "";
      const body = Buffer.concat(chunks).toString("utf8");
      hits.push({ method: req.method ?? "", path, headers: req.headers, body });
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
        res.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(value));
      switch (path.split("?")[0]) {
        case "/echo":
          return json(200, { method: req.method, body: body ? JSON.parse(body) : null });
        case "/empty":
          return res.writeHead(204).end();
        case "/slow":
          return; // never answers
        case "/error-json":
          return json(500, { error: { code: "boom", message: `${UPSTREAM_DETAIL}, key ${SECRET}` } });
        case "/html":
          return res.writeHead(200, { "content-type": "text/html" }).end(`<html>${UPSTREAM_DETAIL}</html>`);
        case "/flaky":
          if (flakyFailures-- > 0) return json(503, { error: "overloaded" }, { "retry-after": "0" });
          return json(200, { ok: true });
        case "/always-503":
          return json(503, { error: "overloaded" });
        case "/teapot":
          return json(418, { error: "no" });
        case "/stream": {
          // Three lines 150 ms apart: longer than a 250 ms total, never idle for 250 ms.
          res.writeHead(200, { "content-type": "text/event-stream" });
          for (const line of ["data: one\n", "data: two\r\n", "data: three"]) {
            await sleep(150);
            res.write(line);
          }
          return res.end();
        }
        case "/stall":
          res.writeHead(200, { "content-type": "text/event-stream" });
          res.write("data: first\n");
          return; // then nothing
        default:
          return json(404, { error: "no route" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  host = `127.0.0.1:${port}`;
  base = `http://${host}`;
});

beforeEach(() => {
  hits = [];
  flakyFailures = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function outboundError(p: Promise<unknown>): Promise<OutboundError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OutboundError);
  const e = err as OutboundError;
  // The reason is what a caller may be shown: never the upstream's host, URL or body, never the key.
  for (const leak of [host, "127.0.0.1", UPSTREAM_DETAIL, SECRET]) expect(e.reason).not.toContain(leak);
  expect(e.message).not.toContain(SECRET);
  return e;
}

/** For calls that must not time out: a loaded CI machine took over 1 s to answer a loopback request once. */
const AMPLE = 30_000;

describe("requestJson", () => {
  it("sends JSON with the bearer key and returns the parsed answer; GET has no body; 204 is undefined", async () => {
    const out = await requestJson(`${base}/echo`, { json: { a: 1 }, bearer: SECRET, timeoutMs: AMPLE });
    expect(out).toEqual({ method: "POST", body: { a: 1 } });
    expect(hits[0]?.headers).toMatchObject({
      authorization: `Bearer ${SECRET}`,
      "content-type": "application/json",
      accept: "application/json",
    });
    expect(await requestJson(`${base}/echo`, { timeoutMs: AMPLE })).toEqual({ method: "GET", body: null });
    expect(hits[1]?.headers["content-type"]).toBeUndefined();
    expect(hits[1]?.headers.authorization).toBeUndefined();
    expect(await requestJson(`${base}/empty`, { method: "DELETE", timeoutMs: AMPLE })).toBeUndefined();
  });

  it("times out: a clear reason without the host; the URL only in the message for the log", async () => {
    const t0 = performance.now();
    const e = await outboundError(requestJson(`${base}/slow?token=q-secret`, { json: {}, timeoutMs: 200 }));
    expect(performance.now() - t0).toBeLessThan(900);
    expect(e.failure).toBe("timeout");
    expect(e.reason).toBe("timed out after 200 ms");
    expect(e.message).toContain(`POST ${base}/slow timed out after 200 ms`);
    // Query strings can carry keys (Azure's api-key): not even the log gets them.
    expect(e.message).not.toContain("q-secret");
  });

  it("stops when the caller aborts, before or during the call", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 50);
    const t0 = performance.now();
    const e = await outboundError(requestJson(`${base}/slow`, { timeoutMs: 5000, signal: ctl.signal }));
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.failure).toBe("aborted");
    expect(e.reason).toBe("request was cancelled by the caller");
    const early = await outboundError(
      requestJson(`${base}/echo`, { timeoutMs: 5000, signal: AbortSignal.abort() }),
    );
    expect(early.failure).toBe("aborted");
  });

  it("a non-2xx answer with a JSON error body: status and parsed body for the caller's code, detail for the log", async () => {
    const e = await outboundError(
      requestJson(`${base}/error-json`, { json: {}, bearer: SECRET, timeoutMs: AMPLE }),
    );
    expect(e.failure).toBe("status");
    expect(e.status).toBe(500);
    expect(e.statusText).toBe("Internal Server Error");
    expect(e.reason).toBe("returned HTTP 500");
    expect(e.body).toEqual({ error: { code: "boom", message: `${UPSTREAM_DETAIL}, key ${SECRET}` } });
    expect(e.message).toContain(`${base}/error-json returned HTTP 500`);
    expect(e.message).toContain(UPSTREAM_DETAIL);
    expect(e.message).toContain("[redacted]");
    // A logger copying the error's own fields must not copy the body (it may echo the key).
    expect(Object.keys(e)).not.toContain("body");
    expect(JSON.stringify(e)).not.toContain(SECRET);
  });

  it("a 2xx answer that is not JSON is bad_body", async () => {
    const e = await outboundError(requestJson(`${base}/html`, { timeoutMs: AMPLE }));
    expect(e.failure).toBe("bad_body");
    expect(e.reason).toBe("returned invalid JSON");
    expect(e.message).toContain(UPSTREAM_DETAIL);
  });

  it("a refused connection names the error code, not the address", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await outboundError(
      requestJson(`http://127.0.0.1:${port}/x`, {
        timeoutMs: AMPLE,
        retry: { attempts: 2, statuses: [], network: true, delayMs: 10 },
      }),
    );
    expect(e.failure).toBe("network");
    expect(e.reason).toBe("could not be reached (ECONNREFUSED)");
    expect(e.message).toContain(`127.0.0.1:${port}`);
    // No code: the cause's message, when it does not name the host.
    const bad = await outboundError(requestJson("http://127.0.0.1:1/x", { timeoutMs: AMPLE }));
    expect(bad.reason).toBe("could not be reached (bad port)");
  });
});

describe("retries", () => {
  const policy = { attempts: 3, statuses: [429, 503], delayMs: 10 };

  it("retries the listed statuses until an answer succeeds", async () => {
    flakyFailures = 2;
    expect(await requestJson(`${base}/flaky`, { json: { n: 1 }, timeoutMs: AMPLE, retry: policy })).toEqual({
      ok: true,
    });
    expect(hits).toHaveLength(3);
    // Every attempt carries the same body.
    expect(hits.map((h) => h.body)).toEqual(Array(3).fill('{"n":1}'));
  });

  it("gives up after `attempts` and reports the last status", async () => {
    const e = await outboundError(requestJson(`${base}/always-503`, { timeoutMs: AMPLE, retry: policy }));
    expect(e.status).toBe(503);
    expect(hits).toHaveLength(3);
  });

  it("does not retry other statuses, nor without a policy", async () => {
    await outboundError(requestJson(`${base}/teapot`, { timeoutMs: AMPLE, retry: policy }));
    expect(hits).toHaveLength(1);
    flakyFailures = 1;
    expect((await outboundError(requestJson(`${base}/flaky`, { timeoutMs: AMPLE }))).status).toBe(503);
    expect(hits).toHaveLength(2);
  });

  it("a caller's abort ends the pause between attempts", async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 100);
    const slowPolicy = { attempts: 5, statuses: [503], delayMs: 5000, maxDelayMs: 5000 };
    const t0 = performance.now();
    const e = await outboundError(
      requestJson(`${base}/always-503`, { timeoutMs: AMPLE, retry: slowPolicy, signal: ctl.signal }),
    );
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(e.failure).toBe("aborted");
  });
});

describe("requestStream", () => {
  it("reads lines under an idle timeout: a long stream that keeps talking is not cut off", async () => {
    const res = await requestStream(`${base}/stream`, {
      json: {},
      timeoutMs: 250,
      accept: "text/event-stream",
    });
    expect(res.contentType).toBe("text/event-stream");
    const lines: string[] = [];
    for await (const line of res.lines()) lines.push(line);
    expect(lines).toEqual(["data: one", "data: two", "data: three"]);
    expect(hits[0]?.headers.accept).toBe("text/event-stream");
  });

  it("a stalled stream times out while being read", async () => {
    const res = await requestStream(`${base}/stall`, { json: {}, timeoutMs: 200 });
    const lines: string[] = [];
    const e = await outboundError(
      (async () => {
        for await (const line of res.lines()) lines.push(line);
      })(),
    );
    expect(lines).toEqual(["data: first"]);
    expect(e.failure).toBe("timeout");
  });
});

describe("Upstream (the server's calls on behalf of an API caller)", () => {
  const upstream = (path: string, timeoutMs = 1000) =>
    new Upstream({
      url: new URL(`${base}${path}`),
      label: "the LLM endpoint (model m)",
      code: "llm_unavailable",
      bearer: SECRET,
      timeoutMs,
    });

  async function appError(p: Promise<unknown>): Promise<AppError> {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    const e = err as AppError;
    expect(e.code).toBe("llm_unavailable");
    for (const leak of [host, "127.0.0.1", UPSTREAM_DETAIL, SECRET]) expect(e.message).not.toContain(leak);
    return e;
  }

  it("says what failed without the host or body; the cause (logged) has both, never the key", async () => {
    const e500 = await appError(upstream("/error-json").postJson({}));
    expect(e500.message).toBe("the LLM endpoint (model m) returned HTTP 500");
    expect(e500.status).toBe(502);
    const cause = e500.cause as OutboundError;
    expect(cause.message).toContain(`${base}/error-json`);
    expect(cause.message).toContain(UPSTREAM_DETAIL);
    expect(cause.message).not.toContain(SECRET);

    const slow = await appError(upstream("/slow", 30_000).postJson({}, AbortSignal.timeout(100)));
    expect(slow.message).toBe("the LLM endpoint (model m) request was cancelled by the caller");
    const timedOut = await appError(upstream("/slow", 200).postJson({}));
    expect(timedOut.message).toBe("the LLM endpoint (model m) timed out after 200 ms");
    expect((await appError(upstream("/html").postJson({}))).message).toBe(
      "the LLM endpoint (model m) returned invalid JSON",
    );
  });

  it("failure(): the client's own verdict on an answer, with the answer kept for the log", async () => {
    const e = upstream("/echo").failure("returned no choices", `{"detail": "${UPSTREAM_DETAIL} ${SECRET}"}`);
    expect(e.message).toBe("the LLM endpoint (model m) returned no choices");
    const logged = (e.cause as Error).message;
    expect(logged).toContain(`${base}/echo returned no choices`);
    expect(logged).toContain(UPSTREAM_DETAIL);
    expect(logged).not.toContain(SECRET);
  });
});

describe("formatMs", () => {
  it("keeps small values in ms and whole ones in s", () => {
    expect([200, 999, 1000, 1500, 30_000].map(formatMs)).toEqual([
      "200 ms",
      "999 ms",
      "1 s",
      "1.5 s",
      "30 s",
    ]);
  });
});
