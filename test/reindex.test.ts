/**
 * `engram reindex` (src/memories/reindex.ts, src/cli/reindex-command.ts): every memory moves to the configured
 * model exactly once, user by user; an interrupted run resumes without embedding again what it staged; servers
 * start on the mix a run leaves and keep answering searches throughout; a memory edited mid-run is embedded
 * again from its new text. In-process on both backends, then the real CLI killed with SIGKILL halfway and run
 * again while a server of the old model answers searches (PostgreSQL), or with the server stopped (PGlite).
 */
import { spawn } from "node:child_process";
import pg from "pg";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import type { Embedder } from "../src/embeddings/embedder.js";
import { type ReindexProgress, reindex } from "../src/memories/reindex.js";
import { ModelMismatchError, vectorIndexName } from "../src/memories/vector-index.js";
import { createRuntime, type Runtime } from "../src/server.js";
import { bootstrapAdmin } from "../src/services.js";
import { type Backend, backends } from "./helpers/backends.js";
import {
  api,
  buildIfNeeded,
  CLI,
  killAllServers,
  ROOT,
  sigterm,
  spawnServer,
  startServer,
  waitReady,
} from "./helpers/engram-process.js";
import { startFakeEmbeddings } from "./helpers/fake-embeddings.js";
import { ADMIN_KEY } from "./helpers/runtime.js";
import { wordsEmbedder, wordsVector } from "./helpers/words-embedder.js";

const TOPICS = ["coffee", "hiking", "piano", "sailing"];

function textsFor(user: number, n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `user ${user} note ${i} about ${TOPICS[(user + i) % 4]} number${i}`,
  );
}

/** A runtime on an existing store (no drop), with a given embedder. */
async function open(env: Record<string, string>, embedder: Embedder): Promise<Runtime> {
  const config = loadConfig(
    { ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_LOG_LEVEL: "silent", ...env },
    "/nonexistent",
  );
  const runtime = await createRuntime(config, pino({ level: "silent" }), { embedder });
  await bootstrapAdmin(runtime.services.identity, config);
  return runtime;
}

async function call(r: Runtime, method: string, path: string, key: string, body?: unknown) {
  const res = await r.app.request(path, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body ? { "content-type": "application/json" } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

function parseVector(text: string): number[] {
  return JSON.parse(text) as number[];
}

describe.each(backends)("reindex in process ($name)", (backend) => {
  const oldModel = wordsEmbedder("test-words-a", 512);
  let store: Awaited<ReturnType<Backend["create"]>>;
  let runtime: Runtime;
  const keys: string[] = [];
  const ids: string[][] = [];

  beforeAll(async () => {
    store = await backend.create();
    runtime = await open(store.env, oldModel);
    for (let u = 0; u < 3; u++) {
      const created = await call(runtime, "POST", "/v1/users", ADMIN_KEY, { user_id: `reindex-user-${u}` });
      expect(created.status).toBe(201);
      keys.push(created.body.api_key);
      ids.push([]);
      for (const text of textsFor(u, 9)) {
        const added = await call(runtime, "POST", "/v1/memories", created.body.api_key, {
          text,
          infer: false,
        });
        expect(added.status).toBe(201);
        ids[u]?.push(added.body.id);
      }
    }
    // A memory in another state is re-embedded too: the state is the user's, the vector the model's.
    const paused = await call(runtime, "PATCH", `/v1/memories/${ids[2]?.[0]}`, keys[2] ?? "", {
      state: "paused",
    });
    expect(paused.status).toBe(200);
  }, 120_000);

  afterAll(async () => {
    await runtime?.close();
    await store?.drop();
  });

  it("stops when told, keeps what it staged, resumes without embedding it again, and re-embeds a text edited meanwhile", async () => {
    const newModel = wordsEmbedder("test-words-b", 48);
    const db = runtime.services.db;
    const controller = new AbortController();
    let seen: ReindexProgress | undefined;
    // Stops after the first user switched and part of the second is staged (batches of 4 over 9 memories each).
    await expect(
      reindex(db, newModel, {
        batchSize: 4,
        signal: controller.signal,
        onProgress: (p) => {
          seen = { ...p };
          if (p.done >= 13) controller.abort();
        },
      }),
    ).rejects.toThrow();
    expect(seen?.usersDone).toBe(1);
    const models = await db.query<{ user_id: string; embedding_model: string; n: number }>(
      `SELECT u.external_id AS user_id, m.embedding_model, count(*)::int AS n
       FROM memories m JOIN users u ON u.id = m.user_id GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    // A user is on one model or the other, never both.
    expect(models).toEqual([
      { user_id: "reindex-user-0", embedding_model: "test-words-b", n: 9 },
      { user_id: "reindex-user-1", embedding_model: "test-words-a", n: 9 },
      { user_id: "reindex-user-2", embedding_model: "test-words-a", n: 9 },
    ]);
    const staged = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM memory_reindex");
    expect(staged[0]?.n).toBe(4);

    // The old model's server still answers: a user not yet moved by meaning, a moved one by keyword.
    const semantic = await call(runtime, "POST", "/v1/memories/search", keys[1] ?? "", {
      query: "coffee number3",
      mode: "semantic",
    });
    expect(semantic.status).toBe(200);
    expect(semantic.body.results[0].text).toBe(textsFor(1, 9)[3]);
    const moved = await call(runtime, "POST", "/v1/memories/search", keys[0] ?? "", { query: "number5" });
    expect(moved.status).toBe(200);
    expect(moved.body.results.map((r: { text: string }) => r.text)).toContain(textsFor(0, 9)[5]);
    const movedSemantic = await call(runtime, "POST", "/v1/memories/search", keys[0] ?? "", {
      query: "number5",
      mode: "semantic",
    });
    // Vectors of the new model are never compared with the old model's query.
    expect(movedSemantic.status).toBe(200);
    expect(movedSemantic.body.results).toEqual([]);

    // One of the staged memories of user 1 is edited through the API before the run resumes.
    const stagedId = ids[1]?.[0] ?? "";
    const edited = await call(runtime, "PATCH", `/v1/memories/${stagedId}`, keys[1] ?? "", {
      text: "user 1 changed its mind about tea",
    });
    expect(edited.status).toBe(200);

    // Servers of either model start on this mix while the reindex is recorded.
    await runtime.close();
    runtime = await open(store.env, newModel);
    await runtime.close();
    runtime = await open(store.env, oldModel);

    const report = await reindex(runtime.services.db, newModel, { batchSize: 4 });
    expect(report).toMatchObject({
      model: "test-words-b",
      dimensions: 48,
      remaining: 0,
      users: 2,
      reused: 3,
    });
    expect(report.switched).toBe(18);

    // Exactly once per text: the 27 memories' final texts, plus the text user 1's memory had when first staged.
    const rows = await runtime.services.db.query<{ text: string; embedding_model: string; v: string }>(
      "SELECT text, embedding_model, embedding::text AS v FROM memories ORDER BY id",
    );
    expect(rows).toHaveLength(27);
    expect([...newModel.embedded].sort()).toEqual([...rows.map((r) => r.text), textsFor(1, 9)[0]].sort());
    for (const r of rows) {
      expect(r.embedding_model).toBe("test-words-b");
      const v = parseVector(r.v);
      const want = wordsVector(r.text, 48);
      expect(v).toHaveLength(48);
      for (const [i, x] of v.entries()) expect(x).toBeCloseTo(want[i] ?? Number.NaN, 5);
    }
    const left = await runtime.services.db.query<{ staged: number; target: number; model: string }>(
      `SELECT (SELECT count(*)::int FROM memory_reindex) AS staged,
         (SELECT count(*)::int FROM engram_meta WHERE key = 'reindex_target') AS target,
         (SELECT value FROM engram_meta WHERE key = 'embedding_model') AS model`,
    );
    expect(left[0]).toEqual({ staged: 0, target: 0, model: "test-words-b" });

    // Done: the old model is refused again, the new one starts and searches by meaning.
    await runtime.close();
    await expect(open(store.env, oldModel)).rejects.toThrow(ModelMismatchError);
    runtime = await open(store.env, newModel);
    const found = await call(runtime, "POST", "/v1/memories/search", keys[2] ?? "", {
      query: "sailing number1",
      mode: "semantic",
    });
    expect(found.status).toBe(200);
    expect(found.body.results[0].text).toBe(textsFor(2, 9)[1]);

    // A second run has nothing to do.
    const again = await reindex(runtime.services.db, newModel);
    expect(again).toMatchObject({ users: 0, switched: 0, embedded: 0, remaining: 0 });
  }, 120_000);
});

describe.each(backends)("a store from before per-model indexes ($name)", (backend) => {
  it("keeps its index over every row while it holds one model; reindex replaces it", async () => {
    const store = await backend.create();
    const oldModel = wordsEmbedder("test-words-a", 512);
    const indexes = async (r: Runtime) =>
      (
        await r.services.db.query<{ indexname: string }>(
          "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'memories_embedding_hnsw%' ORDER BY 1",
        )
      ).map((i) => i.indexname);
    let runtime = await open(store.env, oldModel);
    try {
      const [partial] = await indexes(runtime);
      // As such a store was left: one expression index over every row, named by dimension only.
      await runtime.services.db.exec(
        `DROP INDEX ${partial}; CREATE INDEX memories_embedding_hnsw_512 ON memories
         USING hnsw ((embedding::vector(512)) vector_cosine_ops)`,
      );
      await runtime.close();
      runtime = await open(store.env, oldModel);
      expect(await indexes(runtime)).toEqual(["memories_embedding_hnsw_512"]);
      await reindex(runtime.services.db, wordsEmbedder("test-words-b", 48));
      expect(await indexes(runtime)).toEqual([vectorIndexName("test-words-b", 48)]);
    } finally {
      await runtime.close();
      await store.drop();
    }
  }, 120_000);
});

/** Runs the CLI; resolves with its exit code (or signal) and output. */
function runCli(
  args: string[],
  env: Record<string, string>,
  onStart?: (kill: () => void) => void,
): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ENGRAM_LOG_LEVEL: "warn", ...env },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? signal ?? "?", stdout, stderr }));
    onStart?.(() => child.kill("SIGKILL"));
  });
}

describe.each(backends)("engram reindex killed and resumed ($name)", (backend) => {
  beforeAll(() => buildIfNeeded(), 300_000);
  afterAll(() => killAllServers());

  it("moves every memory once across a SIGKILL, while searches keep being answered", async () => {
    const USERS = 4;
    const PER_USER = 25;
    const BATCH = 5;
    const oldEmb = await startFakeEmbeddings({ model: "words-old" });
    // Slow enough that the kill lands halfway.
    const newEmb = await startFakeEmbeddings({ model: "words-new", dimensions: 40, delayMs: 40 });
    const store = await backend.create();
    const serverEnv = {
      ...store.env,
      ...oldEmb.env,
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_RATE_LIMIT_PER_KEY: "0",
    };
    const reindexEnv = { ...store.env, ...newEmb.env };
    try {
      let server = await startServer(serverEnv);
      const keys: string[] = [];
      for (let u = 0; u < USERS; u++) {
        const created = await api(server, "POST", "/v1/users", ADMIN_KEY, { user_id: `cli-reindex-${u}` });
        expect(created.status).toBe(201);
        keys.push(created.body.api_key);
        for (const text of textsFor(u, PER_USER)) {
          expect((await api(server, "POST", "/v1/memories", created.body.api_key, { text })).status).toBe(
            201,
          );
        }
      }

      // PostgreSQL: the old model's server keeps serving during the whole run. PGlite: one process at a time.
      const concurrent = backend.name === "postgres";
      if (!concurrent) {
        const refused = await runCli(["reindex"], reindexEnv);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toMatch(/in use by pid \d+.*stop that server/);
        expect(await sigterm(server)).toBe(0);
      }
      let searching = concurrent;
      const answers: number[] = [];
      const searches = (async () => {
        let i = 0;
        while (searching) {
          const key = keys[i % USERS] ?? "";
          const res = await api(server, "POST", "/v1/memories/search", key, {
            query: `number${i % PER_USER}`,
          });
          answers.push(res.status);
          i++;
        }
      })();

      const first = await runCli(["reindex", "--batch-size", String(BATCH)], reindexEnv, (kill) => {
        const timer = setInterval(() => {
          if (newEmb.texts() >= (USERS * PER_USER) / 2) {
            clearInterval(timer);
            kill();
          }
        }, 5);
      });
      expect(first.code).toBe("SIGKILL");
      const atKill = newEmb.texts();
      expect(atKill).toBeLessThan(USERS * PER_USER);

      const second = await runCli(["reindex", "--batch-size", String(BATCH), "--json"], reindexEnv);
      expect(second.code, second.stderr).toBe(0);
      const report = JSON.parse(second.stdout);
      expect(report.remaining).toBe(0);
      // Users switched before the kill stay switched: the second run has fewer to do.
      expect(report.users).toBeLessThan(USERS);
      expect(report.embedded + report.reused).toBeLessThanOrEqual(USERS * PER_USER);
      // At most the batch in flight at the kill is embedded twice; everything staged before it is reused.
      expect(newEmb.texts()).toBeLessThanOrEqual(USERS * PER_USER + BATCH);
      expect(new Set(newEmb.seen()).size).toBe(USERS * PER_USER);
      searching = false;
      await searches;
      if (concurrent) {
        expect(answers.length).toBeGreaterThan(10);
        expect(answers.filter((s) => s !== 200)).toEqual([]);
      }

      // Every memory is on the new model, with the new model's vector of its own text.
      const dbUrl = store.env.ENGRAM_DATABASE_URL;
      const rows = dbUrl
        ? (
            await withPg(dbUrl, (c) =>
              c.query("SELECT text, embedding_model, embedding::text AS v FROM memories"),
            )
          ).rows
        : undefined;
      if (rows) {
        expect(rows).toHaveLength(USERS * PER_USER);
        for (const r of rows) {
          expect(r.embedding_model).toBe("openai:words-new:40");
          expect(parseVector(r.v)[0]).toBeCloseTo(wordsVector(r.text, 40)[0] ?? Number.NaN, 5);
        }
      }

      // The new model's server starts and searches by meaning; the old one is refused now that it is done.
      if (concurrent) expect(await sigterm(server)).toBe(0);
      server = await startServer({ ...serverEnv, ...newEmb.env });
      const found = await api(server, "POST", "/v1/memories/search", keys[3] ?? "", {
        query: textsFor(3, PER_USER)[7],
        mode: "semantic",
      });
      expect(found.status).toBe(200);
      expect(found.body.results[0].text).toBe(textsFor(3, PER_USER)[7]);
      const listed = await api(server, "GET", "/v1/memories?limit=100", keys[0] ?? "");
      expect(listed.body.memories).toHaveLength(PER_USER);
      expect(await sigterm(server)).toBe(0);
      const old = await spawnServer(serverEnv);
      await expect(waitReady(old, 30_000)).rejects.toThrow(/another embedding model.*engram reindex/);
    } finally {
      killAllServers();
      await oldEmb.close();
      await newEmb.close();
      await store.drop();
    }
  }, 240_000);
});

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}
