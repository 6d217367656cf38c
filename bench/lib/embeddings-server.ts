// The one OpenAI-compatible embeddings server both systems under test call (POST /v1/embeddings on 127.0.0.1): the
// hashed bag of words of test/helpers/words-embedder.ts, deterministic and cheap (~0.2 ms a call), so the model costs
// next to nothing and what is measured is each system's own work. Counts calls and texts, keeps nothing else.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { EMBEDDING_DIMENSIONS, embed } from "./dataset.js";

export const EMBEDDINGS_MODEL = "bench-words";

export interface EmbeddingsServer {
  /** Base URL ending in /v1. */
  url: string;
  /** What a spawned Engram needs to use it. */
  engramEnv: Record<string, string>;
  stats(): { calls: number; texts: number };
  close(): Promise<void>;
}

export async function startEmbeddingsServer(): Promise<EmbeddingsServer> {
  let calls = 0;
  let texts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { input: string | string[] };
        const input = Array.isArray(body.input) ? body.input : [body.input];
        calls++;
        texts += input.length;
        const data = input.map((text, index) => ({ object: "embedding", index, embedding: embed(text) }));
        const out = JSON.stringify({
          object: "list",
          data,
          model: EMBEDDINGS_MODEL,
          usage: { prompt_tokens: 0, total_tokens: 0 },
        });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(out) });
        res.end(out);
      } catch (err) {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(err) } }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/v1`;
  return {
    url,
    engramEnv: {
      ENGRAM_EMBEDDINGS_URL: url,
      ENGRAM_EMBEDDINGS_MODEL: EMBEDDINGS_MODEL,
      ENGRAM_EMBEDDINGS_DIMENSIONS: String(EMBEDDING_DIMENSIONS),
    },
    stats: () => ({ calls, texts }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
