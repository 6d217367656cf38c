// Bench processes: the built server spawned as a child (start, wait for ready, stop, RSS), and a script's own entry point.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { round } from "./stats.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");
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
let hooked = false;

/** Kills every server this process spawned that is still running (on exit, on Ctrl-C, and when a bench fails). */
function killAll(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}

/** A server must not outlive the bench: hooked on the first spawn, so importing this module changes nothing. */
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on("exit", killAll);
  process.on("SIGINT", () => {
    killAll();
    process.exit(130);
  });
}

/** Builds dist/ when src/ is newer (scripts/build-if-needed.mjs): the benches measure the built server. */
export function buildIfNeeded(): void {
  execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
}

/** A TCP port nothing listens on now, on 127.0.0.1. */
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

/**
 * A bench drives a server far harder than one client should: the per-key limit (ENGRAM_RATE_LIMIT_PER_KEY, 600 a
 * minute by default) would turn its requests into 429s. Failed-authentication limits stay on; benches send none.
 */
export const NO_RATE_LIMITS: Record<string, string> = { ENGRAM_RATE_LIMIT_PER_KEY: "0" };

/**
 * Spawns `node dist/cli/main.js serve` with only the given ENGRAM_* settings (the parent's are not inherited), and
 * without the per-key rate limit unless `env` sets one.
 */
export async function spawnEngram(env: Record<string, string>, logLevel = "warn"): Promise<EngramProcess> {
  hookExit();
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
      ...NO_RATE_LIMITS,
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

/**
 * Runs `bench` when the script whose `import.meta.url` is `moduleUrl` is the one Node was started with; exits 0 when
 * it resolves, or prints "<name> bench failed: <stack>", kills any server left running and exits 1.
 */
export function runIfMain(moduleUrl: string, name: string, bench: () => Promise<void>): void {
  if (!process.argv[1] || moduleUrl !== pathToFileURL(process.argv[1]).href) return;
  bench().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(
        `${name} bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      killAll();
      process.exit(1);
    },
  );
}
