/**
 * Writes docs/screenshots/*.png from a real run: spawns `engram serve` on a temporary PGlite store with the built-in
 * embedding model, seeds demo users and memories through the API, spreads the other users' history over the past
 * month (so the overview's charts have a month to show), and photographs the dashboard in Debian's chromium.
 * `npm run screenshots`.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { openDb } from "../src/db/open.js";
import {
  api,
  buildIfNeeded,
  type EngramProcess,
  ROOT,
  sigterm,
  startServer,
} from "../test/helpers/engram-process.js";
import { findChromium, launchChromium } from "../test/web/chromium.js";

const ADMIN_KEY = "ek_admin_Screenshots0123456789abcdefghijk";
const OUT = join(ROOT, "docs", "screenshots");
const ALICE = "alice";

const ALICE_MEMORIES: Array<{ text: string; app?: string }> = [
  { text: "Prefers green tea over coffee, no sugar" },
  { text: "Is allergic to peanuts" },
  { text: "Works as a backend engineer at Acme, mostly in TypeScript" },
  { text: "Has a dog named Biscuit who loves the beach" },
  { text: "Runs in the mornings on Tuesdays and Thursdays, before 7am", app: "calendar" },
  { text: "Is learning Portuguese for a trip to Lisbon in May", app: "notes" },
  { text: "Likes jazz, especially Bill Evans" },
  { text: "Her sister Maria lives in Porto", app: "notes" },
  { text: "Treats herself to a flat white on Fridays" },
];

const OTHERS: Array<{ id: string; tenant?: string; name?: string; email?: string }> = [
  { id: "bob", name: "Bob Okafor", email: "bob@example.com" },
  { id: "carol", name: "Carol Weiss" },
  { id: "dave", name: "Dave Lindqvist", email: "dave@example.com" },
  { id: "erin" },
  { id: "frank", name: "Frank Moreau" },
  { id: "grace", name: "Grace Hopper", email: "grace@example.org" },
  { id: "acme:u-1001", tenant: "acme" },
  { id: "acme:u-1002", tenant: "acme" },
  { id: "acme:u-1003", tenant: "acme", name: "Support bot" },
  { id: "acme:u-1004", tenant: "acme" },
];

const FACTS = [
  "Prefers meetings after 10am",
  "Uses a standing desk",
  "Is vegetarian",
  "Speaks French and German",
  "Has two cats",
  "Plays the cello",
  "Is training for a half marathon",
  "Likes science fiction novels",
  "Lives in Berlin",
  "Commutes by bike",
  "Prefers email over phone calls",
  "Is saving for a house",
];

/** The fields the seeding reads from what it creates. */
interface Created {
  id: string;
  api_key: string;
}

async function ok(
  p: EngramProcess,
  method: string,
  path: string,
  key: string,
  body?: unknown,
): Promise<Created> {
  const r = await api(p, method, path, key, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function seed(p: EngramProcess): Promise<string> {
  await ok(p, "POST", "/v1/tenants", ADMIN_KEY, { id: "acme", name: "Acme Corp" });
  const alice = await ok(p, "POST", "/v1/users", ADMIN_KEY, {
    user_id: ALICE,
    name: "Alice Martin",
    email: "alice@example.com",
  });
  const key: string = alice.api_key;
  const ids: string[] = [];
  for (const m of ALICE_MEMORIES) ids.push((await ok(p, "POST", "/v1/memories", key, m)).id);
  // A history worth showing: an edit, a pause and a resume.
  const tea = ids[0] as string;
  await ok(p, "PATCH", `/v1/memories/${tea}`, key, {
    text: "Prefers jasmine green tea over coffee, no sugar",
  });
  await ok(p, "PATCH", `/v1/memories/${tea}`, key, { state: "paused" });
  await ok(p, "PATCH", `/v1/memories/${tea}`, key, { state: "active" });
  const sess = await ok(p, "POST", "/v1/sessions", key, { metadata: { agent: "travel-planner" } });
  for (const [role, content] of [
    ["user", "I'm planning the Lisbon trip in May. Any tips?"],
    [
      "assistant",
      "Since you're learning Portuguese, try the tram 28 route and a day trip to Porto to see Maria.",
    ],
    ["user", "Good idea. Remember that I want to visit Sintra too."],
  ]) {
    await ok(p, "POST", `/v1/sessions/${sess.id}/messages`, key, { role, content });
  }
  await ok(p, "POST", "/v1/me/keys", key, { name: "laptop agent" });

  for (const [i, u] of OTHERS.entries()) {
    const created = await ok(p, "POST", "/v1/users", ADMIN_KEY, {
      user_id: u.id,
      ...(u.tenant ? { tenant: u.tenant } : {}),
      ...(u.name ? { name: u.name } : {}),
      ...(u.email ? { email: u.email } : {}),
    });
    const n = 2 + ((i * 5) % 9);
    for (let j = 0; j < n; j++) {
      await ok(p, "POST", "/v1/memories", created.api_key, { text: FACTS[(i * 3 + j) % FACTS.length] });
    }
    if (i % 3 === 0) await ok(p, "POST", "/v1/sessions", created.api_key, {});
    if (i % 4 === 1) {
      await ok(p, "POST", "/v1/memories/search", created.api_key, { query: "what does this user like" });
    }
  }
  await ok(p, "POST", "/v1/tenants/acme/keys", ADMIN_KEY, { name: "acme production" });
  return key;
}

/**
 * The API records everything at "now"; a month of history needs older rows. Every user but alice gets a creation
 * day over the past four weeks, a last activity since, memories added in between; the search counter gets a month.
 */
const BACKDATE = [
  `UPDATE users SET created_at = now() - ((abs(hashtext(id)) % 28) + 1) * interval '1 day'
     - (abs(hashtext(id || 'h')) % 12) * interval '1 hour' WHERE external_id <> '${ALICE}'`,
  `UPDATE users SET last_active_at = created_at + (now() - created_at) * ((abs(hashtext(id || 'a')) % 100) / 100.0)
     WHERE external_id <> '${ALICE}'`,
  `UPDATE memories m SET created_at = u.created_at + (now() - u.created_at) * ((abs(hashtext(m.id)) % 100) / 100.0)
     FROM users u WHERE u.id = m.user_id AND u.external_id <> '${ALICE}'`,
  "UPDATE memories SET updated_at = created_at WHERE updated_at < created_at OR updated_at > now() - interval '1 hour'",
  `UPDATE memory_events e SET created_at = m.created_at FROM memories m, users u
     WHERE e.memory_id = m.id AND u.id = m.user_id AND u.external_id <> '${ALICE}'`,
  `INSERT INTO usage_daily (day, metric, count)
     SELECT d::date, 'searches', 15 + (abs(hashtext(d::text)) % 50) + (29 - (current_date - d::date)) * 2
     FROM generate_series(current_date - 29, current_date - 1, interval '1 day') d
     ON CONFLICT (day, metric) DO UPDATE SET count = usage_daily.count + EXCLUDED.count`,
];

async function backdate(dataDir: string): Promise<void> {
  const { db } = await openDb({ kind: "pglite", dataDir }, { efSearch: 40, migrate: false });
  try {
    for (const sql of BACKDATE) await db.query(sql);
  } finally {
    await db.close();
  }
}

async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.getByLabel("API key").fill(key);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("h1").first().waitFor();
}

async function shoot(page: Page, name: string, fullPage = false): Promise<void> {
  // Let fonts and the last paint settle; the caret would otherwise blink into some shots and not others.
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, `${name}.png`), fullPage, caret: "hide", animations: "disabled" });
  process.stdout.write(`wrote docs/screenshots/${name}.png\n`);
}

async function main(): Promise<void> {
  const chromium = findChromium();
  if (!chromium) throw new Error("no chromium on PATH: apt-get install -y chromium");
  buildIfNeeded();
  mkdirSync(OUT, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "engram-screens-"));
  const env = { ENGRAM_DATA_DIR: dataDir, ENGRAM_ADMIN_KEY: ADMIN_KEY };
  let server = await startServer(env, 180_000);
  let aliceKey: string;
  try {
    aliceKey = await seed(server);
  } finally {
    await sigterm(server);
  }
  await backdate(dataDir);
  server = await startServer(env, 180_000);
  const desktop = await launchChromium(chromium, { viewport: { width: 1280, height: 800 } });
  const phone = await launchChromium(chromium, {
    viewport: { width: 375, height: 812 },
    deviceScaleFactor: 2,
  });
  try {
    const page = await desktop.context.newPage();
    await page.goto(`${server.url}/login`);
    await page.getByLabel("API key").waitFor();
    await shoot(page, "login");

    await signIn(page, server.url, aliceKey);
    await page.getByRole("searchbox", { name: "Search memories" }).fill("coffee");
    await page.getByRole("button", { name: "Search", exact: true }).click();
    await page.getByRole("columnheader", { name: "Score" }).waitFor();
    await shoot(page, "memories-search");

    await page.getByRole("button", { name: "Clear" }).click();
    await page
      .locator("tr", { hasText: "jasmine" })
      .getByRole("button", { name: /^History/ })
      .click();
    await page.locator('.timeline li[data-event="update"]').waitFor();
    // Opening the panel moves the focus (and so the scroll) to it; the panel is sticky, the top shows both.
    await page.evaluate("window.scrollTo(0, 0)");
    await shoot(page, "memory-history");

    const admin = await desktop.context.newPage();
    await signIn(admin, server.url, ADMIN_KEY);
    await admin.locator(".chart svg").first().waitFor();
    await shoot(admin, "overview", true);
    await admin.getByRole("link", { name: "Users" }).click();
    await admin.locator("tr[data-user-id]").first().waitFor();
    await shoot(admin, "admin-users", true);

    const small = await phone.context.newPage();
    await signIn(small, server.url, aliceKey);
    await small.getByRole("searchbox", { name: "Search memories" }).fill("coffee");
    await small.getByRole("button", { name: "Search", exact: true }).click();
    await small.locator("table.memory-table tbody tr").first().waitFor();
    await shoot(small, "phone");
  } finally {
    await desktop.close();
    await phone.close();
    await sigterm(server);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`screenshots failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
