/**
 * A fake OpenAI-compatible /v1/embeddings server on 127.0.0.1 that answers with ./words-embedder.ts's hashed bag of
 * words. Point a server process at it (ENGRAM_EMBEDDINGS_URL / _MODEL) when a test restarts servers many times and
 * its assertions do not depend on meaning: no model to load at each start, microseconds per text.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WORDS_DIMENSIONS, wordsVector } from "./words-embedder.js";

export interface FakeEmbeddings {
  /** Base URL ending in /v1. */
  url: string;
  /** The environment a server process needs to use it. */
  env: Record<string, string>;
  /** Texts embedded so far. */
  texts(): number;
  /** Every text embedded so far, in order. */
  seen(): string[];
  close(): Promise<void>;
}

export interface FakeEmbeddingsOptions {
  /** Model name for the env (default "test-words"). */
  model?: string;
  dimensions?: number;
  /** Milliseconds before each answer, to make a long job take long enough to interrupt. */
  delayMs?: number;
}

export async function startFakeEmbeddings(opts: FakeEmbeddingsOptions = {}): Promise<FakeEmbeddings> {
  const dimensions = opts.dimensions ?? WORDS_DIMENSIONS;
  let count = 0;
  const seen: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string | string[] };
        const input = Array.isArray(body.input) ? body.input : [body.input];
        count += input.length;
        seen.push(...input);
        const data = input.map((text, index) => ({
          object: "embedding",
          index,
          embedding: wordsVector(text, dimensions),
        }));
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data, model: "words" }));
      } catch (err) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      }
    });
  });
  // The servers under test keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/v1`;
  return {
    url,
    env: {
      ENGRAM_EMBEDDINGS_URL: url,
      ENGRAM_EMBEDDINGS_MODEL: opts.model ?? "test-words",
      ENGRAM_EMBEDDINGS_DIMENSIONS: String(dimensions),
    },
    texts: () => count,
    seen: () => [...seen],
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
