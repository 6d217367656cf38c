/** The documents' curl commands (OpenMemory's multi-user guide, MUXI's multi-user deep dive), run by the real curl against a real server on loopback, on both backends. */
import { execFile, execFileSync } from "node:child_process";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config/config.js";
import { type RunningServer, startServer } from "../src/server.js";
import { type Backend, backends } from "./helpers/backends.js";

const ADMIN_KEY = "ek_admin_compatcompatcompatcompatcompat12";
const MEM = /^mem_[0-9a-z]{26}$/;
const SESS = /^sess_[0-9a-z]{26}$/;

// Fails the file at once, with the reason, on a machine without curl: the point here is curl's own behaviour.
execFileSync("curl", ["--version"], { stdio: "ignore" });

interface CurlResult {
  status: number;
  body: any;
  /** The request header lines curl sent (from -v), e.g. "Content-Type: application/x-www-form-urlencoded". */
  sent: string[];
}

// The documents' command lines run unchanged; this wrapper only adds -v (to see what curl sent) and the status.
const CURL_WRAPPER = `curl() { command curl -sS -v -w '\\n@@status=%{http_code}\\n' "$@"; }\n`;

/** The environment without any ENGRAM_* of the developer's shell. */
function baseEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith("ENGRAM_")) env[k] = v;
  return env;
}

/** Runs a shell command line (curl ...) through bash, with `vars` in its environment. Async: the server is in-process. */
function sh(command: string, vars: Record<string, string>): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile(
      "bash",
      ["-c", CURL_WRAPPER + command],
      { env: { ...baseEnv(), ...vars }, timeout: 60_000, maxBuffer: 8 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`${command}\n${err.message}\n${stderr}`));
        const at = stdout.lastIndexOf("\n@@status=");
        if (at < 0) return reject(new Error(`no status from curl: ${stdout}\n${stderr}`));
        const text = stdout.slice(0, at);
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON: the raw text is the body
        }
        const sent = stderr
          .split("\n")
          .filter((l) => l.startsWith("> "))
          .map((l) => l.slice(2).replace(/\r$/, ""))
          .filter((l) => l !== "");
        resolve({ status: Number(stdout.slice(at + 10).trim()), body, sent });
      },
    );
  });
}

function contentType(r: CurlResult): string | undefined {
  return r.sent.find((l) => /^content-type:/i.test(l))?.replace(/^content-type:\s*/i, "");
}

describe.each(backends)("the documents' curl commands against a real server ($name)", (backend: Backend) => {
  let server: RunningServer;
  let drop: () => Promise<void>;
  const vars: Record<string, string> = {};
  const run = (command: string) => sh(command, vars);

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
    vars.ADMIN_KEY = ADMIN_KEY;
    const admin = async (path: string, body: unknown) => {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json: any = await res.json();
      if (res.status !== 201) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json.api_key as string;
    };
    vars.CLIENT_KEY = await admin("/v1/tenants/default/keys", { name: "muxi-client" });
    vars.NEW_API_KEY = await admin("/v1/users", { user_id: "newuser", name: "New User" });
    vars.BOB_KEY = await admin("/v1/users", { user_id: "bob", name: "Bob Wilson" });
  });
  afterAll(async () => {
    await server?.stop();
    await drop?.();
  });

  describe("OpenMemory's multi-user guide", () => {
    it("Test Authentication: the document's expected response, exactly", async () => {
      const r = await run(`curl -X POST $ENGRAM/api/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{"api_key": "'"$NEW_API_KEY"'"}'`);
      expect(contentType(r)).toBe("application/json");
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        success: true,
        user_id: "newuser",
        name: "New User",
        message: "Login successful",
      });
    });

    it("Test Memory Creation and Test Memory Search, as written", async () => {
      const created = await run(`curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "My first memory!"}'`);
      expect(created.status).toBe(200);
      expect(created.body).toMatchObject({
        text: "My first memory!",
        content: "My first memory!",
        state: "active",
      });
      expect(created.body.id).toMatch(MEM);

      const found = await run(`curl -X POST "$ENGRAM/api/v1/memories/search?query=memory" \\
  -H "Authorization: Bearer $NEW_API_KEY"`);
      expect(found.status).toBe(200);
      expect(found.body.results.map((m: any) => m.id)).toContain(created.body.id);
    });

    it("the same bodies with -d and curl's default Content-Type, and with no Content-Type at all", async () => {
      const formLogin = await run(
        `curl -X POST $ENGRAM/api/v1/auth/login -d '{"api_key": "'"$NEW_API_KEY"'"}'`,
      );
      expect(contentType(formLogin)).toBe("application/x-www-form-urlencoded");
      expect(formLogin.status).toBe(200);
      expect(formLogin.body.user_id).toBe("newuser");

      const bareLogin = await run(
        `curl -X POST $ENGRAM/api/v1/auth/login -H "Content-Type:" -d '{"api_key": "'"$NEW_API_KEY"'"}'`,
      );
      expect(contentType(bareLogin)).toBeUndefined();
      expect(bareLogin.status).toBe(200);
      expect(bareLogin.body.user_id).toBe("newuser");

      const form = await run(`curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "Sent as curl -d sends it"}'`);
      expect(contentType(form)).toBe("application/x-www-form-urlencoded");
      expect(form.status).toBe(200);
      expect(form.body.text).toBe("Sent as curl -d sends it");

      const bare = await run(`curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Content-Type:" \\
  -H "Authorization: Bearer $NEW_API_KEY" \\
  -d '{"text": "Sent with no Content-Type"}'`);
      expect(contentType(bare)).toBeUndefined();
      expect(bare.status).toBe(200);
      expect(bare.body.text).toBe("Sent with no Content-Type");
    });

    it("isolation between two keys: the same commands with Bob's key see only Bob's memories", async () => {
      const bobLogin = await run(`curl -X POST $ENGRAM/api/v1/auth/login \\
  -H "Content-Type: application/json" \\
  -d '{"api_key": "'"$BOB_KEY"'"}'`);
      expect(bobLogin.body).toMatchObject({ success: true, user_id: "bob", name: "Bob Wilson" });

      const bobs = await run(`curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Content-Type: application/json" \\
  -H "Authorization: Bearer $BOB_KEY" \\
  -d '{"text": "My first memory!"}'`);
      expect(bobs.status).toBe(200);

      const bobSearch = await run(`curl -X POST "$ENGRAM/api/v1/memories/search?query=memory" \\
  -H "Authorization: Bearer $BOB_KEY"`);
      expect(bobSearch.status).toBe(200);
      expect(bobSearch.body.results.map((m: any) => m.id)).toEqual([bobs.body.id]);

      const newSearch = await run(`curl -X POST "$ENGRAM/api/v1/memories/search?query=memory" \\
  -H "Authorization: Bearer $NEW_API_KEY"`);
      const theirs = newSearch.body.results.map((m: any) => m.id);
      expect(theirs.length).toBeGreaterThan(0);
      expect(theirs).not.toContain(bobs.body.id);

      const cross = await run(
        `curl $ENGRAM/api/v1/memories/${theirs[0]} -H "Authorization: Bearer $BOB_KEY"`,
      );
      expect(cross.status).toBe(404);
      expect(cross.body.error.code).toBe("memory_not_found");
      const crossDelete = await run(
        `curl -X DELETE $ENGRAM/api/v1/memories/${theirs[0]} -H "Authorization: Bearer $BOB_KEY"`,
      );
      expect(crossDelete.status).toBe(404);
      const stillThere = await run(
        `curl $ENGRAM/api/v1/memories/${theirs[0]} -H "Authorization: Bearer $NEW_API_KEY"`,
      );
      expect(stillThere.status).toBe(200);
    });

    it("per-user apps and states: a paused memory leaves the document's search, and comes back", async () => {
      const mem = await run(`curl -X POST $ENGRAM/api/v1/memories/ \\
  -H "Authorization: Bearer $BOB_KEY" \\
  -d '{"text": "I keep a memory about spaced repetition", "app": "claude"}'`);
      expect(mem.body.app).toBe("claude");
      const bobApps = await run(`curl $ENGRAM/v1/apps -H "Authorization: Bearer $BOB_KEY"`);
      expect(bobApps.body.apps.map((a: any) => a.name)).toEqual(["claude", "default"]);
      const newApps = await run(`curl $ENGRAM/v1/apps -H "Authorization: Bearer $NEW_API_KEY"`);
      expect(newApps.body.apps.map((a: any) => a.name)).toEqual(["default"]);

      const paused = await run(
        `curl -X PATCH $ENGRAM/v1/memories/${mem.body.id} -H "Authorization: Bearer $BOB_KEY" -d '{"state": "paused"}'`,
      );
      expect(paused.body.state).toBe("paused");
      const search = `curl -X POST "$ENGRAM/api/v1/memories/search?query=memory" -H "Authorization: Bearer $BOB_KEY"`;
      expect((await run(search)).body.results.map((m: any) => m.id)).not.toContain(mem.body.id);
      await run(
        `curl -X PATCH $ENGRAM/v1/memories/${mem.body.id} -H "Authorization: Bearer $BOB_KEY" -d '{"state": "active"}'`,
      );
      expect((await run(search)).body.results.map((m: any) => m.id)).toContain(mem.body.id);
    });
  });

  describe("MUXI's multi-user deep dive", () => {
    it("the keyless chat command is 401 on a keys-mode server; with the client key it acts as X-Muxi-User-Id", async () => {
      const keyless = await run(`curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`);
      expect(contentType(keyless)).toBe("application/x-www-form-urlencoded");
      expect(keyless.status).toBe(401);
      expect(keyless.body.error.code).toBe("unauthorized");

      const keyed = await run(`curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: user_123" \\
  -d '{"message": "Hello"}'`);
      expect(keyed.status).toBe(200);
      expect(keyed.body.session_id).toMatch(SESS);
      const own = await run(
        `curl $ENGRAM/v1/sessions/${keyed.body.session_id} -H "X-Muxi-Client-Key: $CLIENT_KEY" -H "X-Muxi-User-Id: user_123"`,
      );
      expect(own.body.user_id).toBe("user_123");
      const asDefault = await run(
        `curl $ENGRAM/v1/sessions/${keyed.body.session_id} -H "X-Muxi-Client-Key: $CLIENT_KEY"`,
      );
      expect(asDefault.status).toBe(404);
      expect(asDefault.body.error.code).toBe("session_not_found");
    });

    it('create session, chat in it, read its history: as written, for the default user "0"', async () => {
      const session = await run(`curl -X POST $ENGRAM/v1/sessions \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY"`);
      expect(session.status).toBe(201);
      expect(session.body.id).toMatch(SESS);
      expect(session.body.user_id).toBe("0");
      // memory.session_timeout defaults to MUXI's 3600.
      expect(Date.parse(session.body.expires_at) - Date.parse(session.body.last_activity_at)).toBeCloseTo(
        3_600_000,
        -3,
      );
      vars.SESSION_ID = session.body.id;

      const chat = await run(`curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -d '{"message": "Hello", "session_id": "'"$SESSION_ID"'"}'`);
      expect(contentType(chat)).toBe("application/x-www-form-urlencoded");
      expect(chat.status).toBe(200);
      expect(chat.body.session_id).toBe(session.body.id);
      expect(chat.body.reply.length).toBeGreaterThan(0);

      const bare = await run(`curl -X POST $ENGRAM/v1/chat \\
  -H "Content-Type:" \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -d '{"message": "Hello again", "session_id": "'"$SESSION_ID"'"}'`);
      expect(contentType(bare)).toBeUndefined();
      expect(bare.status).toBe(200);

      const history = await run(`curl $ENGRAM/v1/sessions/$SESSION_ID \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY"`);
      expect(history.status).toBe(200);
      expect(history.body.user_id).toBe("0");
      expect(history.body.messages.map((m: any) => [m.role, m.role === "user" ? m.content : "…"])).toEqual([
        ["user", "Hello"],
        ["assistant", "…"],
        ["user", "Hello again"],
        ["assistant", "…"],
      ]);
    });

    it("user A says 'Remember I like Python'; user B asks 'What language do I like?' and gets no Python", async () => {
      const chat = (user: string, message: string) =>
        run(`curl -X POST $ENGRAM/v1/chat \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-User-Id: ${user}" \\
  -d '{"message": "${message}"}'`);
      const a = await chat("user_a", "Remember I like Python");
      expect(a.status).toBe(200);
      expect(a.body.memories_created.map((m: any) => m.text)).toEqual(["I like Python"]);

      const b = await chat("user_b", "What language do I like?");
      expect(b.status).toBe(200);
      expect(b.body.reply).not.toMatch(/python/i);
      expect(JSON.stringify(b.body)).not.toMatch(/python/i);

      const aAgain = await chat("user_a", "What language do I like?");
      expect(aAgain.body.reply).toMatch(/Python/);
    });

    it("compound ids: tenant_a:user_1 and tenant_b:user_1 are isolated; X-Muxi-Tenant-Id folds into the user id", async () => {
      const chat = (headers: string, message: string) =>
        run(
          `curl -X POST $ENGRAM/v1/chat -H "X-Muxi-Client-Key: $CLIENT_KEY" ${headers} -d '{"message": "${message}"}'`,
        );
      const a = await chat(`-H "X-Muxi-User-Id: tenant_a:user_1"`, "Remember my project is called Falcon");
      expect(a.body.memories_created.map((m: any) => m.text)).toEqual(["My project is called Falcon"]);

      const b = await chat(`-H "X-Muxi-User-Id: tenant_b:user_1"`, "What is my project called?");
      expect(b.status).toBe(200);
      expect(JSON.stringify(b.body)).not.toMatch(/Falcon/);
      const plain = await chat(`-H "X-Muxi-User-Id: user_1"`, "What is my project called?");
      expect(JSON.stringify(plain.body)).not.toMatch(/Falcon/);

      const folded = await chat(
        `-H "X-Muxi-Tenant-Id: tenant_a" -H "X-Muxi-User-Id: user_1"`,
        "What is my project called?",
      );
      expect(folded.body.reply).toMatch(/Falcon/);

      const me = await run(`curl $ENGRAM/v1/me \\
  -H "X-Muxi-Client-Key: $CLIENT_KEY" \\
  -H "X-Muxi-Tenant-Id: acme" \\
  -H "X-Muxi-User-Id: user_123"`);
      expect(me.body).toMatchObject({ kind: "client", user_id: "acme:user_123" });
      const compound = await run(
        `curl $ENGRAM/v1/me -H "X-Muxi-Client-Key: $CLIENT_KEY" -H "X-Muxi-User-Id: tenant_acme:user_123"`,
      );
      expect(compound.body.user_id).toBe("tenant_acme:user_123");
      const none = await run(`curl $ENGRAM/v1/me -H "X-Muxi-Client-Key: $CLIENT_KEY"`);
      expect(none.body.user_id).toBe("0");
    });
  });
});
