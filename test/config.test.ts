/** Unit tests of loadConfig (env over YAML, MUXI keys, secrets, bad values) and the CLI's exit on a bad value. */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { CONFIG_KEYS, type Config, ConfigError, loadConfig } from "../src/config/config.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist", "cli", "main.js");

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory, optionally holding an engram.yaml with `yaml` as its text. */
function tempDir(yaml?: string): string {
  const dir = mkdtempSync(join(tmpdir(), "engram-config-"));
  dirs.push(dir);
  if (yaml !== undefined) writeFileSync(join(dir, "engram.yaml"), yaml);
  return dir;
}

/** The ConfigError `fn` throws; fails the test if it throws nothing or something else. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, but nothing was thrown");
}

describe("loadConfig defaults", () => {
  it("with no env and no file gives the documented defaults", () => {
    const config = loadConfig({}, tempDir());
    const { database, ...rest } = config;
    expect(rest).toEqual({
      port: 8765,
      host: "127.0.0.1",
      authMode: "keys",
      logLevel: "info",
      limits: { bodyBytes: 1024 * 1024, textChars: 16_000, memoryQuota: 0, statementTimeoutMs: 30_000 },
      serverTimeouts: { headersMs: 20_000, requestMs: 60_000, keepAliveMs: 65_000 },
      corsOrigins: [],
      rateLimits: { perKey: 600, failedAuth: 30, windowSeconds: 60 },
      trustProxy: 0,
      embeddings: { provider: "builtin", batchSize: 32, cacheSize: 2000 },
      sessionTimeoutSeconds: 3600,
      audit: { retentionDays: 90 },
      search: {
        efSearch: 200,
        language: "english",
        fusion: "linear",
        keywordRanker: "bm25",
        keywordWeight: 2,
        semanticWeight: 1,
        rerank: { mode: "off", candidates: 20 },
      },
      client: {},
    } satisfies Omit<Config, "database">);
    expect(database.kind).toBe("pglite");
    if (database.kind !== "pglite") return;
    expect(isAbsolute(database.dataDir)).toBe(true);
    expect(basename(database.dataDir)).toBe("data");
  });

  it("ENGRAM_DATABASE_URL alone selects PostgreSQL with the default pool size", () => {
    const url = "postgres://engram:pw@db.internal:5432/engram";
    expect(loadConfig({ ENGRAM_DATABASE_URL: url }, tempDir()).database).toEqual({
      kind: "postgres",
      url,
      poolSize: 10,
    });
  });

  it("an empty env var counts as unset, so the YAML value applies", () => {
    const dir = tempDir("server:\n  port: 9001\n");
    expect(loadConfig({ ENGRAM_PORT: "" }, dir).port).toBe(9001);
  });
});

describe("loadConfig precedence", () => {
  it("reads engram.yaml from cwd and lets env override it key by key", () => {
    const dir = tempDir("server:\n  port: 9000\n  host: 127.0.0.2\nlog:\n  level: warn\n");
    const fromYaml = loadConfig({}, dir);
    expect(fromYaml).toMatchObject({
      port: 9000,
      host: "127.0.0.2",
      logLevel: "warn",
      configFile: join(dir, "engram.yaml"),
    });
    const overridden = loadConfig({ ENGRAM_PORT: "9100", ENGRAM_LOG_LEVEL: "debug" }, dir);
    expect(overridden).toMatchObject({ port: 9100, host: "127.0.0.2", logLevel: "debug" });
  });

  it("ENGRAM_DATABASE_URL overrides the YAML connection_string", () => {
    const dir = tempDir(
      "memory:\n  persistent:\n    provider: postgresql\n    connection_string: postgresql://yaml-host/engram\n",
    );
    const config = loadConfig({ ENGRAM_DATABASE_URL: "postgresql://env-host/engram" }, dir);
    expect(config.database).toEqual({ kind: "postgres", url: "postgresql://env-host/engram", poolSize: 10 });
  });

  it("ENGRAM_CONFIG names the file, relative to cwd", () => {
    const dir = tempDir();
    mkdirSync(join(dir, "conf"));
    writeFileSync(join(dir, "conf", "prod.yaml"), "server:\n  port: 7000\n");
    const config = loadConfig({ ENGRAM_CONFIG: "conf/prod.yaml" }, dir);
    expect(config.port).toBe(7000);
    expect(config.configFile).toBe(join(dir, "conf", "prod.yaml"));
  });
});

describe("MUXI-style YAML", () => {
  it("maps memory.persistent.* and memory.session_timeout", () => {
    const dir = tempDir(`
memory:
  session_timeout: 1800
  persistent:
    provider: postgresql
    connection_string: postgresql://muxi:secret@localhost:5432/muxi_memory
    user_isolation: true
    pool_size: 25
`);
    const config = loadConfig({}, dir);
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgresql://muxi:secret@localhost:5432/muxi_memory",
      poolSize: 25,
    });
    expect(config.sessionTimeoutSeconds).toBe(1800);
  });

  it("provider pglite keeps the embedded store even when a connection string is set", () => {
    const dir = tempDir(
      "memory:\n  persistent:\n    provider: pglite\n    connection_string: postgres://x/y\n    data_dir: ./store\n",
    );
    expect(loadConfig({}, dir).database.kind).toBe("pglite");
  });

  it("interpolates both forms, secrets.NAME in double braces and bare NAME, from the environment", () => {
    const dir = tempDir(`
memory:
  persistent:
    provider: postgresql
    connection_string: "postgresql://engram:\${{ secrets.DB_PASSWORD }}@\${DB_HOST}:5432/engram"
auth:
  admin_key: "\${{secrets.ADMIN_KEY}}"
`);
    const env = {
      DB_PASSWORD: "s3cret",
      DB_HOST: "db.internal",
      ADMIN_KEY: "ek_admin_0123456789abcdef0123456789abcdef",
    };
    const config = loadConfig(env, dir);
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgresql://engram:s3cret@db.internal:5432/engram",
      poolSize: 10,
    });
    expect(config.adminKey).toBe(env.ADMIN_KEY);
  });

  it("a missing secret names the YAML key and the variable", () => {
    const dir = tempDir(
      `memory:\n  persistent:\n    connection_string: postgresql://u:\${{ secrets.DB_PASSWORD }}@h/db\n`,
    );
    const err = configError(() => loadConfig({}, dir));
    expect(err.message).toContain("memory.persistent.connection_string");
    expect(err.message).toContain("DB_PASSWORD");
  });

  it("secrets in sections Engram does not read need not be set (a whole MUXI formation file loads)", () => {
    const dir = tempDir(
      `llm_models:\n  api_key: \${{ secrets.OPENAI_API_KEY }}\nmemory:\n  session_timeout: 120\n`,
    );
    expect(loadConfig({}, dir).sessionTimeoutSeconds).toBe(120);
  });

  it("a relative data dir is resolved against the config's working directory", () => {
    const dir = tempDir();
    const config = loadConfig({ ENGRAM_DATA_DIR: "store" }, dir);
    expect(config.database).toEqual({ kind: "pglite", dataDir: join(dir, "store") });
  });

  it("a missing bare-form variable names the YAML key and the variable", () => {
    const dir = tempDir(
      `embeddings:\n  url: https://api.example.com/v1\n  model: m\n  api_key: \${EMBED_KEY}\n`,
    );
    const err = configError(() => loadConfig({}, dir));
    expect(err.message).toContain("embeddings.api_key");
    expect(err.message).toContain("EMBED_KEY");
  });
});

describe("bad values throw a ConfigError naming the env var or YAML key", () => {
  const cases: Array<{ name: string; env?: Record<string, string>; yaml?: string; names: string[] }> = [
    { name: "ENGRAM_PORT=abc", env: { ENGRAM_PORT: "abc" }, names: ["ENGRAM_PORT", '"abc"'] },
    { name: "ENGRAM_PORT out of range", env: { ENGRAM_PORT: "70000" }, names: ["ENGRAM_PORT"] },
    { name: "server.port in YAML", yaml: "server:\n  port: http\n", names: ["server.port"] },
    {
      name: "negative memory.session_timeout",
      yaml: "memory:\n  session_timeout: -5\n",
      names: ["memory.session_timeout"],
    },
    {
      name: "ENGRAM_SESSION_TIMEOUT=0",
      env: { ENGRAM_SESSION_TIMEOUT: "0" },
      names: ["ENGRAM_SESSION_TIMEOUT"],
    },
    {
      name: "user_isolation false",
      yaml: "memory:\n  persistent:\n    user_isolation: false\n",
      names: ["memory.persistent.user_isolation", "always on"],
    },
    {
      name: "ENGRAM_USER_ISOLATION=false",
      env: { ENGRAM_USER_ISOLATION: "false" },
      names: ["ENGRAM_USER_ISOLATION"],
    },
    {
      name: "local_open on 0.0.0.0",
      env: { ENGRAM_AUTH_MODE: "local_open", ENGRAM_HOST: "0.0.0.0" },
      names: ["ENGRAM_AUTH_MODE", "loopback", "0.0.0.0"],
    },
    {
      name: "provider postgresql without a URL",
      yaml: "memory:\n  persistent:\n    provider: postgresql\n",
      names: ["memory.persistent.provider", "ENGRAM_DATABASE_URL"],
    },
    {
      name: "unknown provider",
      env: { ENGRAM_DATABASE_PROVIDER: "mysql" },
      names: ["ENGRAM_DATABASE_PROVIDER"],
    },
    {
      name: "non-postgres URL",
      env: { ENGRAM_DATABASE_URL: "mysql://h/db" },
      names: ["ENGRAM_DATABASE_URL"],
    },
    {
      name: "LLM URL without model",
      env: { ENGRAM_LLM_URL: "http://127.0.0.1:11434/v1" },
      names: ["ENGRAM_LLM_MODEL", "ENGRAM_LLM_URL"],
    },
    {
      name: "embeddings URL without model",
      yaml: "embeddings:\n  url: http://127.0.0.1:11434/v1\n",
      names: ["ENGRAM_EMBEDDINGS_MODEL", "embeddings.model"],
    },
    {
      name: "short admin key",
      env: { ENGRAM_ADMIN_KEY: "a".repeat(31) },
      names: ["ENGRAM_ADMIN_KEY", "32"],
    },
    {
      name: "rerank endpoint without a URL",
      env: { ENGRAM_RERANK: "endpoint" },
      names: ["ENGRAM_RERANK_URL", "search.rerank_url"],
    },
    {
      name: "rerank llm without an LLM",
      env: { ENGRAM_RERANK: "llm" },
      names: ["ENGRAM_RERANK", "ENGRAM_LLM_URL"],
    },
    { name: "unknown fusion in YAML", yaml: "search:\n  fusion: max\n", names: ["search.fusion"] },
    { name: "unknown log level", env: { ENGRAM_LOG_LEVEL: "verbose" }, names: ["ENGRAM_LOG_LEVEL"] },
    { name: "pool size over 200", env: { ENGRAM_DB_POOL_SIZE: "500" }, names: ["ENGRAM_DB_POOL_SIZE"] },
    {
      name: "ENGRAM_URL without a scheme",
      env: { ENGRAM_URL: "127.0.0.1:8765" },
      names: ["ENGRAM_URL", "http://", '"127.0.0.1:8765"'],
    },
    { name: "ENGRAM_URL not http(s)", env: { ENGRAM_URL: "ftp://engram.example" }, names: ["ENGRAM_URL"] },
    { name: "negative memory quota", env: { ENGRAM_MEMORY_QUOTA: "-1" }, names: ["ENGRAM_MEMORY_QUOTA"] },
    {
      name: "statement timeout not a number",
      yaml: "limits:\n  statement_timeout_ms: 30s\n",
      names: ["limits.statement_timeout_ms"],
    },
    {
      name: "headers timeout above the request timeout",
      env: { ENGRAM_HEADERS_TIMEOUT_MS: "90000", ENGRAM_REQUEST_TIMEOUT_MS: "60000" },
      names: ["ENGRAM_HEADERS_TIMEOUT_MS", "ENGRAM_REQUEST_TIMEOUT_MS"],
    },
    {
      name: "CORS origin *",
      env: { ENGRAM_CORS_ORIGINS: "*" },
      names: ["ENGRAM_CORS_ORIGINS", "exact origin"],
    },
    {
      name: "CORS origin with a wildcard host",
      env: { ENGRAM_CORS_ORIGINS: "https://*.example.com" },
      names: ["ENGRAM_CORS_ORIGINS"],
    },
    {
      name: "CORS origin with a path",
      yaml: "server:\n  cors_origins: [https://app.example.com/ui]\n",
      names: ["server.cors_origins", "no path"],
    },
    {
      name: "CORS origin without a scheme",
      env: { ENGRAM_CORS_ORIGINS: "app.example.com" },
      names: ["exact origin"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const err = configError(() => loadConfig(c.env ?? {}, tempDir(c.yaml)));
      for (const n of c.names) expect(err.message).toContain(n);
    });
  }

  it("allowed hosts come as a comma-separated env var or a YAML list, trimmed and lower-cased", () => {
    const fromEnv = loadConfig({ ENGRAM_ALLOWED_HOSTS: " Engram.example.com, ,10.0.0.5:8765" }, tempDir());
    expect(fromEnv.allowedHosts).toEqual(["engram.example.com", "10.0.0.5:8765"]);
    const fromYaml = loadConfig({}, tempDir("server:\n  allowed_hosts: [a.example, B.example]\n"));
    expect(fromYaml.allowedHosts).toEqual(["a.example", "b.example"]);
  });

  it("CORS origins come as a comma-separated env var or a YAML list, normalised as browsers send Origin", () => {
    const fromEnv = loadConfig(
      { ENGRAM_CORS_ORIGINS: " https://App.Example.com:443/, ,http://localhost:3000" },
      tempDir(),
    );
    expect(fromEnv.corsOrigins).toEqual(["https://app.example.com", "http://localhost:3000"]);
    const fromYaml = loadConfig({}, tempDir("server:\n  cors_origins: [https://a.example]\n"));
    expect(fromYaml.corsOrigins).toEqual(["https://a.example"]);
  });

  it("limits and server timeouts from env and YAML; 0 turns each off", () => {
    const yaml =
      "limits:\n  memory_quota: 500\n  statement_timeout_ms: 5000\nserver:\n  headers_timeout_ms: 10000\n  request_timeout_ms: 0\n";
    const c = loadConfig({ ENGRAM_KEEP_ALIVE_TIMEOUT_MS: "0" }, tempDir(yaml));
    expect(c.limits).toMatchObject({ memoryQuota: 500, statementTimeoutMs: 5000 });
    expect(c.serverTimeouts).toEqual({ headersMs: 10_000, requestMs: 0, keepAliveMs: 0 });
    const off = loadConfig({ ENGRAM_MEMORY_QUOTA: "0", ENGRAM_STATEMENT_TIMEOUT_MS: "0" }, tempDir());
    expect(off.limits).toMatchObject({ memoryQuota: 0, statementTimeoutMs: 0 });
  });

  it("local_open is allowed on a loopback bind", () => {
    expect(loadConfig({ ENGRAM_AUTH_MODE: "local_open" }, tempDir()).authMode).toBe("local_open");
    expect(loadConfig({ ENGRAM_AUTH_MODE: "local_open", ENGRAM_HOST: "::1" }, tempDir()).authMode).toBe(
      "local_open",
    );
  });

  it("ENGRAM_CONFIG pointing at a missing file names ENGRAM_CONFIG and the path", () => {
    const dir = tempDir();
    const err = configError(() => loadConfig({ ENGRAM_CONFIG: "nope.yaml" }, dir));
    expect(err.message).toContain("ENGRAM_CONFIG");
    expect(err.message).toContain(join(dir, "nope.yaml"));
  });

  it("malformed YAML and a non-mapping top level are refused", () => {
    expect(configError(() => loadConfig({}, tempDir("server: [1, 2\n"))).message).toContain("invalid YAML");
    expect(configError(() => loadConfig({}, tempDir("- a\n- b\n"))).message).toContain("mapping");
  });
});

describe("client settings (engram mcp, admin commands)", () => {
  it("ENGRAM_URL, ENGRAM_API_KEY and ENGRAM_USER_ID are parsed into config.client", () => {
    const config = loadConfig(
      { ENGRAM_URL: "https://engram.example/base/", ENGRAM_API_KEY: "ek_user_abc", ENGRAM_USER_ID: "alice" },
      tempDir(),
    );
    expect(config.client).toEqual({
      url: "https://engram.example/base/",
      apiKey: "ek_user_abc",
      userId: "alice",
    });
    expect(loadConfig({ ENGRAM_URL: "http://127.0.0.1:8765" }, tempDir()).client).toEqual({
      url: "http://127.0.0.1:8765",
    });
  });

  it("empty values count as unset, and there are no YAML keys for them", () => {
    expect(loadConfig({ ENGRAM_URL: "", ENGRAM_API_KEY: "", ENGRAM_USER_ID: "" }, tempDir()).client).toEqual(
      {},
    );
    const dir = tempDir("client:\n  url: http://x\n  api_key: k\n  user_id: u\nurl: http://y\n");
    expect(loadConfig({}, dir).client).toEqual({});
    for (const env of ["ENGRAM_URL", "ENGRAM_API_KEY", "ENGRAM_USER_ID"])
      expect(CONFIG_KEYS.find((k) => k.env === env)).toEqual({ env });
  });

  it("a bad ENGRAM_URL is one line naming it and the value", () => {
    const err = configError(() => loadConfig({ ENGRAM_URL: "localhost:8765" }, tempDir()));
    expect(err.message).toBe(
      'invalid configuration: ENGRAM_URL: must be an http:// or https:// URL (got "localhost:8765")',
    );
  });
});

describe("the shipped example and docs", () => {
  it("engram.example.yaml loads once its secrets are set", () => {
    const dir = tempDir(readFileSync(join(ROOT, "engram.example.yaml"), "utf8"));
    const config = loadConfig({ DB_PASSWORD: "pw" }, dir);
    expect(config.database).toEqual({
      kind: "postgres",
      url: "postgresql://engram:pw@localhost:5432/engram",
      poolSize: 10,
    });
    expect(config.sessionTimeoutSeconds).toBe(3600);
  });

  it("docs/configuration.md names every env var and YAML key the parser reads", () => {
    const doc = readFileSync(join(ROOT, "docs", "configuration.md"), "utf8");
    for (const { env, yaml } of CONFIG_KEYS) {
      expect(doc, env).toContain(`\`${env}\``);
      if (yaml !== undefined) expect(doc, yaml).toContain(`\`${yaml}\``);
    }
  });
});

describe("engram serve with a bad value", () => {
  it("exits 2 with one line naming ENGRAM_PORT and no stack trace", () => {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it for you)`);
    const dir = tempDir();
    const result = spawnSync(process.execPath, [CLI, "serve"], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ENGRAM_PORT: "abc", ENGRAM_DATA_DIR: join(dir, "data") },
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status).toBe(2);
    expect(result.stdout).toBe("");
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^engram: .*ENGRAM_PORT/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    // Nothing was opened: the bad value stopped start-up before the data dir.
    expect(existsSync(join(dir, "data"))).toBe(false);
  });
});

describe("client commands with a bad ENGRAM_URL", () => {
  function run(args: string[], extraEnv: Record<string, string>) {
    if (!existsSync(CLI))
      throw new Error(`${CLI} is missing: run \`npm run build\` (npm test does it for you)`);
    const dir = tempDir();
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", ENGRAM_DATA_DIR: join(dir, "data"), ...extraEnv },
      encoding: "utf8",
      timeout: 30_000,
      input: "",
    });
    return { ...result, dataDir: join(dir, "data") };
  }

  for (const args of [["mcp"], ["tenants", "list"]]) {
    it(`engram ${args.join(" ")} exits 2 with one line naming ENGRAM_URL`, () => {
      const result = run(args, { ENGRAM_URL: "localhost:8765", ENGRAM_API_KEY: "ek_user_x" });
      expect(result.status).toBe(2);
      expect(result.stdout).toBe("");
      const lines = result.stderr.trim().split("\n");
      expect(lines).toEqual([
        'engram: invalid configuration: ENGRAM_URL: must be an http:// or https:// URL (got "localhost:8765")',
      ]);
      expect(existsSync(result.dataDir)).toBe(false);
    });
  }

  it("--url wins: a bad ENGRAM_URL is not read when the flag is given", () => {
    const result = run(["tenants", "list", "--url", "http://127.0.0.1:9"], { ENGRAM_URL: "localhost:8765" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("--url http://127.0.0.1:9 needs an admin key");
    expect(result.stderr).not.toContain("ENGRAM_URL");
  });
});
