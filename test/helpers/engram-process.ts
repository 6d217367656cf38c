/**
 * The built server (`engram serve` from dist/cli/main.js) as a child process: spawn on a free port, wait for
 * /readyz, SIGKILL, JSON calls. For tests that need real processes (crashes, several servers on one database).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");

export interface EngramProcess {
  child: ChildProcess;
  url: string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has gone. */
  exited: Promise<number | string>;
}

const children = new Set<ChildProcess>();

/** SIGKILLs every server this module started that is still running. */
export function killAllServers(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
}
// A crashed test run must not leave servers holding ports, data dirs or database connections.
process.on("exit", killAllServers);

/** Builds dist/ if src/ is newer, as `npm test` does: the tests drive the built CLI, as a user runs it. */
export function buildIfNeeded(): void {
  execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  if (!existsSync(CLI)) throw new Error(`${CLI} missing after build`);
}

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

/** Starts `engram serve` with a clean environment (PATH and HOME only) plus `env`; does not wait for it. */
export async function spawnServer(env: Record<string, string>): Promise<EngramProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      ENGRAM_PORT: String(port),
      ENGRAM_HOST: "127.0.0.1",
      ENGRAM_LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  child.stdout?.resume();
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown"));
  });
  return { child, url: `http://127.0.0.1:${port}`, stderr: () => err, exited };
}

/** Polls /readyz until 200; throws if the process exits first or `timeoutMs` passes. */
export async function waitReady(p: EngramProcess, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void p.exited.then(() => {
    gone = true;
  });
  while (Date.now() < deadline) {
    if (gone) throw new Error(`server exited before ready (${await p.exited}): ${p.stderr()}`);
    try {
      const res = await fetch(`${p.url}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server not ready after ${timeoutMs} ms: ${p.stderr()}`);
}

export async function startServer(env: Record<string, string>, timeoutMs?: number): Promise<EngramProcess> {
  const p = await spawnServer(env);
  await waitReady(p, timeoutMs);
  return p;
}

/** SIGKILL; resolves with how the process ended (normally "SIGKILL"). */
export async function sigkill(p: EngramProcess): Promise<number | string> {
  p.child.kill("SIGKILL");
  return p.exited;
}

/** SIGTERM; resolves with the exit code (0 for a clean stop). */
export async function sigterm(p: EngramProcess): Promise<number | string> {
  p.child.kill("SIGTERM");
  return p.exited;
}

export interface ApiResponse {
  status: number;
  body: any;
}

/** One JSON call with a bearer key (and optional extra headers). Rejects only when no answer came. */
export async function api(
  p: EngramProcess | string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<ApiResponse> {
  const base = typeof p === "string" ? p : p.url;
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text for the failure message
  }
  return { status: res.status, body: parsed };
}
