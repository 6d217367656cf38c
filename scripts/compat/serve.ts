/** The built CLI's `engram serve` for the compatibility run: started on a free loopback port, or run to its exit. */
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cleanEnv } from "./step.js";

const READY_TIMEOUT_MS = 180_000;

/** Undo steps (stop a server, remove a dir), run last-first by `run`, however the script ends. */
export class Cleanups {
  private fns: (() => Promise<void> | void)[] = [];
  add(fn: () => Promise<void> | void): void {
    this.fns.push(fn);
  }
  async run(): Promise<void> {
    for (let fn = this.fns.pop(); fn; fn = this.fns.pop()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`compat: cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
      }
    }
  }
}

export function tempDir(cleanups: Cleanups, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `engram-compat-${name}-`));
  cleanups.add(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export type LogLine = Record<string, unknown>;

/** The JSON lines of a pino log; anything else is skipped. */
export function logLines(text: string): LogLine[] {
  const out: LogLine[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith("{")) continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v !== null && typeof v === "object" && !Array.isArray(v)) out.push(v as LogLine);
    } catch {
      // a line that only looks like JSON: not a log line
    }
  }
  return out;
}

export interface Engram {
  url: string;
  /** Its "engram listening" log line. */
  listening: LogLine;
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `node <cli> serve` in `cwd` on port 0; resolves once it logged its URL and /readyz answers. */
export async function startEngram(
  cli: string,
  cwd: string,
  env: Record<string, string>,
  cleanups: Cleanups,
): Promise<Engram> {
  const child = spawn(process.execPath, [cli, "serve"], {
    cwd,
    env: cleanEnv({ ENGRAM_HOST: "127.0.0.1", ENGRAM_PORT: "0", ENGRAM_LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.add(stop);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited before it was ready:\n${stderr}`);
    if (Date.now() > deadline)
      throw new Error(`the server was not ready after ${READY_TIMEOUT_MS / 1000}s:\n${stderr}`);
    const listening = logLines(stderr).find((l) => l.msg === "engram listening");
    if (listening && typeof listening.url === "string") {
      try {
        if ((await fetch(`${listening.url}/readyz`)).ok) {
          return { url: listening.url, listening, stderr: () => stderr, stop };
        }
      } catch {
        // not accepting connections yet: try again below
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Runs a shell command line to its exit (a server that must refuse to start); its exit code and stderr. */
export function runToExit(
  command: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number | string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      "bash",
      ["-c", command],
      { env: cleanEnv(env), cwd, timeout: 60_000 },
      (err, _stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : (err.signal ?? "error")) : 0;
        resolve({ code, stderr });
      },
    );
  });
}
