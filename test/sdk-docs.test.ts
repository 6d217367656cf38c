/**
 * The SDK's documentation runs: every ```ts block of docs/sdk.md and of the README's "SDK" section is type-checked
 * and then run against a live server on loopback, with `client` (a user key) and `admin` (the admin key) defined
 * as docs/sdk.md says, and ENGRAM_URL / ENGRAM_API_KEY / ENGRAM_ADMIN_KEY set. A block's imports (of the SDK or of
 * Node's modules) go to the top of its module.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { type ServerType, serve } from "@hono/node-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

const repo = resolve(import.meta.dirname, "..");
const CLIENT = join(repo, "src/client/index.ts");
/** The address the README's example names; the runner points it at the test server. */
const README_URL = "http://127.0.0.1:8765";

interface Block {
  name: string;
  code: string;
}

/** The ```ts blocks of `markdown`, each named by its file and line. */
function tsBlocks(file: string, markdown: string, firstLine = 1): Block[] {
  const out: Block[] = [];
  const re = /^```ts\n([\s\S]*?)^```$/gm;
  for (const m of markdown.matchAll(re)) {
    const line = firstLine + markdown.slice(0, m.index).split("\n").length - 1;
    out.push({ name: `${file}:${line}`, code: m[1] as string });
  }
  return out;
}

function readmeSdkSection(): Block[] {
  const text = readFileSync(join(repo, "README.md"), "utf8");
  const start = text.indexOf("\n## SDK\n");
  const end = text.indexOf("\n## ", start + 1);
  const section = text.slice(start, end);
  return tsBlocks("README.md", section, text.slice(0, start).split("\n").length);
}

const blocks: Block[] = [
  ...tsBlocks("docs/sdk.md", readFileSync(join(repo, "docs/sdk.md"), "utf8")),
  ...readmeSdkSection(),
];

/**
 * A module for one block: its imports hoisted (pointed at src/client), the shared `client` and `admin`, and the
 * block's body in an async function of its own, so blocks may declare the same names.
 */
function moduleFor(block: Block): string {
  const imports: string[] = [];
  const body: string[] = [];
  for (const line of block.code.split("\n")) {
    // Every import is hoisted to the module's top, where it belongs (engram/client pointed at the sources).
    if (/^import\b.*from "[^"]+";$/.test(line))
      imports.push(line.replace('"engram/client"', JSON.stringify(CLIENT)));
    else body.push(line.replaceAll(`"${README_URL}"`, 'process.env.ENGRAM_URL ?? ""'));
  }
  return [
    `import { EngramClient as __Client } from ${JSON.stringify(CLIENT)};`,
    ...imports,
    `const client = new __Client({ baseUrl: process.env.ENGRAM_URL ?? "", apiKey: process.env.ENGRAM_API_KEY ?? "" });`,
    `const admin = new __Client({ baseUrl: process.env.ENGRAM_URL ?? "", apiKey: process.env.ENGRAM_ADMIN_KEY ?? "" });`,
    "void client;",
    "void admin;",
    `// ${block.name}`,
    "export default async function run(): Promise<void> {",
    ...body,
    "}",
    "",
  ].join("\n");
}

const dir = mkdtempSync(join(tmpdir(), "engram-sdk-docs-"));
// ESM, as the package is: top-level imports and exports, as a reader's project has them.
writeFileSync(join(dir, "package.json"), JSON.stringify({ type: "module" }));
const files = blocks.map((b, i) => {
  const file = join(dir, `block${i}.ts`);
  writeFileSync(file, moduleFor(b));
  return { ...b, file };
});

describe("docs/sdk.md and the README's SDK section", () => {
  let e: TestEngram;
  let server: ServerType;
  const saved = { ...process.env };

  beforeAll(async () => {
    e = await startEngram(pgliteBackend, {}, { embedder: "words" });
    server = serve({ fetch: e.runtime.app.fetch, hostname: "127.0.0.1", port: 0 });
    await new Promise<void>((r) => server.once("listening", () => r()));
    process.env.ENGRAM_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    process.env.ENGRAM_API_KEY = await makeUser(e, uid("docs"));
    process.env.ENGRAM_ADMIN_KEY = ADMIN_KEY;
  });
  afterAll(async () => {
    process.env = saved;
    await new Promise<void>((r) => server?.close(() => r()));
    await e?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("has examples to run (docs/sdk.md and the README both)", () => {
    expect(files.length).toBeGreaterThan(8);
    expect(files.some((f) => f.name.startsWith("README.md"))).toBe(true);
  });

  it("every example type-checks against the SDK's types", async () => {
    writeFileSync(
      join(dir, "tsconfig.json"),
      JSON.stringify({
        extends: join(repo, "tsconfig.json"),
        compilerOptions: {
          noEmit: true,
          allowImportingTsExtensions: true,
          rootDir: "/",
          typeRoots: [join(repo, "node_modules/@types")],
        },
        include: files.map((f) => f.file),
      }),
    );
    const tsc = join(repo, "node_modules/typescript/bin/tsc");
    const run = promisify(execFile)(process.execPath, [tsc, "-p", join(dir, "tsconfig.json")], { cwd: dir });
    const failure = await run.then(
      () => "",
      (err: { stdout?: string }) => err.stdout ?? String(err),
    );
    // A line of tsc output names the temp file; the block's name is in its header comment.
    const named = failure.replace(/block(\d+)\.ts/g, (_, i: string) => files[Number(i)]?.name ?? "?");
    expect(named).toBe("");
  }, 120_000);

  it.each(files.map((f) => [f.name, f.file] as const))("runs %s", async (_name, file) => {
    const mod = (await import(pathToFileURL(file).href)) as { default: () => Promise<void> };
    await mod.default();
  });
});
