// `npm run bench:locomo`: conversational retrieval on LoCoMo through the REST API; writes bench/results/locomo.json and docs/retrieval.md.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { environment, loadAverage1m, writeResult } from "../lib/report.js";
import { listConversations, locomoDir, readConversation } from "./data.js";
import { runLocomo, SEARCH_MODES, type SearchMode } from "./harness.js";
import { type SavedLocomo, textTable, updateDoc } from "./report.js";

const HELP = `npm run bench:locomo -- [options]

Loads LoCoMo conversations into an in-process Engram (default config, built-in embedding model) through the REST
API, one user per conversation and one memory per turn ("<speaker>: <text> [image: <caption>]", with its session's
date as occurred_at), asks every category 1-4 question as that user, and scores the top 10 against the evidence
turns: recall@5/@10, MRR and hit@10 per category and overall, per search mode, with load and search timings.

Data is read from ../shared/data/locomo-dev (beside the repository) or ENGRAM_LOCOMO_DIR; it is never copied.
A full run (every conversation, every mode) writes bench/results/locomo.json (PGlite; locomo-postgres.json for
PostgreSQL, which leaves the docs alone) and the generated part of the "LoCoMo (conversations)" section of
docs/retrieval.md. Exits 1 if a search returned another user's memory.

  --backend=pglite|postgres  pglite (default): a temp data dir; postgres: a database created and dropped on
                             ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL
  --conversations=26,30      only these conversations (nothing is written)
  --modes=hybrid,keyword,semantic
                             search modes to score (default all three; a subset writes nothing)
  --no-captions              leave image captions out of the turn texts (nothing is written)
  --concurrency=N            searches in flight (default 1, so latencies are not queueing)
  --no-write                 print only: no results file, no docs
  -h, --help                 this text
`;

const DOC = fileURLToPath(new URL("../../docs/retrieval.md", import.meta.url));

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "pglite" },
    conversations: { type: "string" },
    modes: { type: "string" },
    "no-captions": { type: "boolean", default: false },
    concurrency: { type: "string", default: "1" },
    "no-write": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const dir = locomoDir();
const available = listConversations(dir);
if (available.length === 0) {
  process.stderr.write(`No LoCoMo conversations in ${dir} (set ENGRAM_LOCOMO_DIR). See --help.\n`);
  process.exit(2);
}
const ids = values.conversations ? values.conversations.split(",").map((s) => s.trim()) : available;
const missing = ids.filter((id) => !existsSync(`${dir}/${id}.json`));
if (missing.length > 0) throw new Error(`no such conversation in ${dir}: ${missing.join(", ")}`);
const modes = (
  values.modes ? values.modes.split(",").map((s) => s.trim()) : [...SEARCH_MODES]
) as SearchMode[];
const badMode = modes.find((m) => !(SEARCH_MODES as readonly string[]).includes(m));
if (badMode) throw new Error(`unknown mode ${badMode} (${SEARCH_MODES.join(", ")})`);
if (values.backend !== "pglite" && values.backend !== "postgres")
  throw new Error(`--backend must be pglite or postgres, not ${values.backend}`);

// test/helpers/backends.ts reads ENGRAM_TEST_DATABASE_URL when it loads: hand it the bench URL first.
const benchUrl = process.env.ENGRAM_BENCH_DATABASE_URL;
if (benchUrl) process.env.ENGRAM_TEST_DATABASE_URL = benchUrl;
const { pgliteBackend, postgresBackend } = await import("../../test/helpers/backends.js");
const { ADMIN_KEY, startEngram, testEmbedder } = await import("../../test/helpers/runtime.js");

const captions = !values["no-captions"];
const conversations = ids.map((id) => readConversation(dir, id, { captions }));
const wall0 = performance.now();
const backend = values.backend === "postgres" ? postgresBackend : pgliteBackend;
process.stdout.write(
  `== LoCoMo from ${dir}: ${conversations.length} conversations, ` +
    `${conversations.reduce((s, c) => s + c.turns.length, 0)} turns; backend ${backend.name}; modes ${modes.join(", ")}\n`,
);

const env = environment();
let saved: SavedLocomo;
const engram = await startEngram(backend);
try {
  const result = await runLocomo(engram, conversations, {
    adminKey: ADMIN_KEY,
    modes,
    concurrency: Number(values.concurrency),
    log: (l) => process.stdout.write(`${l}\n`),
  });
  saved = {
    backend: backend.name,
    captions,
    measured_at: new Date().toISOString(),
    wall_ms: Math.round(performance.now() - wall0),
    environment: { ...env, load_average_1m_at_end: loadAverage1m() },
    ...result,
  };
} finally {
  await engram.close();
  await (await testEmbedder()).close();
}

process.stdout.write(`\n${textTable(saved)}\n`);
if (saved.cross_user > 0) {
  process.stderr.write(
    `\n*** ISOLATION BUG: ${saved.cross_user} results belonged to another user; nothing written.\n`,
  );
  process.exit(1);
}
const full = !values.conversations && !values.modes && captions;
if (!full || values["no-write"]) {
  process.stdout.write("\n(a slice, or --no-write: results and docs not written)\n");
} else {
  const path = await writeResult(backend.name === "pglite" ? "locomo" : `locomo-${backend.name}`, saved);
  if (backend.name === "pglite") updateDoc(DOC, saved);
  process.stdout.write(`\nwrote ${path}${backend.name === "pglite" ? " and docs/retrieval.md" : ""}\n`);
}
