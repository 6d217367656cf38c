// Benchmark of the built-in embedder: load time, single-text latency, batch throughput, micro-batched concurrency.
// Run: npx tsx bench/embeddings.ts   (writes bench/results/embeddings.json)
import { mkdir, writeFile } from "node:fs/promises";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { createEmbedder, type Embedder } from "../src/embeddings/embedder.js";

const SUBJECTS = ["The user", "My sister", "Our team lead", "The customer", "Alex"];
const VERBS = ["prefers", "is allergic to", "asked about", "wants to learn", "booked a trip involving"];
const OBJECTS = [
  "dark roast coffee",
  "peanuts",
  "the quarterly report",
  "Rust and WebAssembly",
  "hiking in the Alps",
];
const TAILS = [
  "on weekdays",
  "since last spring",
  "according to the call notes",
  "but only in the morning",
  "",
];

let counter = 0;
/** A fresh memory-like sentence (~60-110 chars); the counter keeps every text unique so the query cache never hits. */
function text(): string {
  const i = counter++;
  const pick = <T>(list: T[], n: number): T => list[n % list.length] as T;
  return `${pick(SUBJECTS, i)} ${pick(VERBS, i >> 1)} ${pick(OBJECTS, i >> 2)} ${pick(TAILS, i >> 3)} (note ${i})`.replace(
    /\s+/g,
    " ",
  );
}

function texts(n: number): string[] {
  return Array.from({ length: n }, text);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

const round = (x: number, digits = 1) => Number(x.toFixed(digits));

async function singleLatency(e: Embedder, samples: number) {
  for (const t of texts(3)) await e.embedQuery(t); // warm-up
  const times: number[] = [];
  for (const t of texts(samples)) {
    const start = performance.now();
    await e.embedQuery(t);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const mean = times.reduce((s, x) => s + x, 0) / times.length;
  return {
    samples,
    meanMs: round(mean, 2),
    p50Ms: round(percentile(times, 50), 2),
    p95Ms: round(percentile(times, 95), 2),
  };
}

/** Sequential embed() calls of `size` texts each: one worker call per embed(). */
async function batchThroughput(e: Embedder, size: number, total: number) {
  await e.embed(texts(size)); // warm-up at this shape
  const calls = Math.ceil(total / size);
  const start = performance.now();
  for (let i = 0; i < calls; i++) await e.embed(texts(size));
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
    await Promise.all(batch.map((t) => e.embedQuery(t)));
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

    const out = fileURLToPath(new URL("./results/embeddings.json", import.meta.url));
    await mkdir(fileURLToPath(new URL("./results/", import.meta.url)), { recursive: true });
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwrote ${out}`);
  } finally {
    await e.close();
  }
}

await main();
