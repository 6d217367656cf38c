/** The Hono context's typed variables for every route: the request id, the services, the caller's principal. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Scope } from "../identity/keys.js";
import type { Principal } from "../identity/principal.js";
import type { Services } from "../services.js";
import type { RateLimiter } from "./rate-limit.js";

export interface AppEnv {
  Variables: {
    requestId: string;
    services: Services;
    principal: Principal;
    /** This app's rate limiter (src/http/rate-limit.ts); the counts are in the database. */
    rateLimiter: RateLimiter;
    /** The scopes the route's guard (`needs` in src/http/auth.ts) checked; what `routeActor` acts under. */
    scopes: readonly Scope[];
  };
}

export type App = OpenAPIHono<AppEnv>;
