/** Security headers on every response, and the Content-Security-Policy a route may set for itself (e.g. /docs). */
import { createHash } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";

/** For everything Engram answers itself (JSON, errors): load nothing, run nothing, be framed by nobody. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'";

/**
 * Set on every response, whatever the route. No Strict-Transport-Security: Engram speaks plain HTTP and cannot know
 * whether a TLS proxy is in front (docs/security.md); HSTS belongs to the proxy that terminates TLS.
 */
const ALWAYS: ReadonlyArray<readonly [string, string]> = [
  ["X-Content-Type-Options", "nosniff"],
  ["Referrer-Policy", "no-referrer"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
];

/**
 * Adds the headers after the handler (so error and not-found answers get them too). Content-Security-Policy is
 * added only when the response has none: a route that serves a page sets its own, with `contentSecurityPolicy`
 * below or `c.header("Content-Security-Policy", …)`, and keeps it.
 */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  for (const [name, value] of ALWAYS) c.header(name, value);
  if (!c.res.headers.has("Content-Security-Policy")) c.header("Content-Security-Policy", API_CSP);
};

/** Route middleware: this route's responses carry `policy` instead of API_CSP. */
export function contentSecurityPolicy(policy: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    c.header("Content-Security-Policy", policy);
  };
}

/** `'sha256-…'` sources for each inline `<script>` (one without `src`) in `html`, for a CSP's script-src. */
export function inlineScriptHashes(html: string): string[] {
  const hashes: string[] = [];
  for (const m of html.matchAll(/<script(\s[^>]*)?>([\s\S]*?)<\/script>/gi)) {
    if (/\ssrc\s*=/i.test(m[1] ?? "")) continue;
    const digest = createHash("sha256")
      .update(m[2] ?? "")
      .digest("base64");
    hashes.push(`'sha256-${digest}'`);
  }
  return hashes;
}

/**
 * The policy of Swagger UI as @hono/swagger-ui serves it: its script and stylesheet come from `cdn` (jsDelivr by
 * default, unreachable on an air-gapped network: there /docs stays blank and /openapi.json is what works), its
 * bootstrap is an inline script allowed by hash (`html` is that bootstrap's markup), it injects inline styles and
 * uses data: images for icons, and it fetches the spec and "Try it out" requests from this origin.
 */
export function swaggerUiCsp(html: string, cdn = "https://cdn.jsdelivr.net"): string {
  return [
    "default-src 'none'",
    `script-src ${cdn} ${inlineScriptHashes(html).join(" ")}`,
    `style-src ${cdn} 'unsafe-inline'`,
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
}
