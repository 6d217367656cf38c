/** MCP over Streamable HTTP at /mcp: stateless (a server and transport per request), the key checked on every request. */
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import { AppError } from "../errors.js";
import { actorFor, authenticate, requestedUser } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorBody } from "../http/errors.js";
import { checkHostAndOrigin } from "../http/host-guard.js";
import { LocalMemoryPort } from "./local.js";
import { createMcpServer } from "./tools.js";

export const MCP_PATH = "/mcp";

/** Mounts /mcp: Host/Origin check, then the same key authentication as /v1, then one MCP exchange. */
export function registerMcpRoutes(app: App, opts: { version: string }): void {
  app.use(MCP_PATH, async (c, next) => {
    checkHostAndOrigin(c, `${MCP_PATH}; add it to ENGRAM_ALLOWED_HOSTS`);
    await next();
  });
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
