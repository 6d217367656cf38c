/** `engram memories|sessions|users|doctor` as users run them (the built CLI): on the local store, through a server, and on PostgreSQL. */
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgliteBackend, postgresBackend } from "./helpers/backends.js";
import { ADMIN_KEY, buildCli, CWD, engram, json, type Server, SLOW, startServer } from "./helpers/cli-run.js";

/** A stack trace line, which an expected error must never print. */
const STACK = /\n\s+at /;

beforeAll(buildCli, SLOW);
afterAll(() => rmSync(CWD, { recursive: true, force: true }));

/** add/search/list/get/update/delete as `as` (the user flags of each call), checked the same way on every face. */
async function memoryLifecycle(env: Record<string, string>, as: string[]): Promise<void> {
  const first = json(await engram(["memories", "add", "Alice prefers green tea", ...as, "--json"], env));
  expect(first).toMatchObject({ text: "Alice prefers green tea", state: "active" });
  const meta = '{"source":"cli"}';
  const second = json(
    await engram(["memories", "add", "Alice lives in Lisbon", "--metadata", meta, ...as, "--json"], env),
  );
  expect(second.metadata).toEqual({ source: "cli" });

  const found = json(await engram(["memories", "search", "what does alice drink", ...as, "--json"], env));
  expect(found.results[0].id).toBe(first.id);

  const page = json(await engram(["memories", "list", "--limit", "1", ...as, "--json"], env));
  expect(page.memories).toHaveLength(1);
  expect(page.next_cursor).toEqual(expect.any(String));
  const rest = json(await engram(["memories", "list", "--cursor", page.next_cursor, ...as, "--json"], env));
  expect(rest.memories.map((m: { id: string }) => m.id)).toEqual([first.id]);
  const all = json(await engram(["memories", "list", "--limit", "1", "--all", ...as, "--json"], env));
  expect(all.memories.map((m: { id: string }) => m.id)).toEqual([second.id, first.id]);
  expect(all.next_cursor).toBeNull();

  const table = await engram(["memories", "list", ...as], env);
  expect(table.code, table.stderr).toBe(0);
  expect(table.stdout).toMatch(/^ID\s+CREATED\s+APP\s+STATE\s+TEXT$/m);
  expect(table.stdout).not.toContain("\u001b["); // not a terminal: no colour

  expect(json(await engram(["memories", "get", first.id, ...as, "--json"], env)).text).toBe(
    "Alice prefers green tea",
  );
  const updated = json(
    await engram(["memories", "update", first.id, "--text", "Alice prefers oolong", ...as, "--json"], env),
  );
  expect(updated.text).toBe("Alice prefers oolong");
  expect(json(await engram(["memories", "delete", first.id, ...as, "--json"], env))).toEqual({
    deleted: true,
    id: first.id,
  });
  const gone = await engram(["memories", "get", first.id, ...as], env);
  expect(gone.code).toBe(1);
  expect(gone.stderr).toMatch(/not found \(memory_not_found\)/);
  expect(gone.stderr).not.toMatch(STACK);
}

/**
 * A PGlite data dir for one describe block, made before its tests and removed after them: a copy of the run's
 * migrated template (test/global-setup.ts). A first open of an empty dir is initdb and every migration in
 * WebAssembly, seconds of CPU, and nothing here depends on it (test/cli.test.ts and test/cli-docs.test.ts start
 * from an empty dir). `env` is filled in when the copy is made.
 */
function pgliteStore(): { env: Record<string, string>; dataDir(): string } {
  const env: Record<string, string> = {};
  let drop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const store = await pgliteBackend.create();
    drop = store.drop;
    Object.assign(env, store.env);
  });
  afterAll(async () => {
    await drop?.();
  });
  return {
    env,
    dataDir() {
      const dir = env.ENGRAM_DATA_DIR;
      if (!dir) throw new Error("no store yet");
      return dir;
    },
  };
}

describe("on the embedded store, directly", () => {
  const store = pgliteStore();
  const env = store.env;

  it(
    "memories add/search/list/get/update/delete as --user, saying so on stderr",
    async () => {
      const r = await engram(["memories", "add", "Alice has a cat", "--user", "alice"], env);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        `engram: using embedded PGlite at ${store.dataDir()} directly, as user alice of tenant default`,
      );
      expect(r.stdout).toMatch(/^Added memory mem_\w+\.$/m);
      const again = json(
        await engram(["memories", "add", "alice has a  cat", "--user", "alice", "--json"], env),
      );
      expect(again.created).toBe(false);
      await engram(["memories", "delete", again.id, "--user", "alice"], env);
      await memoryLifecycle(env, ["--user", "alice"]);
      // Another user sees none of it.
      expect(json(await engram(["memories", "list", "--user", "bob", "--json"], env)).memories).toEqual([]);
    },
    // Some twenty commands, each opening the store and loading the model.
    SLOW * 2,
  );

  it(
    "without --user or a server it says what to pass (exit 2), and sessions list works on an empty user",
    async () => {
      const r = await engram(["memories", "list"], env);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--user <user_id>.*--url and --key/);
      const s = json(await engram(["sessions", "list", "--user", "alice", "--json"], env));
      expect(s).toEqual({ sessions: [], next_cursor: null });
    },
    SLOW,
  );

  it(
    "users list --inactive-since and users delete --yes with the counts removed",
    async () => {
      expect((await engram(["users", "create", "never", "--json"], env)).code).toBe(0);
      const inactive = json(await engram(["users", "list", "--inactive-since", "30d", "--json"], env));
      // alice was active just now; "never" has never been.
      expect(inactive.users.map((u: { user_id: string }) => u.user_id)).toEqual(["never"]);
      const search = json(await engram(["users", "list", "--search", "ALI", "--json"], env));
      expect(search.users.map((u: { user_id: string }) => u.user_id)).toEqual(["alice"]);
      const bad = await engram(["users", "list", "--inactive-since", "last tuesday"], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/--inactive-since: expected a duration like 30d/);

      const noYes = await engram(["users", "delete", "alice"], env);
      expect(noYes.code).toBe(2);
      expect(noYes.stderr).toMatch(/--yes/);
      const del = json(await engram(["users", "delete", "alice", "--yes", "--json"], env));
      expect(del).toMatchObject({
        deleted: true,
        user_id: "alice",
        deleted_memories: 1,
        deleted_sessions: 0,
      });
      const text = await engram(["users", "delete", "never", "--yes"], env);
      expect(text.stdout).toMatch(
        /Deleted user never of tenant default: 0 memories, 0 sessions and 1 keys removed\./,
      );
    },
    SLOW,
  );

  it(
    "doctor: healthy exits 0 and --json parses; a bad database URL exits 1 with a hint and no password",
    async () => {
      const healthy = await engram(["doctor"], env);
      expect(healthy.code, healthy.stdout + healthy.stderr).toBe(0);
      expect(healthy.stdout).toMatch(/^ok\s+database reachable\s+embedded PGlite at /m);
      expect(healthy.stdout).toMatch(/^ok\s+pgvector\s+version \d+\.\d+/m);
      expect(healthy.stdout).toMatch(/^ok\s+migrations current\s+all \d+ applied/m);
      expect(healthy.stdout).toMatch(/^ok\s+embedder\s+use-lite-512: loaded in \d+ ms/m);
      expect(healthy.stdout).toMatch(/^skip\s+LLM endpoint\s+not configured/m);
      const j = json(await engram(["doctor", "--json"], env));
      expect(j.healthy).toBe(true);
      expect(j.checks.map((c: { name: string }) => c.name)).toContain("data dir permissions");

      const bad = await engram(["doctor"], {
        ENGRAM_DATABASE_URL: "postgres://engram:s3cret-pw@127.0.0.1:1/nope",
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toMatch(
        /^FAIL\s+database reachable\s+PostgreSQL at postgres:\/\/engram:\*\*\*@127\.0\.0\.1:1\/nope/m,
      );
      expect(bad.stdout).toMatch(/fix: check ENGRAM_DATABASE_URL/);
      expect(bad.stdout + bad.stderr).not.toContain("s3cret-pw");
      const badJson = await engram(["doctor", "--json"], {
        ENGRAM_DATABASE_URL: "postgres://engram:x@127.0.0.1:1/nope",
      });
      expect(badJson.code).toBe(1);
      expect(JSON.parse(badJson.stdout).healthy).toBe(false);
    },
    SLOW,
  );
});

describe("through a server", () => {
  // Registered before the server's hooks: the copy exists before the server starts, and is removed after it stops.
  const env = pgliteStore().env;
  let server: Server | undefined;
  let userKey = "";

  beforeAll(async () => {
    server = await startServer(env);
    userKey = json(
      await engram(["users", "create", "carol", "--json"], { ...env, ENGRAM_ADMIN_KEY: ADMIN_KEY }),
    ).api_key;
  }, SLOW);
  afterAll(async () => {
    await server?.stop();
  });

  it(
    "memories with --url and a user key, or ENGRAM_URL / ENGRAM_API_KEY",
    async () => {
      if (!server) throw new Error("no server");
      const r = await engram(["memories", "list", "--url", server.url, "--key", userKey], {});
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`engram: using the server at ${server.url}`);
      await memoryLifecycle({ ENGRAM_URL: server.url, ENGRAM_API_KEY: userKey }, []);
    },
    SLOW,
  );

  it(
    "sessions list/show; an admin key acts as --user; the locked store is reached through its server",
    async () => {
      if (!server) throw new Error("no server");
      const headers = { authorization: `Bearer ${userKey}`, "content-type": "application/json" };
      const created = (await (
        await fetch(`${server.url}/v1/sessions`, { method: "POST", headers, body: "{}" })
      ).json()) as { id: string };
      await fetch(`${server.url}/v1/sessions/${created.id}/messages`, {
        method: "POST",
        headers,
        body: JSON.stringify({ role: "user", content: "Hello there" }),
      });
      const asAdmin = ["--url", server.url, "--key", ADMIN_KEY, "--user", "carol"];
      const list = json(await engram(["sessions", "list", ...asAdmin, "--json"], {}));
      expect(list.sessions.map((s: { id: string }) => s.id)).toEqual([created.id]);
      const show = await engram(["sessions", "show", created.id, ...asAdmin], {});
      expect(show.code, show.stderr).toBe(0);
      expect(show.stdout).toMatch(/user\s+Hello there/);
      expect(
        json(await engram(["sessions", "show", created.id, ...asAdmin, "--json"], {})).messages,
      ).toHaveLength(1);

      // No --url: the server holding the embedded store is used, with the admin key, and says so.
      const held = await engram(["sessions", "list", "--user", "carol"], {
        ...env,
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
      });
      expect(held.code, held.stderr).toBe(0);
      expect(held.stderr).toContain(`using the running server at ${server.url} as user carol`);
      expect(held.stdout).toContain(created.id);
      const noKey = await engram(["sessions", "list", "--user", "carol"], env);
      expect(noKey.code).toBe(2);
      expect(noKey.stderr).toMatch(/holds the embedded store.*--key/);
    },
    SLOW,
  );

  it(
    "doctor while the server holds the store checks through /readyz and never takes the lock",
    async () => {
      if (!server) throw new Error("no server");
      const r = await engram(["doctor", "--json"], env);
      const j = json(r);
      expect(j.healthy).toBe(true);
      const db = j.checks.find((c: { name: string }) => c.name === "database reachable");
      expect(db.detail).toContain(`through ${server.url}/readyz`);
      expect(j.checks.find((c: { name: string }) => c.name === "migrations current").status).toBe("skip");
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
    },
    SLOW,
  );
});

describe.skipIf(!process.env.ENGRAM_TEST_DATABASE_URL)("on PostgreSQL, directly", () => {
  let db: Awaited<ReturnType<typeof postgresBackend.create>> | undefined;
  beforeAll(async () => {
    db = await postgresBackend.create();
    // The schema first: doctor does not migrate.
    expect((await engram(["migrate"], db.env)).code).toBe(0);
  }, SLOW);
  afterAll(async () => {
    await db?.drop();
  });

  it(
    "memories, users and doctor",
    async () => {
      if (!db) throw new Error("not set up");
      await memoryLifecycle(db.env, ["--user", "pg-alice"]);
      const users = json(await engram(["users", "list", "--inactive-since", "1d", "--json"], db.env));
      expect(users.users).toEqual([]);
      const del = json(await engram(["users", "delete", "pg-alice", "--yes", "--json"], db.env));
      expect(del.deleted_memories).toBe(1);
      const doctor = await engram(["doctor"], db.env);
      expect(doctor.code, doctor.stdout).toBe(0);
      expect(doctor.stdout).toMatch(/^ok\s+database reachable\s+PostgreSQL at /m);
      expect(doctor.stdout).toMatch(/^ok\s+pgvector\s+version /m);
    },
    SLOW,
  );
});
