/** Exclusive lock on an embedded data dir: PGlite has no lock between processes, and two writers lose rows. */
import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";

export interface LockInfo {
  pid: number;
  startedAt: string;
  /** Where the holding server listens, once it does: the CLI uses it to go through the admin API instead. */
  url?: string;
}

export class DataDirLockedError extends Error {
  override name = "DataDirLockedError";
  constructor(
    readonly dataDir: string,
    readonly holder: LockInfo,
    /** Why the holder is unknown, when reading the lock file failed. */
    cause?: unknown,
  ) {
    super(
      `data dir ${dataDir} is in use by ${holder.pid ? `process ${holder.pid}` : "another process"}${holder.url ? ` (serving ${holder.url})` : ""}; ` +
        "stop it, or point this process at another ENGRAM_DATA_DIR",
      cause === undefined ? undefined : { cause },
    );
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, "engram.lock");
}

/** Whether process `pid` exists (EPERM: it does, as another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads the lock if a live process holds it; a lock left by a dead process (kill -9) counts as free. */
export function readLiveLock(dataDir: string): LockInfo | undefined {
  let info: LockInfo | null;
  try {
    info = JSON.parse(readFileSync(lockPath(dataDir), "utf8")) as LockInfo | null;
  } catch (err) {
    // No file: nobody holds the lock. Not JSON: a holder is writing it right now (writeFileSync is not atomic) or
    // it is not ours; either way it names no live holder. Anything else (EACCES, EIO) is a real failure.
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || err instanceof SyntaxError) return undefined;
    throw err;
  }
  return typeof info?.pid === "number" && alive(info.pid) ? info : undefined;
}

/**
 * On Linux the lock itself is an abstract-namespace Unix socket named after the data dir: the kernel lets one
 * process bind it and releases it when that process dies, even by kill -9, so there is no stale lock to take over
 * and no race between two servers starting at once. The JSON file beside the data only tells others who holds it
 * and where it serves. Elsewhere the file alone is the lock (O_EXCL create, stale when its pid is gone).
 */
export class DataDirLock {
  private info: LockInfo;
  private constructor(
    readonly dataDir: string,
    info: LockInfo,
    private readonly socket: Server | undefined,
  ) {
    this.info = info;
  }

  static async acquire(dataDir: string): Promise<DataDirLock> {
    const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
    if (process.platform === "linux") {
      const socket = await bindAbstract(dataDir);
      // We hold the kernel lock: whatever file is there is a dead holder's.
      writeFileSync(lockPath(dataDir), JSON.stringify(info));
      return new DataDirLock(dataDir, info, socket);
    }
    acquireFile(dataDir, info);
    return new DataDirLock(dataDir, info, undefined);
  }

  /** Records the URL the server listens on, for CLI commands run while it is up. */
  setUrl(url: string): void {
    this.info = { ...this.info, url };
    writeFileSync(lockPath(this.dataDir), JSON.stringify(this.info));
  }

  release(): void {
    try {
      const current = readLiveLock(this.dataDir);
      if (!current || current.pid === process.pid) rmSync(lockPath(this.dataDir), { force: true });
    } finally {
      this.socket?.close();
    }
  }
}

function bindAbstract(dataDir: string): Promise<Server> {
  const name = `\0engram-data-dir-${createHash("sha256").update(realpathSync(dataDir)).digest("hex").slice(0, 40)}`;
  return new Promise((resolve, reject) => {
    const server = createServer((conn) => conn.destroy());
    server.once("error", (err: NodeJS.ErrnoException) => {
      if (err.code !== "EADDRINUSE") return reject(err);
      let holder: LockInfo | undefined;
      try {
        holder = readLiveLock(dataDir);
      } catch (readErr) {
        // The dir is locked all the same; only who holds it is unknown. A throw here would be uncaught.
        return reject(new DataDirLockedError(dataDir, { pid: 0, startedAt: "" }, readErr));
      }
      reject(new DataDirLockedError(dataDir, holder ?? { pid: 0, startedAt: "" }));
    });
    server.listen({ path: name }, () => {
      server.unref(); // the lock must not keep the process alive on its own
      resolve(server);
    });
  });
}

function acquireFile(dataDir: string, info: LockInfo): void {
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      // O_EXCL: of two processes racing for the dir, exactly one creates the file.
      const fd = openSync(path, "wx");
      writeFileSync(fd, JSON.stringify(info));
      closeSync(fd);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = readLiveLock(dataDir);
      if (holder && holder.pid !== process.pid) throw new DataDirLockedError(dataDir, holder);
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  throw new Error(`could not lock ${path}`);
}
