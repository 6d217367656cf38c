/**
 * The web dashboard's static files (web/dist, built by `npm run build:web`), served at `/` without authentication:
 * the page logs in with an API key in the browser. A browser's GET of a client-side route (a path outside the API's,
 * with no file, asking for text/html) answers index.html; hashed files under /assets are cached for a year, everything else revalidated.
 */
import { readFile, stat } from "node:fs/promises";
import { extname, resolve, sep } from "node:path";
import type { Context, MiddlewareHandler } from "hono";
import type { App, AppEnv } from "./context.js";

// Its own module so that the CLI (engram doctor) can find the build without importing the HTTP face.
export { WEB_DIST_DIR } from "../web-dir.js";

import { WEB_DIST_DIR } from "../web-dir.js";

/** Only this origin's scripts, styles, images (and data: images) and API calls; no framing, no inline code. */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join("; ");

/** First path segments that belong to the server, never to the dashboard: no index.html fallback under them. */
const SERVER_SEGMENTS = new Set([
  "v1",
  "api",
  "mcp",
  "openapi.json",
  "docs",
  "healthz",
  "readyz",
  "metrics",
  "assets",
]);

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".wasm": "application/wasm",
};

const IMMUTABLE = "public, max-age=31536000, immutable";

const NOT_BUILT = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Engram: dashboard not built</title></head>
<body>
<h1>The Engram dashboard has not been built</h1>
<p>This server found no <code>web/dist/index.html</code>. Build the dashboard with</p>
<pre>npm run build:web</pre>
<p>and reload this page (no restart needed). The API works without it: see <a href="/docs">/docs</a>.</p>
</body>
</html>
`;

/**
 * Whether a path is the server's: its first segment, ignoring case, repeated slashes and `;` parameters, so that
 * `/V1/sessions`, `//v1/sessions` or `/healthz;x=1` get the API's JSON 404 rather than the page.
 */
function isServerPath(path: string): boolean {
  const first = path.split("/").find((s) => s !== "") ?? "";
  return SERVER_SEGMENTS.has(first.split(";")[0]?.toLowerCase() ?? "");
}

/**
 * The file under `root` a URL path names, or undefined when it names none safely: undecodable, a NUL or backslash,
 * a `.` or `..` segment or a hidden (dot) name, anything resolving outside `root`.
 */
export function resolveInside(root: string, rawPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch (err) {
    // A malformed escape (`%E0%A4%A`) names no file; anything else is a bug.
    if (err instanceof URIError) return undefined;
    throw err;
  }
  if (path.includes("\0") || path.includes("\\")) return undefined;
  const segments = path.split("/").filter((s) => s !== "");
  if (segments.some((s) => s.startsWith("."))) return undefined;
  const base = resolve(root);
  if (segments.length === 0) return base;
  const file = resolve(base, ...segments);
  return file.startsWith(base + sep) ? file : undefined;
}

async function regularFile(path: string): Promise<{ size: number; mtimeMs: number } | undefined> {
  try {
    const s = await stat(path);
    return s.isFile() ? s : undefined;
  } catch (err) {
    // No such file (or a path through a file, or one too long to be a file): not found. Anything else, such as
    // permissions on web/dist, is the operator's to see: a 500 with the cause in the log.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ENAMETOOLONG") return undefined;
    throw err;
  }
}

/** The page's own policy (not the API's), and no framing; the global security headers add the rest. */
function pageHeaders(c: Context<AppEnv>): void {
  c.header("Content-Security-Policy", WEB_CSP);
  c.header("X-Frame-Options", "DENY");
}

async function sendFile(
  c: Context<AppEnv>,
  file: string,
  info: { size: number; mtimeMs: number },
  cache: string,
): Promise<Response> {
  pageHeaders(c);
  const etag = `W/"${info.size.toString(16)}-${Math.trunc(info.mtimeMs).toString(16)}"`;
  c.header("ETag", etag);
  c.header("Cache-Control", cache);
  c.header("Content-Type", TYPES[extname(file).toLowerCase()] ?? "application/octet-stream");
  const match = c.req.header("if-none-match");
  if (match?.split(",").some((t) => t.trim() === etag)) return c.body(null, 304);
  return c.body(new Uint8Array(await readFile(file)), 200);
}

/**
 * Serves the dashboard from `dir` (default: web/dist of the package). Register after every API route: it answers
 * only GETs (and HEADs) that no route took, and passes the rest on to the not-found handler.
 */
export function registerWebRoutes(app: App, dir: string = WEB_DIST_DIR): void {
  const root = resolve(dir);
  const index = resolve(root, "index.html");
  const serve: MiddlewareHandler<AppEnv> = async (c, next) => {
    // The raw path: Hono's may already be decoded, and the checks below must see what the client sent.
    const rawPath = new URL(c.req.url).pathname;
    // The API's paths are never files; under /assets a missing file is a 404, not the page.
    const server = isServerPath(rawPath);
    if (server && !/^\/assets\/[^/]/.test(rawPath)) return next();
    const file = resolveInside(root, rawPath);
    if (file === undefined) return next();
    const found = file === root ? undefined : await regularFile(file);
    if (found) {
      const hashed = rawPath.startsWith("/assets/");
      return sendFile(c, file, found, hashed ? IMMUTABLE : "no-cache");
    }
    if (server) return next();
    // The page stands in for client-side routes only when a browser navigates there (it asks for HTML); an API
    // client that mistypes a path gets the JSON 404 route_not_found, not a 200 page.
    if (rawPath !== "/" && !/\btext\/html\b/i.test(c.req.header("accept") ?? "")) return next();
    const page = await regularFile(index);
    if (!page) {
      pageHeaders(c);
      c.header("Cache-Control", "no-store");
      return c.html(NOT_BUILT, 503);
    }
    return sendFile(c, index, page, "no-cache");
  };
  app.get("*", serve);
}
