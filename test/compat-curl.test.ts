/**
 * The documents' curl commands (OpenMemory's multi-user guide, MUXI's multi-user deep dive), run by the real curl
 * against a real keys-mode server on loopback, on both backends. The steps are scripts/compat's, the same that
 * write docs/compat.md. Its local_open steps are left to `npm run compat:check` (the built CLI) and to
 * local-open.test.ts, which covers that mode on both backends: here they would cost two more server start-ups.
 */
import { execFileSync } from "node:child_process";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Vars } from "../scripts/compat/checks.js";
import { keysMode, stepsOf } from "../scripts/compat/scenarios.js";
import { describeFailure, runStep } from "../scripts/compat/step.js";
import { loadConfig } from "../src/config/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import { type Backend, backends } from "./helpers/backends.js";

const ADMIN_KEY = "ek_admin_compatcompatcompatcompatcompat12";

// Fails the file at once, with the reason, on a machine without curl: the point here is curl's own behaviour.
execFileSync("curl", ["--version"], { stdio: "ignore" });

describe.each(backends)("the documents' curl commands against a real server ($name)", (backend: Backend) => {
  let server: RunningServer | undefined;
  let drop: (() => Promise<void>) | undefined;
  /** Shared by the steps, in order: each saves the keys and ids that later ones use. */
  const vars: Vars = { ADMIN_KEY };

  beforeAll(async () => {
    const db = await backend.create();
    drop = db.drop;
    const config = loadConfig(
      {
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        ENGRAM_HOST: "127.0.0.1",
        ENGRAM_PORT: "0",
        ENGRAM_LOG_LEVEL: "silent",
        ...db.env,
      },
      "/nonexistent",
    );
    server = await startServer(config, pino({ level: "silent" }));
    vars.ENGRAM = server.url;
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  for (const step of stepsOf(keysMode)) {
    it(`${step.id}. ${step.title}`, async () => {
      const result = await runStep(step, vars);
      expect(result.failures, describeFailure(step, result)).toEqual([]);
    });
  }
});
