// mem0 OSS (npm mem0ai, `Memory` with its pgvector store) behind a minimal HTTP server, so that the bench's external
// load generator drives it over HTTP on loopback exactly as it drives Engram. mem0 is a library that runs inside its
// caller: this wrapper is the thinnest caller that can be measured from outside (node:http, JSON in and out, no
// framework, no auth). Its own cost is measured too: GET /healthz answers without touching mem0 (the wrapper's floor).
//
// Started by bench/lib/peer.ts with:
//   PEER_PORT, PEER_DATABASE_URL (mem0's own database), PEER_EMBEDDINGS_URL (…/v1), PEER_EMBEDDINGS_MODEL,
//   PEER_DIMENSIONS, MEM0_TELEMETRY=false (no calls to mem0's telemetry host), HOME=<temp dir> (mem0 writes
//   ~/.mem0/config.json).
//
// Routes:
//   GET  /healthz                               -> {"ok":true}                     (no mem0 work: the floor)
//   POST /v1/add     {user_id, text}            -> Memory.add(text, {userId, infer: false})
//   POST /v1/search  {user_id, query, limit}    -> Memory.search(query, {filters: {user_id}, topK: limit, threshold: 0})
//   POST /v1/seed    {items: [{user_id, text}]} -> bulk load for the search workloads (see seed() below)
import { createServer } from "node:http";
import { Memory } from "mem0ai/oss";

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is required`);
  return v;
};

const dims = Number(env("PEER_DIMENSIONS"));
const memory = new Memory({
  version: "v1.1",
  embedder: {
    provider: "openai",
    config: {
      apiKey: "bench-not-a-key",
      baseURL: env("PEER_EMBEDDINGS_URL"),
      model: env("PEER_EMBEDDINGS_MODEL"),
      embeddingDims: dims,
    },
  },
  vectorStore: {
    provider: "pgvector",
    // mem0's defaults otherwise: collection "memories", no HNSW or DiskANN index (hnsw: false).
    config: { connectionString: env("PEER_DATABASE_URL"), embeddingModelDims: dims, dimension: dims },
  },
  // Never called with infer: false; configured only because Memory builds an LLM client at construction.
  llm: {
    provider: "openai",
    config: { apiKey: "bench-not-a-key", baseURL: "http://127.0.0.1:9/v1", model: "none" },
  },
  // mem0's default history store is SQLite through better-sqlite3 (a native build): off here, which spares mem0 one
  // write per add that Engram does make (its memory_events history and audit rows).
  disableHistory: true,
});

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return JSON.parse(Buffer.concat(chunks).toString("utf8"));
}

function send(res, status, body) {
  const s = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(s) });
  res.end(s);
}

/**
 * Bulk load for the search workloads: the same texts as Engram's store, embedded by the same loopback embeddings
 * server through mem0's own embedder (embedBatch), and each row built by mem0's own createMemory (its payload: data,
 * hash, textLemmatized, createdAt, user_id). Only the INSERTs differ: createMemory runs on a view of the Memory whose
 * vector store collects the rows (the shared store is never touched, so concurrent requests are safe), and they are
 * written 500 per statement instead of one statement per row, which is all that would make 250,000 rows slow to load.
 */
async function seed(items) {
  await memory._ensureInitialized();
  const store = memory.vectorStore;
  const rows = [];
  const collector = Object.create(memory);
  collector.vectorStore = {
    async insert(vectors, ids, payloads) {
      for (let i = 0; i < ids.length; i++) rows.push([ids[i], `[${vectors[i].join(",")}]`, payloads[i]]);
    },
  };
  const vectors = await memory.embedder.embedBatch(items.map((it) => it.text));
  for (let i = 0; i < items.length; i++) {
    await collector.createMemory(
      items[i].text,
      { [items[i].text]: vectors[i] },
      { user_id: items[i].user_id },
    );
  }
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    await store.client.query(
      `INSERT INTO ${store.col()} (id, vector, payload)
       SELECT * FROM unnest($1::uuid[], $2::vector[], $3::jsonb[])`,
      [chunk.map((r) => r[0]), chunk.map((r) => r[1]), chunk.map((r) => JSON.stringify(r[2]))],
    );
  }
  return rows.length;
}

const server = createServer((req, res) => {
  const route = `${req.method} ${req.url}`;
  if (route === "GET /healthz") {
    req.resume();
    send(res, 200, { ok: true });
    return;
  }
  readJson(req)
    .then(async (body) => {
      if (route === "POST /v1/add") {
        const out = await memory.add(body.text, { userId: body.user_id, infer: false });
        return send(res, 201, out);
      }
      if (route === "POST /v1/search") {
        const out = await memory.search(body.query, {
          filters: { user_id: body.user_id },
          topK: body.limit ?? 10,
          threshold: 0,
        });
        return send(res, 200, out);
      }
      if (route === "POST /v1/seed") {
        return send(res, 200, { inserted: await seed(body.items) });
      }
      return send(res, 404, { error: `no route ${route}` });
    })
    .catch((err) => send(res, 500, { error: err instanceof Error ? err.message : String(err) }));
});

server.keepAliveTimeout = 60_000;
await memory._ensureInitialized();
server.listen(Number(env("PEER_PORT")), "127.0.0.1", () => {
  process.stdout.write(`peer listening on ${Number(env("PEER_PORT"))}\n`);
});
process.on("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
  memory.vectorStore?.close?.().finally(() => process.exit(0));
});
