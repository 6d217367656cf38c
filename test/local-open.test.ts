/** The local_open auth mode on the built CLI: keyless requests act as X-Muxi-User-Id, only when enabled, only on loopback, with a warning. */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, backends, pgliteBackend } from "./helpers/backends.js";

const ROOT = join(import.meta.dirname, "..");
const CLI = join(ROOT, "dist", "cli", "main.js");
const READY_TIMEOUT_MS = 120_000;
const SLOW = 180_000;
const STACK = /\n\s+at /;

/** The environment without any ENGRAM_* of the developer's shell, so only what a test sets counts. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("ENGRAM_")) env[k] = v;
  return env;
}

const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "engram-local-open-"));
  dirs.push(dir);
  return dir;
}

interface Server {
  url: string;
  stderr(): string;
  stop(): Promise<void>;
}

/** `engram serve` on port 0, at the default log level; resolves with the URL it logged once /readyz answers. */
async function serve(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [CLI, "serve"], {
    cwd: tempDir(),
    env: { ...baseEnv(), ENGRAM_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.resume();
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
      await exited;
      clearTimeout(timer);
    }
    children.delete(child);
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`engram serve exited with ${child.exitCode}:\n${stderr}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`engram serve was not ready after ${READY_TIMEOUT_MS} ms:\n${stderr}`);
    }
    const url = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"engram listening"/.exec(stderr)?.[1];
    if (url) {
      try {
        if ((await fetch(`${url}/readyz`)).ok) return { url, stderr: () => stderr, stop };
      } catch {
        // not accepting connections yet
      }
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the CLI to completion (for start-ups that must fail). */
function engram(
  args: string[],
  env: Record<string, string>,
  cwd = tempDir(),
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      env: { ...baseEnv(), ENGRAM_PORT: "0", ...env },
      stdio: ["ignore", "ignore", "pipe"],
    });
    children.add(child);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    // A refusal is immediate; a server that started anyway is killed, and the test sees a null code.
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.once("close", (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stderr });
    });
  });
}

interface CurlResult {
  status: number;
  body: any;
  sent: string[];
}

// Commands run by the real curl, as the documents write them; the wrapper adds -v (what was sent) and the status.
const CURL_WRAPPER = `curl() { command curl -sS -v -w '\\n@@status=%{http_code}\\n' "$@"; }\n`;

function sh(command: string, base: string): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-c", CURL_WRAPPER + command],
      { env: { ...baseEnv(), ENGRAM: base }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${command}\n${err.message}\n${stderr}`));
        const at = stdout.lastIndexOf("\n@@status=");
        const text = stdout.slice(0, at);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        const sent = stderr
          .split("\n")
          .filter((l) => l.startsWith("> "))
          .map((l) => l.slice(2).replace(/\r$/, ""));
        resolve({ status: Number(stdout.slice(at + 10).trim()), body, sent });
      },
    );
  });
}

const MUXI_KEYLESS_CHAT = `curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`;

beforeAll(() => {
  execFileSync("curl", ["--version"], { stdio: "ignore" });
  try {
    execFileSync(process.execPath, ["scripts/build-if-needed.mjs"], { cwd: ROOT, stdio: "inherit" });
  } catch (err) {
    // A type error elsewhere fails tsc but still emits; test what was built rather than nothing.
    if (!existsSync(CLI)) throw err;
  }
}, SLOW);

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.each(backends)("local_open on 127.0.0.1 ($name)", (backend: Backend) => {
  let server: Server;
  let drop: () => Promise<void>;
  const run = (command: string) => sh(command, server.url);

  beforeAll(async () => {
    const db = await backend.create();
    drop = db.drop;
    server = await serve({ ENGRAM_AUTH_MODE: "local_open", ENGRAM_HOST: "127.0.0.1", ...db.env });
  }, SLOW);
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  it("prints a warning at start-up, on stderr, at warn level", () => {
    const lines = server
      .stderr()
      .split("\n")
      .filter((l) => l.includes("local_open"));
    const warnings = lines.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].level).toBe(40);
    expect(warnings[0].msg).toMatch(/WITHOUT an API key/);
    expect(warnings[0].msg).toMatch(/loopback/);
    // Also written plainly, whatever the log level, so ENGRAM_LOG_LEVEL=error cannot silence it.
    expect(lines.filter((l) => l.startsWith("*** WARNING: AUTH MODE local_open"))).toHaveLength(1);
  });

  it("refuses keyless requests whose Host or Origin is not this server (a web page, DNS rebinding)", async () => {
    const planted = await run(
      `curl -X POST $ENGRAM/v1/memories -H "Host: evil.example" -H "X-Muxi-User-Id: victim" -H "Content-Type: text/plain" -d '{"text": "planted by a web page"}'`,
    );
    expect(planted.status).toBe(403);
    const origin = await run(
      `curl -X POST $ENGRAM/v1/memories -H "Origin: http://evil.example" -H "X-Muxi-User-Id: victim" -d '{"text": "planted"}'`,
    );
    expect(origin.status).toBe(403);
    const read = await run(
      `curl $ENGRAM/api/v1/memories/ -H "Host: evil.example" -H "X-Muxi-User-Id: victim"`,
    );
    expect(read.status).toBe(403);
    const list = await run(`curl $ENGRAM/v1/memories -H "X-Muxi-User-Id: victim"`);
    expect(list.status).toBe(200);
    expect(list.body.memories).toEqual([]);
  });

  it("runs MUXI's keyless command as written, acting as the X-Muxi-User-Id user", async () => {
    const r = await run(MUXI_KEYLESS_CHAT);
    expect(r.sent.some((l) => /^(authorization|x-api-key|x-muxi-client-key):/i.test(l))).toBe(false);
    expect(r.sent).toContain("Content-Type: application/x-www-form-urlencoded");
    expect(r.status).toBe(200);
    expect(r.body.reply.length).toBeGreaterThan(0);

    const own = await run(`curl $ENGRAM/v1/sessions/${r.body.session_id} -H "X-Muxi-User-Id: user_123"`);
    expect(own.status).toBe(200);
    expect(own.body.user_id).toBe("user_123");
    expect(own.body.messages[0].content).toBe("Hello");
    const other = await run(`curl $ENGRAM/v1/sessions/${r.body.session_id} -H "X-Muxi-User-Id: user_999"`);
    expect(other.status).toBe(404);
  });

  it('acts as the default user "0" without a user header', async () => {
    const session = await run(`curl -X POST $ENGRAM/v1/sessions`);
    expect(session.status).toBe(201);
    expect(session.body.user_id).toBe("0");
    const me = await run(`curl $ENGRAM/v1/me`);
    expect(me.body).toMatchObject({ kind: "open", key_id: null, user_id: "0", tenant: "default" });
    const named = await run(`curl $ENGRAM/v1/me -H "X-User-Id: tenant_a:user_1"`);
    expect(named.body.user_id).toBe("tenant_a:user_1");
  });

  it("keeps two keyless users isolated", async () => {
    const chat = (user: string, message: string) =>
      run(`curl -X POST $ENGRAM/v1/chat -H "X-Muxi-User-Id: ${user}" -d '{"message": "${message}"}'`);
    const a = await chat("user_a", "Remember I like Python");
    expect(a.body.memories_created.map((m: any) => m.text)).toEqual(["I like Python"]);
    const b = await chat("user_b", "What language do I like?");
    expect(b.status).toBe(200);
    expect(JSON.stringify(b.body)).not.toMatch(/python/i);
    expect((await chat("user_a", "What language do I like?")).body.reply).toMatch(/Python/);

    const memoryId = a.body.memories_created[0].id;
    const bList = await run(`curl $ENGRAM/v1/memories -H "X-Muxi-User-Id: user_b"`);
    expect(bList.body.memories.map((m: any) => m.id)).not.toContain(memoryId);
    const bGet = await run(`curl $ENGRAM/v1/memories/${memoryId} -H "X-Muxi-User-Id: user_b"`);
    expect(bGet.status).toBe(404);
    const bSearch = await run(
      `curl -X POST "$ENGRAM/api/v1/memories/search?query=python" -H "X-Muxi-User-Id: user_b"`,
    );
    expect(bSearch.status).toBe(200);
    expect(bSearch.body.results.map((m: any) => m.id)).not.toContain(memoryId);
    const keylessDefault = await run(`curl $ENGRAM/v1/memories/${memoryId}`);
    expect(keylessDefault.status).toBe(404);
  });

  it("gives no admin rights, and still refuses a key that is sent but not valid", async () => {
    const users = await run(`curl $ENGRAM/v1/users`);
    expect(users.status).toBe(403);
    const tenant = await run(`curl -X POST $ENGRAM/v1/tenants -d '{"id": "evil"}'`);
    expect(tenant.status).toBe(403);
    const badKey = await run(`curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-Client-Key: fmc_not_a_key" \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`);
    expect(badKey.status).toBe(401);
    expect(badKey.body.error.code).toBe("invalid_api_key");
  });
});

describe("without local_open (the default keys mode)", () => {
  let server: Server;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const db = await pgliteBackend.create();
    drop = db.drop;
    server = await serve({ ENGRAM_HOST: "127.0.0.1", ...db.env });
  }, SLOW);
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  it("answers keyless requests 401 and prints no local_open warning", async () => {
    expect(server.stderr()).not.toMatch(/local_open/);
    const chat = await sh(MUXI_KEYLESS_CHAT, server.url);
    expect(chat.status).toBe(401);
    expect(chat.body.error.code).toBe("unauthorized");
    for (const command of [
      `curl -X POST $ENGRAM/v1/sessions -H "X-Muxi-User-Id: user_123"`,
      `curl $ENGRAM/v1/me`,
      `curl $ENGRAM/api/v1/memories/ -H "X-Muxi-User-Id: user_123"`,
    ]) {
      const r = await sh(command, server.url);
      expect(r.status, command).toBe(401);
    }
  });
});

describe("local_open on a non-loopback bind", () => {
  const refused = async (args: string[], env: Record<string, string>, cwd?: string) => {
    const dataDir = join(tempDir(), "data");
    const r = await engram(args, { ENGRAM_DATA_DIR: dataDir, ...env }, cwd);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).not.toMatch(STACK);
    // Refused before anything was opened.
    expect(existsSync(dataDir)).toBe(false);
    return r.stderr;
  };

  it("ENGRAM_HOST=0.0.0.0: refuses to start, naming the setting", async () => {
    const stderr = await refused(["serve"], { ENGRAM_AUTH_MODE: "local_open", ENGRAM_HOST: "0.0.0.0" });
    expect(stderr).toMatch(/ENGRAM_AUTH_MODE/);
    expect(stderr).toMatch(/loopback/);
    expect(stderr).toMatch(/ENGRAM_HOST is 0\.0\.0\.0/);
  });

  it("serve --host 0.0.0.0 and ENGRAM_HOST=:: are refused too", async () => {
    expect(await refused(["serve", "--host", "0.0.0.0"], { ENGRAM_AUTH_MODE: "local_open" })).toMatch(
      /ENGRAM_AUTH_MODE/,
    );
    expect(await refused(["serve"], { ENGRAM_AUTH_MODE: "local_open", ENGRAM_HOST: "::" })).toMatch(
      /ENGRAM_AUTH_MODE/,
    );
  });

  it("auth.mode: local_open in engram.yaml with server.host 0.0.0.0 is refused", async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "engram.yaml"), "server:\n  host: 0.0.0.0\nauth:\n  mode: local_open\n");
    const stderr = await refused(["serve"], {}, cwd);
    expect(stderr).toMatch(/local_open/);
    expect(stderr).toMatch(/0\.0\.0\.0/);
  });
});
