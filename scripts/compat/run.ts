/**
 * Compatibility proof: runs every scenario of scripts/compat (the OpenMemory and MUXI documents' curl commands)
 * against the built CLI, checks every answer, and writes docs/compat.md, or checks that it is current.
 *
 *   npm run compat          builds if needed, starts `engram serve` in keys mode (configured by MUXI's YAML) and
 *                           then in local_open mode (temp dirs, free loopback ports), runs the commands through bash
 *                           and the real curl, and writes docs/compat.md
 *   npm run compat:check    the same, but compares the text with docs/compat.md instead of writing it: exits 1,
 *                           printing the difference, when the committed file is stale
 *   --out FILE              writes (or checks) FILE instead
 *   COMPAT_POSTGRES_URL=postgres://...   the keys-mode server runs on a throwaway database created (and dropped)
 *                           there, configured by MUXI's block verbatim; needs --out (docs/compat.md is PGlite's)
 *
 * Exits 1 at the first answer that does not match, printing the step, the expectation and the answer.
 */

import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import pg from "pg";
import type { Vars } from "./checks.js";
import { compatDocument } from "./document.js";
import { stabilize } from "./render.js";
import { keysMode, localOpen, localOpenStartup, muxiConfig, stepsOf } from "./scenarios.js";
import { Cleanups, type Engram, logLines, runToExit, startEngram, tempDir } from "./serve.js";
import { describeFailure, type Part, runStep, type Step, type StepResult } from "./step.js";

const ROOT = resolve(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "dist", "cli", "main.js");

const args = process.argv.slice(2);
const CHECK = args.includes("--check");
const outAt = args.indexOf("--out");
const OUT = outAt >= 0 ? args[outAt + 1] : undefined;
const PG_URL = process.env.COMPAT_POSTGRES_URL || undefined;

class CompatFailure extends Error {}

const say = (line: string) => process.stdout.write(`compat: ${line}\n`);

/** Runs the steps of `parts` in order against a server, into `results`; throws at the first failing one. */
async function runAll(parts: Part[], server: Engram, vars: Vars, results: Map<Step, StepResult>) {
  vars.ENGRAM = server.url;
  for (const step of stepsOf(parts)) {
    const result = await runStep(step, vars);
    if (result.failures.length > 0) throw new CompatFailure(describeFailure(step, result));
    results.set(step, result);
    say(`${step.id} ${step.title}: HTTP ${result.answer.status}, ${result.passed.length} checks passed`);
  }
}

async function createPgDatabase(adminUrl: string, cleanups: Cleanups): Promise<string> {
  const name = `engram_compat_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.add(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function randomAdminKey(): string {
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  // 248 = 4 * 62: bytes above it are dropped so that every character is equally likely.
  const chars = Array.from(randomBytes(64)).filter((b) => b < 248);
  return `ek_admin_${chars
    .slice(0, 32)
    .map((b) => alphabet.charAt(b % 62))
    .join("")}`;
}

/** Runs everything and returns the stable text of docs/compat.md. */
async function generate(cleanups: Cleanups): Promise<string> {
  // Run-specific strings (temp dirs, a database name) and the placeholders the document shows instead.
  const fixed: Record<string, string> = {};
  const dir = (name: string) => {
    const d = tempDir(cleanups, name);
    fixed[d] = `<tmp>/engram-compat-${name}`;
    return d;
  };
  const version = String(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  const adminKey = randomAdminKey();
  const results = new Map<Step, StepResult>();

  // ---- keys mode, configured by MUXI's YAML
  const env: Record<string, string> = { ENGRAM_ADMIN_KEY: adminKey };
  let yaml = muxiConfig.pglite;
  let backend = "embedded PGlite";
  if (PG_URL) {
    env.POSTGRES_URI = await createPgDatabase(PG_URL, cleanups);
    fixed[new URL(env.POSTGRES_URI).pathname.slice(1)] = "engram_compat_<db>";
    yaml = muxiConfig.postgres;
    backend = "PostgreSQL (a throwaway database, `POSTGRES_URI`)";
  }
  const keysDir = dir("keys");
  writeFileSync(join(keysDir, "engram.yaml"), yaml);

  const off = muxiConfig.isolationOff;
  const offDir = dir("isolation-off");
  writeFileSync(join(offDir, "engram.yaml"), yaml.replace(off.from, off.to));
  const isolationOff = await runToExit('node "$ENGRAM_CLI" serve', { ENGRAM_CLI: CLI, ...env }, offDir);
  if (isolationOff.code !== off.exitCode || !off.stderr.test(isolationOff.stderr)) {
    throw new CompatFailure(
      `${off.to} should stop start-up (exit ${off.exitCode}) naming the key; got ${isolationOff.code}:\n${isolationOff.stderr}`,
    );
  }
  say(`user_isolation: false refused (exit ${isolationOff.code}); starting engram (keys mode)`);
  const keys = await startEngram(CLI, keysDir, env, cleanups);
  const vars: Vars = { ADMIN_KEY: adminKey };
  await runAll(keysMode, keys, vars, results);
  await keys.stop();

  // ---- local_open
  const { refusal, warning } = localOpenStartup;
  const refusedDir = dir("refused");
  const refused = await runToExit(
    refusal.command,
    { ENGRAM_CLI: CLI, ENGRAM_DATA_DIR: join(refusedDir, "data"), ENGRAM_PORT: "0" },
    refusedDir,
  );
  if (
    refused.code !== refusal.exitCode ||
    !refusal.stderr.every((re) => re.test(refused.stderr)) ||
    existsSync(join(refusedDir, "data"))
  ) {
    throw new CompatFailure(
      `${refusal.id} ${refusal.title}: expected exit ${refusal.exitCode}, naming ${refusal.stderr.join(" and ")}, creating no data dir; got ${refused.code}:\n${refused.stderr}`,
    );
  }
  say(`${refusal.id} ${refusal.title}: exit ${refused.code}`);
  const openDir = dir("open");
  const open = await startEngram(
    CLI,
    openDir,
    { ENGRAM_AUTH_MODE: "local_open", ENGRAM_DATA_DIR: join(openDir, "data"), ENGRAM_ADMIN_KEY: adminKey },
    cleanups,
  );
  const warned = logLines(open.stderr()).find((l) => typeof l.msg === "string" && warning.msg.test(l.msg));
  if (!warned || typeof warned.level !== "number" || warned.level < warning.minLevel) {
    throw new CompatFailure(`${warning.id} ${warning.title}: no such line in:\n${open.stderr()}`);
  }
  say(`${warning.id} ${warning.title}: level ${warned.level}`);
  const openVars: Vars = {};
  await runAll(localOpen, open, openVars, results);
  await open.stop();

  const text = compatDocument({
    version,
    backend,
    yaml,
    verbatimYaml: Boolean(PG_URL),
    isolationOff,
    listening: keys.listening,
    keysMode,
    refusal: refused,
    warning: warned,
    results,
  });
  // Both servers' variables name their values; ENGRAM (a URL) is replaced as 127.0.0.1:<port> anyway.
  const { ENGRAM: _openUrl, ...openNames } = openVars;
  return stabilize(text, { ...vars, ...openNames }, fixed);
}

/** Compares the regenerated text with the file; on a difference prints it (diff -u) and returns false. */
function compare(file: string, text: string): boolean {
  const current = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (current === text) return true;
  const tmp = mkdtempSync(join(tmpdir(), "engram-compat-check-"));
  try {
    const fresh = join(tmp, "compat.md");
    writeFileSync(fresh, text);
    const name = relative(ROOT, file);
    const diff = spawnSync(
      "diff",
      ["-u", "--label", `${name} (committed)`, "--label", `${name} (regenerated)`, file, fresh],
      {
        encoding: "utf8",
      },
    );
    const lines = (diff.stdout || "").split("\n");
    process.stdout.write(
      `${lines.slice(0, 200).join("\n")}\n${lines.length > 200 ? `... ${lines.length - 200} more lines\n` : ""}`,
    );
    if (diff.error) {
      const at = current.split("\n").findIndex((l, i) => l !== text.split("\n")[i]);
      say(`(no diff program) first difference at line ${at + 1}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return false;
}

async function main(): Promise<void> {
  if (PG_URL && !OUT)
    throw new CompatFailure("COMPAT_POSTGRES_URL needs --out FILE: docs/compat.md is generated on PGlite");
  say("building if needed");
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-if-needed.mjs")], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const cleanups = new Cleanups();
  let text: string;
  try {
    text = await generate(cleanups);
  } finally {
    await cleanups.run();
  }
  const file = OUT ? resolve(OUT) : join(ROOT, "docs", "compat.md");
  const name = relative(process.cwd(), file);
  if (CHECK) {
    if (!compare(file, text)) {
      throw new CompatFailure(
        `${name} is not what the scenarios produce: run \`npm run compat\` and commit it`,
      );
    }
    say(`OK: every answer as expected, and ${name} is up to date`);
    return;
  }
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
  say(`OK: every answer as expected; wrote ${name}`);
}

try {
  await main();
} catch (err) {
  const message =
    err instanceof CompatFailure
      ? err.message
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`compat: FAIL: ${message}\n`);
  process.exitCode = 1;
}
