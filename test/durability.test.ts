/** Durability with real processes: acknowledged writes survive SIGKILL of the built server, and a PGlite data dir has one owner. */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Backend, backends, pgliteBackend } from "./helpers/backends.js";
import {
  api,
  buildIfNeeded,
  sigkill as kill,
  killAllServers as killAll,
  type EngramProcess as Proc,
  spawnServer as spawnBare,
  waitReady as waitFor,
} from "./helpers/engram-process.js";

const ADMIN_KEY = "ek_admin_durabilitydurabilitydurabilityd";
// Two cores shared with other suites: first start of a PGlite dir plus the model can take tens of seconds.
const READY_TIMEOUT_MS = 90_000;
const TEST_TIMEOUT_MS = 300_000;

function spawnServer(env: Record<string, string>): Promise<Proc> {
  return spawnBare({ ENGRAM_ADMIN_KEY: ADMIN_KEY, ...env });
}

function waitReady(p: Proc): Promise<void> {
  return waitFor(p, READY_TIMEOUT_MS);
}

async function start(env: Record<string, string>): Promise<Proc> {
  const p = await spawnServer(env);
  await waitReady(p);
  return p;
}

async function sigkill(p: Proc): Promise<void> {
  expect(await kill(p)).toBe("SIGKILL");
}

async function createUser(p: Proc, userId: string): Promise<string> {
  const res = await api(p, "POST", "/v1/users", ADMIN_KEY, { user_id: userId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.api_key as string;
}

/** Adds one memory; resolves with its id only if the server acknowledged it (201). */
async function add(p: Proc, key: string, text: string): Promise<string> {
  const res = await api(p, "POST", "/v1/memories", key, { text, metadata: { n: text } });
  if (res.status !== 201) throw new Error(`add: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

async function listAll(p: Proc, key: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  let cursor: string | null = null;
  do {
    const q: string = cursor ? `&cursor=${cursor}` : "";
    const res = await api(p, "GET", `/v1/memories?limit=100${q}`, key);
    expect(res.status).toBe(200);
    for (const m of res.body.memories) out.set(m.id, m.text);
    cursor = res.body.next_cursor;
  } while (cursor);
  return out;
}

/** Every acknowledged memory is readable by id with its exact text and metadata. */
async function expectAllThere(p: Proc, key: string, acked: Map<string, string>): Promise<void> {
  for (const [id, text] of acked) {
    const res = await api(p, "GET", `/v1/memories/${id}`, key);
    expect(res.status, `memory ${id} after restart`).toBe(200);
    expect(res.body.text).toBe(text);
    expect(res.body.metadata).toEqual({ n: text });
  }
}

// The test drives the built CLI, as a user would run it; build it if src/ is newer.
beforeAll(buildIfNeeded, 180_000);

afterAll(killAll);

describe.each(backends.map((b) => [b.name, b] as const))("durability on %s", (_name, backend: Backend) => {
  it(
    "every acknowledged write survives SIGKILL, also with writes in flight at the kill",
    async () => {
      const store = await backend.create();
      try {
        // 1) 30 writes, all acknowledged (10 one after another, 20 at once), then kill -9 at once.
        let server = await start(store.env);
        const key = await createUser(server, "durable_user");
        const acked = new Map<string, string>();
        for (let i = 0; i < 10; i++) {
          const text = `sequential memory ${i}: the user's locker code is ${1000 + i}`;
          acked.set(await add(server, key, text), text);
        }
        await Promise.all(
          Array.from({ length: 20 }, async (_, i) => {
            const text = `concurrent memory ${i}: meeting with Dana on day ${i + 1} about the Q${(i % 4) + 1} budget`;
            acked.set(await add(server, key, text), text);
          }),
        );
        expect(acked.size).toBe(30);
        await sigkill(server);

        server = await start(store.env);
        await expectAllThere(server, key, acked);
        const listed = await listAll(server, key);
        expect(listed.size).toBe(30);
        expect(new Set(listed.keys())).toEqual(new Set(acked.keys()));
        // The vectors came back too: a query sharing no word with the locker memories finds them by meaning
        // (the keyword side finds nothing for it), all ten ahead of the twenty budget meetings.
        const query = "PIN for the safe where I keep my stuff";
        const byWords = await api(server, "POST", "/v1/memories/search", key, { query, mode: "keyword" });
        expect(byWords.status).toBe(200);
        expect(byWords.body.results).toEqual([]);
        const found = await api(server, "POST", "/v1/memories/search", key, {
          query,
          mode: "semantic",
          limit: 10,
        });
        expect(found.status).toBe(200);
        const lockers = [...acked.values()].filter((t) => t.startsWith("sequential memory")).sort();
        expect(found.body.results.map((r: { text: string }) => r.text).sort()).toEqual(lockers);

        // 2) Kill while writes are still in flight: what was acknowledged must be there; what was not may or may not.
        const sent = new Map<string, string>(listed);
        const inflight: Promise<void>[] = [];
        let ackedNow = 0;
        let killed: Promise<void> | undefined;
        for (let i = 0; i < 40; i++) {
          const text = `in-flight memory ${i}: the user's flight ${i} lands at gate B${i}`;
          sent.set(`pending:${i}`, text);
          inflight.push(
            add(server, key, text).then(
              (id) => {
                acked.set(id, text);
                ackedNow++;
                if (ackedNow === 5) killed = sigkill(server);
              },
              () => {
                // connection reset by the kill: not acknowledged, so no promise was made
              },
            ),
          );
        }
        await Promise.all(inflight);
        await killed;
        expect(ackedNow).toBeGreaterThanOrEqual(5);
        // The kill landed while writes were still in flight, or this part proves nothing.
        expect(ackedNow).toBeLessThan(40);

        server = await start(store.env);
        await expectAllThere(server, key, acked);
        const after = await listAll(server, key);
        expect(after.size).toBeGreaterThanOrEqual(acked.size);
        expect(after.size).toBeLessThanOrEqual(70);
        const sentTexts = new Set(sent.values());
        for (const text of after.values())
          expect(sentTexts.has(text), `unexpected memory '${text}'`).toBe(true);
        server.child.kill("SIGTERM");
        expect(await server.exited).toBe(0);
      } finally {
        killAll();
        await store.drop();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe("PGlite data dir lock across processes", () => {
  it(
    "a second server on the same dir refuses to start; after kill -9 of the first, a new one takes over the stale lock",
    async () => {
      const store = await pgliteBackend.create();
      try {
        const first = await start(store.env);
        const key = await createUser(first, "lock_user");
        const id = await add(first, key, "the first server wrote this");

        const second = await spawnServer(store.env);
        const code = await Promise.race([
          second.exited,
          new Promise<string>((r) => setTimeout(() => r("still running"), READY_TIMEOUT_MS)),
        ]);
        expect(code, second.stderr()).not.toBe("still running");
        expect(code).not.toBe(0);
        expect(second.stderr()).toContain("in use");
        expect(second.stderr()).toContain(String(first.child.pid));
        expect(second.stderr()).toContain(store.env.ENGRAM_DATA_DIR);

        // The refused process touched nothing: the first still serves, reads and writes.
        expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
        expect((await api(first, "GET", `/v1/memories/${id}`, key)).body.text).toBe(
          "the first server wrote this",
        );
        const id2 = await add(first, key, "written after the refused start");

        // kill -9 leaves the lock file behind with a dead pid; the next server takes it over.
        await sigkill(first);
        expect(existsSync(join(store.env.ENGRAM_DATA_DIR ?? "", "engram.lock"))).toBe(true);
        const third = await start(store.env);
        expect((await api(third, "GET", `/v1/memories/${id}`, key)).status).toBe(200);
        expect((await api(third, "GET", `/v1/memories/${id2}`, key)).body.text).toBe(
          "written after the refused start",
        );
        third.child.kill("SIGTERM");
        expect(await third.exited).toBe(0);
        // A clean stop releases the lock.
        expect(existsSync(join(store.env.ENGRAM_DATA_DIR ?? "", "engram.lock"))).toBe(false);
      } finally {
        killAll();
        await store.drop();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "two servers started on one fresh dir at the same instant: exactly one serves (regression: both took a stale lock)",
    async () => {
      // Truly fresh (not a copy of the migrated template): both servers race through the first start.
      const store = await pgliteBackend.create({ empty: true });
      try {
        const [a, b] = await Promise.all([spawnServer(store.env), spawnServer(store.env)]);
        const settle = async (p: Proc) => {
          try {
            await waitReady(p);
            return "serving";
          } catch {
            return "refused";
          }
        };
        const outcomes = await Promise.all([settle(a), settle(b)]);
        expect([...outcomes].sort()).toEqual(["refused", "serving"]);
        const loser = outcomes[0] === "refused" ? a : b;
        expect(loser.stderr()).toContain("in use");
      } finally {
        killAll();
        await store.drop();
      }
    },
    TEST_TIMEOUT_MS,
  );
});
