// Tests for the OpenAI-compatible embedder against a real fake /v1/embeddings server on 127.0.0.1.
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingsConfig } from "../src/config/config.js";
import { createEmbedder } from "../src/embeddings/create-embedder.js";
import { createOpenAIEmbedder, embeddingsEndpoint } from "../src/embeddings/openai-embedder.js";
import { normalize } from "../src/embeddings/vector.js";
import { AppError } from "../src/errors.js";

const API_KEY = "sk-test-secret-123";
/** On whose behalf the tests embed when whose it is does not matter: one user. */
const SCOPE = { scope: "usr_tests" };

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: { model?: string; input?: string[]; dimensions?: number };
}

/** Deterministic raw vector for a text: what the fake server returns, before the client normalises it. */
function fakeVector(text: string, dims: number): number[] {
  let h = 7;
  for (const ch of text) h = (h * 31 + (ch.codePointAt(0) ?? 0)) % 1_000_003;
  return Array.from({ length: dims }, (_, i) => ((h * (i + 3)) % 97) - 40 + i * 0.5);
}

/**
 * The first path segment picks the behaviour: /ok, /fail500, /slow, /badjson, /wrongcount, /ignoredims.
 * Entries come back in reverse order so the client's sort by `index` is exercised.
 */
function handle(mode: string, body: Received["body"], respond: (status: number, text: string) => void): void {
  const input = body.input ?? [];
  const dims = mode === "ignoredims" ? 6 : (body.dimensions ?? 6);
  const data = input
    .map((text, index) => ({ object: "embedding", index, embedding: fakeVector(text, dims) }))
    .reverse();
  switch (mode) {
    case "fail500":
      respond(500, JSON.stringify({ error: { message: `internal failure for key ${API_KEY}` } }));
      return;
    case "slow":
      return; // never answers
    case "badjson":
      respond(200, "{not json");
      return;
    case "wrongcount":
      respond(200, JSON.stringify({ object: "list", data: data.slice(1) }));
      return;
    default:
      respond(
        200,
        JSON.stringify({
          object: "list",
          data,
          model: body.model,
          usage: { prompt_tokens: 1, total_tokens: 1 },
        }),
      );
  }
}

let server: Server;
let base: string;
let received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as Received["body"];
      received.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers, body });
      const mode = (req.url ?? "").split("/")[1] ?? "";
      handle(mode === "v1" ? "ok" : mode, body, (status, text) => {
        res.writeHead(status, { "content-type": "application/json" }).end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received = [];
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function config(over: Partial<EmbeddingsConfig> = {}): EmbeddingsConfig {
  return {
    provider: "openai",
    url: `${base}/ok/v1`,
    model: "test-model",
    apiKey: API_KEY,
    batchSize: 3,
    cacheSize: 10,
    ...over,
  };
}

async function expectUnavailable(promise: Promise<unknown>, message: RegExp): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const appError = err as AppError;
  expect(appError.code).toBe("embeddings_unavailable");
  expect(appError.message).toMatch(message);
  expect(appError.message).not.toContain(API_KEY);
  // The message can reach an API caller: the endpoint's address stays in the logged cause.
  expect(appError.message).not.toContain("127.0.0.1");
  return appError;
}

describe("embeddingsEndpoint", () => {
  it("maps base URLs to one /embeddings endpoint", () => {
    const cases: Array<[string, string]> = [
      ["http://localhost:11434", "http://localhost:11434/v1/embeddings"],
      ["http://localhost:11434/", "http://localhost:11434/v1/embeddings"],
      ["http://localhost:11434/v1", "http://localhost:11434/v1/embeddings"],
      ["http://localhost:11434/v1/", "http://localhost:11434/v1/embeddings"],
      ["https://api.openai.com/v1/embeddings", "https://api.openai.com/v1/embeddings"],
      [
        "https://generativelanguage.googleapis.com/v1beta/openai/",
        "https://generativelanguage.googleapis.com/v1beta/openai/embeddings",
      ],
      [
        "https://x.example/openai/v1?api-version=2024",
        "https://x.example/openai/v1/embeddings?api-version=2024",
      ],
    ];
    for (const [input, expected] of cases) expect(embeddingsEndpoint(input).href).toBe(expected);
  });
});

describe("OpenAI-compatible embedder", () => {
  it("learns the dimensions from one probe request and sends the expected body and headers", async () => {
    const e = await createEmbedder(config());
    try {
      expect(e.dimensions).toBe(6);
      expect(e.model).toBe("openai:test-model:6");
      expect(received).toHaveLength(1);
      const probe = received[0];
      expect(probe?.method).toBe("POST");
      expect(probe?.url).toBe("/ok/v1/embeddings");
      expect(probe?.headers.authorization).toBe(`Bearer ${API_KEY}`);
      expect(probe?.headers["content-type"]).toBe("application/json");
      expect(probe?.body).toEqual({ model: "test-model", input: ["dimension probe"] });
    } finally {
      await e.close();
    }
  });

  it("accepts a bare host URL and sends no Authorization header without a key", async () => {
    const e = await createOpenAIEmbedder({ ...config({ url: base, dimensions: 4 }), apiKey: undefined });
    try {
      const [v] = await e.embed(["hello"], SCOPE);
      expect(v).toHaveLength(4);
      expect(received[0]?.url).toBe("/v1/embeddings");
      expect(received[0]?.headers.authorization).toBeUndefined();
    } finally {
      await e.close();
    }
  });

  it("sends configured dimensions and does not probe", async () => {
    const e = await createOpenAIEmbedder(config({ dimensions: 4 }));
    try {
      expect(received).toHaveLength(0);
      expect(e.dimensions).toBe(4);
      expect(e.model).toBe("openai:test-model:4");
      await e.embed(["x"], SCOPE);
      expect(received[0]?.body).toEqual({ model: "test-model", input: ["x"], dimensions: 4 });
    } finally {
      await e.close();
    }
  });

  it("splits documents into batches of batchSize and returns unit vectors in input order", async () => {
    const e = await createOpenAIEmbedder(config({ dimensions: 5 }));
    try {
      const texts = ["a", "b", "c", "d", "e", "f", "g"];
      const vectors = await e.embed(texts, SCOPE);
      expect(received.map((r) => r.body.input)).toEqual([["a", "b", "c"], ["d", "e", "f"], ["g"]]);
      expect(vectors).toEqual(texts.map((t) => normalize(fakeVector(t, 5))));
      expect(e.stats()).toMatchObject({ texts: 7, batches: 3 });
    } finally {
      await e.close();
    }
  });

  it("caches queries: a repeated query makes no second request", async () => {
    const e = await createOpenAIEmbedder(config({ dimensions: 4 }));
    try {
      const [first, second] = await Promise.all([
        e.embedQuery("where do I live?", SCOPE),
        e.embedQuery("where do I live?", SCOPE),
      ]);
      const third = await e.embedQuery("where do I live?", SCOPE);
      expect(first).toEqual(normalize(fakeVector("where do I live?", 4)));
      expect(second).toEqual(first);
      expect(third).toEqual(first);
      expect(received).toHaveLength(1);
      expect(e.stats()).toMatchObject({ cacheHits: 2, cacheMisses: 1, batches: 1, texts: 1 });
    } finally {
      await e.close();
    }
  });

  it("keys the query cache by scope: another user's same query is a request of its own", async () => {
    const e = await createOpenAIEmbedder(config({ dimensions: 4 }));
    try {
      // At once (in-flight sharing) and afterwards (the LRU): neither crosses from one user to another.
      const [a, b] = await Promise.all([
        e.embedQuery("where do I live?", { scope: "usr_a" }),
        e.embedQuery("where do I live?", { scope: "usr_b" }),
      ]);
      expect(b).toEqual(a);
      await e.embedQuery("what do I eat?", { scope: "usr_a" });
      await e.embedQuery("what do I eat?", { scope: "usr_b" });
      expect(received).toHaveLength(4);
      expect(e.stats()).toMatchObject({ cacheHits: 0, cacheMisses: 4 });
      await e.embedQuery("what do I eat?", { scope: "usr_b" });
      expect(received).toHaveLength(4);
      expect(e.stats()).toMatchObject({ cacheHits: 1, cacheMisses: 4 });
      await expect(e.embedQuery("x", undefined as unknown as { scope: string })).rejects.toThrow(/scope/);
    } finally {
      await e.close();
    }
  });

  it("turns an HTTP 500 into embeddings_unavailable; URL and body only in the logged cause, never the key", async () => {
    const e = await createOpenAIEmbedder(config({ url: `${base}/fail500/v1`, dimensions: 4 }));
    const err = await expectUnavailable(e.embed(["x"], SCOPE), /HTTP 500/);
    expect(err.message).not.toContain("internal failure");
    const logged = (err.cause as Error).message;
    expect(logged).toMatch(/fail500\/v1\/embeddings.*HTTP 500.*internal failure/);
    expect(logged).toContain("[redacted]");
    expect(logged).not.toContain(API_KEY);
    await e.close();
  });

  it("fails creation when the dimension probe fails", async () => {
    await expectUnavailable(createOpenAIEmbedder(config({ url: `${base}/fail500/v1` })), /HTTP 500/);
  });

  it("times out a server that does not answer", async () => {
    const e = await createOpenAIEmbedder(config({ url: `${base}/slow/v1`, dimensions: 4 }), {
      timeoutMs: 200,
    });
    const err = await expectUnavailable(e.embedQuery("x", SCOPE), /timed out after 200 ms/);
    expect((err.cause as Error).message).toMatch(/slow\/v1\/embeddings.*timed out after 200 ms/);
    await e.close();
  });

  it("rejects malformed JSON and malformed payloads", async () => {
    const bad = await createOpenAIEmbedder(config({ url: `${base}/badjson/v1`, dimensions: 4 }));
    await expectUnavailable(bad.embed(["x"], SCOPE), /invalid JSON/);
    const short = await createOpenAIEmbedder(config({ url: `${base}/wrongcount/v1`, dimensions: 4 }));
    await expectUnavailable(short.embed(["x", "y"], SCOPE), /returned 1 embeddings for 2 inputs/);
    const dims = await createOpenAIEmbedder(config({ url: `${base}/ignoredims/v1`, dimensions: 4 }));
    await expectUnavailable(dims.embed(["x"], SCOPE), /6-dimensional vectors; expected 4/);
    await Promise.all([bad.close(), short.close(), dims.close()]);
  });

  it("reports a refused connection", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await createOpenAIEmbedder(config({ url: `http://127.0.0.1:${port}/v1`, dimensions: 4 }));
    await expectUnavailable(e.embed(["x"], SCOPE), /ECONNREFUSED/);
    await e.close();
  });

  it("rejects calls after close()", async () => {
    const e = await createOpenAIEmbedder(config({ dimensions: 4 }));
    await e.close();
    await expectUnavailable(e.embedQuery("x", SCOPE), /closed/);
    await expectUnavailable(e.embed(["x"], SCOPE), /closed/);
  });

  it("requires url and model", async () => {
    await expect(
      createEmbedder({ provider: "openai", model: "m", batchSize: 3, cacheSize: 0 }),
    ).rejects.toMatchObject({
      code: "validation_error",
      field: "embeddings.url",
    });
    await expect(
      createEmbedder({ provider: "openai", url: base, batchSize: 3, cacheSize: 0 }),
    ).rejects.toMatchObject({
      code: "validation_error",
      field: "embeddings.model",
    });
  });
});
