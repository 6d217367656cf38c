#!/usr/bin/env node
/**
 * Compatibility proof: runs the curl commands of the two documents Engram started from (OpenMemory's multi-user
 * guide, MUXI's multi-user deep dive) against a live Engram, checks every answer, and writes docs/compat.md with
 * each command beside Engram's real output.
 *
 * Usage:
 *   node scripts/compat.mjs [--out FILE] [--check]
 *       builds if needed, starts `engram serve` in keys mode and then in local_open mode (temp dirs, free loopback
 *       ports), runs the commands through bash and the real curl, stops the servers, removes the dirs, and writes
 *       docs/compat.md (or FILE). --check runs and checks everything but writes nothing.
 *   COMPAT_POSTGRES_URL=postgres://... node scripts/compat.mjs
 *       the keys-mode server runs on a throwaway database created (and dropped) on that PostgreSQL, configured by
 *       MUXI's `memory:` YAML block verbatim; without it, the same block with `provider: pglite`.
 *
 * Exits non-zero at the first answer that does not match, printing the command, the expectation and the answer;
 * the document is only written when every check passed.
 */
import { execFile, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const READY_TIMEOUT_MS = 180_000;

const args = process.argv.slice(2);
const CHECK_ONLY = args.includes("--check");
const outIndex = args.indexOf("--out");
const OUT =
  outIndex >= 0 && args[outIndex + 1] ? resolve(args[outIndex + 1]) : join(ROOT, "docs", "compat.md");
const PG_ADMIN_URL = process.env.COMPAT_POSTGRES_URL || undefined;

const OPENMEMORY_URL =
  "https://github.com/zinohome/openmemory-multiuser/blob/HEAD/docs/USER_CREATION_GUIDE.md";
const MUXI_USER_URL = "https://muxi.org/docs/deep-dives/multi-user";
const MUXI_TENANCY_URL = "https://muxi.org/docs/deep-dives/multi-tenancy";

// ---------------------------------------------------------------- the documents' commands, verbatim

const OM = {
  login: `curl -X POST http://192.168.66.163:8765/api/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{"api_key": "NEW_API_KEY_HERE"}'`,
  create: `curl -X POST http://192.168.66.163:8765/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer NEW_API_KEY_HERE" \\
  -d '{"text": "My first memory!"}'`,
  search: `curl -X POST "http://192.168.66.163:8765/api/v1/memories/search?query=memory" \\
  -H "Authorization: Bearer NEW_API_KEY_HERE"`,
  isolation:
    "### 4. Verify User Isolation\n\nSearch with different API keys should return different results, proving isolation works.",
};

const MUXI = {
  chat: `curl -X POST http://localhost:8001/v1/chat \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`,
  createSession: `curl -X POST http://localhost:8001/v1/sessions \\
  -H "X-Muxi-Client-Key: fmc_..."`,
  useSession: `curl -X POST http://localhost:8001/v1/chat \\
  -H "X-Muxi-Client-Key: fmc_..." \\
  -d '{"message": "Hello", "session_id": "sess_abc123"}'`,
  history: `curl http://localhost:8001/v1/sessions/sess_abc123 \\
  -H "X-Muxi-Client-Key: fmc_..."`,
  headers: "POST /v1/chat HTTP/1.1\nX-Muxi-Client-Key: fmc_...\nX-Muxi-User-Id: user_123",
  compound: "X-Muxi-User-Id: tenant_acme:user_123",
  separate: "X-Muxi-Tenant-Id: acme\nX-Muxi-User-Id: user_123\n\nInternally normalized to: acme:user_123",
  userA: 'User A: "Remember I like Python"\n         ↓\n    Stored: user_a.preferences.python = true',
  userB:
    'User B: "What language do I like?"\n         ↓\n    Search: user_b.preferences (empty)\n    Response: "I don\'t know your preference yet"',
  config: `memory:
  persistent:
    enabled: true
    provider: postgresql
    connection_string: \${{ secrets.POSTGRES_URI }}
    user_isolation: true`,
  timeout: "memory:\n  session_timeout: 3600  # 1 hour",
};

/**
 * Replaces each placeholder: `{ literal }` as is, `{ variable }` by a shell reference to it, closing and reopening
 * a single-quoted string around it so that the bytes curl sends are the document's with only the value changed.
 */
function adapt(original, subs) {
  let out = "";
  let quote = null;
  let i = 0;
  outer: while (i < original.length) {
    for (const [placeholder, to] of Object.entries(subs)) {
      if (original.startsWith(placeholder, i)) {
        if (to.literal !== undefined) out += to.literal;
        else out += quote === "'" ? `'"$${to.variable}"'` : `$${to.variable}`;
        i += placeholder.length;
        continue outer;
      }
    }
    const ch = original[i];
    if (quote === null && (ch === "'" || ch === '"')) quote = ch;
    else if (ch === quote) quote = null;
    out += ch;
    i++;
  }
  return out;
}

// ---------------------------------------------------------------- processes

/** The caller's environment without ENGRAM_* (and POSTGRES_URI), so only what this script sets counts. */
function cleanEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("ENGRAM_") && k !== "POSTGRES_URI") env[k] = v;
  }
  return { ...env, ...extra };
}

const cleanups = [];
async function cleanup() {
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`compat: cleanup: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
}

function tempDir(name) {
  const dir = mkdtempSync(join(tmpdir(), `engram-compat-${name}-`));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Starts `engram serve` on port 0 and resolves once it logged its URL and /readyz answers. */
async function startEngram(cwd, env) {
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd,
    env: cleanEnv({ ENGRAM_HOST: "127.0.0.1", ENGRAM_PORT: "0", ENGRAM_LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const server = { child, stderr: "", stdout: "", url: "" };
  child.stdout.on("data", (d) => {
    server.stdout += d;
  });
  child.stderr.on("data", (d) => {
    server.stderr += d;
  });
  const exited = new Promise((res) => child.once("exit", (code, signal) => res({ code, signal })));
  server.stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    await exited;
    clearTimeout(timer);
  };
  cleanups.push(server.stop);

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) fail(`the server exited before it was ready:\n${server.stderr}`);
    if (Date.now() > deadline)
      fail(`the server was not ready after ${READY_TIMEOUT_MS / 1000}s:\n${server.stderr}`);
    const listening = logLines(server.stderr).find((l) => l.msg === "engram listening");
    if (listening) {
      server.url = listening.url;
      server.listening = listening;
      try {
        if ((await fetch(`${server.url}/readyz`)).ok) return server;
      } catch {
        // not accepting connections yet
      }
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function logLines(text) {
  const out = [];
  for (const line of text.split("\n")) {
    try {
      const v = JSON.parse(line);
      if (v && typeof v === "object") out.push(v);
    } catch {
      // not a log line
    }
  }
  return out;
}

// curl as the documents run it, plus -v (to show the request it sent) and the status on a marker line.
const CURL_WRAPPER = `curl() { command curl -sS -v -w '\\n@@status=%{http_code}\\n' "$@"; }\n`;

function bash(script, vars, opts = {}) {
  return new Promise((res) => {
    execFile(
      "bash",
      ["-c", script],
      { env: cleanEnv(vars), cwd: opts.cwd ?? ROOT, maxBuffer: 16 << 20, timeout: opts.timeout ?? 120_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : (err.signal ?? "error")) : 0;
        res({ code, stdout, stderr });
      },
    );
  });
}

// ---------------------------------------------------------------- checks and the document

class CompatFailure extends Error {}
function fail(message) {
  throw new CompatFailure(message);
}

/** API keys shown only by their visible prefix: the document must not carry secrets, even of a throwaway server. */
function mask(text) {
  return text.replace(/\b(ek_(?:admin|client|user)_[0-9A-Za-z]{6})[0-9A-Za-z]+/g, "$1…");
}

function pick(value, path) {
  let v = value;
  for (const k of path.split(".")) v = v == null ? undefined : v[/^\d+$/.test(k) ? Number(k) : k];
  return v;
}

const show = (v) => (typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v ?? null));

class Checks {
  constructor(step, res) {
    this.step = step;
    this.res = res;
    this.passed = [];
  }
  ok(cond, what, got) {
    if (!cond) {
      fail(
        `${this.step.id} ${this.step.title}: expected ${what}${got !== undefined ? `, got ${got}` : ""}\n` +
          `  command:\n${indent(this.step.run)}\n  status: ${this.res.status}\n  answer:\n${indent(mask(this.res.body))}`,
      );
    }
    this.passed.push(what);
    return this;
  }
  status(n) {
    return this.ok(this.res.status === n, `HTTP ${n}`, this.res.status);
  }
  get(path) {
    return pick(this.res.json, path);
  }
  eq(path, want, why = "") {
    const got = this.get(path);
    return this.ok(got === want, `\`${path}\` = ${show(want)}${why}`, show(got));
  }
  match(path, re, why = "") {
    const got = this.get(path);
    return this.ok(typeof got === "string" && re.test(got), `\`${path}\` matches \`${re}\`${why}`, show(got));
  }
  notMatch(path, re, why = "") {
    const got = this.get(path);
    return this.ok(
      typeof got === "string" && !re.test(got),
      `\`${path}\` does not match \`${re}\`${why}`,
      show(got),
    );
  }
  count(path, n, why = "") {
    const got = this.get(path);
    return this.ok(Array.isArray(got) && got.length === n, `${n} in \`${path}\`${why}`, show(got));
  }
  sent(header, value) {
    const line = this.res.request.find((l) => l.toLowerCase().startsWith(`${header.toLowerCase()}:`));
    if (value === null) return this.ok(line === undefined, `curl sent no ${header} header`, line);
    return this.ok(line === `${header}: ${value}`, `curl sent \`${header}: ${value}\``, line ?? "none");
  }
}

function indent(text, by = "    ") {
  return text
    .split("\n")
    .map((l) => by + l)
    .join("\n");
}

const fence = (lang, text) => `\`\`\`${lang}\n${text}\n\`\`\``;
const md = [];
const summary = [];

function pretty(body) {
  try {
    return { lang: "json", text: JSON.stringify(JSON.parse(body), null, 2) };
  } catch {
    return { lang: "text", text: body };
  }
}

/**
 * One command: runs `run` (a curl command line) through bash, checks the answer with `check`, and adds the
 * document's `original` line, the command, the request curl sent and Engram's answer to the document.
 */
async function step(s) {
  const raw = await bash(CURL_WRAPPER + s.run, s.vars);
  if (raw.code !== 0) fail(`${s.id} ${s.title}: the command failed (${raw.code}):\n${s.run}\n${raw.stderr}`);
  const at = raw.stdout.lastIndexOf("\n@@status=");
  if (at < 0) fail(`${s.id} ${s.title}: no status from curl:\n${raw.stdout}\n${raw.stderr}`);
  const res = {
    status: Number(raw.stdout.slice(at + "\n@@status=".length).trim()),
    body: raw.stdout.slice(0, at),
    request: raw.stderr
      .split("\n")
      .filter((l) => l.startsWith("> "))
      .map((l) => l.slice(2).replace(/\r$/, ""))
      .filter((l) => l !== ""),
  };
  try {
    res.json = JSON.parse(res.body);
  } catch {
    res.json = undefined;
  }
  const checks = new Checks(s, res);
  s.check(checks, res);

  const out = pretty(mask(res.body));
  md.push(`### ${s.id}. ${s.title}`, "");
  if (s.from === "added") md.push(`*Not in the document; added to show:* ${s.original}.`, "");
  else if (s.from !== "setup") md.push("The document:", "", fence(s.originalLang ?? "sh", s.original), "");
  if (s.note) md.push(s.note, "");
  md.push("Run against Engram:", "", fence("sh", s.run), "");
  md.push(
    "<details><summary>The request curl sent (keys cut to their prefix)</summary>",
    "",
    fence("http", mask(res.request.join("\n"))),
    "",
    "</details>",
    "",
  );
  md.push(`Engram answered **HTTP ${res.status}**:`, "", fence(out.lang, out.text), "");
  md.push(`Checked: ${checks.passed.join("; ")}.`, "");
  summary.push({ id: s.id, title: s.title, from: s.from ?? "document", status: res.status });
  process.stdout.write(
    `compat: ${s.id} ${s.title}: HTTP ${res.status}, ${checks.passed.length} checks passed\n`,
  );
  return res;
}

// ---------------------------------------------------------------- the run

const KEY = /^ek_(admin|client|user)_[0-9A-Za-z]{32}$/;
const MEM = /^mem_[0-9a-z]{26}$/;
const SESS = /^sess_[0-9a-z]{26}$/;

async function createPgDatabase(adminUrl) {
  const { default: pg } = await import("pg");
  const name = `engram_compat_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function hidePassword(url) {
  const u = new URL(url);
  if (u.password) u.password = "***";
  return u.toString();
}

async function main() {
  process.stdout.write("compat: building if needed\n");
  execFileSync(process.execPath, [join(ROOT, "scripts", "build-if-needed.mjs")], {
    cwd: ROOT,
    stdio: "inherit",
  });
  const curlVersion = execFileSync("curl", ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "curl";
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;

  // ---- the keys-mode server, configured by MUXI's YAML
  const dir = tempDir("keys");
  const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const adminKey = `ek_admin_${Array.from(randomBytes(32), (b) => alphabet[b % 62]).join("")}`;
  let yaml;
  const env = { ENGRAM_ADMIN_KEY: adminKey };
  let backend;
  if (PG_ADMIN_URL) {
    const dbUrl = await createPgDatabase(PG_ADMIN_URL);
    yaml = `${MUXI.config}\n  session_timeout: 3600  # 1 hour\n`;
    env.POSTGRES_URI = dbUrl;
    backend = `PostgreSQL (a throwaway database, \`POSTGRES_URI=${hidePassword(dbUrl)}\`)`;
  } else {
    yaml = `${MUXI.config
      .replace("provider: postgresql", "provider: pglite")
      .replace(/\n\s+connection_string:.*/, "\n    data_dir: ./data")}\n  session_timeout: 3600  # 1 hour\n`;
    backend = "embedded PGlite (no `COMPAT_POSTGRES_URL` was given)";
  }
  writeFileSync(join(dir, "engram.yaml"), yaml);
  // MUXI's key is accepted only as true: Engram cannot turn isolation off, and says so rather than ignore it.
  const offDir = tempDir("isolation-off");
  writeFileSync(join(offDir, "engram.yaml"), yaml.replace("user_isolation: true", "user_isolation: false"));
  const isolationOff = await bash(
    'node "$ENGRAM_CLI" serve',
    { ENGRAM_CLI: CLI, ...env },
    { cwd: offDir, timeout: 60_000 },
  );
  if (isolationOff.code !== 2 || !/memory\.persistent\.user_isolation/.test(isolationOff.stderr)) {
    fail(
      `user_isolation: false should stop start-up naming the key; got ${isolationOff.code}:\n${isolationOff.stderr}`,
    );
  }
  process.stdout.write(`compat: starting engram (keys mode) in ${dir}\n`);
  const keys = await startEngram(dir, env);
  const base = keys.url;
  process.stdout.write(`compat: ready at ${base}\n`);

  const vars = { ADMIN_KEY: adminKey, CLIENT_KEY: "", NEW_API_KEY: "", BOB_KEY: "" };
  const om = (original, keyVar) =>
    adapt(original, {
      "http://192.168.66.163:8765": { literal: base },
      NEW_API_KEY_HERE: { variable: keyVar },
    });
  const muxi = (original, sessionId) =>
    adapt(original, {
      "http://localhost:8001": { literal: base },
      "fmc_...": { variable: "CLIENT_KEY" },
      ...(sessionId ? { sess_abc123: { literal: sessionId } } : {}),
    });

  md.push("## Setup: the server, a client key and two users", "");
  md.push(
    `The keys-mode server ran on ${backend}, bound to \`127.0.0.1\` on a free port, with a random \`ENGRAM_ADMIN_KEY\` and this \`engram.yaml\` in its working directory${
      PG_ADMIN_URL
        ? " (MUXI's `memory:` block verbatim, `session_timeout` included)"
        : " (MUXI's `memory:` block with `provider: pglite` and a `data_dir` in place of the PostgreSQL connection string)"
    }:`,
    "",
    fence("yaml", yaml.trimEnd()),
    "",
    "MUXI's configuration and session expiry, for comparison:",
    "",
    fence("yaml", MUXI.config),
    "",
    fence("yaml", MUXI.timeout),
    "",
    `With \`user_isolation: false\` in the same file, Engram refuses to start (exit ${isolationOff.code}):`,
    "",
    fence("text", isolationOff.stderr.trimEnd()),
    "",
    "Engram's start-up log line:",
    "",
    fence("json", JSON.stringify(keys.listening)),
    "",
    "MUXI's `fmc_...` client key is an Engram client key (`ek_client_...`), made with the admin API as below (or `engram keys create --tenant default --client`); OpenMemory's per-user keys are user keys. The commands use the keys as shell variables; the table gives each one's visible prefix.",
    "",
  );

  let r = await step({
    id: "S1",
    from: "setup",
    title: "A client key for the default tenant (MUXI's `fmc_...`)",
    run: `curl -X POST ${base}/v1/tenants/default/keys -H "Authorization: Bearer $ADMIN_KEY" -d '{"name": "muxi-client"}'`,
    vars,
    check: (c) => c.status(201).eq("key.kind", "client").eq("key.tenant", "default").match("api_key", KEY),
  });
  vars.CLIENT_KEY = r.json.api_key;

  r = await step({
    id: "S2",
    from: "setup",
    title: "OpenMemory's example user `newuser` and its API key",
    run: `curl -X POST ${base}/v1/users -H "Authorization: Bearer $ADMIN_KEY" -d '{"user_id": "newuser", "name": "New User", "email": "newuser@example.com"}'`,
    vars,
    check: (c) => c.status(201).eq("user.user_id", "newuser").eq("key.kind", "user").match("api_key", KEY),
  });
  vars.NEW_API_KEY = r.json.api_key;

  r = await step({
    id: "S3",
    from: "setup",
    title: "A second user, `bob`, for the isolation checks",
    run: `curl -X POST ${base}/v1/users -H "Authorization: Bearer $ADMIN_KEY" -d '{"user_id": "bob", "name": "Bob Wilson", "email": "bob@example.com"}'`,
    vars,
    check: (c) => c.status(201).eq("user.user_id", "bob").match("api_key", KEY),
  });
  vars.BOB_KEY = r.json.api_key;

  md.push(
    "| variable | what | value |",
    "|---|---|---|",
    `| \`$ADMIN_KEY\` | the admin key (\`ENGRAM_ADMIN_KEY\`) | \`${mask(vars.ADMIN_KEY)}\` |`,
    `| \`$CLIENT_KEY\` | client key of tenant \`default\` (MUXI's \`fmc_...\`) | \`${mask(vars.CLIENT_KEY)}\` |`,
    `| \`$NEW_API_KEY\` | user key of \`newuser\` (OpenMemory's \`NEW_API_KEY_HERE\`) | \`${mask(vars.NEW_API_KEY)}\` |`,
    `| \`$BOB_KEY\` | user key of \`bob\` | \`${mask(vars.BOB_KEY)}\` |`,
    "",
  );

  // ---- OpenMemory
  md.push(
    "## OpenMemory: the multi-user guide",
    "",
    `Source: [openmemory-multiuser, docs/USER_CREATION_GUIDE.md](${OPENMEMORY_URL}), section "Testing New Users". Its host \`192.168.66.163:8765\` is replaced by the server's URL and \`NEW_API_KEY_HERE\` by a user key; nothing else changes.`,
    "",
  );

  await step({
    id: "O1",
    title: "Test Authentication",
    original: OM.login,
    run: om(OM.login, "NEW_API_KEY"),
    vars,
    note: 'The document\'s expected response is `{"success": true, "user_id": "newuser", "name": "New User", "message": "Login successful"}`.',
    check: (c) =>
      c
        .status(200)
        .eq("success", true)
        .eq("user_id", "newuser")
        .eq("name", "New User")
        .eq("message", "Login successful")
        .ok(Object.keys(c.res.json).length === 4, "no other fields than the document's four"),
  });

  r = await step({
    id: "O2",
    title: "Test Memory Creation",
    original: OM.create,
    run: om(OM.create, "NEW_API_KEY"),
    vars,
    check: (c) =>
      c
        .status(200)
        .match("id", MEM)
        .eq("text", "My first memory!")
        .eq("content", "My first memory!", " (OpenMemory's field name)")
        .eq("state", "active")
        .eq("app", "default"),
  });
  const newMemory = r.json.id;

  await step({
    id: "O3",
    title: "Test Memory Search",
    original: OM.search,
    run: om(OM.search, "NEW_API_KEY"),
    vars,
    check: (c) =>
      c
        .status(200)
        .count("results", 1)
        .eq("results.0.id", newMemory)
        .eq("results.0.text", "My first memory!"),
  });

  md.push(
    "#### Verify User Isolation",
    "",
    fence("markdown", OM.isolation),
    "",
    "Bob runs the same three commands with his key: he logs in as himself, stores the same text, and his search finds only his own memory (a different id); newuser's search still finds only hers; reading her memory by id with Bob's key is 404.",
    "",
  );

  await step({
    id: "O4",
    title: "Test Authentication, with Bob's key",
    original: OM.login,
    run: om(OM.login, "BOB_KEY"),
    vars,
    check: (c) => c.status(200).eq("success", true).eq("user_id", "bob").eq("name", "Bob Wilson"),
  });
  r = await step({
    id: "O5",
    title: "Test Memory Creation, with Bob's key",
    original: OM.create,
    run: om(OM.create, "BOB_KEY"),
    vars,
    check: (c) =>
      c
        .status(200)
        .match("id", MEM)
        .ok(c.get("id") !== newMemory, "a new memory, not newuser's")
        .eq("text", "My first memory!"),
  });
  const bobMemory = r.json.id;
  await step({
    id: "O6",
    title: "Test Memory Search, with Bob's key",
    original: OM.search,
    run: om(OM.search, "BOB_KEY"),
    vars,
    check: (c) =>
      c
        .status(200)
        .count("results", 1, " (only Bob's)")
        .eq("results.0.id", bobMemory)
        .ok(!JSON.stringify(c.res.json).includes(newMemory), `newuser's ${newMemory} absent`),
  });
  await step({
    id: "O7",
    title: "Test Memory Search, with newuser's key again",
    original: OM.search,
    run: om(OM.search, "NEW_API_KEY"),
    vars,
    check: (c) =>
      c
        .status(200)
        .count("results", 1, " (only newuser's)")
        .eq("results.0.id", newMemory)
        .ok(!JSON.stringify(c.res.json).includes(bobMemory), `Bob's ${bobMemory} absent`),
  });
  await step({
    id: "O8",
    title: "newuser's memory by id, with Bob's key",
    from: "added",
    original: "GET /api/v1/memories/{id} of another user's memory",
    originalLang: "text",
    run: `curl ${base}/api/v1/memories/${newMemory} -H "Authorization: Bearer $BOB_KEY"`,
    vars,
    note: "Another user's memory answers 404, not 403: no existence oracle.",
    check: (c) => c.status(404).eq("error.code", "memory_not_found"),
  });

  md.push(
    "#### Per-user apps and memory states",
    "",
    "The guide gives every user a `default` app when it creates them, and counts memories with `state = 'active'`. Engram keeps apps and states per user; these commands are not in the document.",
    "",
  );
  await step({
    id: "O9",
    title: "A memory written as another app (OpenMemory's `app` field)",
    from: "added",
    original: "POST /api/v1/memories/ {text, app}",
    originalLang: "text",
    run: `curl -X POST ${base}/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "I prefer morning meetings", "app": "claude"}'`,
    vars,
    check: (c) => c.status(200).eq("app", "claude").eq("app_name", "claude"),
  });
  await step({
    id: "O10",
    title: "newuser's apps",
    from: "added",
    original: "each user has its own apps, `default` first",
    originalLang: "text",
    run: `curl ${base}/v1/apps -H "Authorization: Bearer $NEW_API_KEY"`,
    vars,
    check: (c) =>
      c
        .status(200)
        .count("apps", 2)
        .eq("apps.0.name", "claude")
        .eq("apps.0.memory_count", 1)
        .eq("apps.1.name", "default")
        .eq("apps.1.memory_count", 1),
  });
  await step({
    id: "O11",
    title: "Bob's apps",
    from: "added",
    original: "another user's apps are not listed",
    originalLang: "text",
    run: `curl ${base}/v1/apps -H "Authorization: Bearer $BOB_KEY"`,
    vars,
    check: (c) => c.status(200).count("apps", 1).eq("apps.0.name", "default").eq("apps.0.memory_count", 1),
  });
  await step({
    id: "O12",
    title: "Pause newuser's first memory",
    from: "added",
    original: "memory states: active, paused, archived, deleted",
    originalLang: "text",
    run: `curl -X PATCH ${base}/v1/memories/${newMemory} -H "Authorization: Bearer $NEW_API_KEY" -d '{"state": "paused"}'`,
    vars,
    check: (c) => c.status(200).eq("id", newMemory).eq("state", "paused"),
  });
  await step({
    id: "O13",
    title: "Test Memory Search, while the memory is paused",
    original: OM.search,
    run: om(OM.search, "NEW_API_KEY"),
    vars,
    note: "Searches and lists show active memories only, as the guide's `state = 'active'` count does.",
    check: (c) =>
      c
        .status(200)
        .ok(!JSON.stringify(c.res.json).includes(newMemory), `the paused ${newMemory} is not returned`),
  });
  await step({
    id: "O14",
    title: "Resume it",
    from: "added",
    original: "memory states: active, paused, archived, deleted",
    originalLang: "text",
    run: `curl -X PATCH ${base}/v1/memories/${newMemory} -H "Authorization: Bearer $NEW_API_KEY" -d '{"state": "active"}'`,
    vars,
    check: (c) => c.status(200).eq("state", "active"),
  });
  await step({
    id: "O15",
    title: "List newuser's memories (OpenMemory's page shape)",
    from: "added",
    original: "GET /api/v1/memories/",
    originalLang: "text",
    run: `curl ${base}/api/v1/memories/ -H "Authorization: Bearer $NEW_API_KEY"`,
    vars,
    check: (c) => c.status(200).eq("total", 2).eq("page", 1).count("items", 2),
  });
  await step({
    id: "O16",
    title: "Delete newuser's first memory",
    from: "added",
    original: "DELETE /api/v1/memories/{id}",
    originalLang: "text",
    run: `curl -X DELETE ${base}/api/v1/memories/${newMemory} -H "Authorization: Bearer $NEW_API_KEY"`,
    vars,
    check: (c) => c.status(200).eq("id", newMemory),
  });

  // ---- MUXI
  md.push(
    "## MUXI: the multi-user deep dive",
    "",
    `Source: [MUXI, Multi-User Support](${MUXI_USER_URL}) and, for the tenant headers, [MUXI, Multi-Tenancy](${MUXI_TENANCY_URL}). The host \`localhost:8001\` is replaced by the server's URL, \`fmc_...\` by the client key, and \`sess_abc123\` by the id of the session the previous command created; headers and bodies are the document's, so \`-d\` goes out with curl's default \`Content-Type: application/x-www-form-urlencoded\`.`,
    "",
  );

  await step({
    id: "M1",
    title: "User Identification, as written, on the keys-mode server",
    original: MUXI.chat,
    run: muxi(MUXI.chat),
    vars,
    note: "The command carries no key. A keys-mode server refuses it; it runs as written against a `local_open` server (L3 below).",
    check: (c) =>
      c
        .sent("Content-Type", "application/x-www-form-urlencoded")
        .status(401)
        .eq("error.code", "unauthorized"),
  });
  r = await step({
    id: "M2",
    title: "User Identification with the client key",
    original: MUXI.headers,
    originalLang: "http",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`,
    vars,
    note: "The multi-tenancy page's request headers, with the first command's body.",
    check: (c) =>
      c
        .sent("Content-Type", "application/x-www-form-urlencoded")
        .status(200)
        .match("session_id", SESS)
        .match("reply", /./),
  });
  const user123Session = r.json.session_id;
  await step({
    id: "M3",
    title: "That session belongs to user_123",
    from: "added",
    original: "sessions are bound to the user that made them",
    originalLang: "text",
    run: `curl ${base}/v1/sessions/${user123Session} -H "X-Muxi-Client-Key: $CLIENT_KEY" -H "X-Muxi-User-Id: user_123"`,
    vars,
    check: (c) => c.status(200).eq("user_id", "user_123").count("messages", 2),
  });
  await step({
    id: "M4",
    title: "…and the default user cannot read it",
    from: "added",
    original: "sessions are bound to the user that made them",
    originalLang: "text",
    run: `curl ${base}/v1/sessions/${user123Session} -H "X-Muxi-Client-Key: $CLIENT_KEY"`,
    vars,
    check: (c) => c.status(404).eq("error.code", "session_not_found"),
  });

  r = await step({
    id: "M5",
    title: "Create Session",
    original: MUXI.createSession,
    run: muxi(MUXI.createSession),
    vars,
    note: 'No `X-Muxi-User-Id`: the session belongs to user `"0"`, MUXI\'s default (single-user mode). `memory.session_timeout: 3600` sets its expiry.',
    check: (c) =>
      c
        .status(201)
        .match("id", SESS)
        .eq("user_id", "0", " (the default user)")
        .ok(
          Math.abs(Date.parse(c.get("expires_at")) - Date.parse(c.get("last_activity_at")) - 3_600_000) <
            1000,
          "`expires_at` is 3600 s after `last_activity_at` (memory.session_timeout)",
        ),
  });
  const sessionId = r.json.id;

  await step({
    id: "M6",
    title: "Use Session",
    original: MUXI.useSession,
    run: muxi(MUXI.useSession, sessionId),
    vars,
    check: (c) =>
      c
        .sent("Content-Type", "application/x-www-form-urlencoded")
        .status(200)
        .eq("session_id", sessionId)
        .match("reply", /./),
  });
  await step({
    id: "M7",
    title: "Get Session History",
    original: MUXI.history,
    run: muxi(MUXI.history, sessionId),
    vars,
    check: (c) =>
      c
        .status(200)
        .eq("id", sessionId)
        .eq("user_id", "0")
        .count("messages", 2)
        .eq("messages.0.role", "user")
        .eq("messages.0.content", "Hello")
        .eq("messages.1.role", "assistant"),
  });

  md.push(
    "#### Memory Isolation: How It Works",
    "",
    "No LLM is configured, so Engram's built-in responder answers: it stores stated facts and answers questions from the user's best-matching memory (see docs/api.md). User A and user B are two users of the same client key.",
    "",
  );
  await step({
    id: "M8",
    title: 'User A: "Remember I like Python"',
    original: MUXI.userA,
    originalLang: "text",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: user_a" \\
  -d '{"message": "Remember I like Python"}'`,
    vars,
    check: (c) => c.status(200).eq("memories_created.0.text", "I like Python"),
  });
  await step({
    id: "M9",
    title: 'User B: "What language do I like?"',
    original: MUXI.userB,
    originalLang: "text",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: user_b" \\
  -d '{"message": "What language do I like?"}'`,
    vars,
    check: (c) =>
      c
        .status(200)
        .notMatch("reply", /python/i, " (no Python)")
        .count("memories_used", 0, " (nothing of user A's)"),
  });
  await step({
    id: "M10",
    title: 'User A asks the same: "What language do I like?"',
    from: "added",
    original: "the fact was stored, for user A only",
    originalLang: "text",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: user_a" \\
  -d '{"message": "What language do I like?"}'`,
    vars,
    check: (c) =>
      c
        .status(200)
        .match("reply", /Python/)
        .eq("memories_used.0.text", "I like Python"),
  });

  md.push(
    "#### Compound Identifiers",
    "",
    "A client key acts for any user of its tenant; MUXI's compound ids are user ids like any other, so `tenant_a:user_1` and `tenant_b:user_1` are two users. `X-Muxi-Tenant-Id` is folded into the user id as MUXI describes.",
    "",
  );
  await step({
    id: "M11",
    title: "tenant_a:user_1 states a fact",
    original: MUXI.compound,
    originalLang: "http",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: tenant_a:user_1" \\
  -d '{"message": "Remember my project is called Falcon"}'`,
    vars,
    check: (c) => c.status(200).eq("memories_created.0.text", "My project is called Falcon"),
  });
  await step({
    id: "M12",
    title: "tenant_b:user_1 does not see it",
    original: MUXI.compound,
    originalLang: "http",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: tenant_b:user_1" \\
  -d '{"message": "What is my project called?"}'`,
    vars,
    check: (c) =>
      c
        .status(200)
        .notMatch("reply", /Falcon/)
        .count("memories_used", 0),
  });
  await step({
    id: "M13",
    title: "X-Muxi-Tenant-Id: tenant_a with X-Muxi-User-Id: user_1 is tenant_a:user_1",
    original: MUXI.separate,
    originalLang: "http",
    run: `curl -X POST ${base}/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-Tenant-Id: tenant_a" \\
  -H "X-Muxi-User-Id: user_1" \\
  -d '{"message": "What is my project called?"}'`,
    vars,
    check: (c) =>
      c
        .status(200)
        .match("reply", /Falcon/)
        .eq("memories_used.0.text", "My project is called Falcon"),
  });
  await step({
    id: "M14",
    title: "Separate headers, normalized to acme:user_123",
    original: MUXI.separate,
    originalLang: "http",
    run: `curl ${base}/v1/me \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-Tenant-Id: acme" \\
  -H "X-Muxi-User-Id: user_123"`,
    vars,
    note: "`/v1/me` says which user a request acts as.",
    check: (c) => c.status(200).eq("kind", "client").eq("user_id", "acme:user_123"),
  });

  await keys.stop();

  // ---- local_open
  md.push(
    "## `local_open`: MUXI's keyless command, on one machine",
    "",
    'MUXI\'s first command sends no key. Engram accepts keyless requests only in the `local_open` auth mode: set explicitly (`ENGRAM_AUTH_MODE=local_open` or `auth.mode`), allowed only on a loopback bind, and announced with a warning at start-up. A keyless request then acts as the user in `X-Muxi-User-Id` (or `X-User-Id`), user `"0"` without one. Admin routes still need the admin key.',
    "",
  );

  const refusalDir = tempDir("refused");
  const refusal = await bash(
    'ENGRAM_AUTH_MODE=local_open ENGRAM_HOST=0.0.0.0 node "$ENGRAM_CLI" serve',
    { ENGRAM_CLI: CLI, ENGRAM_DATA_DIR: join(refusalDir, "data"), ENGRAM_PORT: "0" },
    { cwd: refusalDir, timeout: 60_000 },
  );
  if (
    refusal.code !== 2 ||
    !/ENGRAM_AUTH_MODE/.test(refusal.stderr) ||
    !/ENGRAM_HOST/.test(refusal.stderr) ||
    existsSync(join(refusalDir, "data"))
  ) {
    fail(
      `local_open on 0.0.0.0 should exit 2 naming ENGRAM_AUTH_MODE and ENGRAM_HOST, creating no data dir; got ${refusal.code}:\n${refusal.stderr}`,
    );
  }
  md.push(
    "### L1. Refused on a non-loopback bind",
    "",
    fence("sh", 'ENGRAM_AUTH_MODE=local_open ENGRAM_HOST=0.0.0.0 node "$ENGRAM_CLI" serve'),
    "",
    `(\`$ENGRAM_CLI\` is \`${relative(ROOT, CLI)}\`.) It exits with status **${refusal.code}** before opening anything (its \`ENGRAM_DATA_DIR\` was not created), and says:`,
    "",
    fence("text", refusal.stderr.trimEnd()),
    "",
  );
  summary.push({
    id: "L1",
    title: "local_open on 0.0.0.0 refuses to start",
    from: "added",
    status: `exit ${refusal.code}`,
  });
  process.stdout.write(`compat: L1 local_open on 0.0.0.0: exit ${refusal.code}\n`);

  const openDir = tempDir("open");
  const open = await startEngram(openDir, {
    ENGRAM_AUTH_MODE: "local_open",
    ENGRAM_DATA_DIR: join(openDir, "data"),
    ENGRAM_ADMIN_KEY: adminKey,
  });
  const warning = logLines(open.stderr).find((l) => /local_open/.test(l.msg ?? ""));
  if (!warning || warning.level < 40) fail(`no start-up warning for local_open in:\n${open.stderr}`);
  md.push(
    "### L2. Started on 127.0.0.1: the start-up warning",
    "",
    fence("sh", 'ENGRAM_AUTH_MODE=local_open ENGRAM_HOST=127.0.0.1 node "$ENGRAM_CLI" serve'),
    "",
    "(The script also sets `ENGRAM_PORT=0`, a temp `ENGRAM_DATA_DIR` and `ENGRAM_LOG_LEVEL=info`.) Among its first lines on stderr (pino level 40 is `warn`):",
    "",
    fence("json", JSON.stringify(warning)),
    "",
  );
  summary.push({
    id: "L2",
    title: "local_open on 127.0.0.1 starts with a warning",
    from: "added",
    status: "warned",
  });
  const obase = open.url;
  const ovars = {};

  r = await step({
    id: "L3",
    title: "User Identification, exactly as written",
    original: MUXI.chat,
    run: adapt(MUXI.chat, { "http://localhost:8001": { literal: obase } }),
    vars: ovars,
    check: (c) =>
      c
        .sent("Content-Type", "application/x-www-form-urlencoded")
        .sent("Authorization", null)
        .status(200)
        .match("session_id", SESS)
        .match("reply", /./),
  });
  const openSession = r.json.session_id;
  await step({
    id: "L4",
    title: "The chat acted as user_123",
    from: "added",
    original: "the session of the keyless chat belongs to user_123",
    originalLang: "text",
    run: `curl ${obase}/v1/sessions/${openSession} -H "X-Muxi-User-Id: user_123"`,
    vars: ovars,
    check: (c) => c.status(200).eq("user_id", "user_123").eq("messages.0.content", "Hello"),
  });
  await step({
    id: "L5",
    title: 'No user header: the default user "0"',
    from: "added",
    original: 'Default user ID: "0" (single-user mode)',
    originalLang: "text",
    run: `curl -X POST ${obase}/v1/sessions`,
    vars: ovars,
    check: (c) => c.status(201).eq("user_id", "0"),
  });
  await step({
    id: "L6",
    title: 'Keyless user A: "Remember I like Python"',
    original: MUXI.userA,
    originalLang: "text",
    run: `curl -X POST ${obase}/v1/chat -H "X-Muxi-User-Id: user_a" -d '{"message": "Remember I like Python"}'`,
    vars: ovars,
    check: (c) => c.status(200).eq("memories_created.0.text", "I like Python"),
  });
  await step({
    id: "L7",
    title: 'Keyless user B: "What language do I like?"',
    original: MUXI.userB,
    originalLang: "text",
    run: `curl -X POST ${obase}/v1/chat -H "X-Muxi-User-Id: user_b" -d '{"message": "What language do I like?"}'`,
    vars: ovars,
    check: (c) =>
      c
        .status(200)
        .notMatch("reply", /python/i, " (no Python)")
        .count("memories_used", 0),
  });
  await step({
    id: "L8",
    title: "Keyless is not admin",
    from: "added",
    original: "admin routes still need the admin key",
    originalLang: "text",
    run: `curl ${obase}/v1/users`,
    vars: ovars,
    check: (c) => c.status(403).eq("error.code", "forbidden"),
  });
  await step({
    id: "L9",
    title: "A wrong key is still refused",
    from: "added",
    original: "local_open opens keyless requests only; a key that is sent must be valid",
    originalLang: "text",
    run: `curl -X POST ${obase}/v1/chat -H "X-Muxi-Client-Key: fmc_not_a_key" -H "X-Muxi-User-Id: user_123" -d '{"message": "Hello"}'`,
    vars: ovars,
    check: (c) => c.status(401).eq("error.code", "invalid_api_key"),
  });
  await open.stop();

  // ---- the document
  const fromDoc = summary.filter((s) => s.from === "document").length;
  const head = [
    "# Compatibility: the documents' commands, run against Engram",
    "",
    `<!-- Generated by \`node scripts/compat.mjs\`; do not edit by hand. Rerun it to regenerate this file. -->`,
    "",
    "Engram started from two documents: OpenMemory's multi-user guide (API-key login, memories, per-user isolation) and MUXI's multi-user deep dive (`X-Muxi-User-Id` / `X-Muxi-Client-Key`, sessions, chat, memory isolation). This file shows every command of their flows beside Engram's real answer. It is produced by [`scripts/compat.mjs`](../scripts/compat.mjs), which starts real servers, runs each command through bash and curl, checks each answer, and writes this file only when every check passed.",
    "",
    `Generated ${new Date().toISOString()} with Engram ${version}, ${curlVersion.split(" ").slice(0, 2).join(" ")}, Node ${process.version}; keys-mode server on ${backend}. Ids and times are as they came.`,
    "",
    "To rerun: `node scripts/compat.mjs` (PGlite), or `COMPAT_POSTGRES_URL=postgres://user@host/postgres node scripts/compat.mjs` (a throwaway database there, configured by MUXI's YAML verbatim). `--check` runs everything and writes nothing.",
    "",
    "Each command goes through a shell function that adds `-sS -v -w '\\n@@status=%{http_code}\\n'` to curl, to capture the status and the request curl sent; the command line itself is as shown.",
    "",
    `## Summary: ${summary.length} steps, every answer as expected`,
    "",
    `${fromDoc} run the documents' commands (or their header examples), ${summary.filter((s) => s.from === "added").length} are added checks, ${summary.filter((s) => s.from === "setup").length} set up keys.`,
    "",
    "| # | command | from | Engram |",
    "|---|---|---|---|",
    ...summary.map((s) => `| ${s.id} | ${s.title} | ${s.from} | ${s.status} |`),
    "",
  ];
  const tail = [
    "## Not covered",
    "",
    "- The same repository's `deployment-guide.md` also calls `POST /api/v1/auth/validate` and `GET /api/v1/users` (all users, to any authenticated key). Engram serves neither: `/api/v1/auth/login` answers the first question, and listing users is an admin route (`GET /v1/users` with the admin key), never open to a user's key.",
    "- MUXI's `enabled: true` is accepted and ignored: Engram always persists.",
    "- MUXI's chat answers come from its LLM; Engram without an LLM configured uses its built-in responder (with `ENGRAM_LLM_URL` set, the same routes use the LLM).",
    "",
  ];
  const text = `${[...head, ...md, ...tail]
    .join("\n")
    .replace(/\n{3,}/g, "\n\n")
    .trimEnd()}\n`;
  for (const secret of [adminKey, vars.CLIENT_KEY, vars.NEW_API_KEY, vars.BOB_KEY]) {
    if (text.includes(secret)) fail(`a key (${mask(secret)}) would appear in full in the document`);
  }
  if (CHECK_ONLY) {
    process.stdout.write(
      `compat: OK: ${summary.length} commands and checks as expected (--check: nothing written)\n`,
    );
    return;
  }
  writeFileSync(`${OUT}.tmp`, text);
  renameSync(`${OUT}.tmp`, OUT);
  process.stdout.write(
    `compat: OK: ${summary.length} commands and checks as expected; wrote ${relative(process.cwd(), OUT)}\n`,
  );
}

try {
  await main();
} catch (err) {
  process.stderr.write(
    `compat: FAIL: ${err instanceof CompatFailure ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
} finally {
  await cleanup();
}
