// Benchmark of the built-in embedder: load time, single-text latency, batch throughput, micro-batched concurrency.
// Run: npx tsx bench/embeddings.ts   (writes bench/results/embeddings.json)
import { cpus } from "node:os";
import { createEmbedder } from "../src/embeddings/create-embedder.js";
import type { Embedder } from "../src/embeddings/embedder.js";
import { writeResult } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { uniqueNotes } from "./lib/text.js";

/** Fresh memory-like texts: every one unique, so the query cache never hits. */
const texts = uniqueNotes();

async function singleLatency(e: Embedder, samples: number) {
  for (const t of texts(3)) await e.embedQuery(t, { scope: "bench" }); // warm-up
  const times: number[] = [];
  for (const t of texts(samples)) {
    const start = performance.now();
    await e.embedQuery(t, { scope: "bench" });
    times.push(performance.now() - start);
  }
  const s = summarize(times);
  return {
    samples,
    meanMs: round(s.mean, 2),
    p50Ms: round(s.p50, 2),
    p95Ms: round(s.p95, 2),
  };
}

/** Sequential embed() calls of `size` texts each: one worker call per embed(). */
async function batchThroughput(e: Embedder, size: number, total: number) {
  await e.embed(texts(size), { scope: "bench" }); // warm-up at this shape
  const calls = Math.ceil(total / size);
  const start = performance.now();
  for (let i = 0; i < calls; i++) await e.embed(texts(size), { scope: "bench" });
  const seconds = (performance.now() - start) / 1000;
  return {
    batchSize: size,
    texts: calls * size,
    textsPerSecond: round((calls * size) / seconds),
    msPerBatch: round((seconds * 1000) / calls, 2),
  };
}

/** `concurrency` embedQuery calls fired at once; the embedder combines them into worker batches. */
async function concurrentQueries(e: Embedder, concurrency: number, rounds: number) {
  const before = e.stats();
  const walls: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const batch = texts(concurrency);
    const start = performance.now();
    await Promise.all(batch.map((t) => e.embedQuery(t, { scope: "bench" })));
    walls.push(performance.now() - start);
  }
  const after = e.stats();
  const totalMs = walls.reduce((s, x) => s + x, 0);
  return {
    concurrency,
    rounds,
    embedsPerSecond: round((concurrency * rounds) / (totalMs / 1000)),
    meanWallMsPerRound: round(totalMs / rounds, 1),
    workerBatches: after.batches - before.batches,
  };
}

async function main(): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const loadStart = performance.now();
  const e = await createEmbedder({ provider: "builtin", batchSize: 32, cacheSize: 2000 });
  const loadMs = performance.now() - loadStart;
  const rssAfterLoad = process.memoryUsage().rss;
  try {
    const single = await singleLatency(e, 40);
    const batches = [];
    for (const size of [1, 8, 32]) batches.push(await batchThroughput(e, size, size === 1 ? 64 : 256));
    const concurrent = await concurrentQueries(e, 50, 5);
    const result = {
      date: new Date().toISOString(),
      node: process.version,
      cpus: `${cpus().length} x ${cpus()[0]?.model ?? "unknown"}`,
      model: e.model,
      dimensions: e.dimensions,
      loadMs: round(loadMs),
      rssMb: {
        beforeLoad: round(rssBefore / 2 ** 20),
        afterLoad: round(rssAfterLoad / 2 ** 20),
        end: round(process.memoryUsage().rss / 2 ** 20),
      },
      single,
      batches,
      concurrent,
      stats: e.stats(),
    };

    console.log(
      `model ${result.model} (${result.dimensions} dims), load ${result.loadMs} ms, RSS ${result.rssMb.beforeLoad} -> ${result.rssMb.afterLoad} -> ${result.rssMb.end} MB`,
    );
    console.log(
      `\nsingle text (embedQuery, sequential, ${single.samples} samples): mean ${single.meanMs} ms, p50 ${single.p50Ms} ms, p95 ${single.p95Ms} ms`,
    );
    console.log("\nbatch size | texts/s | ms/batch");
    console.log("-----------|---------|---------");
    for (const b of batches)
      console.log(
        `${String(b.batchSize).padStart(10)} | ${String(b.textsPerSecond).padStart(7)} | ${String(b.msPerBatch).padStart(8)}`,
      );
    console.log(
      `\n${concurrent.concurrency} concurrent embedQuery x ${concurrent.rounds} rounds: ${concurrent.embedsPerSecond} embeds/s, ` +
        `${concurrent.meanWallMsPerRound} ms per round, ${concurrent.workerBatches} worker batches for ${concurrent.concurrency * concurrent.rounds} queries`,
    );

    const out = await writeResult("embeddings", result);
    console.log(`\nwrote ${out}`);
  } finally {
    await e.close();
  }
}

await main();
