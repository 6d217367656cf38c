// Tests for the built-in USE-lite embedder: real model in a real worker thread, micro-batching, cache, crashes, exit.
import { execFile } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import ts from "typescript";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EmbeddingsConfig } from "../src/config/config.js";
import { createEmbedder } from "../src/embeddings/create-embedder.js";
import type { Embedder } from "../src/embeddings/embedder.js";
import { createUseLiteEmbedder } from "../src/embeddings/use-lite-embedder.js";
import { cosineSimilarity } from "../src/embeddings/vector.js";
import { AppError } from "../src/errors.js";

const run = promisify(execFile);
const repo = resolve(fileURLToPath(new URL("..", import.meta.url)));
const config: EmbeddingsConfig = { provider: "builtin", batchSize: 32, cacheSize: 100 };
/** On whose behalf the tests embed when whose it is does not matter: one user. */
const SCOPE = { scope: "usr_tests" };

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

function norm(v: number[]): number {
  return Math.sqrt(v.reduce((s, x) => s + x * x, 0));
}

async function expectAppError(promise: Promise<unknown>, code: string, message?: RegExp): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  const appError = err as AppError;
  expect(appError.code).toBe(code);
  if (message) expect(appError.message).toMatch(message);
  return appError;
}

describe("built-in USE-lite embedder", () => {
  let embedder: Embedder;

  beforeAll(async () => {
    embedder = await createEmbedder(config);
  });
  afterAll(async () => {
    await embedder.close();
  });

  it("reports its tag and dimensions and returns 512-dim unit vectors", async () => {
    expect(embedder.model).toBe("use-lite-512");
    expect(embedder.dimensions).toBe(512);
    const vectors = await embedder.embed(["hello world", "", "Ünïcode and emoji 🍕 text"], SCOPE);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toHaveLength(512);
      expect(norm(v)).toBeCloseTo(1, 6);
    }
  });

  it("scores semantically close sentences higher than unrelated ones", async () => {
    const [pizza, favourite, stocks] = await embedder.embed(
      ["I love pizza", "Pizza is my favourite food", "The stock market fell"],
      SCOPE,
    );
    if (!pizza || !favourite || !stocks) throw new Error("missing vectors");
    const close = cosineSimilarity(pizza, favourite);
    const far = cosineSimilarity(pizza, stocks);
    expect(close).toBeGreaterThan(far + 0.3);
  });

  it("returns an empty list for no texts and rejects non-string input as a validation error", async () => {
    expect(await embedder.embed([], SCOPE)).toEqual([]);
    await expectAppError(
      embedder.embed("not an array" as unknown as string[], SCOPE),
      "validation_error",
      /texts/,
    );
    await expectAppError(
      embedder.embed(["ok", 42 as unknown as string], SCOPE),
      "validation_error",
      /texts\[1\]/,
    );
    await expectAppError(
      embedder.embedQuery(undefined as unknown as string, SCOPE),
      "validation_error",
      /text/,
    );
  });

  it("micro-batches 20 concurrent embedQuery calls and routes each caller its own vector", async () => {
    const texts = Array.from(
      { length: 20 },
      (_, i) => `concurrent query ${i}: ${["cats", "taxes", "mountains", "jazz"][i % 4]}`,
    );
    // Reference vectors, one worker call each.
    const reference: number[][] = [];
    for (const t of texts) {
      const [v] = await embedder.embed([t], SCOPE);
      if (!v) throw new Error("missing vector");
      reference.push(v);
    }
    const before = embedder.stats();
    const results = await Promise.all(texts.map((t) => embedder.embedQuery(t, SCOPE)));
    const after = embedder.stats();
    expect(after.batches - before.batches).toBeLessThan(20);
    expect(after.batches - before.batches).toBeGreaterThanOrEqual(1);
    expect(after.texts - before.texts).toBe(20);
    expect(after.cacheMisses - before.cacheMisses).toBe(20);
    results.forEach((v, i) => {
      const ref = reference[i];
      if (!ref) throw new Error("missing reference");
      expect(cosineSimilarity(v, ref)).toBeGreaterThan(0.999);
      // ...and it is not merely similar to some other caller's vector.
      const other = reference[(i + 1) % reference.length];
      if (!other) throw new Error("missing reference");
      expect(cosineSimilarity(v, other)).toBeLessThan(0.999);
    });
  });

  it("combines concurrent embed and embedQuery calls of different sizes and keeps each caller's order", async () => {
    const groups = [["alpha one", "alpha two", "alpha three"], ["beta"], ["gamma one", "gamma two"]];
    const reference = await embedder.embed(groups.flat(), SCOPE);
    const before = embedder.stats();
    const [a, q, c] = await Promise.all([
      embedder.embed(groups[0] ?? [], SCOPE),
      embedder.embedQuery("beta", SCOPE),
      embedder.embed(groups[2] ?? [], SCOPE),
    ]);
    // One worker call for both document callers, one for the query (queries never wait inside a document batch).
    expect(embedder.stats().batches - before.batches).toBe(2);
    const got = [...a, q, ...c];
    got.forEach((v, i) => {
      const ref = reference[i];
      if (!ref) throw new Error("missing reference");
      expect(cosineSimilarity(v, ref)).toBeGreaterThan(0.999);
    });
  });

  it("counts an LRU hit on a repeated query and returns a copy that callers cannot corrupt", async () => {
    const before = embedder.stats();
    const first = await embedder.embedQuery("what is my favourite colour?", SCOPE);
    const snapshot = first.slice();
    first.fill(0);
    const second = await embedder.embedQuery("what is my favourite colour?", SCOPE);
    const after = embedder.stats();
    expect(after.cacheMisses - before.cacheMisses).toBe(1);
    expect(after.cacheHits - before.cacheHits).toBe(1);
    expect(after.texts - before.texts).toBe(1);
    expect(second).toEqual(snapshot);
  });

  it("serves queries before a queued bulk import", async () => {
    const documents = Array.from(
      { length: 160 },
      (_, i) => `bulk document number ${i} about gardening and tomatoes`,
    );
    let documentsDone = false;
    const bulk = embedder.embed(documents, SCOPE).then((v) => {
      documentsDone = true;
      return v;
    });
    // Let the first document batch start, then ask a query: it must jump the remaining four batches.
    await new Promise((r) => setTimeout(r, 20));
    const started = performance.now();
    await embedder.embedQuery("priority query while importing", SCOPE);
    const queryMs = performance.now() - started;
    const bulkStarted = performance.now();
    expect(documentsDone).toBe(false);
    expect(await bulk).toHaveLength(160);
    // The query waited for at most the running batch, less than the rest of the import took after it.
    expect(performance.now() - bulkStarted).toBeGreaterThan(queryMs);
  });
});

describe("built-in embedder: users do not see or slow down each other (issue #9, items 3 and 8)", () => {
  const A = { scope: "usr_aaaaaaaaaa" };
  const B = { scope: "usr_bbbbbbbbbb" };
  let e: Embedder;

  beforeAll(async () => {
    // Small batches and a small character budget, so a queue several batches long costs little model time.
    e = await createUseLiteEmbedder({ ...config, batchSize: 4 }, { maxBatchChars: 2_000 });
  });
  afterAll(async () => {
    await e.close();
  });

  /** Calls `fn` when `promise` settles, so a test can record the order in which callers were served. */
  function record<T>(order: string[], label: string, promise: Promise<T>): Promise<T> {
    return promise.then((v) => {
      order.push(label);
      return v;
    });
  }

  /** Waits until the embedder has started `n` more worker calls than `base`. */
  async function batchesStarted(base: number, n: number): Promise<void> {
    while (e.stats().batches < base + n) await new Promise((r) => setTimeout(r, 2));
  }

  function longText(i: number): string {
    return `Long note ${i} of user A: ${"the garden hose, the tomatoes and the shed roof need work. ".repeat(30)}`.slice(
      0,
      1_500,
    );
  }

  it("keys the query cache by user: A's repeat is a hit, B's same text a miss, and in-flight work is not shared", async () => {
    const text = "what did I order at the ramen place last week?";
    const s0 = e.stats();
    const a1 = await e.embedQuery(text, A);
    const a2 = await e.embedQuery(text, A);
    const s1 = e.stats();
    expect([s1.cacheHits - s0.cacheHits, s1.cacheMisses - s0.cacheMisses, s1.texts - s0.texts]).toEqual([
      1, 1, 1,
    ]);
    expect(a2).toEqual(a1);
    const b1 = await e.embedQuery(text, B);
    const s2 = e.stats();
    // B's search of the text A just searched costs a model call like any new text: no hit, one text embedded.
    expect([s2.cacheHits - s1.cacheHits, s2.cacheMisses - s1.cacheMisses, s2.texts - s1.texts]).toEqual([
      0, 1, 1,
    ]);
    expect(cosineSimilarity(b1, a1)).toBeGreaterThan(0.999);
    expect(await e.embedQuery(text, B)).toEqual(b1);
    const s3 = e.stats();
    expect([s3.cacheHits - s2.cacheHits, s3.cacheMisses - s2.cacheMisses]).toEqual([1, 0]);

    // In flight: A's second call shares A's first; B's identical call at the same moment is embedded on its own.
    const other = "which train goes to the airport on sundays?";
    await Promise.all([e.embedQuery(other, A), e.embedQuery(other, B), e.embedQuery(other, A)]);
    const s4 = e.stats();
    expect([s4.cacheHits - s3.cacheHits, s4.cacheMisses - s3.cacheMisses, s4.texts - s3.texts]).toEqual([
      1, 2, 2,
    ]);
    await expectAppError(e.embedQuery(text, undefined as unknown as typeof A), "validation_error", /scope/);
    await expectAppError(e.embed([text], { scope: "" }), "validation_error", /scope/);
  });

  it("serves B's query and B's add long before A's queue of long texts drains", async () => {
    const order: string[] = [];
    const base = e.stats().batches;
    // Six adds of A at once, as six concurrent requests would make them, then six more.
    const a = Array.from({ length: 12 }, (_, i) => record(order, `A${i}`, e.embed([longText(i)], A)));
    await batchesStarted(base, 1);
    const b = [
      record(order, "B query", e.embedQuery("when is my dentist appointment?", B)),
      record(order, "B add", e.embed(["my dentist is Dr. Okafor"], B)),
    ];
    await Promise.all([...a, ...b]);
    const aDone = (label: string) => order.slice(0, order.indexOf(label)).filter((l) => l.startsWith("A"));
    // Each of A's texts fills a worker call of its own (1,500 of 2,000 characters). B's query waits only for the one
    // running when it came, B's add for at most one more of A's: A's other texts are still queued.
    expect(aDone("B query").length).toBeLessThanOrEqual(2);
    expect(aDone("B add").length).toBeLessThanOrEqual(3);
    expect(order.slice(-6).every((l) => l.startsWith("A"))).toBe(true);
    // A's own texts are still served in the order A sent them.
    expect(order.filter((l) => l.startsWith("A"))).toEqual(Array.from({ length: 12 }, (_, i) => `A${i}`));
  });

  it("a burst of A's searches does not hold B's search behind all of it", async () => {
    const order: string[] = [];
    const base = e.stats().batches;
    const a = Array.from({ length: 24 }, (_, i) =>
      record(order, `A${i}`, e.embedQuery(`burst query number ${i} about train times`, A)),
    );
    await batchesStarted(base, 1);
    const b = record(order, "B", e.embedQuery("what is the wifi password at the office?", B));
    await Promise.all([...a, b]);
    // Batches of 4: B's query goes into the batch after the running one (or, on a stalled machine, the one after
    // that), not behind A's other 20.
    expect(order.indexOf("B")).toBeLessThanOrEqual(12);
  });

  it("queries go first, but a stream of them cannot stop a queued add", async () => {
    const order: string[] = [];
    // All queued at once: 40 queries of A (10 batches of 4) and one add of B.
    const a = Array.from({ length: 40 }, (_, i) =>
      record(order, `A${i}`, e.embedQuery(`stream query ${i} about the weekend`, A)),
    );
    const b = record(order, "B add", e.embed(["I parked on level 3"], B));
    await Promise.all([...a, b]);
    // Four query batches run first (16 queries), then B's add, then the rest of the queries.
    expect(order.indexOf("B add")).toBe(16);
  });
});

describe("built-in embedder batching and lifecycle", () => {
  it("splits a large embed into batches of batchSize, in order", async () => {
    const small = await createEmbedder({ ...config, batchSize: 4 });
    try {
      const texts = Array.from(
        { length: 10 },
        (_, i) => `sentence ${i} about ${i % 2 ? "rivers" : "databases"}`,
      );
      const vectors = await small.embed(texts, SCOPE);
      expect(small.stats().batches).toBe(3);
      expect(small.stats().texts).toBe(10);
      const last = texts[9];
      if (!last) throw new Error("missing text");
      const [single] = await small.embed([last], SCOPE);
      if (!single || !vectors[9]) throw new Error("missing vector");
      expect(cosineSimilarity(vectors[9], single)).toBeGreaterThan(0.999);
    } finally {
      await small.close();
    }
  });

  it("close() rejects pending and later calls, and is idempotent", async () => {
    const e = await createEmbedder(config);
    const pending = e.embed(
      Array.from({ length: 64 }, (_, i) => `pending text ${i}`),
      SCOPE,
    );
    const pendingRejected = expectAppError(pending, "embeddings_unavailable", /closed/);
    await e.close();
    await pendingRejected;
    await expectAppError(e.embedQuery("after close", SCOPE), "embeddings_unavailable", /closed/);
    await expectAppError(e.embed(["after close"], SCOPE), "embeddings_unavailable", /closed/);
    await e.close();
  });

  it("with cacheSize 0 every query is a miss", async () => {
    const e = await createEmbedder({ ...config, cacheSize: 0 });
    try {
      await e.embedQuery("same", SCOPE);
      await e.embedQuery("same", SCOPE);
      expect(e.stats()).toMatchObject({ cacheHits: 0, cacheMisses: 2, texts: 2 });
    } finally {
      await e.close();
    }
  });
});

describe("built-in embedder worker failures", () => {
  // Stand-in workers speaking the same protocol, to make the real code paths for crashes and hangs happen.
  const readyThen = (onMessage: string) =>
    `const { parentPort } = require("node:worker_threads");
     parentPort.on("message", (m) => { ${onMessage} });
     parentPort.postMessage({ type: "ready" });`;
  const worker = (script: string) => ({ worker: { script, eval: true, file: "test-worker" } });

  it("rejects pending callers when the worker exits, and starts a new worker for the next call", async () => {
    const e = await createUseLiteEmbedder(config, worker(readyThen("process.exit(3);")));
    try {
      await expectAppError(e.embed(["a", "b"], SCOPE), "embeddings_unavailable", /exit code 3/);
      // The next call gets a fresh worker (which crashes too), not a hang on the dead one.
      await expectAppError(e.embedQuery("c", SCOPE), "embeddings_unavailable", /exit code 3/);
      expect(e.stats().batches).toBe(2);
    } finally {
      await e.close();
    }
  });

  it("reports an uncaught exception in the worker", async () => {
    const e = await createUseLiteEmbedder(config, worker(readyThen('throw new Error("boom in worker");')));
    try {
      await expectAppError(e.embed(["a"], SCOPE), "embeddings_unavailable", /boom in worker/);
    } finally {
      await e.close();
    }
  });

  it("treats a worker that never answers as hung after the timeout", async () => {
    // The timeout also covers start-up, so leave room for a slow (loaded) machine to start the stand-in worker.
    const e = await createUseLiteEmbedder(config, { ...worker(readyThen("")), timeoutMs: 1500 });
    try {
      await expectAppError(
        e.embed(["a"], SCOPE),
        "embeddings_unavailable",
        /embedding 1 text\(s\) timed out after 1500 ms/,
      );
    } finally {
      await e.close();
    }
  });

  it("fails creation when the model cannot load", async () => {
    const script = `require("node:worker_threads").parentPort.postMessage({ type: "init_error", message: "no weights" }); process.exit(1);`;
    await expectAppError(
      createUseLiteEmbedder(config, worker(script)),
      "embeddings_unavailable",
      /no weights/,
    );
  });
});

describe("built-in embedder process behaviour", () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "engram-embeddings-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("an idle worker does not keep the process alive (from src/ under tsx)", async () => {
    const script = join(dir, "exit-check.mjs");
    const entry = pathToFileURL(join(repo, "src/embeddings/create-embedder.ts")).href;
    await writeFile(
      script,
      `const { createEmbedder } = await import(${JSON.stringify(entry)});
       const e = await createEmbedder({ provider: "builtin", batchSize: 32, cacheSize: 10 });
       const v = await e.embedQuery("exit check", { scope: "usr_exit" });
       console.log(JSON.stringify({ dims: v.length }));
       // No close(): the process must still exit on its own.`,
    );
    const tsx = import.meta.resolve("tsx");
    const { stdout } = await run(process.execPath, ["--import", tsx, script], { cwd: dir, timeout: 30_000 });
    expect(JSON.parse(lastLine(stdout))).toEqual({ dims: 512 });
  });

  it("loads the compiled .js worker from a dist/ build under plain node", async () => {
    // Transpile src/ into <tmp>/dist, as `npm run build` lays it out. All of it: a hand-kept list of what the
    // embedders import went stale once (src/outbound/http.ts), and failed this test for a reason it is not about.
    const dist = join(dir, "dist");
    const files = (await readdir(join(repo, "src"), { recursive: true })).filter((f) => f.endsWith(".ts"));
    for (const file of files) {
      const source = await readFile(join(repo, "src", file), "utf8");
      const { outputText } = ts.transpileModule(source, {
        compilerOptions: {
          module: ts.ModuleKind.ES2022,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
        fileName: file,
      });
      const out = join(dist, file.replace(/\.ts$/, ".js"));
      await mkdir(join(out, ".."), { recursive: true });
      await writeFile(out, outputText);
    }
    await writeFile(join(dir, "package.json"), JSON.stringify({ type: "module" }));
    await symlink(join(repo, "node_modules"), join(dir, "node_modules"), "dir");
    const code = `const { createEmbedder } = await import("./dist/embeddings/create-embedder.js");
      const e = await createEmbedder({ provider: "builtin", batchSize: 32, cacheSize: 10 });
      const [v] = await e.embed(["compiled build"], { scope: "usr_dist" });
      console.log(JSON.stringify({ model: e.model, dims: v.length }));`;
    // Plain node: no tsx, no vitest; the worker must be dist/embeddings/use-lite-worker.js. (--input-type=module
    // also checks that the parent's node flags are not passed on to the worker, which they would break.)
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", code], {
      cwd: dir,
      timeout: 30_000,
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    expect(JSON.parse(lastLine(stdout))).toEqual({ model: "use-lite-512", dims: 512 });
  });
});
