/** REST routes for apps under /v1/apps: thin adapters over AppService. */
import { createRoute, z } from "@hono/zod-openapi";
import { needs, routeActor } from "../http/auth.js";
import type { App } from "../http/context.js";
import { errorResponses, jsonBody, jsonResponse, security } from "../http/openapi.js";
import { AppSchema, CreateAppBody, UpdateAppBody } from "./schemas.js";

const tags = ["apps"];

export function registerAppRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/apps",
      tags,
      security,
      middleware: [needs("memories:read")],
      summary: "The caller's apps (every user has `default`)",
      responses: { 200: jsonResponse(z.object({ apps: z.array(AppSchema) }), "Apps"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json({ apps: await c.var.services.apps.list(actor) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/apps",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Create an app",
      request: { body: jsonBody(CreateAppBody) },
      responses: { 201: jsonResponse(AppSchema, "The app"), 409: errorResponses[400], ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(await c.var.services.apps.create(actor, c.req.valid("json")), 201);
    },
  );

  app.openapi(
    createRoute({
      method: "patch",
      path: "/v1/apps/{id}",
      tags,
      security,
      middleware: [needs("memories:write")],
      summary: "Pause or resume an app (by id or name): a paused app can neither write nor read",
      request: {
        params: z.object({
          id: z
            .string()
            .min(1)
            .max(64)
            .openapi({ param: { name: "id", in: "path" } }),
        }),
        body: jsonBody(UpdateAppBody),
      },
      responses: { 200: jsonResponse(AppSchema, "The app"), ...errorResponses },
    }),
    async (c) => {
      const actor = await routeActor(c);
      return c.json(
        await c.var.services.apps.update(actor, c.req.valid("param").id, c.req.valid("json")),
        200,
      );
    },
  );
}
