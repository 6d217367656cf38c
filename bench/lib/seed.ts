// Seeding an Engram store fast for the search workloads: one template user and one memory go through the API (so the
// server writes every row an add writes, in its own shape), then the template rows are cloned in bulk with SQL, each
// clone changing only its ids, user, text, vector, key hash and times. Vectors come from the same function the
// loopback embeddings server answers with, so they equal what an add through the API would have stored. Secondary
// indexes on memories (the HNSW index among them) are dropped during the load and rebuilt after it, as a restore
// would, with more maintenance memory than the server's default: what the server builds on start for an empty store
// and then maintains row by row would take far longer for 250,000 rows.
//
// What the clones do not get: history (memory_events) and audit rows per memory, which no search reads. Triggers on
// memories run for every cloned row (so statistics kept by triggers are right). A table that the template's add wrote,
// that this file does not know and that stayed empty for the clones is reported in `warnings`: the seeder must learn
// it if a search reads it (a search over rows seeded without it would measure something no server ever serves).
import { createHash } from "node:crypto";
import { type Db, NO_STATEMENT_TIMEOUT } from "../../src/db/db.js";
import { openDb } from "../../src/db/open.js";
import { derivedId } from "../../src/ids.js";
import type { BenchUser, Dataset } from "./dataset.js";
import { embed } from "./dataset.js";
import { ADMIN_KEY, spawnEngram, stopEngram, waitReady } from "./process.js";
import { round } from "./stats.js";
import type { Store } from "./store.js";

export interface SeededUser {
  /** External id (what clients and mem0 call the user). */
  id: string;
  /** Internal id (what rows and RLS are keyed on). */
  pk: string;
  /** A user key for it. */
  key: string;
}

export interface EngramSeed {
  small: SeededUser[];
  large: SeededUser | null;
  /** Users with keys and no memories (the ingest workload's). */
  extra: SeededUser[];
  memories: number;
  /** The model tag the server stores with each vector (copied from the template's memory). */
  embeddingModel: string;
  ms: { template: number; rows: number; indexes: number; vacuum: number; total: number };
  indexes: string[];
  /** Tables an add writes that the database filled for the clones itself (triggers on memories). */
  triggerFilled: string[];
  /** Whether those were the keyword statistics, computed in bulk after the load (triggers off during it). */
  keywordStatsInBulk: boolean;
  warnings: string[];
}

/** Tables the template's add writes that the clones need (or that no search reads: see the header). */
const KNOWN_USER_TABLES = new Set([
  "api_keys",
  "apps",
  "memories",
  "memory_events",
  "audit_log",
  "sessions",
  "session_messages",
  "memory_reindex",
]);

/** Tables kept by the keyword-statistics triggers (migration 010), which the seeder can compute in bulk. */
const KEYWORD_STATS_TABLES = ["memory_user_stats", "memory_term_stats"];

/** The template user's keyword statistics as one string, to compare the trigger's with the bulk computation's. */
async function keywordStatsSnapshot(db: Db, userPk: string): Promise<string> {
  const u = await db.query("SELECT docs::text, total_len::text FROM memory_user_stats WHERE user_id = $1", [
    userPk,
  ]);
  const t = await db.query(
    "SELECT term, df FROM memory_term_stats WHERE user_id = $1 AND df > 0 ORDER BY term",
    [userPk],
  );
  return JSON.stringify([u, t]);
}

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** A user key of the real shape (`ek_user_` + 32 base62), derived from the user id: the same key every run. */
export function benchKey(userId: string): string {
  const d = createHash("sha256").update(`engram-bench-key:${userId}`).digest();
  let s = "";
  for (let i = 0; s.length < 32; i++) s += BASE62[(d[i % d.length] as number) % 62];
  return `ek_user_${s}`;
}

async function api(url: string, method: string, path: string, key: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text);
}

interface Column {
  name: string;
  generated: boolean;
}

async function columns(db: Db, table: string): Promise<Column[]> {
  const rows = await db.query<{ column_name: string; is_generated: string }>(
    `SELECT column_name, is_generated FROM information_schema.columns
     WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position`,
    [table],
  );
  return rows.map((r) => ({ name: r.column_name, generated: r.is_generated === "ALWAYS" }));
}

interface Replaced {
  col: string;
  type: string;
  values: unknown[];
}

/**
 * INSERT INTO table: one row per element of the `replaced` arrays, each a copy of the template row (`where`) with
 * the replaced columns taken from the arrays. Generated columns are left to the database.
 */
async function cloneRows(
  db: Db,
  table: string,
  cols: Column[],
  where: string,
  whereParam: string,
  replaced: Replaced[],
): Promise<void> {
  const names = cols.filter((c) => !c.generated).map((c) => c.name);
  const r = new Set(replaced.map((x) => x.col));
  for (const x of replaced) if (!names.includes(x.col)) throw new Error(`${table} has no column ${x.col}`);
  const select = names.map((c) => (r.has(c) ? `n.${c}` : `t.${c}`)).join(", ");
  const unnest = replaced.map((x, i) => `$${i + 1}::${x.type}[]`).join(", ");
  await db.query(
    `INSERT INTO ${table} (${names.join(", ")})
     SELECT ${select} FROM ${table} t, unnest(${unnest}) AS n(${replaced.map((x) => x.col).join(", ")})
     WHERE t.${where} = $${replaced.length + 1}`,
    [...replaced.map((x) => x.values), whereParam],
  );
}

/**
 * Seeds `dataset` into the (new, empty) store: returns the users with their keys. The server is started and stopped
 * here (for the template); the caller starts the one it measures.
 */
export async function seedEngram(
  store: Store,
  serverEnv: Record<string, string>,
  dataset: Dataset,
  log: (m: string) => void,
  extraUsers: readonly string[] = [],
): Promise<EngramSeed> {
  const t0 = performance.now();
  const warnings: string[] = [];
  const p = await spawnEngram({ ...store.env, ...serverEnv });
  let templateKey: string;
  try {
    await waitReady(p);
    templateKey = (await api(p.url, "POST", "/v1/users", ADMIN_KEY, { user_id: "bench_template" }))
      .api_key as string;
    await api(p.url, "POST", "/v1/memories", templateKey, { text: "Template memory for the bench seeder." });
  } finally {
    await stopEngram(p);
  }
  const tTemplate = performance.now();

  const { db } = await openDb(store.database(2), { efSearch: 200, migrate: false });
  try {
    const [tpl] = await db.query<{ id: string }>(
      "SELECT id FROM users WHERE external_id = 'bench_template' AND tenant_id = 'default'",
    );
    if (!tpl) throw new Error("template user not found");
    const [tplKey] = await db.query<{ id: string }>("SELECT id FROM api_keys WHERE user_id = $1", [tpl.id]);
    const [tplMem] = await db.query<{ id: string; embedding_model: string }>(
      "SELECT id, embedding_model FROM memories WHERE user_id = $1",
      [tpl.id],
    );
    const tplApps = await db.query<{ id: string }>("SELECT id FROM apps WHERE user_id = $1", [tpl.id]);
    if (!tplKey || !tplMem) throw new Error("template key or memory not found");

    // Tables with the template's rows that the clones will not get.
    const userTables = await db.query<{ table_name: string }>(
      `SELECT DISTINCT table_name FROM information_schema.columns
       WHERE table_schema = 'public' AND column_name = 'user_id'`,
    );
    const unknownTables: string[] = [];
    for (const { table_name } of userTables) {
      if (KNOWN_USER_TABLES.has(table_name) || !/^[a-z_][a-z0-9_]*$/.test(table_name)) continue;
      const [n] = await db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${table_name} WHERE user_id = $1`,
        [tpl.id],
      );
      if ((n?.n ?? 0) > 0) unknownTables.push(table_name);
    }

    // Secondary indexes on memories (not backing a constraint): dropped for the load, rebuilt after it.
    const indexes = await db.query<{ name: string; def: string }>(
      `SELECT c.relname AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
       WHERE i.indrelid = 'memories'::regclass AND NOT i.indisprimary
         AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    );
    for (const ix of indexes) await db.exec(`DROP INDEX ${ix.name}`);

    const userCols = await columns(db, "users");
    const keyCols = await columns(db, "api_keys");
    const appCols = await columns(db, "apps");
    const memCols = await columns(db, "memories");

    const all: BenchUser[] = [
      ...dataset.small,
      ...(dataset.large ? [dataset.large] : []),
      ...extraUsers.map((id) => ({ id, texts: [] })),
    ];
    const base = Date.now() - all.length - dataset.small.length * dataset.size.memoriesPerUser - 100_000;
    const seeded: SeededUser[] = all.map((u, i) => ({
      id: u.id,
      pk: derivedId("usr", base + i, `bench-user:${u.id}`),
      key: benchKey(u.id),
    }));
    const USERS_PER_STATEMENT = 2000;
    for (let i = 0; i < seeded.length; i += USERS_PER_STATEMENT) {
      const chunk = seeded.slice(i, i + USERS_PER_STATEMENT);
      await cloneRows(db, "users", userCols, "id", tpl.id, [
        { col: "id", type: "text", values: chunk.map((u) => u.pk) },
        { col: "external_id", type: "text", values: chunk.map((u) => u.id) },
      ]);
      await cloneRows(db, "api_keys", keyCols, "id", tplKey.id, [
        { col: "id", type: "text", values: chunk.map((u) => derivedId("key", base, `bench-key:${u.id}`)) },
        { col: "user_id", type: "text", values: chunk.map((u) => u.pk) },
        { col: "prefix", type: "text", values: chunk.map((u) => u.key.slice(0, "ek_user_".length + 6)) },
        {
          col: "hash",
          type: "text",
          values: chunk.map((u) => createHash("sha256").update(u.key, "utf8").digest("hex")),
        },
      ]);
      for (const app of tplApps) {
        await cloneRows(db, "apps", appCols, "id", app.id, [
          { col: "id", type: "text", values: chunk.map((u) => derivedId("app", base, `${app.id}:${u.id}`)) },
          { col: "user_id", type: "text", values: chunk.map((u) => u.pk) },
        ]);
      }
    }

    // Per-user keyword statistics (migration 010) are kept by statement-level triggers on memories. The seeder still
    // computes them in bulk instead: with the row triggers of the first version, a 50,000-memory user was 50,000
    // updates of the same few hundred rows, which any long transaction elsewhere in the cluster turned quadratic
    // (12 s on a quiet cluster, 509 s beside another session's 20-minute transaction), and one bulk pass stays the
    // cheapest way to load. So when those are the only trigger-kept tables, the user triggers are off during the load
    // and the statistics are computed after it, the way the migration backfills them; the template's statistics,
    // written by the trigger through the API, are the check that the two agree.
    const bulkStats =
      unknownTables.length > 0 && unknownTables.every((t) => KEYWORD_STATS_TABLES.includes(t))
        ? await keywordStatsSnapshot(db, tpl.id)
        : null;
    if (bulkStats) await db.exec("ALTER TABLE memories DISABLE TRIGGER USER");

    // Memories: rows in id (time) order per user, as adds would have made them.
    const ROWS_PER_STATEMENT = 1000;
    let batch: { id: string; user: string; text: string; vec: string; at: string }[] = [];
    let written = 0;
    const total = all.reduce((n, u) => n + u.texts.length, 0);
    const flush = async () => {
      if (batch.length === 0) return;
      await cloneRows(db, "memories", memCols, "id", tplMem.id, [
        { col: "id", type: "text", values: batch.map((b) => b.id) },
        { col: "user_id", type: "text", values: batch.map((b) => b.user) },
        { col: "text", type: "text", values: batch.map((b) => b.text) },
        { col: "embedding", type: "vector", values: batch.map((b) => b.vec) },
        { col: "created_at", type: "timestamptz", values: batch.map((b) => b.at) },
        { col: "updated_at", type: "timestamptz", values: batch.map((b) => b.at) },
      ]);
      written += batch.length;
      batch = [];
      if (written % 50_000 < ROWS_PER_STATEMENT) log(`seeded ${written} / ${total} memories`);
    };
    let seq = 0;
    for (const [i, u] of all.entries()) {
      const s = seeded[i] as SeededUser;
      for (const text of u.texts) {
        const ms = base + seq++;
        batch.push({
          id: derivedId("mem", ms, `${u.id}:${seq}`),
          user: s.pk,
          text,
          vec: `[${embed(text).join(",")}]`,
          at: new Date(ms).toISOString(),
        });
        if (batch.length >= ROWS_PER_STATEMENT) await flush();
      }
    }
    await flush();
    if (bulkStats) {
      await db.exec("ALTER TABLE memories ENABLE TRIGGER USER");
      log("keyword statistics in bulk...");
      await db.transaction(async (tx) => {
        await tx.exec(NO_STATEMENT_TIMEOUT);
        await tx.exec("TRUNCATE memory_term_stats, memory_user_stats");
        await tx.exec(`INSERT INTO memory_user_stats (user_id, docs, total_len)
          SELECT user_id, count(*), coalesce(sum(length(tsv)), 0) FROM memories GROUP BY user_id`);
        await tx.exec(`INSERT INTO memory_term_stats (user_id, term, df)
          SELECT m.user_id, t, count(*) FROM memories m, unnest(tsvector_to_array(m.tsv)) AS t GROUP BY m.user_id, t`);
      });
      const again = await keywordStatsSnapshot(db, tpl.id);
      if (again !== bulkStats) {
        warnings.push(
          "keyword statistics computed in bulk differ from what the trigger wrote for the template user: bench/lib/seed.ts must follow the trigger (migration 010)",
        );
      }
    }
    const [count] = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memories WHERE user_id <> $1",
      [tpl.id],
    );
    if (count?.n !== total) throw new Error(`seeded ${count?.n} memories, expected ${total}`);
    // A table the template's add wrote that the clones' INSERTs filled too (a trigger on memories) is fine; one
    // that stayed empty for them holds what an add writes and the seeder does not.
    const filledBy: string[] = [];
    const probe = seeded.find((_, i) => (all[i]?.texts.length ?? 0) > 0);
    for (const table of unknownTables) {
      const [n] = probe
        ? await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE user_id = $1`, [
            probe.pk,
          ])
        : [{ n: 0 }];
      if ((n?.n ?? 0) > 0) filledBy.push(table);
      else
        warnings.push(
          `table ${table} holds rows for an added memory's user that the seeder does not write: teach bench/lib/seed.ts about it if searches read it`,
        );
    }
    const tRows = performance.now();

    log(`rebuilding ${indexes.length} indexes on memories...`);
    const pg = db.kind === "postgres";
    for (const ix of indexes) {
      await db.transaction(async (tx) => {
        await tx.exec(NO_STATEMENT_TIMEOUT);
        // PostgreSQL: as much memory as the HNSW graph needs and both cores; PGlite runs one process, no workers.
        await tx.exec(`SET LOCAL maintenance_work_mem = '${pg ? "1GB" : "512MB"}'`);
        if (pg) await tx.exec("SET LOCAL max_parallel_maintenance_workers = 2");
        await tx.exec(ix.def);
      });
    }
    const tIndexes = performance.now();
    // Hint bits, visibility map and planner statistics, as a store that has been running a while has them.
    await db.exec("VACUUM ANALYZE");
    const tVacuum = performance.now();
    return {
      small: seeded.slice(0, dataset.small.length),
      large: dataset.large ? (seeded[dataset.small.length] as SeededUser) : null,
      extra: seeded.slice(seeded.length - extraUsers.length),
      memories: total,
      embeddingModel: tplMem.embedding_model,
      ms: {
        template: round(tTemplate - t0),
        rows: round(tRows - tTemplate),
        indexes: round(tIndexes - tRows),
        vacuum: round(tVacuum - tIndexes),
        total: round(tVacuum - t0),
      },
      indexes: indexes.map((ix) => ix.def),
      triggerFilled: filledBy,
      keywordStatsInBulk: bulkStats !== null,
      warnings,
    };
  } finally {
    await db.close();
  }
}
