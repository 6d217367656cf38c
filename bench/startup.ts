// Start-up benchmark: time from spawning the built server to the first /readyz 200, first start vs later starts, and RSS.
// Run: npx tsx bench/startup.ts   (writes bench/results/startup.json; PostgreSQL too when ENGRAM_BENCH_DATABASE_URL or
// ENGRAM_TEST_DATABASE_URL is set).
import { execFileSync } from "node:child_process";
import {
  buildIfNeeded,
  CLI,
  ROOT,
  rssMb,
  runIfMain,
  spawnEngram,
  stopEngram,
  waitReady,
} from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { median, round } from "./lib/stats.js";
import { benchBackends, createStore, type Store } from "./lib/store.js";

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
  buildIfNeeded();
  const env = environment();
  const cli = [cliBaselineMs(), cliBaselineMs(), cliBaselineMs()];
  const results: Record<string, unknown>[] = [];
  // Optional arguments name the backends to run (`pglite`, `postgres`); default: every available one.
  for (const backend of benchBackends(process.argv.slice(2))) {
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
    load_average_1m_at_end: loadAverage1m(),
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

runIfMain(import.meta.url, "startup", runStartupBench);
