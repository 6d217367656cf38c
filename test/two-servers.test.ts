/**
 * Two `engram serve` processes on one PostgreSQL database (docs/scaling.md: any number of servers may share one):
 * what one server writes, the other serves on its very next request. Sessions, memories and search, key
 * revocation and rotation, user deletion; and two servers starting at the same instant on a fresh database.
 * PostgreSQL only: skipped without ENGRAM_TEST_DATABASE_URL (required under CI, see test/global-setup.ts).
 * Both servers embed through one in-test /v1/embeddings server (./helpers/fake-embeddings.ts), so they agree on
 * the model without loading it twice. Cross-server rate limits are tested elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postgresBackend } from "./helpers/backends.js";
import {
  api,
  buildIfNeeded,
  type EngramProcess,
  killAllServers,
  sigterm,
  spawnServer,
  startServer,
  waitReady,
} from "./helpers/engram-process.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "./helpers/fake-embeddings.js";

const ADMIN_KEY = "ek_admin_TwoServers0123456789abcdefghXYZ";
const READY_TIMEOUT_MS = 120_000;
const RACES = 3;

describe.skipIf(!process.env.ENGRAM_TEST_DATABASE_URL)("two servers on one PostgreSQL database", () => {
  let fake: FakeEmbeddings;
  let store: Awaited<ReturnType<typeof postgresBackend.create>>;
  let env: Record<string, string>;
  let s1: EngramProcess;
  let s2: EngramProcess;

  beforeAll(async () => {
    buildIfNeeded();
    fake = await startFakeEmbeddings();
    store = await postgresBackend.create();
    env = { ...store.env, ENGRAM_ADMIN_KEY: ADMIN_KEY, ...fake.env };
    s1 = await startServer(env, READY_TIMEOUT_MS);
    s2 = await startServer(env, READY_TIMEOUT_MS);
  }, 300_000);

  afterAll(async () => {
    try {
      for (const s of [s1, s2]) if (s) expect(await sigterm(s)).toBe(0);
    } finally {
      killAllServers();
      await fake?.close();
      await store?.drop();
    }
  }, 60_000);

  async function newUser(on: EngramProcess, userId: string): Promise<{ key: string; keyId: string }> {
    const res = await api(on, "POST", "/v1/users", ADMIN_KEY, { user_id: userId });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { key: res.body.api_key, keyId: res.body.key.id };
  }

  it("a session opened on server 1 is read and appended on server 2, and the other way", async () => {
    const { key } = await newUser(s1, "sess_user");
    const opened = await api(s1, "POST", "/v1/sessions", key, { metadata: { topic: "trip" } });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const id = opened.body.id as string;
    const first = await api(s1, "POST", `/v1/sessions/${id}/messages`, key, {
      role: "user",
      content: "one: written through server 1",
    });
    expect(first.status, JSON.stringify(first.body)).toBe(201);

    const read2 = await api(s2, "GET", `/v1/sessions/${id}`, key);
    expect(read2.status, JSON.stringify(read2.body)).toBe(200);
    expect(read2.body.metadata).toEqual({ topic: "trip" });
    expect(read2.body.messages.map((m: { content: string }) => m.content)).toEqual([
      "one: written through server 1",
    ]);
    const second = await api(s2, "POST", `/v1/sessions/${id}/messages`, key, {
      role: "assistant",
      content: "two: written through server 2",
    });
    expect(second.status, JSON.stringify(second.body)).toBe(201);

    const read1 = await api(s1, "GET", `/v1/sessions/${id}`, key);
    expect(read1.status).toBe(200);
    expect(read1.body.messages.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ["user", "one: written through server 1"],
      ["assistant", "two: written through server 2"],
    ]);
    // The sliding expiry moved with server 2's message, as server 1 sees it.
    expect(Date.parse(read1.body.last_activity_at)).toBeGreaterThanOrEqual(
      Date.parse(read2.body.last_activity_at),
    );
    const listed = await api(s2, "GET", "/v1/sessions", key);
    expect(listed.body.sessions.map((s: { id: string }) => s.id)).toContain(id);

    expect((await api(s2, "DELETE", `/v1/sessions/${id}`, key)).status).toBe(200);
    expect((await api(s1, "GET", `/v1/sessions/${id}`, key)).status).toBe(404);
    const late = await api(s1, "POST", `/v1/sessions/${id}/messages`, key, { role: "user", content: "late" });
    expect(late.status).toBe(404);
  });

  it("a memory added on server 1 is found by search on server 2; updates and deletes cross over too", async () => {
    const { key } = await newUser(s1, "mem_user");
    const added = await api(s1, "POST", "/v1/memories", key, {
      text: "The user's bicycle is a green Bianchi stored in the garage",
      metadata: { via: "s1" },
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    const id = added.body.id as string;
    await api(s1, "POST", "/v1/memories", key, { text: "Prefers window seats on long flights" });

    for (const mode of ["hybrid", "semantic", "keyword"]) {
      const found = await api(s2, "POST", "/v1/memories/search", key, {
        query: "green Bianchi bicycle",
        mode,
      });
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(found.body.results[0]?.id, `${mode} search on server 2`).toBe(id);
    }
    expect((await api(s2, "GET", `/v1/memories/${id}`, key)).body.metadata).toEqual({ via: "s1" });

    // A duplicate add on server 2 returns server 1's memory instead of storing a second one.
    const dup = await api(s2, "POST", "/v1/memories", key, {
      text: "The user's bicycle is a green Bianchi stored in the garage",
    });
    expect(dup.status).toBe(200);
    expect(dup.body.id).toBe(id);

    const patched = await api(s2, "PATCH", `/v1/memories/${id}`, key, {
      text: "The user's bicycle is a red Colnago stored in the hallway",
    });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await api(s1, "GET", `/v1/memories/${id}`, key)).body.text).toBe(
      "The user's bicycle is a red Colnago stored in the hallway",
    );
    const history = await api(s1, "GET", `/v1/memories/${id}/history`, key);
    expect(history.body.events.map((e: { event: string }) => e.event)).toEqual(["add", "update"]);
    const byNewWords = await api(s1, "POST", "/v1/memories/search", key, {
      query: "red Colnago",
      mode: "keyword",
    });
    expect(byNewWords.body.results.map((r: { id: string }) => r.id)).toEqual([id]);

    expect((await api(s1, "DELETE", `/v1/memories/${id}`, key)).status).toBe(200);
    expect((await api(s2, "GET", `/v1/memories/${id}`, key)).status).toBe(404);
    const gone = await api(s2, "POST", "/v1/memories/search", key, { query: "red Colnago bicycle" });
    expect(gone.body.results.map((r: { id: string }) => r.id)).not.toContain(id);
  });

  it("a key revoked on server 1 is refused on server 2 on the very next request; so is a rotated key", async () => {
    const { key, keyId } = await newUser(s1, "key_user");
    // Server 2 has accepted the key (anything it might remember about it, it has now).
    for (let i = 0; i < 3; i++) expect((await api(s2, "GET", "/v1/me", key)).status).toBe(200);
    expect((await api(s2, "GET", "/v1/memories", key)).status).toBe(200);

    const revoked = await api(s1, "DELETE", `/v1/keys/${keyId}`, ADMIN_KEY);
    expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
    const refused = await api(s2, "GET", "/v1/memories", key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("key_revoked");
    expect((await api(s1, "GET", "/v1/me", key)).status).toBe(401);

    // Rotation on server 2: the old key stops at once on server 1, the new one works there.
    const made = await api(s2, "POST", "/v1/users/key_user/keys", ADMIN_KEY, { name: "second" });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await api(s1, "GET", "/v1/me", made.body.api_key)).status).toBe(200);
    const rotated = await api(s2, "POST", `/v1/keys/${made.body.key.id}/rotate`, ADMIN_KEY);
    expect(rotated.status, JSON.stringify(rotated.body)).toBeLessThan(300);
    const old = await api(s1, "GET", "/v1/me", made.body.api_key);
    expect(old.status).toBe(401);
    expect(old.body.error.code).toBe("key_revoked");
    const fresh = await api(s1, "GET", "/v1/me", rotated.body.api_key);
    expect(fresh.status, JSON.stringify(fresh.body)).toBe(200);
    expect(fresh.body.user_id).toBe("key_user");

    // A client key (acts for any user of its tenant), revoked on server 2, refused on server 1.
    const client = await api(s1, "POST", "/v1/tenants/default/keys", ADMIN_KEY, {});
    if (client.status === 201) {
      const headers = { "x-user-id": "someone" };
      expect((await api(s1, "GET", "/v1/memories", client.body.api_key, undefined, headers)).status).toBe(
        200,
      );
      expect((await api(s2, "DELETE", `/v1/keys/${client.body.key.id}`, ADMIN_KEY)).status).toBe(200);
      const r = await api(s1, "GET", "/v1/memories", client.body.api_key, undefined, headers);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("key_revoked");
    } else {
      throw new Error(`client key: ${client.status} ${JSON.stringify(client.body)}`);
    }
  });

  it("a user deleted on server 1 is gone on server 2: the user, its keys, memories and sessions", async () => {
    const { key } = await newUser(s2, "doomed_user");
    const mem = await api(s2, "POST", "/v1/memories", key, {
      text: "doomed user's secret: the vault code is 4471",
    });
    expect(mem.status).toBe(201);
    const sess = await api(s2, "POST", "/v1/sessions", key, {});
    expect(sess.status).toBe(201);
    expect((await api(s2, "GET", "/v1/users/doomed_user", ADMIN_KEY)).status).toBe(200);

    const del = await api(s1, "DELETE", "/v1/users/doomed_user", ADMIN_KEY);
    expect(del.status, JSON.stringify(del.body)).toBe(200);

    expect((await api(s2, "GET", "/v1/users/doomed_user", ADMIN_KEY)).status).toBe(404);
    const listed = await api(s2, "GET", "/v1/users?limit=100", ADMIN_KEY);
    expect(listed.body.users.map((u: { user_id: string }) => u.user_id)).not.toContain("doomed_user");
    const stale = await api(s2, "GET", "/v1/memories", key);
    expect(stale.status).toBe(401);
    // The admin acting as that user finds no such user (and creates none).
    const asAdmin = await api(s2, "GET", "/v1/memories", ADMIN_KEY, undefined, {
      "x-user-id": "doomed_user",
    });
    expect(asAdmin.status, JSON.stringify(asAdmin.body)).toBe(404);
    expect((await api(s1, "GET", "/v1/users/doomed_user", ADMIN_KEY)).status).toBe(404);

    // A new user of the same id, made on server 2, starts empty: nothing of the old one survived.
    const again = await newUser(s2, "doomed_user");
    expect((await api(s1, "GET", "/v1/memories", again.key)).body.memories).toEqual([]);
    expect((await api(s1, "GET", `/v1/memories/${mem.body.id}`, again.key)).status).toBe(404);
    expect((await api(s1, "GET", `/v1/sessions/${sess.body.id}`, again.key)).status).toBe(404);
    expect((await api(s1, "GET", "/v1/sessions", again.key)).body.sessions).toEqual([]);
  });

  it(
    `two servers started at the same instant on a fresh database both become ready (${RACES} times)`,
    async () => {
      for (let i = 0; i < RACES; i++) {
        const fresh = await postgresBackend.create({ empty: true });
        const raceEnv = { ...fresh.env, ENGRAM_ADMIN_KEY: ADMIN_KEY, ...fake.env };
        const pair = await Promise.all([spawnServer(raceEnv), spawnServer(raceEnv)]);
        try {
          const outcomes = await Promise.allSettled(pair.map((p) => waitReady(p, READY_TIMEOUT_MS)));
          for (const [j, o] of outcomes.entries()) {
            expect(
              o.status,
              `race ${i}, server ${j + 1}: ${o.status === "rejected" ? String(o.reason) : ""}`,
            ).toBe("fulfilled");
          }
          // One schema, one admin key: each server serves what the other wrote.
          const made = await api(pair[0] as EngramProcess, "POST", "/v1/users", ADMIN_KEY, {
            user_id: `race_${i}`,
          });
          expect(made.status, JSON.stringify(made.body)).toBe(201);
          const added = await api(pair[1] as EngramProcess, "POST", "/v1/memories", made.body.api_key, {
            text: `race ${i} memory`,
          });
          expect(added.status, JSON.stringify(added.body)).toBe(201);
          for (const p of pair) expect(await sigterm(p)).toBe(0);
        } finally {
          for (const p of pair)
            if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
          await Promise.all(pair.map((p) => p.exited));
          await fresh.drop();
        }
      }
    },
    RACES * 180_000,
  );
});
