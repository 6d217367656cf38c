/** DNS-rebinding protection: which Host and Origin names a request may carry to reach /mcp or keyless local_open. */
import type { Context } from "hono";
import { AppError } from "../errors.js";
import type { AppEnv } from "./context.js";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]"]);

/** `hostname` and `port` of a Host header or an Origin, as the URL parser reads them (IPv6 in brackets, lower case). */
function parseAuthority(
  value: string,
  scheme: "http:" | "https:" = "http:",
): { hostname: string; port: string } | undefined {
  const text = `${scheme}//${value}`;
  // Checked rather than caught: an unparsable value is an answer here (not allowed), not an error.
  if (!URL.canParse(text)) return undefined;
  const u = new URL(text);
  if (u.username || u.password || u.pathname !== "/" || u.search || u.hash) return undefined;
  return { hostname: u.hostname, port: u.port || (scheme === "https:" ? "443" : "80") };
}

/** The port this server really listens on (ENGRAM_PORT may be 0); unknown for in-process app.request() calls. */
function listeningPort(c: Context<AppEnv>): string | undefined {
  const incoming = (c.env as { incoming?: { socket?: { localPort?: number } } } | undefined)?.incoming;
  const port = incoming?.socket?.localPort ?? c.var.services.config.port;
  return port > 0 ? String(port) : undefined;
}

/**
 * DNS-rebinding protection: a web page whose name was re-pointed at this machine sends its own name as Host
 * and Origin. Allowed: localhost, 127.0.0.1, [::1] and the configured bind address, on the port the server
 * listens on; plus ENGRAM_ALLOWED_HOSTS entries (`name` for any port, `name:port` for one; `*` turns this off).
 */
function authorityAllowed(c: Context<AppEnv>, hostname: string, port: string): boolean {
  const { config } = c.var.services;
  const extra = config.allowedHosts ?? [];
  if (extra.includes("*")) return true;
  for (const entry of extra) {
    const e = parseAuthority(entry);
    if (!e) continue;
    const anyPort = !/:\d+$/.test(entry) || entry.endsWith("]");
    if (e.hostname === hostname && (anyPort || e.port === port)) return true;
  }
  const names = new Set(LOOPBACK_NAMES);
  if (!WILDCARD_BINDS.has(config.host)) {
    const bound = parseAuthority(
      config.host.includes(":") && !config.host.startsWith("[") ? `[${config.host}]` : config.host,
    );
    if (bound) names.add(bound.hostname);
  }
  if (!names.has(hostname)) return false;
  const listening = listeningPort(c);
  return listening === undefined || listening === port;
}

/**
 * Throws 403 unless Host (and Origin, when a browser sent one) name this server: loopback, the bind address, or
 * ENGRAM_ALLOWED_HOSTS. `what` ends the message, naming what is protected.
 */
export function checkHostAndOrigin(c: Context<AppEnv>, what: string): void {
  const host = c.req.header("host");
  const parsedHost = host ? parseAuthority(host) : undefined;
  if (!host || !parsedHost || !authorityAllowed(c, parsedHost.hostname, parsedHost.port)) {
    throw new AppError(
      "forbidden",
      `Host '${host ?? ""}' is not allowed (DNS-rebinding protection) for ${what}`,
      { field: "Host" },
    );
  }
  // Browsers send Origin; MCP clients outside a browser usually send none, which is fine.
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    let ok = false;
    // "null" and other opaque or malformed origins do not parse: not allowed.
    if (URL.canParse(origin)) {
      const u = new URL(origin);
      const scheme = u.protocol === "https:" ? "https:" : "http:";
      const parsed = (u.protocol === "http:" || u.protocol === "https:") && parseAuthority(u.host, scheme);
      // An origin the operator allowed cross-origin (ENGRAM_CORS_ORIGINS, exact) is trusted here too: CORS would
      // let its page call /mcp, so refusing it here would only break what was configured (docs/security.md).
      ok =
        !!parsed &&
        (authorityAllowed(c, parsed.hostname, parsed.port) ||
          c.var.services.config.corsOrigins.includes(u.origin));
    }
    if (!ok) {
      throw new AppError(
        "forbidden",
        `Origin '${origin}' is not allowed (DNS-rebinding protection) for ${what}`,
        {
          field: "Origin",
        },
      );
    }
  }
}
