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
  close(): Promise<void>;
}

export async function startFakeEmbeddings(): Promise<FakeEmbeddings> {
  let count = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string | string[] };
        const input = Array.isArray(body.input) ? body.input : [body.input];
        count += input.length;
        const data = input.map((text, index) => ({
          object: "embedding",
          index,
          embedding: wordsVector(text),
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
      ENGRAM_EMBEDDINGS_MODEL: "test-words",
      ENGRAM_EMBEDDINGS_DIMENSIONS: String(WORDS_DIMENSIONS),
    },
    texts: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
