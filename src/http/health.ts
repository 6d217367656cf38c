/** Liveness and readiness: /healthz answers while the process runs; /readyz only when the database answers too. */
import { createRoute, z } from "@hono/zod-openapi";
import { AppError } from "../errors.js";
import type { App } from "./context.js";
import { jsonResponse } from "./openapi.js";

const Health = z.object({ status: z.literal("ok") }).openapi("Health");
const Ready = z
  .object({ status: z.literal("ready"), database: z.string(), embedding_model: z.string() })
  .openapi("Ready");

export function registerHealthRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: "get",
      path: "/healthz",
      tags: ["health"],
      responses: { 200: jsonResponse(Health, "Alive") },
    }),
    (c) => c.json({ status: "ok" as const }, 200),
  );
  app.openapi(
    createRoute({
      method: "get",
      path: "/readyz",
      tags: ["health"],
      responses: {
        200: jsonResponse(Ready, "Ready to serve"),
        503: jsonResponse(z.object({}).passthrough(), "Not ready"),
      },
    }),
    async (c) => {
      const { db, embedder } = c.var.services;
      try {
        await db.query("SELECT 1");
      } catch (err) {
        throw new AppError("not_ready", "database is not answering", { cause: err });
      }
      return c.json({ status: "ready" as const, database: db.kind, embedding_model: embedder.model }, 200);
    },
  );
}
