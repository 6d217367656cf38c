/**
 * BM25's per-user statistics (migrations/010) stay equal to what the memories say after adds, edits, state
 * changes, deletes and a user's deletion; and the pruned keyword search (src/memories/search.ts, bm25Side) ranks
 * exactly as scoring every matching memory does, for queries mixing rare and everywhere-words, on both backends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Queryable } from "../src/db/db.js";
import { runSearch } from "../src/memories/search.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram } from "./helpers/runtime.js";

/** The statistics recomputed from the memories, as the trigger should have kept them. */
const RECOMPUTED = `
  SELECT u.user_id, u.docs, u.total_len, t.terms FROM
    (SELECT user_id, count(*)::int AS docs, sum(length(tsv))::int AS total_len FROM memories GROUP BY user_id) u
  LEFT JOIN (SELECT user_id, string_agg(term || ':' || df, ' ' ORDER BY term) AS terms FROM (
      SELECT m.user_id, t AS term, count(*) AS df FROM memories m, unnest(tsvector_to_array(m.tsv)) t GROUP BY 1, 2
    ) x GROUP BY user_id) t ON t.user_id = u.user_id
  ORDER BY 1`;
const KEPT = `
  SELECT s.user_id, s.docs::int, s.total_len::int, t.terms FROM memory_user_stats s
  LEFT JOIN (SELECT user_id, string_agg(term || ':' || df, ' ' ORDER BY term) AS terms
             FROM memory_term_stats WHERE df > 0 GROUP BY user_id) t ON t.user_id = s.user_id
  WHERE s.docs > 0 ORDER BY 1`;

/** Every matching memory scored with the same formula, no pruning: the reference ranking. */
async function exhaustive(db: Queryable, userPk: string, query: string, limit: number): Promise<string[]> {
  const rows = await db.query<{ text: string }>(
    `WITH q AS (SELECT DISTINCT lexeme AS term FROM unnest(to_tsvector('english', engram_search_text($2)))),
     st AS (SELECT docs::float8 AS n, greatest(total_len::float8 / greatest(docs, 1), 1) AS avgdl
            FROM memory_user_stats WHERE user_id = $1),
     w AS (SELECT q.term, ln(1 + (st.n - t.df + 0.5) / (t.df + 0.5)) AS idf
           FROM q JOIN memory_term_stats t ON t.user_id = $1 AND t.term = q.term AND t.df > 0, st)
     SELECT m.text, sum(w.idf * cardinality(u.positions) * 2.2
                       / (cardinality(u.positions) + 1.2 * (0.25 + 0.75 * length(m.tsv) / st.avgdl))) AS bm25, m.id
     FROM memories m, unnest(m.tsv) u, w, st
     WHERE m.user_id = $1 AND m.state = 'active' AND u.lexeme = w.term
     GROUP BY m.id, m.text ORDER BY bm25 DESC, m.id DESC LIMIT $3`,
    [userPk, query, limit],
  );
  return rows.map((r) => r.text);
}

describe.each(backends)("keyword statistics ($name)", (backend) => {
  let e: TestEngram;
  const users: Array<{ key: string; pk: string }> = [];

  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
    for (const name of ["kw-a", "kw-b"]) {
      const key = await makeUser(e, name);
      const [row] = await e.runtime.services.db.query<{ id: string }>(
        "SELECT id FROM users WHERE external_id = $1",
        [name],
      );
      users.push({ key, pk: row?.id ?? "" });
    }
  }, 120_000);
  afterAll(() => e?.close());

  it("follow adds, edits, state changes, deletes and a user's deletion", async () => {
    const db = e.runtime.services.db;
    const [a, b] = users;
    const ids: string[] = [];
    for (const text of [
      "Anna likes green tea",
      "Anna runs on Sundays",
      "tea with Anna and Ben",
      "Ben likes tea",
    ]) {
      const r = await e.call("POST", "/v1/memories", { key: a?.key, body: { text } });
      expect(r.status).toBe(201);
      ids.push(r.body.id);
    }
    await e.call("POST", "/v1/memories", { key: b?.key, body: { text: "Ben likes coffee, not tea" } });
    expect(await db.query(KEPT)).toEqual(await db.query(RECOMPUTED));

    expect(
      (
        await e.call("PATCH", `/v1/memories/${ids[0]}`, {
          key: a?.key,
          body: { text: "Anna prefers black coffee" },
        })
      ).status,
    ).toBe(200);
    expect(
      (await e.call("PATCH", `/v1/memories/${ids[1]}`, { key: a?.key, body: { state: "paused" } })).status,
    ).toBe(200);
    expect(
      (await e.call("PATCH", `/v1/memories/${ids[2]}`, { key: a?.key, body: { metadata: { x: 1 } } })).status,
    ).toBe(200);
    expect((await e.call("DELETE", `/v1/memories/${ids[3]}`, { key: a?.key })).status).toBeLessThan(300);
    expect(await db.query(KEPT)).toEqual(await db.query(RECOMPUTED));

    expect((await e.call("DELETE", "/v1/users/kw-b", { key: ADMIN_KEY })).status).toBeLessThan(300);
    const left = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM memory_term_stats WHERE user_id = $1",
      [b?.pk],
    );
    expect(left[0]?.n).toBe(0);
    expect(await db.query(KEPT)).toEqual(await db.query(RECOMPUTED));
  });

  it("ranks as scoring every match does, rare and common words mixed", async () => {
    const db = e.runtime.services.db;
    const key = await makeUser(e, "kw-big");
    const [row] = await db.query<{ id: string }>("SELECT id FROM users WHERE external_id = 'kw-big'");
    const pk = row?.id ?? "";
    // 'note' is in every memory, 'alpha' in every 3rd, 'beta' every 7th, 'gamma' every 50th, 'delta' twice.
    const texts = Array.from({ length: 400 }, (_, i) =>
      [
        `note ${i}`,
        i % 3 === 0 ? "alpha" : "",
        i % 7 === 0 ? "beta beta" : "",
        i % 50 === 0 ? "gamma" : "",
        i === 17 || i === 333 ? "delta" : "",
        i % 11 === 0 ? "with a rather longer tail of extra words here" : "",
      ]
        .filter(Boolean)
        .join(" "),
    );
    for (const text of texts) {
      const r = await e.call("POST", "/v1/memories", { key, body: { text, infer: false } });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
    const queries = ["note", "note alpha", "alpha beta", "gamma note", "delta note alpha", "beta", "zeta"];
    // A first budget of 5 postings: the rare terms pick candidates and the others join only when they must.
    for (const [query, firstPostings] of queries.flatMap((q) => [[q, 5] as const, [q, 1_000] as const])) {
      const got = await db.withUser(pk, (tx) =>
        runSearch(tx, {
          userPk: pk,
          query,
          vector: null,
          dims: 512,
          model: "test-words-512",
          filters: undefined,
          limit: 10,
          mode: "keyword",
          config: { ...e.config.search, keywordRanker: "bm25" },
          firstPostings,
        }),
      );
      expect(
        got.map((c) => c.row.text),
        `${query} (first postings ${firstPostings})`,
      ).toEqual(await exhaustive(db, pk, query, 10));
    }
  }, 120_000);
});
