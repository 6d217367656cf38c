/**
 * Debian's chromium driven by playwright-core, for the dashboard's browser tests and screenshots: never a
 * downloaded browser. Headless, with a fresh profile directory that is removed on close.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium } from "playwright-core";

/** The chromium on PATH (`which chromium`), or undefined when there is none. */
export function findChromium(): string | undefined {
  try {
    const path = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    return path || undefined;
  } catch {
    return undefined;
  }
}

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/**
 * One browser with a fresh --user-data-dir (playwright passes it as the persistent profile). Every page opened
 * in it is a new tab, with its own sessionStorage: one tab per signed-in user.
 */
export async function launchChromium(
  executablePath: string,
  opts: { viewport?: { width: number; height: number }; deviceScaleFactor?: number } = {},
): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "engram-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: opts.viewport ?? { width: 1280, height: 860 },
    deviceScaleFactor: opts.deviceScaleFactor ?? 1,
    timeout: 60_000,
  });
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
