/**
 * The web dashboard end to end: the real `engram serve` (PGlite, and PostgreSQL when ENGRAM_TEST_DATABASE_URL is
 * set) driven through Debian's chromium with playwright-core. Skipped with a notice where chromium is missing;
 * required under CI=true.
 */
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, backends } from "./helpers/backends.js";
import {
  api,
  buildIfNeeded,
  type EngramProcess,
  killAllServers,
  sigterm,
  startServer,
} from "./helpers/engram-process.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "./helpers/fake-embeddings.js";
import { type Browser, findChromium, launchChromium } from "./web/chromium.js";

const CHROMIUM = findChromium();
const CI = process.env.CI === "true" || process.env.CI === "1";
const ADMIN_KEY = "ek_admin_Dashboard0123456789abcdefghijklmn";

if (!CHROMIUM && !CI) {
  process.stderr.write(
    "\n*** Dashboard browser tests SKIPPED: no `chromium` on PATH. Install it with: apt-get install -y chromium\n\n",
  );
}

describe("chromium", () => {
  it.runIf(CI)("is installed (required under CI)", () => {
    expect(
      CHROMIUM,
      "CI=true needs Debian's chromium for test/dashboard.test.ts (apt-get install -y chromium)",
    ).toBeTruthy();
  });
});

for (const backend of backends) {
  describe.skipIf(!CHROMIUM)(`dashboard on ${backend.name}`, () => dashboardSuite(backend));
}

function dashboardSuite(backend: Backend): void {
  let fake: FakeEmbeddings;
  let store: Awaited<ReturnType<Backend["create"]>>;
  let server: EngramProcess;
  let browser: Browser;
  /** Content-Security-Policy violations and uncaught errors seen by any page: the page must cause none. */
  const problems: string[] = [];
  const userA = `alice-${backend.name}`;
  const userB = `bob-${backend.name}`;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    buildIfNeeded();
    fake = await startFakeEmbeddings();
    store = await backend.create();
    // Sessions expire after 2 s, so the session opened below shows as expired in the list.
    server = await startServer({
      ...store.env,
      ...fake.env,
      ENGRAM_ADMIN_KEY: ADMIN_KEY,
      ENGRAM_SESSION_TIMEOUT: "2",
    });
    browser = await launchChromium(CHROMIUM as string);
    await browser.context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: server.url });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (server) await sigterm(server);
    killAllServers();
    await store?.drop();
    await fake?.close();
  }, 60_000);

  async function openPage(): Promise<Page> {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
    page.on("console", (m) => {
      if (
        m.type() === "error" &&
        !/Failed to load resource: the server responded with a status of (401|404)/.test(m.text())
      ) {
        problems.push(`console: ${m.text()}`);
      }
    });
    await page.goto(`${server.url}/`);
    return page;
  }

  async function signIn(page: Page, key: string): Promise<void> {
    await page.getByLabel("API key").fill(key);
    // The keyboard path: Enter submits the form.
    await page.getByLabel("API key").press("Enter");
  }

  /** The sessionStorage and URL after sign-in: the key is in the first, never in the second or in localStorage. */
  async function where(page: Page): Promise<{ session: string; local: string; url: string }> {
    // Runs in the page: the browser's globals, which the Node typings of this file do not declare.
    return page.evaluate(() => {
      const w = globalThis as any;
      return {
        session: JSON.stringify({ ...w.sessionStorage }),
        local: JSON.stringify({ ...w.localStorage }),
        url: String(w.location.href),
      };
    });
  }

  it("shows the API's message for a bad key and keeps nothing", async () => {
    const page = await openPage();
    await expect.poll(() => page.url()).toBe(`${server.url}/login`);
    const bad = "ek_user_00000000000000000000000000000000";
    const expected = await api(server, "GET", "/v1/me", bad);
    expect(expected.body.error.code).toBe("invalid_api_key");
    await signIn(page, bad);
    const alert = page.getByRole("alert");
    await expect.poll(() => alert.textContent()).toContain("This API key is not valid");
    expect(await alert.textContent()).toContain(expected.body.error.message);
    const w = await where(page);
    expect(w.session).toBe("{}");
    expect(w.local).toBe("{}");
    expect(w.url).not.toContain(bad);
    await page.close();
  });

  it("admin signs in, creates two users and copies their keys", async () => {
    const page = await openPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole("heading", { name: "Overview" }).waitFor();
    const w = await where(page);
    expect(w.session).toContain(ADMIN_KEY);
    expect(w.local).not.toContain(ADMIN_KEY);
    expect(w.url).not.toContain(ADMIN_KEY);

    await page.getByRole("link", { name: "Users" }).click();
    await page.getByRole("heading", { name: "Users" }).waitFor();
    await page.getByText("Create a user").click();
    for (const id of [userA, userB]) {
      await page.getByLabel("User id").fill(id);
      await page.getByRole("button", { name: "Create user" }).click();
      const secret = page.getByRole("region", { name: `Key for ${id}` });
      await secret.waitFor();
      await secret.getByRole("button", { name: "Copy" }).click();
      await expect.poll(() => secret.textContent()).toContain("Copied to the clipboard.");
      const copied = await page.evaluate(
        () => (globalThis as any).navigator.clipboard.readText() as Promise<string>,
      );
      expect(copied).toBe(await secret.getByRole("textbox").inputValue());
      expect(copied).toMatch(/^ek_user_/);
      keys[id] = copied;
      await secret.getByRole("button", { name: "Done, hide it" }).click();
    }
    // Both users listed with their counts (one key each, nothing else yet).
    for (const id of [userA, userB]) {
      const row = page.locator(`tr[data-user-id="${id}"]`);
      await row.waitFor();
      expect(await row.locator('td[data-label="Keys"]').textContent()).toBe("1");
      expect(await row.locator('td[data-label="Memories"]').textContent()).toBe("0");
    }
    // Search narrows the list to the matching user.
    await page.getByRole("searchbox", { name: "Search" }).fill(userB);
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => page.locator("tr[data-user-id]").count()).toBe(1);
    expect(await page.locator("tr[data-user-id]").getAttribute("data-user-id")).toBe(userB);

    // A client key for the default tenant, shown once.
    await page.getByRole("link", { name: "Tenants & keys" }).click();
    await page.getByRole("heading", { name: "Client keys of default" }).waitFor();
    const form = page.getByRole("region", { name: "New client key for default" });
    await form.getByLabel("Name").fill("backend");
    await form.getByRole("button", { name: "Create key" }).click();
    const client = await page
      .getByRole("region", { name: "New key backend" })
      .getByRole("textbox")
      .inputValue();
    expect(client).toMatch(/^ek_client_/);
    await page.locator("tr", { hasText: "backend" }).waitFor();
    await page.close();
  });

  it("user A adds, searches, edits and deletes memories, reads a history, and revokes a key", async () => {
    const keyA = keys[userA] as string;
    const page = await openPage();
    await signIn(page, keyA);
    await page.getByRole("heading", { name: "Memories" }).waitFor();
    expect(await page.getByTestId("who").textContent()).toContain(userA);

    await page.getByText("Add a memory").click();
    for (const text of [
      "Alice drinks green tea every morning",
      "Alice has a dog called Biscuit",
      "Alice writes Rust at work",
    ]) {
      await page.getByLabel("Text").fill(text);
      await page.getByRole("button", { name: "Add memory" }).click();
      await page.locator("tr", { hasText: text }).waitFor();
    }

    // Hybrid search: the tea memory first, with a score.
    await page.getByRole("searchbox", { name: "Search memories" }).fill("green tea");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("columnheader", { name: "Score" }).waitFor();
    const first = page.locator("table.memory-table tbody tr").first();
    expect(await first.locator('td[data-label="Memory"]').textContent()).toContain("green tea");
    expect(Number(await first.locator('td[data-label="Score"]').textContent())).toBeGreaterThan(0);

    // Inline edit.
    await first.getByRole("button", { name: /^Edit/ }).click();
    await page.getByLabel("Edit memory text").fill("Alice drinks jasmine tea every morning");
    await page.getByRole("button", { name: "Save" }).click();
    await page.locator("tr", { hasText: "jasmine tea" }).waitFor();

    // History of the edited memory: the add and the edit, old and new text.
    await page.getByRole("button", { name: "Clear" }).click();
    const tea = page.locator("tr", { hasText: "jasmine tea" });
    await tea.getByRole("button", { name: /^History/ }).click();
    const panel = page.getByRole("complementary", { name: "History" });
    await panel.locator('li[data-event="update"]').waitFor();
    expect(await panel.locator('li[data-event="add"]').count()).toBe(1);
    const update = await panel.locator('li[data-event="update"]').textContent();
    expect(update).toContain("green tea");
    expect(update).toContain("jasmine tea");
    await panel.getByRole("button", { name: "Close" }).click();

    // Delete, with confirmation.
    const dog = page.locator("tr", { hasText: "Biscuit" });
    await dog.getByRole("button", { name: /^Delete/ }).click();
    const dialog = page.getByRole("dialog", { name: "Delete this memory?" });
    await dialog.getByRole("button", { name: "Delete memory" }).click();
    await dog.waitFor({ state: "detached" });
    const listed = await api(server, "GET", "/v1/memories", keyA);
    expect(listed.body.memories.map((m: { text: string }) => m.text).sort()).toEqual([
      "Alice drinks jasmine tea every morning",
      "Alice writes Rust at work",
    ]);

    // Dates are filtered by the server (created_after), not page by page in the browser.
    const localDay = (offsetDays: number): string => {
      const d = new Date(Date.now() + offsetDays * 86_400_000);
      return [d.getFullYear(), d.getMonth() + 1, d.getDate()]
        .map((n) => String(n).padStart(2, "0"))
        .join("-");
    };
    await page.locator("summary", { hasText: "Filters" }).click();
    const dated = page.waitForRequest((r) => new URL(r.url()).searchParams.has("created_after"));
    await page.getByLabel("From", { exact: true }).fill(localDay(1));
    await page.getByRole("button", { name: "Apply" }).click();
    const sent = new URL((await dated).url());
    expect(sent.pathname).toBe("/v1/memories");
    expect(Date.parse(sent.searchParams.get("created_after") ?? "")).toBeGreaterThan(Date.now());
    await page.getByText("No memories match.").waitFor();
    await page.getByLabel("From", { exact: true }).fill(localDay(-1));
    await page.getByRole("button", { name: "Apply" }).click();
    await page.locator("tr", { hasText: "jasmine tea" }).waitFor();
    await page.getByRole("button", { name: "Clear" }).click();

    // A session opened by an agent: listed, marked expired (2 s timeout), transcript readable.
    const sess = await api(server, "POST", "/v1/sessions", keyA, {});
    await api(server, "POST", `/v1/sessions/${sess.body.id}/messages`, keyA, {
      role: "user",
      content: "hello there",
    });
    await new Promise((r) => setTimeout(r, 2100));
    await page.getByRole("link", { name: "Sessions" }).click();
    const sessRow = page.locator("tr", { hasText: sess.body.id });
    await sessRow.waitFor();
    expect(await sessRow.textContent()).toContain("expired");
    await sessRow.getByRole("link").click();
    await page.getByText("hello there").waitFor();

    // Apps: pause and resume.
    await page.getByRole("link", { name: "Apps" }).click();
    await page.getByRole("button", { name: "Pause default" }).click();
    await page.getByRole("button", { name: "Resume default" }).click();
    await page.getByRole("button", { name: "Pause default" }).waitFor();

    // Own keys: create a spare one (shown once), then revoke it.
    await page.getByRole("link", { name: "API keys" }).click();
    await page.getByRole("heading", { name: "API keys" }).waitFor();
    await page.getByLabel("Name").fill("spare");
    await page.getByRole("button", { name: "Create key" }).click();
    const secret = page.getByRole("region", { name: "New key spare" });
    const spare = await secret.getByRole("textbox").inputValue();
    expect((await api(server, "GET", "/v1/me", spare)).status).toBe(200);
    const spareRow = page.locator("tr", { hasText: "spare" });
    await spareRow.getByRole("button", { name: "Revoke" }).click();
    await page
      .getByRole("dialog", { name: "Revoke this key?" })
      .getByRole("button", { name: "Revoke key" })
      .click();
    await expect.poll(() => spareRow.locator('td[data-label="Status"]').textContent()).toContain("revoked");
    const after = await api(server, "GET", "/v1/me", spare);
    expect([after.status, after.body.error.code]).toEqual([401, "key_revoked"]);
    // The key in use still works.
    expect((await api(server, "GET", "/v1/me", keyA)).status).toBe(200);
    await page.close();
  });

  it("user B sees none of A's memories", async () => {
    const page = await openPage();
    await signIn(page, keys[userB] as string);
    await page.getByRole("heading", { name: "Memories" }).waitFor();
    await page.getByText("No memories match.").waitFor();
    await page.getByRole("searchbox", { name: "Search memories" }).fill("jasmine tea Rust");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByText("Nothing found.").waitFor();
    expect(await page.locator("table.memory-table").count()).toBe(0);
    expect(await page.content()).not.toContain("Alice");
    await page.close();
  });

  it("admin deletes user B and the counts shown match what was removed", async () => {
    const keyB = keys[userB] as string;
    for (const text of ["Bob likes jazz", "Bob lives in Lyon"])
      await api(server, "POST", "/v1/memories", keyB, { text });
    await api(server, "POST", "/v1/sessions", keyB, {});
    await api(server, "POST", `/v1/users/${userB}/keys`, ADMIN_KEY, { name: "second" });

    const page = await openPage();
    await signIn(page, ADMIN_KEY);
    await page.getByRole("link", { name: "Users" }).click();
    const row = page.locator(`tr[data-user-id="${userB}"]`);
    await row.getByRole("button", { name: `Delete user ${userB}` }).click();
    const dialog = page.getByRole("dialog", { name: `Delete user ${userB}?` });
    await expect.poll(() => dialog.locator('li[data-count="memories"]').textContent()).toMatch(/^2 memories/);
    const shown = {
      memories: await dialog.locator('li[data-count="memories"]').textContent(),
      sessions: await dialog.locator('li[data-count="sessions"]').textContent(),
      keys: await dialog.locator('li[data-count="keys"]').textContent(),
    };
    expect(shown.sessions).toMatch(/^1 sessions/);
    expect(shown.keys).toMatch(/^2 API keys/);
    const button = dialog.getByRole("button", { name: "Delete user" });
    expect(await button.isDisabled()).toBe(true);
    await dialog.getByLabel("Type the user id to confirm").fill(userB);
    await button.click();
    const notice = page.locator(".notice");
    await notice.waitFor();
    expect(await notice.textContent()).toContain(
      `${userB} (default): 2 memories, 1 sessions and 2 keys removed.`,
    );
    await row.waitFor({ state: "detached" });
    expect((await api(server, "GET", "/v1/me", keyB)).status).toBe(401);
    expect((await api(server, "GET", `/v1/users/${userB}`, ADMIN_KEY)).status).toBe(404);

    // The overview counts and charts what happened; the audit log lists the deletion.
    await page.getByRole("link", { name: "Overview" }).click();
    await page.locator(".chart svg rect.bar").first().waitFor({ state: "attached" });
    await page.getByRole("link", { name: "Audit log" }).click();
    await page.locator("td", { hasText: "user.delete" }).first().waitFor();

    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("API key").waitFor();
    expect((await where(page)).session).toBe("{}");
    await page.close();
  });

  it("caused no CSP violation or script error in any page", () => {
    expect(problems).toEqual([]);
  });
}
