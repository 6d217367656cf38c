// The admin users list at 10,000 users (issue #10): GET /v1/users pages through an in-process Engram, per backend.
// Run: npx tsx bench/admin-users.ts   (writes bench/results/admin-users.json; PostgreSQL too when
// ENGRAM_BENCH_DATABASE_URL or ENGRAM_TEST_DATABASE_URL is set; arguments pick backends: pglite, postgres).
// The users, keys, sessions and memories are inserted with SQL in bulk (the API would take minutes to make them and
// is not what is measured); each request then goes through the whole app: key check, validation, SQL, JSON.
import type { Backend } from "../test/helpers/backends.js";
import { ADMIN_KEY, startEngram, type TestEngram } from "../test/helpers/runtime.js";
import { WORDS_DIMENSIONS, WORDS_MODEL } from "../test/helpers/words-embedder.js";
import { NO_RATE_LIMITS, runIfMain } from "./lib/process.js";
import { environment, loadAverage1m, printTable, writeResult } from "./lib/report.js";
import { round, summarize } from "./lib/stats.js";
import { type BackendKind, benchBackends, createStore } from "./lib/store.js";

const USERS = 10_000;
/** Every MEMORY_EVERY-th user has MEMORIES_EACH memories (1,000 users, 20,000 memories). */
const MEMORY_EVERY = 10;
const MEMORIES_EACH = 20;
/** Every SESSION_EVERY-th user has one session. */
const SESSION_EVERY = 5;
const WARMUP = 5;
const RUNS = 60;
const LIMIT = 100;

function benchBackend(kind: BackendKind): Backend {
  return {
    name: kind,
    async create() {
      const store = await createStore(kind);
      return { database: store.database(5), env: store.env, drop: store.drop };
    },
  };
}

/** 10,000 users of the default tenant, each with a key; a tenth with 20 memories; a fifth with a session. */
async function seed(e: TestEngram): Promise<void> {
  const { db } = e.runtime.services;
  const vector = `[1${",0".repeat(WORDS_DIMENSIONS - 1)}]`;
  await db.transaction(async (tx) => {
    // Ids sort like the API's (time-ordered ulids would too); last activity spread over 60 days, a fifth never.
    await tx.query(
      `INSERT INTO users (id, tenant_id, external_id, name, email, last_active_at)
       SELECT 'usr_' || lpad(i::text, 26, '0'), 'default', 'user_' || i, 'Person ' || i,
         'person' || i || '@example.com',
         CASE WHEN i % 5 = 0 THEN NULL ELSE now() - make_interval(hours => (i * 7919) % (60 * 24)) END
       FROM generate_series(1, $1::int) AS i`,
      [USERS],
    );
    await tx.query(
      `INSERT INTO api_keys (id, kind, tenant_id, user_id, name, prefix, hash, scopes)
       SELECT 'key_' || lpad(i::text, 26, '0'), 'user', 'default', 'usr_' || lpad(i::text, 26, '0'), 'default',
         'ek_user_bench', md5(i::text) || md5('k' || i), ARRAY['memories:read', 'memories:write']
       FROM generate_series(1, $1::int) AS i`,
      [USERS],
    );
    await tx.query(
      `INSERT INTO sessions (id, tenant_id, user_id, expires_at)
       SELECT 'sess_' || lpad(i::text, 26, '0'), 'default', 'usr_' || lpad(i::text, 26, '0'), now() + interval '1 day'
       FROM generate_series($2::int, $1::int, $2::int) AS i`,
      [USERS, SESSION_EVERY],
    );
    await tx.query(
      `INSERT INTO memories (id, tenant_id, user_id, text, embedding, embedding_model)
       SELECT 'mem_' || lpad((u * 100 + j)::text, 26, '0'), 'default', 'usr_' || lpad(u::text, 26, '0'),
         'memory ' || j || ' of user ' || u, $4::vector, $5
       FROM generate_series($3::int, $1::int, $3::int) AS u, generate_series(1, $2::int) AS j`,
      [USERS, MEMORIES_EACH, MEMORY_EVERY, vector, WORDS_MODEL],
    );
  });
  // PGlite has no autovacuum: without statistics the planner guesses (PostgreSQL's autovacuum would get there too).
  await db.exec("ANALYZE");
}

interface Case {
  name: string;
  path: string;
}

async function measure(e: TestEngram, c: Case): Promise<{ p50: number; p95: number; users: number }> {
  let users = 0;
  const ms: number[] = [];
  for (let i = 0; i < WARMUP + RUNS; i++) {
    const t0 = performance.now();
    const res = await e.call("GET", c.path, { key: ADMIN_KEY });
    const took = performance.now() - t0;
    if (res.status !== 200) throw new Error(`${c.path}: ${res.status} ${JSON.stringify(res.body)}`);
    users = res.body.users.length;
    if (i >= WARMUP) ms.push(took);
  }
  const s = summarize(ms);
  return { p50: round(s.p50, 2), p95: round(s.p95, 2), users };
}

async function runBackend(kind: BackendKind) {
  const e = await startEngram(benchBackend(kind), NO_RATE_LIMITS, { embedder: "words" });
  try {
    const t0 = performance.now();
    await seed(e);
    const seedMs = Math.round(performance.now() - t0);
    const month = encodeURIComponent(new Date(Date.now() - 30 * 86_400_000).toISOString());
    const cases: Case[] = [
      { name: "first page", path: `/v1/users?limit=${LIMIT}` },
      { name: "first page, tenant", path: `/v1/users?tenant=default&limit=${LIMIT}` },
      { name: "middle page (cursor)", path: `/v1/users?limit=${LIMIT}&cursor=usr_${"0".repeat(22)}5000` },
      { name: "q, many match", path: `/v1/users?limit=${LIMIT}&q=user_1` },
      { name: "q, one matches", path: `/v1/users?limit=${LIMIT}&q=person9999%40` },
      { name: "q, none match", path: `/v1/users?limit=${LIMIT}&q=nobody` },
      { name: "inactive_since 30 days", path: `/v1/users?limit=${LIMIT}&inactive_since=${month}` },
      { name: "stats, 30 days", path: "/v1/stats?days=30" },
    ];
    const results = [];
    for (const c of cases) {
      if (c.path.startsWith("/v1/stats")) {
        const ms: number[] = [];
        for (let i = 0; i < WARMUP + 20; i++) {
          const t = performance.now();
          const res = await e.call("GET", c.path, { key: ADMIN_KEY });
          if (res.status !== 200) throw new Error(`${c.path}: ${res.status}`);
          if (i >= WARMUP) ms.push(performance.now() - t);
        }
        const s = summarize(ms);
        results.push({
          case: c.name,
          path: c.path,
          p50_ms: round(s.p50, 2),
          p95_ms: round(s.p95, 2),
          users: null,
        });
        continue;
      }
      const r = await measure(e, c);
      results.push({ case: c.name, path: c.path, p50_ms: r.p50, p95_ms: r.p95, users: r.users });
    }
    return { backend: kind, seed_ms: seedMs, results };
  } finally {
    await e.close();
  }
}

async function runAdminUsersBench(): Promise<void> {
  const env = environment();
  const kinds = benchBackends(process.argv.slice(2));
  const all = [];
  for (const kind of kinds) all.push(await runBackend(kind));
  const path = await writeResult("admin-users", {
    ...env,
    load_average_1m_at_end: loadAverage1m(),
    users: USERS,
    memories: (USERS / MEMORY_EVERY) * MEMORIES_EACH,
    sessions: USERS / SESSION_EVERY,
    page_size: LIMIT,
    runs: RUNS,
    results: all,
  });
  printTable(
    `GET /v1/users in-process, ${USERS} users, page ${LIMIT} ` +
      `(node ${env.node}, ${env.cpus}, load ${env.load_average_1m_at_start})`,
    ["backend", "case", "users", "p50 ms", "p95 ms"],
    all.flatMap((b) => b.results.map((r) => [b.backend, r.case, r.users, r.p50_ms, r.p95_ms])),
  );
  process.stdout.write(`\nwrote ${path}\n`);
}

runIfMain(import.meta.url, "admin-users", runAdminUsersBench);
