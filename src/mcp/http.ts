/** MCP over Streamable HTTP at /mcp: stateless (a server and transport per request), the key checked on every request. */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Context, MiddlewareHandler } from "hono";
import { AppError } from "../errors.js";
import { actorFor, authenticate, requestedUser } from "../http/auth.js";
import type { App, AppEnv } from "../http/context.js";
import { errorBody } from "../http/errors.js";
import { LocalMemoryPort } from "./local.js";
import { createMcpServer } from "./tools.js";

export const MCP_PATH = "/mcp";

const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "[::1]"];
const WILDCARD_BINDS = new Set(["0.0.0.0", "::", "[::]"]);

/** `hostname` and `port` of a Host header or an Origin, as the URL parser reads them (IPv6 in brackets, lower case). */
function parseAuthority(
  value: string,
  scheme: "http:" | "https:" = "http:",
): { hostname: string; port: string } | undefined {
  try {
    const u = new URL(`${scheme}//${value}`);
    if (u.username || u.password || u.pathname !== "/" || u.search || u.hash) return undefined;
    return { hostname: u.hostname, port: u.port || (scheme === "https:" ? "443" : "80") };
  } catch {
    return undefined;
  }
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

const guardHostAndOrigin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const host = c.req.header("host");
  const parsedHost = host ? parseAuthority(host) : undefined;
  if (!host || !parsedHost || !authorityAllowed(c, parsedHost.hostname, parsedHost.port)) {
    throw new AppError(
      "forbidden",
      `Host '${host ?? ""}' is not allowed for ${MCP_PATH} (DNS-rebinding protection); add it to ENGRAM_ALLOWED_HOSTS`,
      { field: "Host" },
    );
  }
  // Browsers send Origin; MCP clients outside a browser usually send none, which is fine.
  const origin = c.req.header("origin");
  if (origin !== undefined) {
    let ok = false;
    try {
      const u = new URL(origin);
      const scheme = u.protocol === "https:" ? "https:" : "http:";
      const parsed = (u.protocol === "http:" || u.protocol === "https:") && parseAuthority(u.host, scheme);
      ok = !!parsed && authorityAllowed(c, parsed.hostname, parsed.port);
    } catch {
      ok = false; // "null" and other opaque origins
    }
    if (!ok) {
      throw new AppError(
        "forbidden",
        `Origin '${origin}' is not allowed for ${MCP_PATH} (DNS-rebinding protection)`,
        {
          field: "Origin",
        },
      );
    }
  }
  await next();
};

/** Mounts /mcp: Host/Origin check, then the same key authentication as /v1, then one MCP exchange. */
export function registerMcpRoutes(app: App, opts: { version: string }): void {
  app.use(MCP_PATH, guardHostAndOrigin);
  app.use(MCP_PATH, authenticate);

  // Stateless: no session to resume and no server-initiated stream, so only POST has a meaning here.
  app.on(["GET", "DELETE"], MCP_PATH, (c) => {
    const err = new AppError(
      "method_not_allowed",
      `${c.req.method} ${MCP_PATH}: this server is stateless; use POST`,
    );
    return c.json(errorBody(c, err), 405, { Allow: "POST" });
  });

  app.post(MCP_PATH, async (c) => {
    const { services } = c.var;
    // A malformed X-User-Id is refused here, once, rather than by every tool call.
    requestedUser(c);
    const port = new LocalMemoryPort(services, (scope) => actorFor(c, scope));
    const server = createMcpServer(port, { version: opts.version, log: services.log });
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      // One JSON answer per POST: every tool call completes within its request.
      enableJsonResponse: true,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close();
    }
  });
}
