/** Exclusive lock on an embedded data dir: PGlite has no lock between processes, and two writers lose rows. */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  ) {
    super(
      `data dir ${dataDir} is in use by process ${holder.pid}${holder.url ? ` (serving ${holder.url})` : ""}; ` +
        "stop it, or point this process at another ENGRAM_DATA_DIR",
    );
  }
}

export function lockPath(dataDir: string): string {
  return join(dataDir, "engram.lock");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Reads the lock if a live process holds it; a lock left by a dead process (kill -9) counts as free. */
export function readLiveLock(dataDir: string): LockInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(lockPath(dataDir), "utf8")) as LockInfo;
    return typeof info.pid === "number" && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}

export class DataDirLock {
  private info: LockInfo;
  private constructor(
    readonly dataDir: string,
    info: LockInfo,
  ) {
    this.info = info;
  }

  static acquire(dataDir: string): DataDirLock {
    const path = lockPath(dataDir);
    const info: LockInfo = { pid: process.pid, startedAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // O_EXCL: of two processes racing for the dir, exactly one creates the file.
        const fd = openSync(path, "wx");
        writeFileSync(fd, JSON.stringify(info));
        closeSync(fd);
        return new DataDirLock(dataDir, info);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
        const holder = readLiveLock(dataDir);
        if (holder && holder.pid !== process.pid) throw new DataDirLockedError(dataDir, holder);
        rmSync(path, { force: true }); // stale: its process is gone
      }
    }
    throw new Error(`could not lock ${path}`);
  }

  /** Records the URL the server listens on, for CLI commands run while it is up. */
  setUrl(url: string): void {
    this.info = { ...this.info, url };
    writeFileSync(lockPath(this.dataDir), JSON.stringify(this.info));
  }

  release(): void {
    const current = readLiveLock(this.dataDir);
    if (!current || current.pid === process.pid) rmSync(lockPath(this.dataDir), { force: true });
  }
}
