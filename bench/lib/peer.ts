// The peer under comparison: mem0 OSS (npm mem0ai) in bench/peer/, behind its minimal HTTP wrapper (server.mjs).
// Its dependencies stay out of the project's package.json: bench/peer has its own package.json and lock, installed
// into bench/peer/node_modules on first use (`npm ci --prefix bench/peer`).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./process.js";

export const PEER_DIR = join(ROOT, "bench", "peer");
const READY_TIMEOUT_MS = 60_000;

/** Whether mem0ai (and pg) are installed in bench/peer/node_modules. */
export function peerInstalled(): boolean {
  return (
    existsSync(join(PEER_DIR, "node_modules", "mem0ai", "package.json")) &&
    existsSync(join(PEER_DIR, "node_modules", "pg", "package.json"))
  );
}

/** Installs the peer from its lock file when missing (the npm registry is the only network it needs). */
export function ensurePeerInstalled(log: (m: string) => void): void {
  if (peerInstalled()) return;
  log("installing mem0ai into bench/peer/node_modules (npm ci --prefix bench/peer; once)...");
  execFileSync("npm", ["ci", "--prefix", PEER_DIR, "--ignore-scripts", "--no-audit", "--no-fund"], {
    cwd: ROOT,
    stdio: "inherit",
  });
}

export interface PeerProcess {
  url: string;
  pid: number;
  stderr(): string;
  stop(): Promise<void>;
}

export async function spawnPeer(opts: {
  port: number;
  databaseUrl: string;
  embeddingsUrl: string;
  embeddingsModel: string;
  dimensions: number;
}): Promise<PeerProcess> {
  const home = mkdtempSync(join(tmpdir(), "engram-bench-mem0-home-"));
  const child: ChildProcess = spawn(process.execPath, [join(PEER_DIR, "server.mjs")], {
    cwd: PEER_DIR,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: home,
      MEM0_TELEMETRY: "false",
      PEER_PORT: String(opts.port),
      PEER_DATABASE_URL: opts.databaseUrl,
      PEER_EMBEDDINGS_URL: opts.embeddingsUrl,
      PEER_EMBEDDINGS_MODEL: opts.embeddingsModel,
      PEER_DIMENSIONS: String(opts.dimensions),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const kill = () => child.kill("SIGKILL");
  process.on("exit", kill);
  let err = "";
  child.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const ready = new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("peer listening")) resolve();
    });
    void exited.then((code) => reject(new Error(`mem0 peer exited (${code}) before ready:\n${err}`)));
    setTimeout(
      () => reject(new Error(`mem0 peer not ready after ${READY_TIMEOUT_MS} ms:\n${err}`)),
      READY_TIMEOUT_MS,
    ).unref();
  });
  await ready;
  return {
    url: `http://127.0.0.1:${opts.port}`,
    pid: child.pid ?? -1,
    stderr: () => err,
    async stop() {
      process.off("exit", kill);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}
