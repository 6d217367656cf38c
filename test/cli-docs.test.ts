/** docs/cli.md stays true: its `sh` blocks are run in order with the built CLI on a fresh store, and it names every command. */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerAdminCommands } from "../src/cli/admin-commands.js";
import { registerDoctorCommand } from "../src/cli/doctor-command.js";
import { registerExportCommand } from "../src/cli/export-command.js";
import { registerImportCommand } from "../src/cli/import-command.js";
import { registerMemoryCommands } from "../src/cli/memory-commands.js";
import { registerReindexCommand } from "../src/cli/reindex-command.js";
import { baseEnv, buildCli, CLI, CWD, NODE_FLAGS, ROOT, SLOW } from "./helpers/cli-run.js";

const DOC = readFileSync(join(ROOT, "docs", "cli.md"), "utf8");
/** The ```sh blocks: the ones to run (```text blocks are for reading only). */
const blocks = [...DOC.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");

beforeAll(buildCli, SLOW);

describe("docs/cli.md", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "engram-cli-docs-"));
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(CWD, { recursive: true, force: true });
  });

  it("has runnable blocks, each line an engram command or a shell line using one", () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const b of blocks) for (const line of b.trim().split("\n")) expect(line).toMatch(/\bengram /);
  });

  it(
    "every sh block runs and exits 0, in order, on one fresh embedded store",
    () => {
      for (const block of blocks) {
        // `engram` is a shell function standing for the built binary, so pipes and $(…) work as written; with
        // the V8 flags every spawned command gets (helpers/cli-run.ts, NODE_FLAGS: the same behaviour, less CPU).
        const node = [process.execPath, ...NODE_FLAGS, CLI].map((a) => `"${a}"`).join(" ");
        const script = `set -euo pipefail\nengram() { ${node} "$@"; }\n${block}`;
        const r = spawnSync("bash", ["-c", script], {
          cwd: CWD,
          env: { ...baseEnv(), ENGRAM_DATA_DIR: dataDir },
          encoding: "utf8",
          timeout: SLOW,
        });
        expect(r.status, `${block}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`).toBe(0);
      }
    },
    SLOW * 3,
  );

  it("names every command of the CLI", () => {
    const program = new Command("engram");
    registerAdminCommands(program);
    registerMemoryCommands(program);
    registerDoctorCommand(program);
    registerExportCommand(program);
    registerImportCommand(program);
    registerReindexCommand(program);
    const leaves: string[] = ["engram serve", "engram migrate", "engram mcp"];
    const walk = (c: Command, path: string) => {
      if (c.commands.length === 0) leaves.push(path);
      else for (const sub of c.commands) walk(sub, `${path} ${sub.name()}`);
    };
    walk(program, "engram");
    for (const leaf of leaves)
      expect(DOC, leaf).toContain(leaf.replace(/^engram (keys (rotate|revoke))$/, "$1"));
  });
});
