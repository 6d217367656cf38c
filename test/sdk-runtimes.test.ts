/**
 * The SDK under Bun and Deno: the built `dist/client` modules, imported by a script each runtime runs as a child
 * process, call a real server: add, search, paging, a session, a streamed chat and a typed error. The runtimes
 * come from ENGRAM_TEST_RUNTIMES (a directory; `.ci/run` installs both there with scripts/ci/install-runtimes.sh)
 * or PATH; a missing one is skipped with a notice, except under CI=true.
 */
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  api,
  buildIfNeeded,
  type EngramProcess,
  killAllServers,
  ROOT,
  sigterm,
  startServer,
} from "./helpers/engram-process.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "./helpers/fake-embeddings.js";
import { ADMIN_KEY } from "./helpers/runtime.js";
import { expectFirstProgram, FIRST_PROGRAM } from "./helpers/sdk-first-program.js";

function find(name: string): string | undefined {
  const dir = process.env.ENGRAM_TEST_RUNTIMES;
  if (dir && existsSync(join(dir, name))) return join(dir, name);
  try {
    return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const RUNTIMES = [
  { name: "bun", path: find("bun"), args: (script: string) => [script] },
  {
    name: "deno",
    path: find("deno"),
    args: (script: string) => ["run", "--allow-net", "--allow-read", script],
  },
];
for (const r of RUNTIMES) {
  if (r.path) continue;
  if (process.env.CI === "true")
    throw new Error(
      `CI=true needs ${r.name} for test/sdk-runtimes.test.ts (bash scripts/ci/install-runtimes.sh)`,
    );
  process.stderr.write(
    `\n*** SDK test under ${r.name} SKIPPED: not found (bash scripts/ci/install-runtimes.sh)\n\n`,
  );
}

/** What each runtime runs: the first program, its findings printed as one JSON line. */
function script(clientUrl: string): string {
  return `import { EngramClient, EngramError } from ${JSON.stringify(clientUrl)};
${FIRST_PROGRAM}
const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await firstProgram(EngramClient, EngramError, args[0], args[1])));
`;
}

describe.each(RUNTIMES.filter((r) => r.path))("the SDK under $name", (runtime) => {
  let emb: FakeEmbeddings;
  let server: EngramProcess;
  let file: string;

  beforeAll(async () => {
    buildIfNeeded();
    emb = await startFakeEmbeddings();
    server = await startServer({
      ...emb.env,
      ENGRAM_DATA_DIR: mkdtempSync(join(tmpdir(), `engram-sdk-${runtime.name}-`)),
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
    });
    file = join(mkdtempSync(join(tmpdir(), "engram-sdk-script-")), "first.mjs");
    writeFileSync(file, script(pathToFileURL(join(ROOT, "dist", "client", "index.js")).href));
  }, 300_000);

  afterAll(async () => {
    if (server) await sigterm(server);
    killAllServers();
    await emb?.close();
  });

  it("adds, searches, pages, streams a chat and reports a typed error", async () => {
    const user = await api(server, "POST", "/v1/users", ADMIN_KEY, { user_id: `${runtime.name}-user` });
    expect(user.status).toBe(201);
    // Asynchronous: the fake embeddings server the Engram server calls lives in this process. Deno keeps its
    // module cache in DENO_DIR: a fresh one, so nothing from another run is reused.
    const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        runtime.path as string,
        [...runtime.args(file), server.url, user.body.api_key],
        {
          encoding: "utf8",
          timeout: 60_000,
          env: {
            PATH: process.env.PATH ?? "",
            HOME: process.env.HOME ?? "",
            DENO_DIR: mkdtempSync(join(tmpdir(), "deno-")),
            NO_COLOR: "1",
          },
        },
        (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expectFirstProgram(JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}"));
  }, 120_000);
});
