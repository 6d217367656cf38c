/** CORS for the API faces (/v1, /api/v1, /mcp): off unless ENGRAM_CORS_ORIGINS names exact origins. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./context.js";

/** Every request header the API reads (src/http/auth.ts, src/http/app.ts), so a browser may send them. */
export const CORS_ALLOW_HEADERS = [
  "Authorization",
  "Content-Type",
  "X-Api-Key",
  "X-User-Id",
  "X-Tenant-Id",
  "X-Request-Id",
  "X-Muxi-Client-Key",
  "X-Muxi-User-Id",
  "X-Muxi-Tenant-Id",
  // Sent by MCP clients on /mcp (the server is stateless: no Mcp-Session-Id to send or read).
  "Mcp-Protocol-Version",
] as const;

/** Response headers a browser script may read besides the CORS-safelisted ones. */
export const CORS_EXPOSE_HEADERS = ["X-Request-Id", "Retry-After"] as const;

const ALLOW_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
/** How long a browser may cache a preflight: 10 minutes (Chromium caps it at 2 hours anyway). */
const MAX_AGE_SECONDS = 600;

/**
 * For `origins` (exact, normalised by the config: scheme://host[:port]) and only them: preflights answered 204 with
 * the methods and headers above, other responses carrying Access-Control-Allow-Origin for that one origin. Never
 * `*`, and never Access-Control-Allow-Credentials: the API authenticates with a key in a header, which a page sends
 * explicitly, so no cookie or HTTP auth a browser would attach by itself is ever invited. Any other origin (or no
 * Origin) passes through untouched: no Access-Control-* header, and a preflight falls through to the route
 * (authentication answers it 401). An empty list turns all of this off.
 */
export function corsFor(origins: readonly string[]): MiddlewareHandler<AppEnv> {
  const allowed = new Set(origins);
  return async (c, next) => {
    if (allowed.size === 0) return next();
    const origin = c.req.header("origin");
    if (origin === undefined || !allowed.has(origin)) {
      await next();
      // The answer depends on Origin: a shared cache must not give this one to an allowed origin, or the reverse.
      c.header("Vary", "Origin", { append: true });
      return;
    }
    if (c.req.method === "OPTIONS" && c.req.header("access-control-request-method") !== undefined) {
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": origin,
        "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": CORS_ALLOW_HEADERS.join(", "),
        "Access-Control-Max-Age": String(MAX_AGE_SECONDS),
        Vary: "Origin",
      });
    }
    await next();
    c.header("Access-Control-Allow-Origin", origin);
    c.header("Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS.join(", "));
    c.header("Vary", "Origin", { append: true });
  };
}
