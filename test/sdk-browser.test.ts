/**
 * The SDK in a browser: the built `dist/client/*.js` modules, served as they are from another origin, imported by
 * a page in Debian's chromium, call a real server across CORS: add, search, list through several pages, sessions,
 * a streamed chat, and a typed error. Skipped with a notice where chromium is missing (CI=true requires it).
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import { type Browser, findChromium, launchChromium } from "./web/chromium.js";

const CHROMIUM = findChromium();
if (!CHROMIUM && process.env.CI === "true") {
  throw new Error(
    "CI=true needs Debian's chromium for test/sdk-browser.test.ts (apt-get install -y chromium)",
  );
}
if (!CHROMIUM) {
  process.stderr.write(
    "\n*** SDK browser test SKIPPED: no `chromium` on PATH (apt-get install -y chromium)\n\n",
  );
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">
import { EngramClient, EngramError } from "./index.js";
${FIRST_PROGRAM}
window.run = (baseUrl, apiKey) => firstProgram(EngramClient, EngramError, baseUrl, apiKey);
window.ready = true;
</script>`;

describe.skipIf(!CHROMIUM)("the SDK in chromium", () => {
  let emb: FakeEmbeddings;
  let server: EngramProcess;
  let files: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    buildIfNeeded();
    // The page's own origin: the SDK's files and the page, nothing else.
    const dir = join(ROOT, "dist", "client");
    files = createServer((req, res) => {
      const name = (req.url ?? "/").split("?")[0]?.replace(/^\/+/, "") || "index.html";
      if (name === "index.html") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(PAGE);
        return;
      }
      if (!/^[a-z-]+\.js$/.test(name)) {
        res.writeHead(404);
        res.end();
        return;
      }
      try {
        const body = readFileSync(join(dir, name));
        res.writeHead(200, { "content-type": "text/javascript" });
        res.end(body);
      } catch {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
    origin = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
    emb = await startFakeEmbeddings();
    server = await startServer({
      ...emb.env,
      ENGRAM_DATA_DIR: mkdtempSync(join(tmpdir(), "engram-sdk-browser-")),
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_CORS_ORIGINS: origin,
    });
    browser = await launchChromium(CHROMIUM as string);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await sigterm(server);
    killAllServers();
    await emb?.close();
    await new Promise<void>((r) => (files ? files.close(() => r()) : r()));
  });

  it("adds, searches, pages, streams a chat and reports a typed error across origins", async () => {
    const user = await api(server, "POST", "/v1/users", ADMIN_KEY, { user_id: "browser-user" });
    expect(user.status).toBe(201);
    const page = await browser.context.newPage();
    const failed: string[] = [];
    page.on("requestfailed", (r) => failed.push(r.url()));
    await page.goto(`${origin}/index.html`);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    const out = await page.evaluate(
      ([url, key]) =>
        (globalThis as unknown as { run: (u: string, k: string) => Promise<unknown> }).run(
          url ?? "",
          key ?? "",
        ),
      [server.url, user.body.api_key as string],
    );
    expect(failed).toEqual([]);
    expectFirstProgram(out);
  }, 120_000);
});
