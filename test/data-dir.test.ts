/** The embedded store's data dir: created 0700, contents owner-only at every start, a dir others can enter refused. */
import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataDirPermissionError, prepareDataDir } from "../src/db/data-dir.js";
import { PgliteDb } from "../src/db/pglite.js";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..");

/** Every path under `dir` whose mode lets group or others in, with its mode. */
function groupOrOtherAccessible(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const mode = statSync(join(dir, entry)).mode;
    if ((mode & 0o077) !== 0) out.push(`${entry} ${(mode & 0o777).toString(8)}`);
  }
  return out;
}

describe.skipIf(process.platform === "win32")("data dir permissions", () => {
  let root: string;
  let umask: number;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "engram-datadir-"));
    // The umask the review reproduced with: PGlite's files come out 0644/0666 under it.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(root, { recursive: true, force: true });
  });

  it("a new data dir is 0700 and, after a real open with writes, nothing in it is group/other-accessible at the next start", async () => {
    const dir = join(root, "fresh", "data");
    const db = await PgliteDb.open(dir);
    await db.query("CREATE TABLE t (x text)");
    await db.query("INSERT INTO t VALUES ('secret memory text')");
    await db.close();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Under umask 022 PGlite leaves readable files behind; the dir (0700) keeps others out meanwhile.
    const before = groupOrOtherAccessible(dir);
    expect(before.length).toBeGreaterThan(0);

    const again = await PgliteDb.open(dir);
    await again.close();
    // What start-up tightened, closing may have written again (checkpoint files): check right after tightening.
    prepareDataDir(dir);
    expect(groupOrOtherAccessible(dir)).toEqual([]);
  });

  it("refuses a data dir others can enter, naming the dir, its mode and the fix, and touches nothing in it", async () => {
    const dir = join(root, "open");
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, "keep"), "x", { mode: 0o644 });
    const err = await PgliteDb.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataDirPermissionError);
    expect((err as Error).message).toBe(
      `data dir ${dir} can be read by other users (mode 0755); it holds memory texts and key hashes. Fix it with: chmod 700 ${dir}`,
    );
    expect(readdirSync(dir)).toEqual(["keep"]);
    expect(statSync(join(dir, "keep")).mode & 0o777).toBe(0o644);

    chmodSync(dir, 0o700);
    const db = await PgliteDb.open(dir);
    await db.close();
    expect(statSync(join(dir, "keep")).mode & 0o777).toBe(0o600);
  });

  it("engram serve on such a dir exits with that one line, not a stack", async () => {
    const dir = join(root, "served");
    mkdirSync(dir);
    chmodSync(dir, 0o750);
    const err = (await run(process.execPath, [join(repo, "dist/cli/main.js"), "serve"], {
      env: { ...process.env, ENGRAM_DATA_DIR: dir, ENGRAM_PORT: "0", ENGRAM_LOG_LEVEL: "silent" },
      timeout: 60_000,
    }).catch((e: unknown) => e)) as { code: number; stderr: string };
    expect(err.code).toBe(1);
    expect(err.stderr.trim()).toBe(
      `engram: data dir ${dir} can be read by other users (mode 0750); it holds memory texts and key hashes. Fix it with: chmod 700 ${dir}`,
    );
  });
});
