// Reporting a bench run: what it ran on (commit, Node, CPUs, load), its JSON in bench/results/, and text tables.
import { type ExecFileSyncOptionsWithStringEncoding, execFileSync } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { ROOT } from "./process.js";
import { round } from "./stats.js";

/** The 1-minute load average, 2 decimals: read every figure together with it on a shared two-core machine. */
export function loadAverage1m(): number {
  return round(loadavg()[0] ?? 0, 2);
}

/** What the numbers were measured on: they mean little without it (the machine is shared and has 2 cores). */
export function environment(): Record<string, unknown> {
  // ENGRAM_BENCH_COMMIT names the commit when the bench runs on an exported snapshot (no .git there).
  let commit = process.env.ENGRAM_BENCH_COMMIT ?? "unknown";
  let dirty = false;
  if (!process.env.ENGRAM_BENCH_COMMIT) {
    try {
      const quiet: ExecFileSyncOptionsWithStringEncoding = {
        cwd: ROOT,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      };
      commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], quiet).trim();
      const status = execFileSync("git", ["status", "--porcelain", "src"], quiet);
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
    load_average_1m_at_start: loadAverage1m(),
  };
}

/** Writes bench/results/<name>.json (overwriting the last run's); returns its path. */
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
