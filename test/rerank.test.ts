/** Optional reranking against a fake rerank endpoint on loopback: reorders, explains, degrades on failure, off by default. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "./helpers/backends.js";
import { makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

interface Received {
  query: string;
  documents: string[];
  texts: string[];
  auth: string | undefined;
}

/** Scores a document by whether it mentions "banana"; answers in Cohere's or TEI's shape, or fails on demand. */
function fakeReranker(): Promise<{
  url: string;
  received: Received[];
  mode: { value: "cohere" | "tei" | "fail" };
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const mode = { value: "cohere" as "cohere" | "tei" | "fail" };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      const parsed = JSON.parse(body) as Received;
      received.push({ ...parsed, auth: req.headers.authorization });
      if (mode.value === "fail") {
        res.writeHead(503).end("overloaded");
        return;
      }
      const scores = parsed.documents.map((d) => (d.includes("banana") ? 0.97 : 0.01));
      const payload =
        mode.value === "cohere"
          ? { results: scores.map((s, index) => ({ index, relevance_score: s })) }
          : scores.map((s, index) => ({ index, score: s > 0.5 ? 6 : -6 }));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(payload));
    });
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}/v1/rerank`,
        received,
        mode,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

describe("reranking (pglite)", () => {
  let e: TestEngram;
  let off: TestEngram;
  let fake: Awaited<ReturnType<typeof fakeReranker>>;
  let key: string;

  beforeAll(async () => {
    fake = await fakeReranker();
    // The order under test is the fake reranker's (or, when it fails, that of "apples", the one word only one
    // memory holds, which both sides rank first): the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(
      pgliteBackend,
      {
        ENGRAM_RERANK: "endpoint",
        ENGRAM_RERANK_URL: fake.url,
        ENGRAM_RERANK_MODEL: "fake-rerank",
        ENGRAM_RERANK_API_KEY: "rk-secret",
      },
      { embedder: "words" },
    );
    key = await makeUser(e, uid());
    for (const text of [
      "I like apples a lot",
      "Yellow fruit: banana bread on Sundays",
      "I like fruit in general",
    ]) {
      await e.call("POST", "/v1/memories", { key, body: { text } });
    }
    off = await startEngram(pgliteBackend, {}, { embedder: "words" });
  });
  afterAll(async () => {
    await e?.close();
    await off?.close();
    await fake?.close();
  });

  it("reranks the fused candidates with the endpoint's scores and says so in explain", async () => {
    const res = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "which fruit do I like?", explain: true, limit: 2 },
    });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(2);
    expect(res.body.results[0].text).toBe("Yellow fruit: banana bread on Sundays");
    expect(res.body.results[0].score).toBeCloseTo(0.97);
    expect(res.body.results[0].explain.rerank).toEqual({ rank: 1, score: 0.97 });
    expect(res.body.results[1].score).toBeCloseTo(0.01);
    expect(res.body.results[1].explain.rerank).toEqual({ rank: 2, score: 0.01 });
    const last = fake.received.at(-1);
    expect(last?.query).toBe("which fruit do I like?");
    expect(last?.documents).toHaveLength(3);
    expect(last?.texts).toEqual(last?.documents);
    expect(last?.auth).toBe("Bearer rk-secret");
  });

  it("accepts TEI's answer shape and squashes raw logits into 0..1", async () => {
    const before = fake.received.length;
    fake.mode.value = "tei";
    const res = await e.call("POST", "/v1/memories/search", { key, body: { query: "fruit", explain: true } });
    fake.mode.value = "cohere";
    expect(res.status).toBe(200);
    expect(fake.received.length).toBe(before + 1);
    expect(fake.received.at(-1)?.query).toBe("fruit");
    // The fake answers logits 6 (banana) and -6 (the rest): sigmoid maps them to about 0.9975 and 0.0025.
    expect(res.body.results).toHaveLength(3);
    expect(res.body.results[0].text).toBe("Yellow fruit: banana bread on Sundays");
    res.body.results.forEach((r: { score: number; explain: { rerank: unknown } }, i: number) => {
      const expected = i === 0 ? 1 / (1 + Math.exp(-6)) : 1 / (1 + Math.exp(6));
      expect(r.score).toBeCloseTo(expected, 6);
      expect(r.explain.rerank).toEqual({ rank: i + 1, score: r.score });
      expect(r.score).toBeGreaterThan(0);
      expect(r.score).toBeLessThan(1);
    });
  });

  it("a failing reranker degrades to the fused order instead of failing the search", async () => {
    const fused = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "apples", explain: true, rerank: false },
    });
    const before = fake.received.length;
    fake.mode.value = "fail";
    const res = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "apples", explain: true },
    });
    fake.mode.value = "cohere";
    // The endpoint was asked, and said 503: the degradation, not a skipped call, is what is under test.
    expect(fake.received.length).toBe(before + 1);
    expect(fake.received.at(-1)?.query).toBe("apples");
    expect(res.status).toBe(200);
    expect(res.body.results[0].text).toBe("I like apples a lot");
    expect(res.body.results.map((r: { id: string }) => r.id)).toEqual(
      fused.body.results.map((r: { id: string }) => r.id),
    );
    for (const r of res.body.results) expect(r.explain.rerank).toBeUndefined();
  });

  it("rerank: false skips it for one request; the same request without it is reranked", async () => {
    const before = fake.received.length;
    const skipped = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "apples", rerank: false, explain: true },
    });
    expect(skipped.status).toBe(200);
    expect(fake.received.length).toBe(before);
    expect(skipped.body.results[0].text).toBe("I like apples a lot");
    for (const r of skipped.body.results) expect(r.explain.rerank).toBeUndefined();

    const reranked = await e.call("POST", "/v1/memories/search", {
      key,
      body: { query: "apples", explain: true },
    });
    expect(fake.received.length).toBe(before + 1);
    expect(reranked.body.results[0].text).toBe("Yellow fruit: banana bread on Sundays");
    expect(reranked.body.results[0].explain.rerank).toEqual({ rank: 1, score: 0.97 });
  });

  it("is off by default, and asking for it without a reranker is 422", async () => {
    const k = await makeUser(off, uid());
    await off.call("POST", "/v1/memories", { key: k, body: { text: "banana" } });
    const plain = await off.call("POST", "/v1/memories/search", {
      key: k,
      body: { query: "banana", explain: true },
    });
    expect(plain.status).toBe(200);
    expect(plain.body.results[0].text).toBe("banana");
    expect(plain.body.results[0].explain.rerank).toBeUndefined();
    const asked = await off.call("POST", "/v1/memories/search", {
      key: k,
      body: { query: "banana", rerank: true },
    });
    expect(asked.status).toBe(422);
    expect(asked.body.error.code).toBe("rerank_not_configured");
  });
});
