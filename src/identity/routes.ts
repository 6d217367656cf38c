/** The identity routes in one call, in OpenAPI order: /v1/me, /v1/me/keys, /v1/tenants, /v1/users, /v1/keys. */
import type { App } from "../http/context.js";
import { registerKeyRoutes } from "./keys-routes.js";
import { registerMeKeyRoutes } from "./me-keys-routes.js";
import { registerMeRoutes } from "./me-routes.js";
import { registerTenantRoutes } from "./tenants-routes.js";
import { registerUserKeyRoutes, registerUserRoutes } from "./users-routes.js";

export function registerIdentityRoutes(app: App): void {
  registerMeRoutes(app);
  registerMeKeyRoutes(app);
  registerTenantRoutes(app);
  registerUserRoutes(app);
  registerUserKeyRoutes(app);
  registerKeyRoutes(app);
}
