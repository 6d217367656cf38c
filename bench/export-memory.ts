// Memory use of `engram export --all` (and of one `engram import`) as the store grows: 10k, 100k and 1M memories.
// Run: npm run bench:export-memory [-- --sizes 10000,100000 --modes pipe,file,slow --import-at N --slow-at N]
// (defaults: all three sizes, modes pipe and file, the slow mode and the import at 100,000; --no-import, --no-slow).
// Needs ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL (a PostgreSQL role that may create databases): the
// bench creates a fresh engram_bench_* database there, and drops it at the end. Writes
// bench/results/export-memory.json.
//
// The store is seeded with SQL in bulk and grown in place from one size to the next (the API would take hours to
// make a million memories and is not what is measured): 1,001 users of the default tenant, every even-numbered
// memory owned by one large user (half of every size) and the odd ones spread unevenly over the other 1,000; each
// memory has a random 512-number vector tagged 'use-lite-512' (the built-in model, so the CLI accepts the store), a
// generated text of 12 to 31 words, metadata, and one `add` history event; a tenth of the users have a session with
// 4 messages. The built CLI (`node dist/cli/main.js export --all`) then runs as a child process on that database,
// once per mode, while /proc/<pid>/status is read every 100 ms:
//   pipe: the export goes to stdout, a pipe this process reads as fast as it can, counting bytes and lines.
//   file: `-o /dev/null` (the CLI's own file stream).
//   slow: stdout again, read at SLOW_READ_BYTES_PER_S: the export has to wait for its reader (back-pressure); at
//         --slow-at only by default, as it takes bytes / rate seconds.
// Every export must end with its end record and announce N memories. At the size named by --import-at (default
// 100,000) the export is also kept in a temp file and imported with `engram import` into a second fresh database.
//
// One shortcut: the CLI opens the store like the server, and so builds the HNSW index if it is missing. On a
// million 512-dimension vectors that takes far longer than the whole bench on two cores, and an export never reads
// that index; the bench creates an empty index of the same name (`WHERE false`) instead, so the CLI finds one.
import { type ChildProcess, spawn } from "node:child_process";
import {
  createWriteStream,
  mkdtempSync,
  readFileSync,
  rmSync,
  statfsSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Transform, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { migrate } from "../src/db/migrate.js";
import { PostgresDb } from "../src/db/postgres.js";
import * as vectorIndex from "../src/memories/vector-index.js";
import { buildIfNeeded, CLI, runIfMain } from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { round } from "./lib/stats.js";
import { createStore, type Store } from "./lib/store.js";

const MODEL = "use-lite-512";
const DIMS = 512;
/** Users besides the large one. */
const USERS = 1000;
const LARGE_USER = "big-user";
/** Memories inserted per statement while seeding. */
const SEED_CHUNK = 50_000;
const SAMPLE_MS = 100;
const SLOW_READ_BYTES_PER_S = 16 * 2 ** 20;
const DEFAULT_SIZES = [10_000, 100_000, 1_000_000];
const MODES = ["pipe", "file", "slow"] as const;
type Mode = (typeof MODES)[number];
const DEFAULT_MODES: Mode[] = ["pipe", "file"];

const WORDS = (
  "alice bob carol dentist tuesday meeting budget coffee paris berlin flight hotel invoice project deadline " +
  "prefers vegetarian allergy peanuts birthday march april report quarterly review team lunch gym morning " +
  "evening python typescript postgres deploy release bug ticket customer contract renewal sister brother " +
  "garden bicycle piano lesson doctor appointment"
).split(" ");

interface Args {
  sizes: number[];
  modes: Mode[];
  importAt: number | null;
  /** The size at which the slow mode runs too (it takes bytes / SLOW_READ_BYTES_PER_S seconds). */
  slowAt: number | null;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    sizes: DEFAULT_SIZES,
    modes: DEFAULT_MODES,
    importAt: 100_000,
    slowAt: 100_000,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--sizes") {
      args.sizes = value()
        .split(",")
        .map((s) => Number(s.replaceAll("_", "")));
      if (args.sizes.some((n) => !Number.isInteger(n) || n < 2))
        throw new Error("--sizes: integers of at least 2");
      args.sizes.sort((x, y) => x - y);
    } else if (a === "--modes") {
      const modes = value().split(",");
      const bad = modes.filter((m) => !MODES.includes(m as Mode));
      if (bad.length > 0) throw new Error(`--modes: unknown ${bad.join(", ")} (known: ${MODES.join(", ")})`);
      args.modes = modes as Mode[];
    } else if (a === "--import-at") {
      args.importAt = Number(value());
    } else if (a === "--no-import") {
      args.importAt = null;
    } else if (a === "--slow-at") {
      args.slowAt = Number(value());
    } else if (a === "--no-slow") {
      args.slowAt = null;
    } else {
      throw new Error(
        `unknown argument ${a} (known: --sizes, --modes, --import-at N, --no-import, --slow-at N, --no-slow)`,
      );
    }
  }
  if (args.importAt !== null && !args.sizes.includes(args.importAt)) args.importAt = null;
  return args;
}

function urlOf(store: Store): string {
  const url = store.env.ENGRAM_DATABASE_URL;
  if (!url) throw new Error("not a PostgreSQL store");
  return url;
}

/** The HNSW index name the CLI looks for on open (per model when vector-index.ts names it so, else per dimension). */
function hnswIndexName(): string {
  const named = (vectorIndex as Record<string, unknown>).vectorIndexName;
  return typeof named === "function"
    ? (named as (model: string, dims: number) => string)(MODEL, DIMS)
    : `memories_embedding_hnsw_${DIMS}`;
}

/** Engram's migrations, then the empty stand-in for the HNSW index (see the top of this file). */
async function prepare(store: Store): Promise<void> {
  const db = PostgresDb.open(urlOf(store), 2, 40);
  try {
    await migrate(db);
    await db.exec(
      `CREATE INDEX IF NOT EXISTS ${hnswIndexName()} ON memories
       USING hnsw ((embedding::vector(${DIMS})) vector_cosine_ops) WHERE false`,
    );
  } finally {
    await db.close();
  }
}

const pk = (sql: string) => `'usr_' || lpad((${sql})::text, 26, '0')`;

/** Users (0 is the large one), their `default` app, and a session with 4 messages for every tenth user. */
async function seedUsers(c: pg.Client): Promise<void> {
  await c.query(
    `INSERT INTO users (id, tenant_id, external_id, name, email, created_at, updated_at, last_active_at)
     SELECT ${pk("u")}, 'default', CASE WHEN u = 0 THEN $2 ELSE 'user-' || u END, 'Person ' || u,
       'person' || u || '@example.com', now() - interval '400 days', now(), now() - make_interval(hours => u % 500)
     FROM generate_series(0, $1::int) AS u`,
    [USERS, LARGE_USER],
  );
  await c.query(
    `INSERT INTO apps (id, tenant_id, user_id, name, created_at, updated_at)
     SELECT 'app_' || lpad(u::text, 26, '0'), 'default', ${pk("u")}, 'default', now() - interval '400 days', now()
     FROM generate_series(0, $1::int) AS u`,
    [USERS],
  );
  await c.query(
    `INSERT INTO sessions (id, tenant_id, user_id, metadata, created_at, last_activity_at, expires_at)
     SELECT 'sess_' || lpad(u::text, 26, '0'), 'default', ${pk("u")}, '{"channel":"chat"}', now() - interval '1 hour',
       now(), now() + interval '1 day'
     FROM generate_series(0, $1::int, 10) AS u`,
    [USERS],
  );
  await c.query(
    `INSERT INTO session_messages (id, tenant_id, user_id, session_id, role, content, created_at)
     SELECT 'msg_' || lpad((u * 10 + k)::text, 26, '0'), 'default', ${pk("u")}, 'sess_' || lpad(u::text, 26, '0'),
       CASE WHEN k % 2 = 1 THEN 'user' ELSE 'assistant' END, 'message ' || k || ' of user ' || u,
       now() - make_interval(mins => 10 - k)
     FROM generate_series(0, $1::int, 10) AS u, generate_series(1, 4) AS k`,
    [USERS],
  );
}

/**
 * Memories lo+1..hi and their `add` events. Even-numbered memories belong to the large user (ids interleave with
 * everyone else's, as they would over time); odd ones to user 1 + floor(1000 h^2) for a hash h in [0,1): uneven,
 * low-numbered users have the most. Vectors: 512 independent uniform numbers in [-0.08, 0.08], about the magnitude
 * of a unit vector's components; their text form is about 6,200 characters.
 */
async function seedMemories(c: pg.Client, lo: number, hi: number): Promise<void> {
  for (let from = lo; from < hi; from += SEED_CHUNK) {
    const to = Math.min(hi, from + SEED_CHUNK);
    await c.query("BEGIN");
    await c.query(
      `WITH src AS (
         SELECT i,
           CASE WHEN i % 2 = 0 THEN 0
             ELSE 1 + floor($3::int * power(((i::bigint * 2654435761) % 4294967296) / 4294967296.0, 2))::int END AS u,
           now() - make_interval(secs => ($2::int - i) * 3) AS at
         FROM generate_series($1::int + 1, $2::int) AS i
       )
       INSERT INTO memories (id, tenant_id, user_id, app, text, metadata, state, embedding, embedding_model,
         created_at, updated_at)
       SELECT 'mem_' || lpad(i::text, 26, '0'), 'default', ${pk("u")}, 'default',
         'Note ' || i || ': ' ||
           (SELECT string_agg(($4::text[])[1 + ((i * 7 + k * 13 + (i / 7) * k) % cardinality($4::text[]))], ' ')
            FROM generate_series(1, 12 + i % 20) AS k),
         jsonb_build_object('source', 'bench', 'n', i, 'tags', jsonb_build_array('t' || (i % 7), 't' || (i % 11))),
         CASE WHEN i % 50 = 0 THEN 'archived' ELSE 'active' END,
         (SELECT array_agg(((random() * 2 - 1) * 0.08)::real) FROM generate_series(1, $5::int) WHERE i > 0)::vector,
         $6, at, at
       FROM src`,
      [from, to, USERS, WORDS, DIMS, MODEL],
    );
    await c.query(
      `INSERT INTO memory_events (id, tenant_id, user_id, memory_id, event, new_text, new_state, created_at)
       SELECT 'evt_' || substr(id, 5), tenant_id, user_id, id, 'add', text, 'active', created_at
       FROM memories WHERE id > 'mem_' || lpad($1::text, 26, '0') AND id <= 'mem_' || lpad($2::text, 26, '0')`,
      [from, to],
    );
    await c.query("COMMIT");
    process.stdout.write(`  seeded ${to.toLocaleString("en-US")} memories\n`);
  }
}

interface Sample {
  t: number;
  rssKb: number;
}

interface ChildRun {
  exit: number | string;
  ms: number;
  /** From spawn to the first byte on stdout (pipe modes): Node start, imports, model load, database open. */
  firstByteMs: number | null;
  bytes: number | null;
  lines: number | null;
  stdoutTail: string;
  stderr: string;
  samples: Sample[];
  peakRssMb: number;
  /** VmHWM in the last status read before the exit. */
  hwmMb: number | null;
  /** What the child itself reported at exit (see PRELOAD). */
  self: { maxRssMb: number; maxHeapUsedMb: number; maxExternalMb: number; maxArrayBuffersMb: number } | null;
}

/**
 * Loaded into the child with --import: getrusage's maximum RSS at exit (what VmHWM says, read at the last moment),
 * and the largest JS heap and external memory seen every 100 ms, to tell a JS leak from native growth.
 */
const PRELOAD = `import { writeFileSync } from "node:fs";
const max = { heapUsed: 0, external: 0, arrayBuffers: 0 };
const look = () => {
  const m = process.memoryUsage();
  for (const k of Object.keys(max)) max[k] = Math.max(max[k], m[k]);
};
setInterval(look, ${SAMPLE_MS}).unref();
process.on("exit", () => {
  look();
  const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;
  writeFileSync(process.env.ENGRAM_BENCH_SELF_REPORT, JSON.stringify({
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 102.4) / 10,
    maxHeapUsedMb: mb(max.heapUsed), maxExternalMb: mb(max.external), maxArrayBuffersMb: mb(max.arrayBuffers),
  }));
});
`;

function readStatus(pid: number): { rssKb: number; hwmKb: number } | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, "utf8");
    const rss = /VmRSS:\s+(\d+)\s+kB/.exec(s)?.[1];
    const hwm = /VmHWM:\s+(\d+)\s+kB/.exec(s)?.[1];
    return rss && hwm ? { rssKb: Number(rss), hwmKb: Number(hwm) } : null;
  } catch {
    return null;
  }
}

let running: ChildProcess | undefined;
process.on("exit", () => running?.kill("SIGKILL"));

/**
 * Runs the built CLI with only the given ENGRAM_* settings, in an empty directory (no engram.yaml), sampling its
 * RSS. stdout is counted, copied to `keep` when given, and read at `readRate` bytes a second when given.
 */
async function runCli(
  work: string,
  args: string[],
  env: Record<string, string>,
  opts: { keep?: string; readRate?: number } = {},
): Promise<ChildRun> {
  const reportFile = join(work, "self-report.json");
  rmSync(reportFile, { force: true });
  const t0 = performance.now();
  const child = spawn(process.execPath, ["--import", join(work, "preload.mjs"), CLI, ...args], {
    cwd: work,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ENGRAM_LOG_LEVEL: "warn",
      ENGRAM_BENCH_SELF_REPORT: reportFile,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running = child;
  const pid = child.pid;
  if (pid === undefined) throw new Error("spawning the CLI failed");
  const samples: Sample[] = [];
  let hwmKb: number | null = null;
  const sample = () => {
    const s = readStatus(pid);
    if (!s) return;
    samples.push({ t: performance.now() - t0, rssKb: s.rssKb });
    hwmKb = s.hwmKb;
  };
  sample();
  const timer = setInterval(sample, SAMPLE_MS);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  let bytes = 0;
  let lines = 0;
  let tail = "";
  let firstByteMs: number | null = null;
  const started = performance.now();
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      if (firstByteMs === null) firstByteMs = performance.now() - t0;
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      tail = (tail + chunk.subarray(Math.max(0, chunk.length - 4096)).toString()).slice(-4096);
      if (!opts.readRate) return done(null, chunk);
      // Hold the chunk until the capped rate allows it: the pipe fills and the child must wait.
      const due = started + (bytes / opts.readRate) * 1000 - performance.now();
      setTimeout(() => done(null, chunk), Math.max(0, due));
    },
  });
  const sink = opts.keep ? createWriteStream(opts.keep) : new Writable({ write: (_c, _e, done) => done() });
  if (!child.stdout) throw new Error("no stdout");
  await pipeline(child.stdout, counter, sink);
  const exit = await exited;
  const ms = performance.now() - t0;
  clearInterval(timer);
  running = undefined;
  let self: ChildRun["self"] = null;
  try {
    self = JSON.parse(readFileSync(reportFile, "utf8")) as ChildRun["self"];
  } catch {
    // no report: the child died before its exit handlers ran
  }
  const peakKb = Math.max(0, ...samples.map((s) => s.rssKb));
  return {
    exit,
    ms,
    firstByteMs,
    bytes,
    lines,
    stdoutTail: tail,
    stderr,
    samples,
    peakRssMb: round(peakKb / 1024, 1),
    hwmMb: hwmKb === null ? null : round(hwmKb / 1024, 1),
    self,
  };
}

/** RSS over the run at about `points` evenly spaced moments (for the JSON: growth shows as a slope). */
function profile(samples: Sample[], points = 20): Array<{ s: number; rss_mb: number }> {
  if (samples.length === 0) return [];
  const step = Math.max(1, Math.floor(samples.length / points));
  const picked = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  return picked.map((x) => ({ s: round(x.t / 1000, 1), rss_mb: round(x.rssKb / 1024, 1) }));
}

/** Median RSS of the second half of the run, MB: the steady state, without the start-up. */
function steadyMb(samples: Sample[]): number | null {
  const half = samples.slice(Math.floor(samples.length / 2)).map((s) => s.rssKb);
  if (half.length === 0) return null;
  half.sort((a, b) => a - b);
  return round((half[Math.floor(half.length / 2)] ?? 0) / 1024, 1);
}

interface EndCounts {
  memory: number;
  memory_event: number;
  user: number;
}

/** The counts of the end record on the last line (pipe modes), or of the CLI's "exported …" line on stderr. */
function endCounts(run: ChildRun): EndCounts {
  const lastLine = run.stdoutTail.trimEnd().split("\n").pop() ?? "";
  if (lastLine.startsWith('{"type":"end"')) return (JSON.parse(lastLine) as { counts: EndCounts }).counts;
  const m = /exported \d+ records: (\{.*\})/.exec(run.stderr);
  if (!m?.[1]) throw new Error(`no end record and no summary line; stderr:\n${run.stderr}`);
  return JSON.parse(m[1]) as EndCounts;
}

function diskFreeGb(path: string): number {
  const s = statfsSync(path);
  return (s.bavail * s.bsize) / 2 ** 30;
}

async function runExportMemoryBench(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  buildIfNeeded();
  const env = environment();
  const largest = args.sizes[args.sizes.length - 1] ?? 0;
  // The database (about 4.5 KB a memory with its index entries and history, WAL on top) lives on the cluster's
  // disk, usually this one; the kept import file is about 7 KB a memory.
  const needGb = (largest * 6 * 1024 + (args.importAt ?? 0) * 7 * 1024) / 2 ** 30 + 2;
  const freeGb = diskFreeGb(tmpdir());
  process.stdout.write(`free on ${tmpdir()}: ${round(freeGb, 1)} GB (need about ${round(needGb, 1)} GB)\n`);
  if (freeGb < needGb)
    throw new Error(`not enough disk: ${round(freeGb, 1)} GB free, ${round(needGb, 1)} needed`);

  const work = mkdtempSync(join(tmpdir(), "engram-export-bench-"));
  writeFileSync(join(work, "preload.mjs"), PRELOAD);
  const store = await createStore("postgres");
  const stores: Store[] = [store];
  const results: Array<Record<string, unknown>> = [];
  let importResult: Record<string, unknown> | null = null;
  let baseline: Record<string, unknown> | null = null;
  try {
    await prepare(store);
    const c = new pg.Client({ connectionString: urlOf(store) });
    await c.connect();
    try {
      await seedUsers(c);
      await c.query("ANALYZE");
      // The floor: the same command on the same store, exporting a user with nothing (model, pool, one tenant).
      const base = await runCli(work, ["export", "--user", "nobody"], store.env);
      baseline = {
        peak_rss_mb: base.peakRssMb,
        hwm_mb: base.hwmMb,
        self: base.self,
        ms: Math.round(base.ms),
      };
      process.stdout.write(`baseline (an export of nothing): peak RSS ${base.peakRssMb} MB\n`);

      let seeded = 0;
      for (const n of args.sizes) {
        const t0 = performance.now();
        await seedMemories(c, seeded, n);
        seeded = n;
        // A store in use has been vacuumed and analysed (autovacuum); without it the first export sets hint bits.
        await c.query("VACUUM (ANALYZE) memories, memory_events");
        const seedMs = Math.round(performance.now() - t0);
        const size = await c.query<{ db: string; bytes: string }>(
          "SELECT pg_size_pretty(pg_database_size(current_database())) AS db, pg_database_size(current_database()) AS bytes",
        );
        const big = await c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM memories WHERE user_id = 'usr_' || lpad('0', 26, '0')",
        );
        process.stdout.write(
          `N=${n.toLocaleString("en-US")}: seeded in ${round(seedMs / 1000, 1)} s, database ${size.rows[0]?.db}\n`,
        );
        let pipeBytes: number | null = null;
        let keptRecords = 0;
        const modes =
          n === args.slowAt && !args.modes.includes("slow") ? [...args.modes, "slow" as const] : args.modes;
        for (const mode of modes) {
          const keep = mode === "pipe" && n === args.importAt ? join(work, `export-${n}.ndjson`) : undefined;
          const cliArgs = mode === "file" ? ["export", "--all", "-o", "/dev/null"] : ["export", "--all"];
          const run = await runCli(work, cliArgs, store.env, {
            ...(keep ? { keep } : {}),
            ...(mode === "slow" ? { readRate: SLOW_READ_BYTES_PER_S } : {}),
          });
          if (run.exit !== 0) throw new Error(`export (${mode}) exited ${run.exit}:\n${run.stderr}`);
          const counts = endCounts(run);
          if (counts.memory !== n)
            throw new Error(`export (${mode}) announced ${counts.memory} memories, not ${n}`);
          const bytes = mode === "file" ? pipeBytes : run.bytes;
          if (mode === "pipe") pipeBytes = run.bytes;
          if (keep) keptRecords = run.lines ?? 0;
          const records =
            mode === "file"
              ? Object.values(counts as unknown as Record<string, number>).reduce((a, b) => a + b, 0) + 2
              : run.lines;
          const secs = run.ms / 1000;
          const r = {
            memories: n,
            mode,
            users: counts.user,
            large_user_memories: big.rows[0]?.n ?? null,
            memory_events: counts.memory_event,
            records,
            bytes,
            bytes_counted: mode !== "file",
            duration_s: round(secs, 1),
            first_byte_s: run.firstByteMs === null ? null : round(run.firstByteMs / 1000, 2),
            records_per_s: records === null ? null : Math.round(records / secs),
            memories_per_s: Math.round(n / secs),
            mb_per_s: bytes === null ? null : round(bytes / 2 ** 20 / secs, 1),
            peak_rss_mb: run.peakRssMb,
            vm_hwm_mb: run.hwmMb,
            steady_rss_mb: steadyMb(run.samples),
            child_self: run.self,
            rss_profile: profile(run.samples),
            seed_s: round(seedMs / 1000, 1),
            database_size: size.rows[0]?.db ?? null,
            database_bytes: Number(size.rows[0]?.bytes ?? 0),
          };
          results.push(r);
          process.stdout.write(
            `  export ${mode}: ${r.duration_s} s, ${r.records_per_s ?? "-"} records/s, ` +
              `peak RSS ${r.peak_rss_mb} MB (VmHWM ${r.vm_hwm_mb}), heap max ${run.self?.maxHeapUsedMb ?? "-"} MB\n`,
          );
        }
        if (n === args.importAt && keptRecords > 0)
          importResult = await measureImport(work, n, keptRecords, stores);
      }
    } finally {
      await c.end();
    }
  } finally {
    running?.kill("SIGKILL");
    for (const s of stores) await s.drop();
    rmSync(work, { recursive: true, force: true });
  }

  const path = await writeResult("export-memory", {
    ...env,
    load_average_1m_at_end: loadAverage1m(),
    backend: "postgres",
    model: MODEL,
    dimensions: DIMS,
    users: USERS + 1,
    sample_ms: SAMPLE_MS,
    slow_read_bytes_per_s: SLOW_READ_BYTES_PER_S,
    hnsw_index: "empty stand-in (WHERE false): see bench/export-memory.ts",
    baseline,
    results,
    import: importResult,
  });
  printTable(
    `engram export --all on PostgreSQL (node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start})`,
    ["memories", "mode", "records", "MB", "s", "records/s", "peak RSS MB", "VmHWM MB", "heap max MB"],
    results.map((r) => [
      (r.memories as number).toLocaleString("en-US"),
      r.mode as string,
      r.records as number,
      r.bytes === null ? null : round((r.bytes as number) / 2 ** 20, 0),
      r.duration_s as number,
      r.records_per_s as number,
      r.peak_rss_mb as number,
      r.vm_hwm_mb as number,
      (r.child_self as ChildRun["self"])?.maxHeapUsedMb ?? null,
    ]),
  );
  if (importResult) {
    const i = importResult;
    printTable(
      "engram import of the kept export into a fresh database",
      ["memories", "large user", "MB", "s", "records/s", "peak RSS MB", "VmHWM MB", "heap max MB"],
      [
        [
          (i.memories as number).toLocaleString("en-US"),
          i.large_user_memories as number,
          round((i.bytes as number) / 2 ** 20, 0),
          i.duration_s as number,
          i.records_per_s as number,
          i.peak_rss_mb as number,
          i.vm_hwm_mb as number,
          (i.child_self as ChildRun["self"])?.maxHeapUsedMb ?? null,
        ],
      ],
    );
  }
  process.stdout.write(`\nwrote ${path}\n`);
}

/** `engram import` of the kept export into a second fresh database; returns its row of the results. */
async function measureImport(
  work: string,
  n: number,
  records: number,
  stores: Store[],
): Promise<Record<string, unknown>> {
  const file = join(work, `export-${n}.ndjson`);
  const bytes = statSync(file).size;
  const target = await createStore("postgres");
  stores.push(target);
  await prepare(target);
  const run = await runCli(work, ["import", file, "--json"], target.env);
  rmSync(file, { force: true });
  if (run.exit !== 0) throw new Error(`import exited ${run.exit}:\n${run.stderr}`);
  const c = new pg.Client({ connectionString: urlOf(target) });
  await c.connect();
  let imported: number;
  let large: number;
  try {
    imported = (await c.query<{ n: number }>("SELECT count(*)::int AS n FROM memories")).rows[0]?.n ?? 0;
    large =
      (
        await c.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM memories m JOIN users u ON u.id = m.user_id WHERE u.external_id = $1`,
          [LARGE_USER],
        )
      ).rows[0]?.n ?? 0;
  } finally {
    await c.end();
  }
  if (imported !== n) throw new Error(`import wrote ${imported} memories, not ${n}`);
  const secs = run.ms / 1000;
  const r = {
    memories: n,
    large_user_memories: large,
    bytes,
    duration_s: round(secs, 1),
    records,
    records_per_s: Math.round(records / secs),
    peak_rss_mb: run.peakRssMb,
    vm_hwm_mb: run.hwmMb,
    steady_rss_mb: steadyMb(run.samples),
    child_self: run.self,
    rss_profile: profile(run.samples, 40),
  };
  process.stdout.write(
    `  import: ${r.duration_s} s, peak RSS ${r.peak_rss_mb} MB (VmHWM ${r.vm_hwm_mb}), heap max ${run.self?.maxHeapUsedMb ?? "-"} MB\n`,
  );
  return r;
}

runIfMain(import.meta.url, "export-memory", runExportMemoryBench);
