/** Running the built CLI (dist/cli/main.js) in tests: a clean environment, a spawned command, a server on a free port. */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "main.js");
export const ADMIN_KEY = "ek_admin_clicmdsclicmdsclicmdsclicmdscli";
export const SLOW = 180_000;
/** How long a spawned server may take to answer /healthz (two cores shared with other suites, a first start). */
export const READY_TIMEOUT_MS = 90_000;
/** A cwd with no engram.yaml in it: configuration comes from the env each test gives. */
export const CWD = mkdtempSync(join(tmpdir(), "engram-cli-cwd-"));

/**
 * V8 flags for every spawned CLI process, commands and test servers: the baseline compilers only (Liftoff for
 * WebAssembly, no TurboFan for JavaScript). A command lives a few seconds and runs most of its code once, yet by
 * default V8 spends about half of its CPU optimising PGlite's and the embedding model's WebAssembly and the hot
 * JavaScript in the background (measured on `memories list` directly on PGlite: 2.2 s of CPU by default, 1.0 s with
 * these; `serve` up to its first answer: 2.3 s, 1.1 s). The flags change how code is compiled, not what it does: the
 * commands, their output and exit codes are the same. Each is probed once, so a Node whose V8 lacks one runs the
 * commands without it rather than failing every test.
 */
export const NODE_FLAGS: readonly string[] = ["--liftoff-only", "--no-opt"].filter(
  (flag) => spawnSync(process.execPath, [flag, "-e", "0"], { stdio: "ignore" }).status === 0,
);

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** The environment without any ENGRAM_* of the developer's shell (nor NO_COLOR), so only what a test sets counts. */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("ENGRAM_") && k !== "NO_COLOR") env[k] = v;
  return { ...env, ENGRAM_LOG_LEVEL: "silent" };
}

/** Builds dist/ when stale; a type error elsewhere still emits, so test what was built. */
export function buildCli(): void {
  try {
    execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  } catch (err) {
    if (!existsSync(CLI)) throw err;
    process.stderr.write("cli tests: the build reported errors; testing the dist/ it emitted\n");
  }
}

/** Runs `engram ARGS` (the built CLI) with the clean environment plus `env`, stdin closed. */
export function engram(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...NODE_FLAGS, CLI, ...args], {
      cwd: CWD,
      env: { ...baseEnv(), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** util-linux `script`, which gives a command a terminal (for the CLI's confirmation prompts). */
export const hasScript = existsSync("/usr/bin/script");

/** Runs `engram ARGS` on a pseudo-terminal (stdin is a TTY), typing `input`; stdout and stderr arrive merged. */
export function engramInTty(args: string[], env: Record<string, string>, input: string): Promise<Result> {
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, ...NODE_FLAGS, CLI, ...args].map(quote).join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], {
      cwd: CWD,
      env: { ...baseEnv(), ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.once("error", reject);
    child.once("close", (code) => {
      children.delete(child);
      resolve({ code, stdout, stderr: "" });
    });
    child.stdin.end(input);
  });
}

export function json(r: Result): any {
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

async function freePort(): Promise<number> {
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

export interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** `engram serve` on a free port with ADMIN_KEY (unless `env` names another), once it answers /healthz. */
export async function startServer(env: Record<string, string>): Promise<Server> {
  const port = await freePort();
  const child = spawn(process.execPath, [...NODE_FLAGS, CLI, "serve"], {
    cwd: CWD,
    env: {
      ...baseEnv(),
      ENGRAM_PORT: String(port),
      ENGRAM_HOST: "127.0.0.1",
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
      children.delete(child);
    },
  };
}
