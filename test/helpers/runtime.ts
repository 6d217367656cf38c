/** An in-process Engram (services + Hono app) on a fresh database, with a known admin key, for behaviour tests. */
import { pino } from "pino";
import { type Config, loadConfig } from "../../src/config/config.js";
import { createEmbedder } from "../../src/embeddings/create-embedder.js";
import type { Embedder } from "../../src/embeddings/embedder.js";
import { createRuntime, type Runtime } from "../../src/server.js";
import { bootstrapAdmin } from "../../src/services.js";
import type { Backend } from "./backends.js";
import { wordsEmbedder } from "./words-embedder.js";

export const ADMIN_KEY = "ek_admin_testtesttesttesttesttesttesttest";

let sharedEmbedder: Promise<Embedder> | undefined;
let sharedWords: Embedder | undefined;

/** One model per test file: loading it is the slow part, and it holds no per-test state but a query cache. */
export function testEmbedder(): Promise<Embedder> {
  sharedEmbedder ??= createEmbedder(loadConfig({}, "/nonexistent").embeddings);
  return sharedEmbedder;
}

function sharedWordsEmbedder(): Embedder {
  sharedWords ??= wordsEmbedder();
  return sharedWords;
}

/**
 * Which embedder a runtime gets. "model" (the default): the built-in model, for any test whose assertions depend
 * on what texts mean (ranking, "by meaning", chat's similarity thresholds). "words": the hashed bag of words of
 * ./words-embedder.ts, for files that only need search to work (a memory found by a word it contains, isolation,
 * plumbing): no model to load and next to no time per text.
 */
export type TestEmbedderKind = "model" | "words";

export interface StartOptions {
  embedder?: TestEmbedderKind;
}

export interface TestEngram {
  runtime: Runtime;
  config: Config;
  /** Calls the app in-process, with JSON encoding and an optional key and user header. */
  call(
    method: string,
    path: string,
    opts?: CallOptions,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export interface CallOptions {
  key?: string;
  user?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send the body as-is, with no Content-Type (as curl -d does, more or less). */
  raw?: string;
}

export async function startEngram(
  backend: Backend,
  env: Record<string, string> = {},
  opts: StartOptions = {},
): Promise<TestEngram> {
  // The model loads in its worker while the store is made.
  const embedding = opts.embedder === "words" ? Promise.resolve(sharedWordsEmbedder()) : testEmbedder();
  const db = await backend.create();
  const config = loadConfig(
    { ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_LOG_LEVEL: "silent", ...db.env, ...env },
    "/nonexistent",
  );
  const log = pino({ level: "silent" });
  const embedder = await embedding;
  const runtime = await createRuntime(config, log, { embedder });
  await bootstrapAdmin(runtime.services.identity, config);
  return {
    runtime,
    config,
    async call(method, path, opts = {}) {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.key) headers.authorization = `Bearer ${opts.key}`;
      if (opts.user) headers["x-user-id"] = opts.user;
      let body: string | undefined;
      if (opts.raw !== undefined) body = opts.raw;
      else if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers["content-type"] ??= "application/json";
      }
      const res = await runtime.app.request(path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (e.g. /docs HTML); the raw text is returned
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await runtime.close();
      await db.drop();
    },
  };
}

/** Creates a user through the admin API and returns its key. */
export async function makeUser(e: TestEngram, userId: string, tenant?: string): Promise<string> {
  const res = await e.call("POST", "/v1/users", {
    key: ADMIN_KEY,
    body: { user_id: userId, ...(tenant ? { tenant } : {}) },
  });
  if (res.status !== 201) throw new Error(`creating ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.api_key as string;
}

let seq = 0;
/** A unique id per test, so tests share a database without sharing rows. */
export function uid(prefix = "u"): string {
  seq++;
  return `${prefix}${process.pid}x${seq}x${Math.random().toString(36).slice(2, 7)}`;
}
