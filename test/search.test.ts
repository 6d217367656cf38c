/** Search: modes, explain, filters pushed into SQL (on both backends), and bad search input. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("search ($name)", (backend) => {
  let e: TestEngram;
  let key: string;
  let otherKey: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    e = await startEngram(backend);
    key = await makeUser(e, uid());
    otherKey = await makeUser(e, uid());
    const seed: Array<[string, Record<string, unknown>, string?, string?]> = [
      ["My flight LH-4711 to Tokyo leaves on 2026-03-05", { topic: "travel", kind: "flight" }, "calendar"],
      ["I prefer aisle seats on long flights", { topic: "travel" }, "default", "sess_trip"],
      ["My dentist is Dr. Okonkwo on Baker Street", { topic: "health" }],
      ["I stopped eating meat in 2019", { topic: "food", diet: { type: "vegetarian" } }],
      ["Lunch on Fridays is usually sushi", { topic: "food" }, "default", "sess_trip"],
    ];
    for (const [text, metadata, app, session_id] of seed) {
      const res = await e.call("POST", "/v1/memories", {
        key,
        body: { text, metadata, ...(app ? { app } : {}), ...(session_id ? { session_id } : {}) },
      });
      expect(res.status).toBe(201);
      ids[text] = res.body.id;
    }
    await e.call("POST", "/v1/memories", {
      key: otherKey,
      body: { text: "My flight LH-4711 is cancelled", metadata: { topic: "travel" } },
    });
  });
  afterAll(async () => {
    await e?.close();
  });

  const search = (body: Record<string, unknown>, k = key) =>
    e.call("POST", "/v1/memories/search", { key: k, body });
  const texts = (res: { body: any }) => res.body.results.map((r: any) => r.text);

  it("keyword mode finds a flight number and date tokens exactly; semantic mode finds meaning", async () => {
    const kw = await search({ query: "4711", mode: "keyword" });
    expect(kw.status).toBe(200);
    expect(texts(kw)).toEqual(["My flight LH-4711 to Tokyo leaves on 2026-03-05"]);
    const date = await search({ query: "what happens on 2026-03-05?", mode: "keyword" });
    expect(texts(date)[0]).toBe("My flight LH-4711 to Tokyo leaves on 2026-03-05");
    const stemmed = await search({ query: "flights", mode: "keyword" });
    expect(texts(stemmed)).toEqual(expect.arrayContaining(["I prefer aisle seats on long flights"]));
    const sem = await search({ query: "which tooth doctor do I see?", mode: "semantic", limit: 1 });
    expect(texts(sem)).toEqual(["My dentist is Dr. Okonkwo on Baker Street"]);
    const stop = await search({ query: "the of and", mode: "keyword" });
    expect(stop.body.results).toEqual([]);
  });

  it("hybrid (the default) ranks by both and explains each signal", async () => {
    const res = await search({ query: "Okonkwo", explain: true });
    expect(res.body.results[0].text).toBe("My dentist is Dr. Okonkwo on Baker Street");
    const top = res.body.results[0];
    expect(top.explain.fusion).toBe("linear");
    expect(top.explain.keyword).toMatchObject({ rank: 1 });
    expect(top.explain.semantic.rank).toBeGreaterThanOrEqual(1);
    for (const r of res.body.results) {
      expect(r.score).toBeGreaterThanOrEqual(0);
      expect(r.score).toBeLessThanOrEqual(1);
    }
    const plain = await search({ query: "Okonkwo" });
    expect(plain.body.results[0].explain).toBeUndefined();
  });

  it("threshold means the same 0..1 scale in every mode", async () => {
    for (const mode of ["hybrid", "semantic", "keyword"]) {
      const all = await search({ query: "flight to Tokyo", mode });
      const cut = all.body.results[0].score;
      const strict = await search({ query: "flight to Tokyo", mode, threshold: cut });
      expect(strict.body.results.length).toBeGreaterThanOrEqual(1);
      for (const r of strict.body.results) expect(r.score).toBeGreaterThanOrEqual(cut);
      expect(
        (await search({ query: "flight to Tokyo", mode, threshold: 1 })).body.results.length,
      ).toBeLessThanOrEqual(1);
    }
  });

  it("filters narrow in SQL: metadata containment, app, session, created before/after", async () => {
    const travel = await search({
      query: "anything",
      limit: 100,
      filters: { metadata: { topic: "travel" } },
    });
    expect(texts(travel).sort()).toEqual([
      "I prefer aisle seats on long flights",
      "My flight LH-4711 to Tokyo leaves on 2026-03-05",
    ]);
    const nested = await search({ query: "food", filters: { metadata: { diet: { type: "vegetarian" } } } });
    expect(texts(nested)).toEqual(["I stopped eating meat in 2019"]);
    const app = await search({ query: "flight", filters: { app: "calendar" } });
    expect(texts(app)).toEqual(["My flight LH-4711 to Tokyo leaves on 2026-03-05"]);
    const session = await search({ query: "food", limit: 100, filters: { session_id: "sess_trip" } });
    expect(texts(session).sort()).toEqual([
      "I prefer aisle seats on long flights",
      "Lunch on Fridays is usually sushi",
    ]);
    const future = await search({
      query: "flight",
      filters: { created_after: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(future.body.results).toEqual([]);
    const past = await search({
      query: "flight",
      filters: { created_before: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(past.body.results.length).toBeGreaterThan(0);
    // A filter narrows before the limit: the one matching memory is found even with limit 1.
    const one = await search({ query: "sushi lunch", limit: 1, filters: { metadata: { topic: "health" } } });
    expect(texts(one)).toEqual(["My dentist is Dr. Okonkwo on Baker Street"]);
  });

  it("filters apply to the list too", async () => {
    const res = await e.call("GET", "/v1/memories?app=calendar", { key });
    expect(res.body.memories.map((m: any) => m.text)).toEqual([
      "My flight LH-4711 to Tokyo leaves on 2026-03-05",
    ]);
  });

  it("a filter matching another user's data returns nothing, in every mode", async () => {
    for (const mode of ["hybrid", "semantic", "keyword"]) {
      const res = await search({ query: "LH-4711 cancelled", mode, limit: 100 }, otherKey);
      expect(texts(res)).toEqual(["My flight LH-4711 is cancelled"]);
      const filtered = await search({ query: "flight", mode, filters: { app: "calendar" } }, otherKey);
      expect(filtered.body.results).toEqual([]);
      const meta = await search(
        { query: "food", mode, filters: { metadata: { diet: { type: "vegetarian" } } } },
        otherKey,
      );
      expect(meta.body.results).toEqual([]);
    }
  });

  const bad: Array<[string, Record<string, unknown>, string]> = [
    ["unknown mode", { query: "q", mode: "fuzzy" }, "mode"],
    ["threshold below 0", { query: "q", threshold: -0.1 }, "threshold"],
    ["threshold above 1", { query: "q", threshold: 1.5 }, "threshold"],
    ["filters not an object", { query: "q", filters: "travel" }, "filters"],
    ["metadata filter not an object", { query: "q", filters: { metadata: ["travel"] } }, "filters.metadata"],
    ["state filter unknown", { query: "q", filters: { state: "gone" } }, "filters.state"],
    [
      "created_after not a date",
      { query: "q", filters: { created_after: "yesterday" } },
      "filters.created_after",
    ],
    ["explain not a boolean", { query: "q", explain: "yes" }, "explain"],
    ["unknown field", { query: "q", mdoe: "keyword" }, "body"],
  ];
  for (const [name, body, field] of bad) {
    it(`bad search input: ${name} -> 400 naming ${field}`, async () => {
      const res = await search(body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe("validation_error");
      expect(res.body.error.field).toBe(field);
    });
  }
});
