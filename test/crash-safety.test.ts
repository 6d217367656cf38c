/**
 * Crash safety under load (issue #9): the built server is SIGKILLed at a random moment while several writers add,
 * update and delete memories and append session messages, then restarted on the same store, many times per backend.
 * After every restart: the store opens (the server becomes ready), every acknowledged write is there with its text,
 * an acknowledged delete stays deleted, nothing appears that was never sent, nothing appears twice, and the writes
 * that were in flight at the kill are all-or-nothing (a memory that exists has its history row; one that was
 * deleted has its tombstone). test/durability.test.ts covers the simple cases with the built-in model (one kill
 * after all writes, one kill mid-batch, and the data-dir lock); this file is the randomised, repeated version.
 *
 * Parameters (environment): ENGRAM_CRASH_SEED (default: random, printed), ENGRAM_CRASH_ROUNDS (20; 100 with
 * ENGRAM_SOAK=1), ENGRAM_CRASH_WRITERS (6; 12), ENGRAM_CRASH_KILL_AFTER_ACKS_MAX (the kill comes after a random
 * 1..N acknowledged writes of the round: 25; 60), then ENGRAM_CRASH_KILL_MIN_MS / _MAX_MS (a random delay: 0-500 ms), ENGRAM_CRASH_STARTUP_KILL_RATE (share of rounds that also kill the server while it
 * starts: 0.2), ENGRAM_CRASH_EMBEDDER (`fake`, the default: an in-test /v1/embeddings server, so a restart loads no
 * model; `model`: the built-in model, as in production, 1-3 s more per restart). `npm run test:soak` runs the soak.
 * The seed fixes every random choice (operations, texts, delays); the interleaving still depends on timing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng } from "../bench/lib/stats.js";
import { type Backend, backends } from "./helpers/backends.js";
import {
  api,
  buildIfNeeded,
  type EngramProcess,
  killAllServers,
  sigkill,
  sigterm,
  spawnServer,
  waitReady,
} from "./helpers/engram-process.js";
import { type FakeEmbeddings, startFakeEmbeddings } from "./helpers/fake-embeddings.js";

const SOAK = process.env.ENGRAM_SOAK === "1" || process.env.ENGRAM_SOAK === "true";

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${raw}: expected a non-negative number`);
  return n;
}

const SEED = envInt("ENGRAM_CRASH_SEED", Math.floor(Math.random() * 2 ** 31));
const ROUNDS = envInt("ENGRAM_CRASH_ROUNDS", SOAK ? 100 : 20);
const WRITERS = envInt("ENGRAM_CRASH_WRITERS", SOAK ? 12 : 6);
const KILL_AFTER_ACKS_MAX = Math.max(1, envInt("ENGRAM_CRASH_KILL_AFTER_ACKS_MAX", SOAK ? 60 : 25));
const KILL_MIN_MS = envInt("ENGRAM_CRASH_KILL_MIN_MS", 0);
const KILL_MAX_MS = Math.max(KILL_MIN_MS, envInt("ENGRAM_CRASH_KILL_MAX_MS", 500));
const STARTUP_KILL_RATE = envInt("ENGRAM_CRASH_STARTUP_KILL_RATE", 0.2);
const EMBEDDER = process.env.ENGRAM_CRASH_EMBEDDER ?? "fake";
const USERS = 3;
const ADMIN_KEY = "ek_admin_CrashSafety0123456789abcdefXYZ";
// A start on a loaded 2-core machine (other suites running) can take tens of seconds with the built-in model.
const READY_TIMEOUT_MS = 120_000;

const WORDS = (
  "apple river window garden piano coffee yellow mountain winter engine violet harbor lemon rocket " +
  "candle forest silver ticket basket dragon marble pepper tunnel velvet anchor bridge castle falcon"
).split(" ");

interface Tracked {
  id: string;
  user: number;
  /** The writer that owns it: only it updates or deletes it, so no two operations on one memory overlap. */
  owner: number;
  /** The text the server last acknowledged (or, after a restart, the text found). */
  text: string;
  /** An update sent whose answer never came: after the restart the text is `text` or this. */
  pendingText?: string;
  /** A delete sent whose answer never came: after the restart the memory may or may not be there. */
  pendingDelete?: boolean;
  deleted: boolean;
  /** Update events its history must hold. */
  updates: number;
}

interface Counts {
  adds: number;
  updates: number;
  deletes: number;
  messages: number;
}

let fake: FakeEmbeddings | undefined;

beforeAll(async () => {
  buildIfNeeded();
  if (EMBEDDER === "fake") fake = await startFakeEmbeddings();
}, 300_000);

afterAll(async () => {
  killAllServers();
  await fake?.close();
});

describe.each(backends.map((b) => [b.name, b] as const))("crash safety on %s", (name, backend: Backend) => {
  it(
    `acknowledged writes survive ${ROUNDS} SIGKILLs at random moments during concurrent writes`,
    async () => {
      const seed = (SEED + (name === "postgres" ? 1 : 0)) >>> 0;
      const random = rng(seed);
      const between = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
      console.log(
        `[crash-safety] ${name}: seed=${seed} (rerun with ENGRAM_CRASH_SEED=${SEED}) rounds=${ROUNDS} ` +
          `writers=${WRITERS} kill after 1-${KILL_AFTER_ACKS_MAX} acks + ${KILL_MIN_MS}-${KILL_MAX_MS} ms, start-up kill rate ${STARTUP_KILL_RATE}, ` +
          `embedder=${EMBEDDER}`,
      );
      const started = Date.now();
      const store = await backend.create();
      const env = {
        ...store.env,
        ENGRAM_ADMIN_KEY: ADMIN_KEY,
        // Counted (a counter upsert per request, killed mid-way like the rest) but never reached.
        ENGRAM_RATE_LIMIT_PER_KEY: "1000000000",
        ...(fake?.env ?? {}),
      };

      const readyTimes: number[] = [];
      const start = async (): Promise<EngramProcess> => {
        const t0 = Date.now();
        const p = await spawnServer(env);
        await waitReady(p, READY_TIMEOUT_MS);
        readyTimes.push(Date.now() - t0);
        return p;
      };

      const memories = new Map<string, Tracked>();
      const inflightAdds = new Map<string, { user: number; owner: number }>();
      const sessionIds: string[] = [];
      const keys: string[] = [];
      const ackedMessages: Array<Set<string>> = [];
      const inflightMessages: Array<Set<string>> = [];
      const acked: Counts = { adds: 0, updates: 0, deletes: 0, messages: 0 };
      const unexpected: string[] = [];
      let kills = 0;
      let startupKills = 0;
      let inflightAtKills = 0;
      let committedInflight = 0;
      let lostInflight = 0;
      let historyChecks = 0;
      let seq = 0;

      try {
        let server = await start();
        for (let u = 0; u < USERS; u++) {
          const res = await api(server, "POST", "/v1/users", ADMIN_KEY, { user_id: `crash_user_${u}` });
          expect(res.status, JSON.stringify(res.body)).toBe(201);
          keys.push(res.body.api_key);
          const sess = await api(server, "POST", "/v1/sessions", res.body.api_key, { metadata: { u } });
          expect(sess.status, JSON.stringify(sess.body)).toBe(201);
          sessionIds.push(sess.body.id);
          ackedMessages.push(new Set());
          inflightMessages.push(new Set());
        }
        const keyOf = (u: number) => keys[u] as string;

        /** Everything `user` has, by listing (newest first, 100 a page). */
        const listAll = async (p: EngramProcess, u: number) => {
          const out = new Map<string, string>();
          const texts: string[] = [];
          let cursor: string | null = null;
          do {
            const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
            const res = await api(p, "GET", `/v1/memories?limit=100${q}`, keyOf(u));
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            for (const m of res.body.memories) {
              out.set(m.id, m.text);
              texts.push(m.text);
            }
            cursor = res.body.next_cursor;
          } while (cursor);
          return { byId: out, texts };
        };

        const checkHistory = async (p: EngramProcess, m: Tracked) => {
          historyChecks++;
          const res = await api(p, "GET", `/v1/memories/${m.id}/history`, keyOf(m.user));
          expect(res.status, `history of ${m.id}: ${JSON.stringify(res.body)}`).toBe(200);
          const events = res.body.events ?? res.body;
          expect(Array.isArray(events), JSON.stringify(res.body)).toBe(true);
          const kinds = events.map((e: { event: string }) => e.event);
          expect(
            kinds.filter((k: string) => k === "add"),
            `history of ${m.id}: ${kinds}`,
          ).toHaveLength(1);
          expect(
            kinds.filter((k: string) => k === "update"),
            `history of ${m.id}: ${kinds}`,
          ).toHaveLength(m.updates);
          if (m.deleted) {
            expect(
              kinds.filter((k: string) => k === "delete"),
              `history of ${m.id}: ${kinds}`,
            ).toHaveLength(1);
            for (const e of events) {
              expect(e.old_text ?? null).toBeNull();
              expect(e.new_text ?? null).toBeNull();
            }
          } else {
            expect(kinds, `history of ${m.id}`).not.toContain("delete");
            const texts = events.map((e: { new_text: string | null }) => e.new_text);
            // The current text is the add's (never updated) or one update's result: written with the change.
            expect(texts, `history of ${m.id}`).toContain(m.text);
          }
        };

        /**
         * After a restart: resolves what was in flight at the kill against what the store holds, and checks every
         * acknowledged write. Returns the memories whose state was uncertain (checked through history by the caller).
         */
        const verify = async (p: EngramProcess, newlyAcked: Set<string>) => {
          const uncertain: Tracked[] = [];
          for (let u = 0; u < USERS; u++) {
            const { byId, texts } = await listAll(p, u);
            // No record twice: every text sent is unique.
            expect(new Set(texts).size, `user ${u}: a memory text is listed twice`).toBe(texts.length);
            for (const m of memories.values()) {
              if (m.user !== u) continue;
              const found = byId.get(m.id);
              if (m.deleted) {
                expect(found, `memory ${m.id}: its delete was acknowledged, but it is back`).toBeUndefined();
                continue;
              }
              if (m.pendingDelete) {
                uncertain.push(m);
                m.pendingDelete = false;
                if (found === undefined) {
                  m.deleted = true;
                  committedInflight++;
                  continue;
                }
                lostInflight++;
              }
              expect(found, `memory ${m.id} ('${m.text}') acknowledged, missing after restart`).toBeDefined();
              if (m.pendingText !== undefined) {
                uncertain.push(m);
                expect([m.text, m.pendingText], `memory ${m.id}: text`).toContain(found);
                if (found === m.pendingText) {
                  m.updates++;
                  committedInflight++;
                } else lostInflight++;
                m.text = found as string;
                m.pendingText = undefined;
              } else {
                expect(found, `memory ${m.id}: text after restart`).toBe(m.text);
              }
            }
            // Anything else must be an add that was in flight at the kill: committed whole, never invented.
            for (const [id, text] of byId) {
              if (memories.has(id)) continue;
              const sent = inflightAdds.get(text);
              expect(
                sent,
                `memory ${id} ('${text}') was never sent (or was acknowledged under another id)`,
              ).toBeDefined();
              expect(sent?.user).toBe(u);
              const m: Tracked = { id, user: u, owner: sent?.owner ?? 0, text, deleted: false, updates: 0 };
              memories.set(id, m);
              inflightAdds.delete(text);
              uncertain.push(m);
              committedInflight++;
            }
            // Session messages: every acknowledged one, each once; the rest were in flight.
            const sess = await api(p, "GET", `/v1/sessions/${sessionIds[u]}`, keyOf(u));
            expect(sess.status, JSON.stringify(sess.body)).toBe(200);
            const contents: string[] = sess.body.messages.map((x: { content: string }) => x.content);
            expect(new Set(contents).size, `user ${u}: a session message is stored twice`).toBe(
              contents.length,
            );
            const present = new Set(contents);
            for (const c of ackedMessages[u] as Set<string>)
              expect(present.has(c), `message '${c}' acknowledged, missing after restart`).toBe(true);
            const inflight = inflightMessages[u] as Set<string>;
            for (const c of contents) {
              if ((ackedMessages[u] as Set<string>).has(c)) continue;
              expect(inflight.has(c), `message '${c}' was never sent`).toBe(true);
              (ackedMessages[u] as Set<string>).add(c);
              committedInflight++;
            }
            for (const c of inflight) if (!present.has(c)) lostInflight++;
            inflight.clear();
          }
          lostInflight += inflightAdds.size;
          // Adds that were in flight and are not there now never will be: their server is gone.
          inflightAdds.clear();
          // By id, with its text: everything acknowledged since the last restart.
          for (const id of newlyAcked) {
            const m = memories.get(id) as Tracked;
            const res = await api(p, "GET", `/v1/memories/${id}`, keyOf(m.user));
            if (m.deleted) expect(res.status, `memory ${id} was deleted`).toBe(404);
            else {
              expect(res.status, `memory ${id} after restart: ${JSON.stringify(res.body)}`).toBe(200);
              expect(res.body.text).toBe(m.text);
              expect(res.body.metadata).toEqual({ seq: Number(m.text.split(" ")[1]) });
            }
          }
          return uncertain;
        };

        let onAck: () => void = () => {};
        const writer = async (p: EngramProcess, w: number, round: number, newlyAcked: Set<string>) => {
          const u = w % USERS;
          const key = keyOf(u);
          const wr = rng((seed ^ Math.imul(round + 1, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca6b)) >>> 0);
          const words = (n: number) =>
            Array.from({ length: n }, () => WORDS[Math.floor(wr() * WORDS.length)]);
          let busy = false;
          const state = { busy: () => busy };
          const loop = async () => {
            for (;;) {
              const r = wr();
              const mine = [...memories.values()].filter(
                (m) => m.owner === w && !m.deleted && !m.pendingDelete && m.pendingText === undefined,
              );
              busy = true;
              try {
                if (r < 0.55 || mine.length === 0) {
                  const n = ++seq;
                  const text = `memory ${n} r${round} w${w}: ${words(6).join(" ")}`;
                  inflightAdds.set(text, { user: u, owner: w });
                  const res = await api(p, "POST", "/v1/memories", key, { text, metadata: { seq: n } });
                  if (res.status !== 201 || res.body.created === false) {
                    unexpected.push(`add: ${res.status} ${JSON.stringify(res.body)}`);
                    return;
                  }
                  inflightAdds.delete(text);
                  const id: string = res.body.id;
                  if (memories.has(id)) {
                    unexpected.push(`add: id ${id} acknowledged twice`);
                    return;
                  }
                  memories.set(id, { id, user: u, owner: w, text, deleted: false, updates: 0 });
                  newlyAcked.add(id);
                  acked.adds++;
                  onAck();
                } else if (r < 0.75) {
                  const m = mine[Math.floor(wr() * mine.length)] as Tracked;
                  const text = `${m.text.split(":")[0]}: updated ${++seq} ${words(5).join(" ")}`;
                  m.pendingText = text;
                  const res = await api(p, "PATCH", `/v1/memories/${m.id}`, key, { text });
                  if (res.status !== 200) {
                    unexpected.push(`update: ${res.status} ${JSON.stringify(res.body)}`);
                    return;
                  }
                  m.text = text;
                  m.pendingText = undefined;
                  m.updates++;
                  newlyAcked.add(m.id);
                  acked.updates++;
                  onAck();
                } else if (r < 0.85) {
                  const m = mine[Math.floor(wr() * mine.length)] as Tracked;
                  m.pendingDelete = true;
                  const res = await api(p, "DELETE", `/v1/memories/${m.id}`, key);
                  if (res.status < 200 || res.status > 299) {
                    unexpected.push(`delete: ${res.status} ${JSON.stringify(res.body)}`);
                    return;
                  }
                  m.pendingDelete = false;
                  m.deleted = true;
                  newlyAcked.add(m.id);
                  acked.deletes++;
                  onAck();
                } else {
                  const content = `message ${++seq} r${round} w${w}: ${words(4).join(" ")}`;
                  (inflightMessages[u] as Set<string>).add(content);
                  const res = await api(p, "POST", `/v1/sessions/${sessionIds[u]}/messages`, key, {
                    role: "user",
                    content,
                  });
                  if (res.status !== 201) {
                    unexpected.push(`message: ${res.status} ${JSON.stringify(res.body)}`);
                    return;
                  }
                  (inflightMessages[u] as Set<string>).delete(content);
                  (ackedMessages[u] as Set<string>).add(content);
                  acked.messages++;
                  onAck();
                }
              } catch {
                // No answer: the server was killed with this request in flight (or before it was sent).
                return;
              } finally {
                busy = false;
              }
            }
          };
          return { state, done: loop() };
        };

        let newlyAcked = new Set<string>();
        for (let round = 0; round < ROUNDS; round++) {
          const roundAcked = newlyAcked;
          // The kill comes a random number of acknowledgements into the round, then a random delay later: a fresh
          // server's first requests are slow (more so on a loaded machine), and a kill before any answer proves little.
          const target = between(1, KILL_AFTER_ACKS_MAX);
          let acks = 0;
          const firstAck = new Promise<void>((resolve) => {
            onAck = () => {
              if (++acks >= target) resolve();
            };
          });
          const writers = await Promise.all(
            Array.from({ length: WRITERS }, (_, w) => writer(server, w, round, roundAcked)),
          );
          await Promise.race([firstAck, new Promise((r) => setTimeout(r, 60_000))]);
          const delay = between(KILL_MIN_MS, KILL_MAX_MS);
          await new Promise((r) => setTimeout(r, delay));
          inflightAtKills += writers.filter((x) => x.state.busy()).length;
          expect(await sigkill(server)).toBe("SIGKILL");
          kills++;
          await Promise.all(writers.map((x) => x.done));
          expect(unexpected, "every answer before the kill is a success").toEqual([]);

          if (random() < STARTUP_KILL_RATE) {
            // Also kill it while it opens the store (recovery after the last kill, migrations check, ANALYZE).
            const sorted = [...readyTimes].sort((a, b) => a - b);
            const typical = sorted[Math.floor(sorted.length / 2)] ?? 1000;
            const p = await spawnServer(env);
            await new Promise((r) => setTimeout(r, between(0, typical)));
            const how = await sigkill(p);
            // It may have become ready first (then this was a kill of an idle server); it must not have failed.
            expect(how, `server exited by itself while starting: ${p.stderr()}`).toBe("SIGKILL");
            startupKills++;
          }

          server = await start();
          const uncertain = await verify(server, roundAcked);
          // All-or-nothing for what was in flight, and a sample of the rest: history written with the change.
          const others = [...memories.values()];
          const sample = new Set<Tracked>(uncertain);
          for (let i = 0; i < 5 && others.length > 0; i++) sample.add(pick(others));
          for (const m of sample) await checkHistory(server, m);
          // The vector came back with the row: an acknowledged memory of this round is found by meaning.
          const alive = [...roundAcked].map((id) => memories.get(id) as Tracked).filter((m) => !m.deleted);
          if (alive.length > 0) {
            const m = pick(alive);
            const res = await api(server, "POST", "/v1/memories/search", keyOf(m.user), {
              query: m.text,
              mode: "semantic",
              limit: 5,
            });
            expect(res.status, JSON.stringify(res.body)).toBe(200);
            expect(
              res.body.results.map((x: { id: string }) => x.id),
              `search for '${m.text}'`,
            ).toContain(m.id);
          }
          newlyAcked = new Set();
        }

        // Finally, every memory ever acknowledged, one by one, and a clean stop.
        let verified = 0;
        for (const m of memories.values()) {
          const res = await api(server, "GET", `/v1/memories/${m.id}`, keyOf(m.user));
          if (m.deleted) expect(res.status, `memory ${m.id} was deleted`).toBe(404);
          else {
            expect(res.status, `memory ${m.id}`).toBe(200);
            expect(res.body.text).toBe(m.text);
          }
          verified++;
        }
        const all = [...memories.values()];
        for (let i = 0; i < 20 && all.length > 0; i++) await checkHistory(server, pick(all));
        expect(await sigterm(server)).toBe(0);

        const total = acked.adds + acked.updates + acked.deletes + acked.messages;
        const sorted = [...readyTimes].sort((a, b) => a - b);
        console.log(
          `[crash-safety] ${name}: seed=${seed} rounds=${ROUNDS} kills=${kills + startupKills} ` +
            `(${kills} during writes, ${startupKills} during start-up), restarts ready=${readyTimes.length} ` +
            `(p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms); ` +
            `acknowledged writes verified=${total} (adds ${acked.adds}, updates ${acked.updates}, ` +
            `deletes ${acked.deletes}, session messages ${acked.messages}); memories checked by id at the end=${verified}; ` +
            `requests in flight at kills=${inflightAtKills} (found committed ${committedInflight}, not committed ${lostInflight}); ` +
            `history checks=${historyChecks}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        expect(kills).toBe(ROUNDS);
        expect(total).toBeGreaterThanOrEqual(ROUNDS);
        // Else the kills never landed mid-request, and the rounds proved less than they claim.
        if (ROUNDS >= 5) expect(inflightAtKills).toBeGreaterThan(0);
      } finally {
        killAllServers();
        await store.drop();
      }
    },
    300_000 + ROUNDS * 30_000,
  );
});
