// `npm run bench:quality`: the retrieval-quality benchmark; writes bench/results/quality-*.json and docs/retrieval.md.
// Exits 1 if any search returned another user's memory. Options: --backend pglite|postgres (repeatable), --users N
// (the first N users; writes nothing), --split tune|held-out|all (one half's users; writes nothing unless all),
// --no-docs. PostgreSQL runs when ENGRAM_BENCH_DATABASE_URL or
// ENGRAM_TEST_DATABASE_URL is set (a database is created and dropped).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readDataset, subset } from "./dataset.js";
import { runQuality } from "./harness.js";
import { readResults, type SavedResult, textTables, updateDoc } from "./report.js";
import { SPLITS, type Split, splitUsers, usersOf } from "./split.js";

const RESULTS = fileURLToPath(new URL("../results/", import.meta.url));
const DOC = fileURLToPath(new URL("../../docs/retrieval.md", import.meta.url));

const { values } = parseArgs({
  options: {
    backend: { type: "string", multiple: true },
    users: { type: "string" },
    split: { type: "string", default: "all" },
    "no-docs": { type: "boolean", default: false },
  },
});

// test/helpers/backends.ts reads ENGRAM_TEST_DATABASE_URL when it loads: hand it the bench URL first.
const benchUrl = process.env.ENGRAM_BENCH_DATABASE_URL;
if (benchUrl) process.env.ENGRAM_TEST_DATABASE_URL = benchUrl;
const { backends } = await import("../../test/helpers/backends.js");
const { ADMIN_KEY, startEngram, testEmbedder } = await import("../../test/helpers/runtime.js");

const wall0 = performance.now();
const split = values.split as Split;
if (!SPLITS.includes(split)) throw new Error(`--split ${split}: expected one of ${SPLITS.join(", ")}`);
const full = readDataset();
// Split the whole dataset before any subset: a subset's users keep the half they have in the full run.
const halves = splitUsers(full);
let dataset = split === "all" ? full : subset(full, usersOf(full, halves, split));
if (values.users)
  dataset = subset(
    dataset,
    dataset.users.slice(0, Number(values.users)).map((u) => u.id),
  );
const chosen = backends.filter((b) => !values.backend || values.backend.includes(b.name));
if (chosen.length === 0) throw new Error(`no backend to run (asked for ${values.backend?.join(", ")})`);
if (!chosen.some((b) => b.name === "postgres") && !values.backend) {
  process.stderr.write(
    "PostgreSQL skipped: set ENGRAM_BENCH_DATABASE_URL (or ENGRAM_TEST_DATABASE_URL) to run it.\n",
  );
}

let leaked = 0;
const saved: SavedResult[] = [];
try {
  for (const backend of chosen) {
    const t0 = performance.now();
    process.stdout.write(
      `\n== ${backend.name}: ${dataset.users.length} users, ${dataset.memories.length} memories, ${dataset.questions.length} questions\n`,
    );
    const engram = await startEngram(backend);
    try {
      const result = await runQuality(engram, dataset, {
        adminKey: ADMIN_KEY,
        halves,
        log: (l) => process.stdout.write(`${l}\n`),
      });
      const out: SavedResult = {
        backend: backend.name,
        measured_at: new Date().toISOString(),
        wall_ms: Math.round(performance.now() - t0),
        ...result,
      };
      process.stdout.write(
        `${result.support.modes ? "" : `keyword/hybrid: not implemented yet (${result.support.note})\n`}\n${textTables(out)}\n`,
      );
      if (result.cross_user.length > 0) {
        leaked += result.cross_user.length;
        process.stderr.write(
          `\n*** ISOLATION BUG: ${result.cross_user.length} search results belonged to another user:\n`,
        );
        for (const h of result.cross_user.slice(0, 20)) process.stderr.write(`***   ${JSON.stringify(h)}\n`);
      }
      saved.push(out);
    } finally {
      await engram.close();
    }
  }
} finally {
  await (await testEmbedder()).close();
}

if (leaked > 0) {
  process.stderr.write(`\n*** FAILED: ${leaked} cross-user results; results and docs left untouched.\n`);
  process.exit(1);
}
if (!values.users && split === "all") {
  mkdirSync(RESULTS, { recursive: true });
  for (const r of saved)
    writeFileSync(`${RESULTS}quality-${r.backend}.json`, `${JSON.stringify(r, null, 2)}\n`);
  if (!values["no-docs"]) updateDoc(DOC, readResults(RESULTS));
} else {
  process.stdout.write("\n(a --users or --split subset: results and docs not written)\n");
}
process.stdout.write(`\nwall time ${((performance.now() - wall0) / 1000).toFixed(1)} s\n`);
