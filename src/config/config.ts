/** The one place configuration is read: ENGRAM_* environment variables over an optional YAML file, parsed by one zod schema. */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.union([
  z.boolean(),
  z.enum(["true", "false", "1", "0"]).transform((v) => v === "true" || v === "1"),
]);
const url = z.string().url();
/** An exact browser origin, `scheme://host[:port]`, normalised as browsers send it (lower case, no default port). */
const origin = z.string().transform((value, ctx) => {
  const u = URL.canParse(value) ? new URL(value) : undefined;
  if (
    !u ||
    (u.protocol !== "http:" && u.protocol !== "https:") ||
    u.username ||
    u.password ||
    value.includes("*") ||
    !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(value)
  ) {
    ctx.addIssue({
      code: "custom",
      message: `${JSON.stringify(value)} is not an exact origin such as https://app.example.com or http://localhost:3000 (no path, no wildcard)`,
    });
    return z.NEVER;
  }
  return u.origin;
});

/** One setting: the env var that sets it, its dotted YAML path (none: environment only), and its schema. */
interface Field {
  env: string;
  yaml?: string;
  schema: z.ZodType;
}

/**
 * Every setting, parsed by loadConfig into `Raw` (typed from the schemas) and arranged by `assemble` into Config,
 * whose type is what assemble returns. Env wins over YAML.
 */
const fields = {
  port: { env: "ENGRAM_PORT", yaml: "server.port", schema: port.default(8765) },
  host: { env: "ENGRAM_HOST", yaml: "server.host", schema: z.string().min(1).default("127.0.0.1") },
  allowedHosts: {
    env: "ENGRAM_ALLOWED_HOSTS",
    yaml: "server.allowed_hosts",
    // Extra Host/Origin names for /mcp's DNS-rebinding check: a comma-separated string or a YAML list.
    schema: z
      .union([z.string().transform((s) => s.split(",")), z.array(z.string())])
      .transform((l) => l.map((h) => h.trim().toLowerCase()).filter((h) => h.length > 0))
      .optional(),
  },
  dataDir: {
    env: "ENGRAM_DATA_DIR",
    yaml: "memory.persistent.data_dir",
    schema: z.string().min(1).default("./data"),
  },
  databaseUrl: {
    env: "ENGRAM_DATABASE_URL",
    yaml: "memory.persistent.connection_string",
    schema: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// URL")
      .optional(),
  },
  provider: {
    env: "ENGRAM_DATABASE_PROVIDER",
    yaml: "memory.persistent.provider",
    schema: z.enum(["postgresql", "postgres", "pglite", "embedded"]).optional(),
  },
  userIsolation: {
    env: "ENGRAM_USER_ISOLATION",
    yaml: "memory.persistent.user_isolation",
    // Engram always isolates users; accept the MUXI key, refuse to pretend it can be turned off.
    schema: bool
      .default(true)
      .refine((v) => v, "user isolation is always on in Engram; remove the key or set it to true"),
  },
  poolSize: {
    env: "ENGRAM_DB_POOL_SIZE",
    yaml: "memory.persistent.pool_size",
    schema: positiveInt.max(200).default(10),
  },
  sessionTimeout: {
    env: "ENGRAM_SESSION_TIMEOUT",
    yaml: "memory.session_timeout",
    schema: positiveInt.default(3600),
  },
  adminKey: {
    env: "ENGRAM_ADMIN_KEY",
    yaml: "auth.admin_key",
    // As long as a generated key's secret; a weak-looking one is warned about at start-up (identity/keys.ts).
    schema: z
      .string()
      .min(32, "must be at least 32 characters (generate one: openssl rand -base64 32)")
      .optional(),
  },
  authMode: {
    env: "ENGRAM_AUTH_MODE",
    yaml: "auth.mode",
    schema: z.enum(["keys", "local_open"]).default("keys"),
  },
  logLevel: {
    env: "ENGRAM_LOG_LEVEL",
    yaml: "log.level",
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  },
  bodyLimit: {
    env: "ENGRAM_BODY_LIMIT",
    yaml: "limits.body_bytes",
    schema: positiveInt.default(1024 * 1024),
  },
  maxTextLength: {
    env: "ENGRAM_MAX_TEXT_LENGTH",
    yaml: "limits.text_chars",
    schema: positiveInt.default(16_000),
  },
  // Stored memories per user (docs/security.md, Limits and headers); 0: no quota.
  memoryQuota: {
    env: "ENGRAM_MEMORY_QUOTA",
    yaml: "limits.memory_quota",
    schema: z.coerce.number().int().min(0).default(0),
  },
  // PostgreSQL statement_timeout in every transaction a request opens; 0: none. 30 s is far beyond any query a
  // request should make (a 50,000-memory user's search is ~40 ms) and still frees a connection held by a runaway one.
  statementTimeoutMs: {
    env: "ENGRAM_STATEMENT_TIMEOUT_MS",
    yaml: "limits.statement_timeout_ms",
    schema: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
  },
  // Node's HTTP server against slow clients (src/server.ts); 0 turns one off. Headers within 20 s and a whole request
  // (a 1 MiB body at most) within 60 s; idle keep-alive sockets kept 65 s, longer than the 60 s idle timeout of common
  // proxies and load balancers, so that a proxy never reuses a socket Engram is closing (a 502 for a POST).
  headersTimeoutMs: {
    env: "ENGRAM_HEADERS_TIMEOUT_MS",
    yaml: "server.headers_timeout_ms",
    schema: z.coerce.number().int().min(0).max(3_600_000).default(20_000),
  },
  requestTimeoutMs: {
    env: "ENGRAM_REQUEST_TIMEOUT_MS",
    yaml: "server.request_timeout_ms",
    schema: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  },
  keepAliveTimeoutMs: {
    env: "ENGRAM_KEEP_ALIVE_TIMEOUT_MS",
    yaml: "server.keep_alive_timeout_ms",
    schema: z.coerce.number().int().min(0).max(3_600_000).default(65_000),
  },
  corsOrigins: {
    env: "ENGRAM_CORS_ORIGINS",
    yaml: "server.cors_origins",
    // Browser origins allowed to call /v1, /api/v1 and /mcp (src/http/cors.ts): a comma-separated string or a YAML list.
    schema: z
      .union([z.string().transform((s) => s.split(",")), z.array(z.string())])
      .transform((l) => l.map((o) => o.trim()).filter((o) => o.length > 0))
      .pipe(z.array(origin))
      .default([]),
  },
  // Rate limits (src/http/rate-limit.ts, docs/security.md): 0 turns one off. Per key: 600 a minute is 10/s sustained,
  // far above what one agent does and what the embedder can add (a few dozen memories/s), yet it stops a runaway
  // loop from taking the server. Failed authentication: 30 a minute per address is plenty for typos and misconfigured
  // clients, and caps guessing at 43,200 tries a day per address (against keys with ~190 bits of randomness).
  rateLimitPerKey: {
    env: "ENGRAM_RATE_LIMIT_PER_KEY",
    yaml: "limits.rate_limit.per_key",
    schema: z.coerce.number().int().min(0).default(600),
  },
  rateLimitFailedAuth: {
    env: "ENGRAM_RATE_LIMIT_FAILED_AUTH",
    yaml: "limits.rate_limit.failed_auth",
    schema: z.coerce.number().int().min(0).default(30),
  },
  rateLimitWindow: {
    env: "ENGRAM_RATE_LIMIT_WINDOW",
    yaml: "limits.rate_limit.window_seconds",
    schema: positiveInt.max(86_400).default(60),
  },
  trustProxy: {
    env: "ENGRAM_TRUST_PROXY",
    yaml: "server.trust_proxy",
    // How many reverse proxies in front append to X-Forwarded-For; the client is the address the outermost one saw.
    // 0 (default): X-Forwarded-For is ignored and the client is the socket's peer. true = 1, false = 0.
    schema: z
      .union([
        z.literal(true).transform(() => 1),
        z.literal(false).transform(() => 0),
        z.enum(["true", "false"]).transform((v) => (v === "true" ? 1 : 0)),
        z.coerce.number().int().min(0).max(10),
      ])
      .default(0),
  },
  // Audit log (src/audit/, docs/security.md): rows older than this many days are purged at start-up and daily; 0 keeps
  // them forever. 90 days covers a quarter's review without the table growing without bound.
  auditRetentionDays: {
    env: "ENGRAM_AUDIT_RETENTION_DAYS",
    yaml: "audit.retention_days",
    schema: z.coerce.number().int().min(0).max(36_500).default(90),
  },
  embeddingsUrl: { env: "ENGRAM_EMBEDDINGS_URL", yaml: "embeddings.url", schema: url.optional() },
  embeddingsModel: {
    env: "ENGRAM_EMBEDDINGS_MODEL",
    yaml: "embeddings.model",
    schema: z.string().min(1).optional(),
  },
  embeddingsApiKey: {
    env: "ENGRAM_EMBEDDINGS_API_KEY",
    yaml: "embeddings.api_key",
    schema: z.string().optional(),
  },
  embeddingsDimensions: {
    env: "ENGRAM_EMBEDDINGS_DIMENSIONS",
    yaml: "embeddings.dimensions",
    schema: positiveInt.max(16000).optional(),
  },
  embeddingsBatchSize: {
    env: "ENGRAM_EMBEDDINGS_BATCH_SIZE",
    yaml: "embeddings.batch_size",
    schema: positiveInt.max(256).default(32),
  },
  embeddingsCacheSize: {
    env: "ENGRAM_EMBEDDINGS_CACHE_SIZE",
    yaml: "embeddings.cache_size",
    schema: z.coerce.number().int().min(0).default(2000),
  },
  llmUrl: { env: "ENGRAM_LLM_URL", yaml: "llm.url", schema: url.optional() },
  llmModel: { env: "ENGRAM_LLM_MODEL", yaml: "llm.model", schema: z.string().min(1).optional() },
  llmApiKey: { env: "ENGRAM_LLM_API_KEY", yaml: "llm.api_key", schema: z.string().optional() },
  llmTimeoutMs: { env: "ENGRAM_LLM_TIMEOUT_MS", yaml: "llm.timeout_ms", schema: positiveInt.default(30_000) },
  efSearch: {
    env: "ENGRAM_HNSW_EF_SEARCH",
    yaml: "search.ef_search",
    // Measured for a 50,000-memory user (docs/retrieval-performance.md): 100 gave recall@10 0.98 but single queries
    // as low as 0.1; 200 gave 0.999 (worst query 0.9) for ~3 ms more, and sends a 2,000-memory user to exact search.
    schema: positiveInt.max(1000).default(200),
  },
  searchLanguage: {
    env: "ENGRAM_SEARCH_LANGUAGE",
    yaml: "search.language",
    // A PostgreSQL text search configuration: stemming and stop words for keyword search.
    schema: z
      .string()
      .regex(/^[a-z_]+$/, "must be a text search configuration name such as english, simple, german")
      .default("english"),
  },
  // Linear fusion measured better at rank 1 than RRF on bench/quality (docs/retrieval.md), and keeps scores absolute.
  searchFusion: {
    env: "ENGRAM_SEARCH_FUSION",
    yaml: "search.fusion",
    schema: z.enum(["rrf", "linear"]).default("linear"),
  },
  keywordRanker: {
    env: "ENGRAM_SEARCH_KEYWORD_RANKER",
    yaml: "search.keyword_ranker",
    schema: z.enum(["bm25", "ts_rank_cd"]).default("bm25"),
  },
  rerank: {
    env: "ENGRAM_RERANK",
    yaml: "search.rerank",
    schema: z.enum(["off", "endpoint", "llm"]).default("off"),
  },
  rerankUrl: { env: "ENGRAM_RERANK_URL", yaml: "search.rerank_url", schema: url.optional() },
  rerankModel: {
    env: "ENGRAM_RERANK_MODEL",
    yaml: "search.rerank_model",
    schema: z.string().min(1).optional(),
  },
  rerankApiKey: {
    env: "ENGRAM_RERANK_API_KEY",
    yaml: "search.rerank_api_key",
    schema: z.string().optional(),
  },
  rerankCandidates: {
    env: "ENGRAM_RERANK_CANDIDATES",
    yaml: "search.rerank_candidates",
    schema: positiveInt.max(100).default(20),
  },
  keywordWeight: {
    env: "ENGRAM_SEARCH_KEYWORD_WEIGHT",
    yaml: "search.keyword_weight",
    schema: z.coerce.number().min(0).max(100).default(2),
  },
  semanticWeight: {
    env: "ENGRAM_SEARCH_SEMANTIC_WEIGHT",
    yaml: "search.semantic_weight",
    schema: z.coerce.number().min(0).max(100).default(1),
  },
  // For the commands that talk to a running server (engram mcp, the admin commands); their flags win over these.
  clientUrl: {
    env: "ENGRAM_URL",
    schema: z.url({ protocol: /^https?$/, error: "must be an http:// or https:// URL" }).optional(),
  },
  clientApiKey: { env: "ENGRAM_API_KEY", schema: z.string().optional() },
  clientUserId: { env: "ENGRAM_USER_ID", schema: z.string().optional() },
  // Set by OpenMemory's Claude Desktop block: `engram mcp` falls back to them, so a moved block changes only its
  // command and args. Checked in assemble, and only when the ENGRAM_ variable is unset (it wins, unread otherwise).
  openMemoryUrl: { env: "OPENMEMORY_API_URL", schema: z.string().optional() },
  openMemoryApiKey: { env: "OPENMEMORY_API_KEY", schema: z.string().optional() },
} as const satisfies Record<string, Field>;

type Fields = typeof fields;
type Raw = { [K in keyof Fields]: z.output<Fields[K]["schema"]> };

/** Which store: the embedded PGlite store in a directory, or PostgreSQL. Declared, as assemble picks one shape. */
export type DatabaseConfig =
  | { kind: "pglite"; dataDir: string }
  | { kind: "postgres"; url: string; poolSize: number };

/** The parsed configuration: what `assemble` builds, so a setting is added there and in `fields`, never twice. */
export type Config = ReturnType<typeof assemble>;
export type EmbeddingsConfig = Config["embeddings"];
export type LlmConfig = NonNullable<Config["llm"]>;
export type SearchConfig = Config["search"];
/** For the commands that reach a running server: ENGRAM_URL, ENGRAM_API_KEY, ENGRAM_USER_ID. */
export type ClientConfig = Config["client"];

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Env = Record<string, string | undefined>;

function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** `${{ secrets.NAME }}` (MUXI's form) and `${NAME}` are taken from the environment; a missing one is an error. */
function interpolate(value: unknown, where: string, env: Env): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$\{\{\s*secrets\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}|\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g,
      (_m, a, b) => {
        const name = (a ?? b) as string;
        const v = env[name];
        if (v === undefined) throw new ConfigError(`${where}: environment variable ${name} is not set`);
        return v;
      },
    );
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, `${where}[${i}]`, env));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, where ? `${where}.${k}` : k, env)]),
    );
  }
  return value;
}

function readYaml(env: Env, cwd: string): { file?: string; doc: unknown } {
  const explicit = env.ENGRAM_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, "engram.yaml");
  if (!existsSync(file)) {
    if (explicit) throw new ConfigError(`ENGRAM_CONFIG: file not found: ${file}`);
    return { doc: {} };
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(file, "utf8")) ?? {};
  } catch (err) {
    throw new ConfigError(`${file}: invalid YAML: ${(err as Error).message}`);
  }
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(`${file}: top level must be a mapping`);
  // Secrets are interpolated per key as it is read (loadConfig): a MUXI formation file's other sections may name
  // secrets Engram never uses, and those need not be set.
  return { file, doc };
}

/** Parses configuration once. Throws ConfigError naming the env var or YAML key of the first bad value. */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const { file, doc } = readYaml(env, cwd);
  const raw: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, field] of Object.entries(fields as Record<string, Field>)) {
    const fromEnv = env[field.env];
    const useEnv = fromEnv !== undefined && fromEnv !== "";
    const input = useEnv
      ? fromEnv
      : field.yaml === undefined
        ? undefined
        : interpolate(getPath(doc, field.yaml), field.yaml, env);
    const parsed = field.schema.safeParse(input);
    if (parsed.success) {
      raw[key] = parsed.data;
    } else {
      const where = useEnv ? field.env : `${field.yaml} in ${file ?? "engram.yaml"}`;
      problems.push(
        `${where}: ${parsed.error.issues.map((i) => i.message).join("; ")} (got ${JSON.stringify(input)})`,
      );
    }
  }
  // One bad value reads as one line (the common case, and what a start-up script greps); several get a list.
  if (problems.length === 1) throw new ConfigError(`invalid configuration: ${problems[0]}`);
  if (problems.length > 1) throw new ConfigError(`invalid configuration:\n  ${problems.join("\n  ")}`);
  return assemble(raw as Raw, file, cwd);
}

// No return type: Config is inferred from this (JSDoc on its properties carries over to Config's).
function assemble(r: Raw, configFile: string | undefined, cwd: string) {
  const wantsPostgres = r.provider === "postgresql" || r.provider === "postgres";
  if (wantsPostgres && !r.databaseUrl) {
    throw new ConfigError(
      "memory.persistent.provider is postgresql but no connection string is set (memory.persistent.connection_string or ENGRAM_DATABASE_URL)",
    );
  }
  const embedded = r.provider === "pglite" || r.provider === "embedded";
  const database: DatabaseConfig =
    r.databaseUrl && !embedded
      ? { kind: "postgres", url: r.databaseUrl, poolSize: r.poolSize }
      : { kind: "pglite", dataDir: resolve(cwd, r.dataDir) };

  if (r.embeddingsUrl && !r.embeddingsModel) {
    throw new ConfigError(
      "ENGRAM_EMBEDDINGS_MODEL (embeddings.model) is required when ENGRAM_EMBEDDINGS_URL is set",
    );
  }
  if (r.rerank === "endpoint" && !r.rerankUrl) {
    throw new ConfigError("ENGRAM_RERANK_URL (search.rerank_url) is required when ENGRAM_RERANK is endpoint");
  }
  if (r.rerank === "llm" && !r.llmUrl) {
    throw new ConfigError("ENGRAM_RERANK=llm needs an LLM: set ENGRAM_LLM_URL and ENGRAM_LLM_MODEL");
  }
  if (r.llmUrl && !r.llmModel)
    throw new ConfigError("ENGRAM_LLM_MODEL (llm.model) is required when ENGRAM_LLM_URL is set");

  const clientUrl = z.url({ protocol: /^https?$/ });
  const openMemoryUrl = r.clientUrl === undefined ? r.openMemoryUrl : undefined;
  if (openMemoryUrl !== undefined && !clientUrl.safeParse(openMemoryUrl).success) {
    throw new ConfigError(
      `invalid configuration: OPENMEMORY_API_URL: must be an http:// or https:// URL (got ${JSON.stringify(openMemoryUrl)})`,
    );
  }
  const openMemoryKey = r.clientApiKey === undefined ? r.openMemoryApiKey : undefined;

  const embeddings = {
    /** "builtin": the bundled USE-lite model in a worker thread; "openai": any OpenAI-compatible /v1/embeddings endpoint. */
    provider: r.embeddingsUrl ? ("openai" as const) : ("builtin" as const),
    batchSize: r.embeddingsBatchSize,
    cacheSize: r.embeddingsCacheSize,
    ...(r.embeddingsUrl ? { url: r.embeddingsUrl } : {}),
    ...(r.embeddingsModel ? { model: r.embeddingsModel } : {}),
    ...(r.embeddingsApiKey ? { apiKey: r.embeddingsApiKey } : {}),
    ...(r.embeddingsDimensions ? { dimensions: r.embeddingsDimensions } : {}),
  };

  if (r.requestTimeoutMs > 0 && r.headersTimeoutMs > r.requestTimeoutMs) {
    throw new ConfigError(
      `ENGRAM_HEADERS_TIMEOUT_MS (${r.headersTimeoutMs}) must not exceed ENGRAM_REQUEST_TIMEOUT_MS (${r.requestTimeoutMs})`,
    );
  }

  if (r.authMode === "local_open" && !isLoopback(r.host)) {
    throw new ConfigError(
      `ENGRAM_AUTH_MODE: local_open accepts requests without a key and is only allowed on a loopback bind (ENGRAM_HOST is ${r.host})`,
    );
  }

  return {
    port: r.port,
    host: r.host,
    ...(r.allowedHosts && r.allowedHosts.length > 0
      ? {
          /** Names /mcp accepts in Host and Origin besides loopback and `host` ("name" or "name:port"; "*" = any). */
          allowedHosts: r.allowedHosts,
        }
      : {}),
    database,
    authMode: r.authMode,
    logLevel: r.logLevel,
    limits: {
      bodyBytes: r.bodyLimit,
      textChars: r.maxTextLength,
      /** Most memories one user may store; 0 = no quota. */
      memoryQuota: r.memoryQuota,
      /** PostgreSQL statement_timeout set in the transactions requests open; 0 = none. */
      statementTimeoutMs: r.statementTimeoutMs,
    },
    /** Node HTTP server limits against slow clients, milliseconds; 0 = none. */
    serverTimeouts: {
      headersMs: r.headersTimeoutMs,
      requestMs: r.requestTimeoutMs,
      keepAliveMs: r.keepAliveTimeoutMs,
    },
    /** Origins allowed cross-origin (CORS) on /v1, /api/v1 and /mcp; empty = CORS off. */
    corsOrigins: r.corsOrigins,
    /** Requests per key and failed authentications per client address, per window; 0 = no limit. */
    rateLimits: {
      perKey: r.rateLimitPerKey,
      failedAuth: r.rateLimitFailedAuth,
      windowSeconds: r.rateLimitWindow,
    },
    /** Reverse proxies in front whose X-Forwarded-For entries are believed (0: the socket's peer is the client). */
    trustProxy: r.trustProxy,
    embeddings,
    sessionTimeoutSeconds: r.sessionTimeout,
    /** Audit log retention in days (0: keep forever). */
    audit: { retentionDays: r.auditRetentionDays },
    search: {
      efSearch: r.efSearch,
      /** PostgreSQL text search configuration for the keyword side. */
      language: r.searchLanguage,
      fusion: r.searchFusion,
      keywordRanker: r.keywordRanker,
      keywordWeight: r.keywordWeight,
      semanticWeight: r.semanticWeight,
      /** Reranking of the fused top candidates: off (default), a rerank endpoint, or the configured LLM. */
      rerank: {
        mode: r.rerank,
        candidates: r.rerankCandidates,
        ...(r.rerankUrl ? { url: r.rerankUrl } : {}),
        ...(r.rerankModel ? { model: r.rerankModel } : {}),
        ...(r.rerankApiKey ? { apiKey: r.rerankApiKey } : {}),
      },
    },
    ...(r.adminKey ? { adminKey: r.adminKey } : {}),
    ...(r.llmUrl && r.llmModel
      ? {
          llm: {
            url: r.llmUrl,
            model: r.llmModel,
            timeoutMs: r.llmTimeoutMs,
            ...(r.llmApiKey ? { apiKey: r.llmApiKey } : {}),
          },
        }
      : {}),
    /** Where `engram mcp` and the admin commands find a running server, and who they are there. */
    client: {
      ...(r.clientUrl ? { url: r.clientUrl } : {}),
      ...(r.clientApiKey ? { apiKey: r.clientApiKey } : {}),
      ...(r.clientUserId ? { userId: r.clientUserId } : {}),
      ...(openMemoryUrl || openMemoryKey
        ? {
            /** OPENMEMORY_API_URL / OPENMEMORY_API_KEY, read only where ENGRAM_URL / ENGRAM_API_KEY are unset. */
            openMemory: {
              ...(openMemoryUrl ? { url: openMemoryUrl } : {}),
              ...(openMemoryKey ? { apiKey: openMemoryKey } : {}),
            },
          }
        : {}),
    },
    ...(configFile
      ? {
          /** The YAML file that was read, if any. */
          configFile,
        }
      : {}),
  };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** The env vars this module reads and their YAML keys (none for the client settings), for the docs. */
export const CONFIG_KEYS: ReadonlyArray<{ env: string; yaml?: string }> = Object.values(
  fields as Record<string, Field>,
).map((f) => ({ env: f.env, ...(f.yaml === undefined ? {} : { yaml: f.yaml }) }));
