// One measured run ("cell") of the comparison bench: the load generator drives one endpoint of one system at one
// concurrency while this process samples the system's resident memory and reads the CPU time the system's process and
// its PostgreSQL backends spent; then statistics per cell and, over interleaved rounds, medians with their spread.
import { readdirSync, readFileSync } from "node:fs";
import type { Loadgen, LoadResult, LoadSpec } from "./loadgen.js";
import { loadAverage1m } from "./report.js";
import { median, round, summarize } from "./stats.js";

/** Clock ticks per second for /proc/<pid>/stat times: 100 on every Linux this runs on. */
const CLK_TCK = 100;

/** CPU time (user + system) of a process in ms, or null when it is gone. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) / CLK_TCK) * 1000;
  } catch {
    return null;
  }
}

export function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m?.[1] ? round(Number(m[1]) / 1024, 1) : null;
  } catch {
    return null;
  }
}

/**
 * The PostgreSQL backends serving one database: processes titled `postgres: <user> <database> …`. Parallel query
 * workers are titled otherwise and are not found (their CPU is not counted).
 */
export function pgBackends(database: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.startsWith("postgres: ") && cmd.includes(` ${database} `)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

/** What a system under test is, for sampling: its process and, on PostgreSQL, its database's name. */
export interface Target {
  pid: number;
  database: string | null;
  /** Statements running (or transactions open) in the system's database now; absent on PGlite. */
  activeStatements?: () => Promise<number>;
}

function cpuSnapshot(t: Target): { proc: number; db: Map<number, number> } {
  const db = new Map<number, number>();
  if (t.database) for (const pid of pgBackends(t.database)) db.set(pid, cpuMs(pid) ?? 0);
  return { proc: cpuMs(t.pid) ?? 0, db };
}

/**
 * Waits until the system is idle again, at most `maxMs`: no statement running in its database (twice, 100 ms apart)
 * and its process and database backends together below a tenth of a core over 250 ms. After a run that ended with
 * requests in flight the server is still working on them, and the next run must not pay for them. Returns ms waited.
 */
export async function waitIdle(t: Target, maxMs: number): Promise<number> {
  const t0 = performance.now();
  const total = () => {
    const s = cpuSnapshot(t);
    let ms = s.proc;
    for (const v of s.db.values()) ms += v;
    return ms;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let last = total();
  while (performance.now() - t0 < maxMs) {
    await sleep(250);
    const now = total();
    const quiet = now - last < 25;
    last = now;
    if (!quiet) continue;
    if (t.activeStatements) {
      if ((await t.activeStatements()) > 0) continue;
      await sleep(100);
      if ((await t.activeStatements()) > 0) continue;
    }
    break;
  }
  return round(performance.now() - t0);
}

export interface CellKey {
  /** engram, mem0, engram-builtin */
  system: string;
  /** search, add, batch-add, floor */
  op: string;
  /** small (many small users), large (one large user), ingest, none */
  dataset: string;
  /** hybrid, semantic, mem0 (its one search), - */
  mode: string;
  /** fresh (every query embedded) or warm (query embeddings cached); - for other ops */
  cache: string;
  concurrency: number;
}

export interface Cell extends CellKey {
  round: number;
  /** Why this cell was not run (the same workload at the previous concurrency was already too slow), or null. */
  skipped: string | null;
  /** Counted requests that completed (their latencies are below). */
  n: number;
  /** Requests (for batch add: items) per second over the measured window. */
  per_s: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
  errors: number;
  first_error: string | null;
  statuses: Record<string, number>;
  window_ms: number;
  exhausted: boolean;
  /** Requests still in flight when the drain gave up: percentiles are then lower bounds. */
  abandoned: number;
  /** After abandoning requests: how long the system took to become idle before the next cell. */
  idle_wait_ms: number;
  rss_max_mb: number | null;
  /** CPU ms per completed request: the system's process, and its PostgreSQL backends (null on PGlite). */
  cpu_ms_per_req: { process: number | null; database: number | null };
  load_1m: number;
}

export function cellId(k: CellKey): string {
  return `${k.system}/${k.op}/${k.dataset}/${k.mode}/${k.cache}/c${k.concurrency}`;
}

/** Runs one cell: the load spec through the generator, sampling RSS every 100 ms and CPU before and after. */
export async function runCell(
  loadgen: Loadgen,
  key: CellKey,
  round_: number,
  spec: LoadSpec,
  target: Target,
  itemsPerRequest = 1,
): Promise<Cell> {
  let rssMax = rssMb(target.pid);
  const sampler = setInterval(() => {
    const r = rssMb(target.pid);
    if (r !== null && (rssMax === null || r > rssMax)) rssMax = r;
  }, 100);
  const before = cpuSnapshot(target);
  let res: LoadResult;
  try {
    res = await loadgen.run(spec);
  } finally {
    clearInterval(sampler);
  }
  const after = cpuSnapshot(target);
  const idleWaitMs = res.stillInFlight > 0 ? await waitIdle(target, 180_000) : 0;
  const s = summarize(res.latencies);
  // Every request sent (warm-up and drain included) spent CPU inside the sampled interval.
  const sent = Math.max(1, res.sent);
  let dbCpu: number | null = null;
  if (target.database) {
    dbCpu = 0;
    for (const [pid, ms] of after.db) dbCpu += ms - (before.db.get(pid) ?? 0);
  }
  const r2 = (x: number) => (Number.isFinite(x) ? round(x, 2) : 0);
  return {
    ...key,
    round: round_,
    skipped: null,
    n: res.latencies.length,
    per_s: round((res.completedInWindow * itemsPerRequest) / (res.windowMs / 1000), 1),
    p50_ms: r2(s.p50),
    p95_ms: r2(s.p95),
    p99_ms: r2(s.p99),
    mean_ms: r2(s.mean),
    max_ms: r2(s.max),
    errors: res.errors,
    first_error: res.firstError,
    statuses: res.statuses,
    window_ms: round(res.windowMs),
    exhausted: res.exhausted,
    abandoned: res.abandoned,
    idle_wait_ms: idleWaitMs,
    rss_max_mb: rssMax,
    cpu_ms_per_req: {
      process: round((after.proc - before.proc) / sent, 2),
      database: dbCpu === null ? null : round(dbCpu / sent, 2),
    },
    load_1m: loadAverage1m(),
  };
}

/** A cell that was not run, recorded so that the report says so. */
export function skippedCell(key: CellKey, round_: number, reason: string): Cell {
  return {
    ...key,
    round: round_,
    skipped: reason,
    n: 0,
    per_s: 0,
    p50_ms: 0,
    p95_ms: 0,
    p99_ms: 0,
    mean_ms: 0,
    max_ms: 0,
    errors: 0,
    first_error: null,
    statuses: {},
    window_ms: 0,
    exhausted: false,
    abandoned: 0,
    idle_wait_ms: 0,
    rss_max_mb: null,
    cpu_ms_per_req: { process: null, database: null },
    load_1m: loadAverage1m(),
  };
}

/** Median over rounds with the spread (min..max) of one statistic. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

export interface CellSummary extends CellKey {
  /** Rounds run (skipped ones not counted). */
  rounds: number;
  /** Set when no round ran it. */
  skipped: string | null;
  per_s: Spread;
  /** Latencies over the rounds in which some request completed; null when none did. */
  p50_ms: Spread | null;
  p95_ms: Spread | null;
  p99_ms: Spread | null;
  n: number;
  errors: number;
  abandoned: number;
  exhausted: boolean;
  cpu_ms_per_req: { process: number | null; database: number | null };
  rss_max_mb: number | null;
}

function spread(xs: number[]): Spread {
  return { median: round(median(xs), 2), min: round(Math.min(...xs), 2), max: round(Math.max(...xs), 2) };
}

function medianOrNull(xs: Array<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? round(median(v), 2) : null;
}

/** Groups cells by key (all rounds together) into medians with spread. */
export function summarizeCells(cells: Cell[]): CellSummary[] {
  const groups = new Map<string, Cell[]>();
  for (const c of cells) {
    const id = cellId(c);
    const g = groups.get(id) ?? [];
    g.push(c);
    groups.set(id, g);
  }
  return [...groups.values()].map((all) => {
    const k = all[0] as Cell;
    const g = all.filter((c) => c.skipped === null);
    const done = g.filter((c) => c.n > 0);
    const lat = (f: (c: Cell) => number) => (done.length ? spread(done.map(f)) : null);
    return {
      system: k.system,
      op: k.op,
      dataset: k.dataset,
      mode: k.mode,
      cache: k.cache,
      concurrency: k.concurrency,
      rounds: g.length,
      skipped: g.length === 0 ? k.skipped : null,
      per_s: g.length ? spread(g.map((c) => c.per_s)) : { median: 0, min: 0, max: 0 },
      p50_ms: lat((c) => c.p50_ms),
      p95_ms: lat((c) => c.p95_ms),
      p99_ms: lat((c) => c.p99_ms),
      n: g.reduce((a, c) => a + c.n, 0),
      errors: g.reduce((a, c) => a + c.errors, 0),
      abandoned: g.reduce((a, c) => a + c.abandoned, 0),
      exhausted: g.some((c) => c.exhausted),
      cpu_ms_per_req: {
        process: medianOrNull(g.map((c) => c.cpu_ms_per_req.process)),
        database: medianOrNull(g.map((c) => c.cpu_ms_per_req.database)),
      },
      rss_max_mb: g.reduce<number | null>(
        (a, c) => (c.rss_max_mb !== null && (a === null || c.rss_max_mb > a) ? c.rss_max_mb : a),
        null,
      ),
    };
  });
}

/** Finds one summary by its key fields (undefined fields match anything). */
export function findSummary(list: CellSummary[], k: Partial<CellKey>): CellSummary | undefined {
  return list.find((s) =>
    (Object.keys(k) as Array<keyof CellKey>).every((f) => k[f] === undefined || s[f] === k[f]),
  );
}
