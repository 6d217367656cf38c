/** The Hono context's typed variables for every route: the request id, the services, the caller's principal. */
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Principal } from "../identity/principal.js";
import type { Services } from "../services.js";

export interface AppEnv {
  Variables: {
    requestId: string;
    services: Services;
    principal: Principal;
  };
}

export type App = OpenAPIHono<AppEnv>;
