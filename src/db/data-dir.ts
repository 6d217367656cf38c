/**
 * The embedded store's data dir holds memory texts and key hashes (in the WAL too): it is created 0700, a dir
 * others can enter is refused (as PostgreSQL refuses a group/world-accessible PGDATA), and what is inside is
 * tightened to owner-only at every start, since PGlite creates its files with the process's umask.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

export class DataDirPermissionError extends Error {
  override name = "DataDirPermissionError";
  constructor(
    readonly dataDir: string,
    readonly mode: number,
  ) {
    super(
      `data dir ${dataDir} can be read by other users (mode ${octal(mode)}); it holds memory texts and key hashes. ` +
        `Fix it with: chmod 700 ${dataDir}`,
    );
  }
}

const octal = (mode: number) => `0${(mode & 0o777).toString(8).padStart(3, "0")}`;

/** Creates `dataDir` (0700) or checks the existing one, then makes everything in it owner-only. */
export function prepareDataDir(dataDir: string): void {
  // POSIX modes mean nothing on Windows, where ACLs decide; nothing to check there.
  if (process.platform === "win32") {
    mkdirSync(dataDir, { recursive: true });
    return;
  }
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { mode } = statSync(dataDir);
  if ((mode & 0o077) !== 0) throw new DataDirPermissionError(dataDir, mode);
  tighten(dataDir);
}

/** chmod go-rwx on every file and dir below `dir` (not following symlinks). */
function tighten(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    const { mode } = lstatSync(path);
    if ((mode & 0o077) !== 0) chmodSync(path, mode & 0o700);
    if (entry.isDirectory()) tighten(path);
  }
}
