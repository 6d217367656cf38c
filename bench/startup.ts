// Start-up benchmark: time from spawning the built server to the first /readyz 200, first start vs later starts, and RSS.
// Run: npx tsx bench/startup.ts   (writes bench/results/startup.json; PostgreSQL too when ENGRAM_BENCH_DATABASE_URL or
// ENGRAM_TEST_DATABASE_URL is set). Also exports the process helpers bench/search-latency.ts uses.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import pg from "pg";

export const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
export const ADMIN_KEY = "ek_admin_benchbenchbenchbenchbenchbenchb";
const READY_TIMEOUT_MS = 180_000;

export interface EngramProcess {
  child: ChildProcess;
  pid: number;
  url: string;
  spawnedAt: number;
  stderr(): string;
  exited: Promise<number | string>;
}

const children = new Set<ChildProcess>();
/** Kills every server this process spawned that is still running (on exit, and on Ctrl-C). */
export function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}
process.on("exit", killAll);
process.on("SIGINT", () => {
  killAll();
  process.exit(130);
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns `node dist/cli/main.js serve` with only the given ENGRAM_* settings (the parent's are not inherited). */
export async function spawnEngram(env: Record<string, string>, logLevel = "warn"): Promise<EngramProcess> {
  const port = await freePort();
  const spawnedAt = performance.now();
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ENGRAM_PORT: String(port),
      ENGRAM_HOST: "127.0.0.1",
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_LOG_LEVEL: logLevel,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) {
    const reason = await new Promise<unknown>((resolve) => child.once("error", resolve));
    throw new Error(
      `spawning the server failed: ${reason instanceof Error ? reason.message : String(reason)}`,
    );
  }
  children.add(child);
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.resume();
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  return { child, pid: child.pid, url: `http://127.0.0.1:${port}`, spawnedAt, stderr: () => err, exited };
}

/** Polls /readyz every 10 ms; returns ms from spawn to the first 200. */
export async function waitReady(p: EngramProcess): Promise<number> {
  let gone = false;
  void p.exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`server exited before ready (${await p.exited}):\n${p.stderr()}`);
    try {
      const res = await fetch(`${p.url}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) return performance.now() - p.spawnedAt;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`not ready after ${READY_TIMEOUT_MS} ms:\n${p.stderr()}`);
}

/** Graceful stop (SIGTERM), as an operator would; SIGKILL if it hangs. */
export async function stopEngram(p: EngramProcess): Promise<void> {
  p.child.kill("SIGTERM");
  const timer = setTimeout(() => p.child.kill("SIGKILL"), 15_000);
  await p.exited;
  clearTimeout(timer);
}

/** Resident set size of a process in MB, from /proc/<pid>/status (Linux). */
export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

export interface Store {
  backend: "pglite" | "postgres";
  env: Record<string, string>;
  drop(): Promise<void>;
}

export const pgUrl =
  process.env.ENGRAM_BENCH_DATABASE_URL || process.env.ENGRAM_TEST_DATABASE_URL || undefined;

/** A new empty store: a temp PGlite data dir, or a fresh database on the PostgreSQL server at pgUrl. */
export async function createStore(backend: "pglite" | "postgres"): Promise<Store> {
  if (backend === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "engram-bench-"));
    return {
      backend,
      env: { ENGRAM_DATA_DIR: dir },
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  if (!pgUrl) throw new Error("no PostgreSQL URL: set ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL");
  const name = `engram_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    backend,
    env: { ENGRAM_DATABASE_URL: url.toString() },
    async drop() {
      const c = new pg.Client({ connectionString: pgUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function benchBackends(): Array<"pglite" | "postgres"> {
  return pgUrl ? ["pglite", "postgres"] : ["pglite"];
}

export function round(n: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export function median(xs: number[]): number {
  return percentile(
    [...xs].sort((a, b) => a - b),
    50,
  );
}

/** What the numbers were measured on: they mean little without it (the machine is shared and has 2 cores). */
export function environment(): Record<string, unknown> {
  // ENGRAM_BENCH_COMMIT names the commit when the bench runs on an exported snapshot (no .git there).
  let commit = process.env.ENGRAM_BENCH_COMMIT ?? "unknown";
  let dirty = false;
  if (!process.env.ENGRAM_BENCH_COMMIT) {
    try {
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
      const status = execFileSync("git", ["status", "--porcelain", "src"], { cwd: ROOT, encoding: "utf8" });
      dirty = status.trim() !== "";
    } catch {
      // not a git checkout
    }
  }
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    commit,
    src_dirty: dirty,
    node: process.version,
    cpus: `${cpu.length} x ${cpu[0]?.model ?? "?"}`,
    memory_gb: round(totalmem() / 2 ** 30, 1),
    load_average_1m_at_start: round(loadavg()[0] ?? 0, 2),
  };
}

export async function writeResult(name: string, data: unknown): Promise<string> {
  const dir = join(ROOT, "bench", "results");
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

/** Prints rows as an aligned text table. */
export function printTable(
  title: string,
  header: string[],
  rows: Array<Array<string | number | null>>,
): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (c === null ? "-" : String(c))))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  process.stdout.write(`\n${title}\n${line(header)}\n${widths.map((w) => "-".repeat(w)).join("  ")}\n`);
  for (const r of cells.slice(1)) process.stdout.write(`${line(r)}\n`);
}

/** The ms the server logs for its own start-up (debug level): runtime built, and listening. */
function serverTimings(stderr: string): { runtime_ms: number | null; listening_ms: number | null } {
  let runtime: number | null = null;
  let listening: number | null = null;
  for (const line of stderr.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const rec = JSON.parse(line) as { msg?: string; ms?: number };
      if (rec.msg === "runtime ready" && typeof rec.ms === "number") runtime = rec.ms;
      if (rec.msg === "engram listening" && typeof rec.ms === "number") listening = rec.ms;
    } catch {
      // not a log record
    }
  }
  return { runtime_ms: runtime, listening_ms: listening };
}

interface StartSample {
  ready_ms: number;
  runtime_ms: number | null;
  listening_ms: number | null;
  rss_mb: number | null;
}

async function startOnce(store: Store): Promise<StartSample> {
  const p = await spawnEngram(store.env, "debug");
  const ready = await waitReady(p);
  // Let the stderr pipe deliver the start-up log lines.
  await new Promise((r) => setTimeout(r, 100));
  const sample: StartSample = { ready_ms: round(ready), ...serverTimings(p.stderr()), rss_mb: rssMb(p.pid) };
  await stopEngram(p);
  return sample;
}

/** `engram --version` loads the same modules as `serve` minus the database and model: Node's own start + imports. */
function cliBaselineMs(): number {
  const t0 = performance.now();
  execFileSync(process.execPath, [CLI, "--version"], { cwd: ROOT, env: { PATH: process.env.PATH ?? "" } });
  return round(performance.now() - t0);
}

const LATER_STARTS = 5;

export async function runStartupBench(): Promise<void> {
  execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  const env = environment();
  const cli = [cliBaselineMs(), cliBaselineMs(), cliBaselineMs()];
  const results: Record<string, unknown>[] = [];
  // Optional arguments name the backends to run (`pglite`, `postgres`); default: every available one.
  const only = process.argv.slice(2);
  for (const backend of benchBackends().filter((b) => only.length === 0 || only.includes(b))) {
    const store = await createStore(backend);
    try {
      process.stderr.write(`startup: ${backend}, first start on a new store...\n`);
      const first = await startOnce(store);
      const later: StartSample[] = [];
      for (let i = 0; i < LATER_STARTS; i++) {
        process.stderr.write(`startup: ${backend}, later start ${i + 1}/${LATER_STARTS}...\n`);
        later.push(await startOnce(store));
      }
      results.push({
        backend,
        first_start: first,
        later_starts: later,
        later_start_median: {
          ready_ms: median(later.map((s) => s.ready_ms)),
          runtime_ms: median(later.flatMap((s) => (s.runtime_ms === null ? [] : [s.runtime_ms]))),
          listening_ms: median(later.flatMap((s) => (s.listening_ms === null ? [] : [s.listening_ms]))),
          rss_mb: median(later.flatMap((s) => (s.rss_mb === null ? [] : [s.rss_mb]))),
        },
      });
    } finally {
      await store.drop();
    }
  }
  const out = {
    ...env,
    cli_version_ms: median(cli),
    load_average_1m_at_end: round(loadavg()[0] ?? 0, 2),
    results,
  };
  const path = await writeResult("startup", out);

  const rows: Array<Array<string | number | null>> = [];
  for (const r of results as Array<{
    backend: string;
    first_start: StartSample;
    later_starts: StartSample[];
  }>) {
    const row = (label: string, s: StartSample) => [
      `${r.backend} ${label}`,
      s.ready_ms,
      s.runtime_ms,
      s.listening_ms,
      s.rss_mb,
    ];
    rows.push(row("first start (new store)", r.first_start));
    const m = (f: (s: StartSample) => number | null) => median(r.later_starts.flatMap((s) => f(s) ?? []));
    rows.push([
      `${r.backend} later start (median of ${r.later_starts.length})`,
      m((s) => s.ready_ms),
      m((s) => s.runtime_ms),
      m((s) => s.listening_ms),
      m((s) => s.rss_mb),
    ]);
  }
  printTable(
    `Start-up to first /readyz 200 (node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start}); engram --version alone: ${median(cli)} ms`,
    ["run", "ready ms", "runtime ms", "listening ms", "RSS MB"],
    rows,
  );
  process.stdout.write(`\nwrote ${path}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runStartupBench().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `startup bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      killAll();
      process.exit(1);
    },
  );
}
