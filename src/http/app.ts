/** Assembles the HTTP app: middleware, feature routes, OpenAPI document, health, and the one error handler. */

import { SwaggerUI, swaggerUI } from "@hono/swagger-ui";
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { registerAppRoutes } from "../apps/routes.js";
import { registerAuditRoutes } from "../audit/routes.js";
import { byPrincipal, recordAudit } from "../audit/store.js";
import { registerChatRoutes } from "../chat/routes.js";
import { registerOpenMemoryRoutes } from "../compat/openmemory.js";
import { AppError } from "../errors.js";
import { registerIdentityRoutes } from "../identity/routes.js";
import { newId } from "../ids.js";
import { registerMcpRoutes } from "../mcp/http.js";
import { registerMemoryRoutes } from "../memories/routes.js";
import type { Services } from "../services.js";
import { registerSessionRoutes } from "../sessions/routes.js";
import { registerStatsRoutes } from "../stats/routes.js";
import { IMPORT_PATH, registerTransferRoutes } from "../transfer/routes.js";
import { findJsonProblem } from "../validation.js";
import { VERSION } from "../version.js";
import { authenticate, requestContext } from "./auth.js";
import type { App, AppEnv } from "./context.js";
import { corsFor } from "./cors.js";
import { errorBody, fieldError, fromZod, toAppError } from "./errors.js";
import { registerHealthRoutes } from "./health.js";
import { RateLimited, RateLimiter } from "./rate-limit.js";
import { contentSecurityPolicy, securityHeaders, swaggerUiCsp } from "./security-headers.js";
import { registerWebRoutes } from "./web.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const given = c.req.header("x-request-id");
  const id = given && REQUEST_ID.test(given) ? given : newId("req");
  c.set("requestId", id);
  c.header("X-Request-Id", id);
  await next();
};

/**
 * The documents we started from send JSON with curl's `-d` and no Content-Type (curl then says
 * application/x-www-form-urlencoded). The API takes only JSON, so such bodies are read as JSON.
 */
const jsonByDefault: MiddlewareHandler<AppEnv> = async (c, next) => {
  const method = c.req.method;
  if (method === "POST" || method === "PUT" || method === "PATCH" || method === "DELETE") {
    const type = c.req.header("content-type");
    if (!type || /^application\/x-www-form-urlencoded\b/i.test(type) || /^text\/plain\b/i.test(type)) {
      const headers = new Headers(c.req.raw.headers);
      headers.set("content-type", "application/json");
      const raw = c.req.raw;
      c.req.raw = new Request(raw.url, {
        method,
        headers,
        body: raw.body,
        signal: raw.signal,
        // Node's fetch needs this to forward a streamed body.
        duplex: "half",
      } as RequestInit);
    }
  }
  await next();
};

const logRequests: MiddlewareHandler<AppEnv> = async (c, next) => {
  const start = performance.now();
  await next();
  const ms = Math.round((performance.now() - start) * 10) / 10;
  const status = c.res.status;
  // Method, path and status only: headers and bodies may carry keys and users' text.
  c.var.services.log[status >= 500 ? "error" : "info"](
    { req_id: c.var.requestId, method: c.req.method, path: c.req.path, status, ms },
    "request",
  );
};

export interface AppOptions {
  /** Where the dashboard's built files are (default web/dist of the package; tests point it elsewhere). */
  webDir?: string;
}

/**
 * A key refused with 403 (an admin route, a missing scope, another user named, a paused app, a quota) leaves an
 * audit row, `request.refused`, whose outcome is the error code and whose resource is the route (`GET /v1/users`):
 * who tried what. Not for 401 (no key to name; failed authentication is counted per address instead) nor keyless
 * requests. A row that cannot be written is logged, never a different answer.
 */
async function auditRefusal(c: Context<AppEnv>, err: AppError): Promise<void> {
  const p = c.var.principal;
  if (!p || p.kind === "open") return;
  try {
    await recordAudit(c.var.services.db, byPrincipal(p, requestContext(c)), {
      action: "request.refused",
      tenantId: p.tenantId,
      userPk: null,
      userId: null,
      resourceId: `${c.req.method} ${c.req.routePath}`,
      outcome: err.code,
    });
  } catch (failed) {
    c.var.services.log.warn({ req_id: c.var.requestId, err: failed }, "could not record a refused request");
  }
}

export function createApp(services: Services, opts: AppOptions = {}): App {
  const app: App = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      const where = result.target === "json" ? undefined : result.target;
      if (!result.success) throw fromZod(result.error, where);
      // Text schemas refuse NUL themselves (src/validation.ts); this catches it in any field whose schema does not
      // (a path segment, an app's description, a user's name) before PostgreSQL would refuse it with a 500.
      const nul = findJsonProblem(result.data);
      if (nul) throw fieldError(where, nul.path, nul.message);
    },
  });

  app.use("*", requestId);
  app.use("*", securityHeaders);
  const rateLimiter = new RateLimiter(services.db, services.config.rateLimits, { log: services.log });
  app.use("*", async (c, next) => {
    c.set("services", services);
    c.set("rateLimiter", rateLimiter);
    await next();
  });
  app.use("*", logRequests);
  // Before authentication: a preflight carries no key. Off (passes everything through) without ENGRAM_CORS_ORIGINS.
  const cors = corsFor(services.config.corsOrigins);
  for (const path of ["/v1/*", "/api/v1/*", "/mcp"]) app.use(path, cors);
  app.use("*", jsonByDefault);
  const limitBody = bodyLimit({
    maxSize: services.config.limits.bodyBytes,
    onError: () => {
      throw new AppError(
        "payload_too_large",
        `body: larger than the limit of ${services.config.limits.bodyBytes} bytes`,
        {
          field: "body",
        },
      );
    },
  });
  // POST /v1/import (admin only) is as large as the export it reads, and is read line by line, never whole.
  app.use("*", (c, next) =>
    c.req.method === "POST" && c.req.path === IMPORT_PATH ? next() : limitBody(c, next),
  );
  app.use("/v1/*", authenticate);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description:
      "An Engram API key (ek_admin_…, ek_client_…, ek_user_…). X-Api-Key and X-Muxi-Client-Key work too.",
  });

  registerHealthRoutes(app);
  registerIdentityRoutes(app);
  registerAuditRoutes(app);
  registerStatsRoutes(app);
  registerMemoryRoutes(app);
  registerAppRoutes(app);
  registerOpenMemoryRoutes(app);
  registerSessionRoutes(app);
  registerChatRoutes(app);
  registerTransferRoutes(app);
  registerMcpRoutes(app, { version: VERSION });

  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "Engram",
      version: VERSION,
      description:
        "Self-hosted, multi-user memory server for AI agents. Every key acts for one principal; RLS isolates users.",
    },
  });
  // validatorUrl none: Swagger UI would otherwise send the spec's URL to validator.swagger.io for a badge.
  const docs = { url: "/openapi.json", validatorUrl: "none" };
  app.get("/docs", contentSecurityPolicy(swaggerUiCsp(SwaggerUI(docs))), swaggerUI(docs));
  // Last: the dashboard answers only GETs no route above took.
  registerWebRoutes(app, opts.webDir);

  app.notFound((c) => {
    const err = new AppError("route_not_found", `no route for ${c.req.method} ${c.req.path}`);
    return c.json(errorBody(c, err), 404);
  });

  app.onError(async (thrown, c) => {
    const err = toAppError(thrown);
    if (err instanceof RateLimited) c.header("Retry-After", String(err.retryAfter));
    if (err.status >= 500) {
      c.var.services?.log.error({ req_id: c.var.requestId, err: thrown }, "request failed");
    }
    if (err.status === 403) await auditRefusal(c, err);
    return c.json(errorBody(c, err), err.status as 400);
  });

  return app;
}
