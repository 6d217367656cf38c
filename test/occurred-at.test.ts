/**
 * occurred_at (issue #13): when a fact happened or was said, kept apart from created_at. Given on add, batch add
 * (per item), the MCP add tools, the OpenMemory create route and PATCH; now by default (the add's own instant);
 * filtered by occurred_after / occurred_before on list and search; kept by export and import, and taken from
 * created_at for a file written before it existed. A bad value is a 400 naming the field, with nothing written.
 * Both backends.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMigrations, migrate } from "../src/db/migrate.js";
import { openDb } from "../src/db/open.js";
import { LocalMemoryPort } from "../src/mcp/local.js";
import { createMcpServer } from "../src/mcp/tools.js";
import { exportLines } from "../src/transfer/export.js";
import { ndjsonValues } from "../src/transfer/format.js";
import { importRecords } from "../src/transfer/import.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

/** Values the timestamp rule refuses, each for its own reason. */
const BAD_TIMES: unknown[] = [
  "yesterday",
  "2024-03-05",
  "2024-03-05T10:00:00", // no offset
  "2024-03-05 10:00:00Z",
  "2024-02-30T10:00:00Z",
  "0000-01-01T00:00:00Z", // PostgreSQL has no year 0
  "10000-01-01T00:00:00Z",
  "2024-03-05T10:00:00+15:00", // beyond ±14:00
  "0001-01-01T00:00:00+14:00", // year 0 in UTC: could not be exported and read back
  "9999-12-31T23:59:59-14:00", // year 10000 in UTC
  "2024-03-05T10:00:00\u0000Z",
  12345,
  null,
];

async function* from(lines: string[]): AsyncGenerator<string> {
  yield `${lines.join("\n")}\n`;
}

describe.each(backends)("occurred_at ($name)", (backend) => {
  let e: TestEngram;
  let key: string;

  beforeAll(async () => {
    e = await startEngram(backend, {}, { embedder: "words" });
    key = await makeUser(e, "chronicler");
  }, 120_000);
  afterAll(() => e?.close());

  const count = async (k: string): Promise<number> =>
    (await e.call("GET", "/v1/memories?limit=100&state=active", { key: k })).body.memories.length;

  it("defaults to the add's own instant, and keeps a given time apart from created_at", async () => {
    const plain = await e.call("POST", "/v1/memories", { key, body: { text: "Drinks green tea" } });
    expect(plain.status).toBe(201);
    expect(plain.body.occurred_at).toBe(plain.body.created_at);
    expect(Object.keys(plain.body)).toEqual([
      "id",
      "text",
      "metadata",
      "app",
      "session_id",
      "state",
      "occurred_at",
      "created_at",
      "updated_at",
    ]);

    const dated = await e.call("POST", "/v1/memories", {
      key,
      body: { text: "Moved to Berlin", occurred_at: "2024-03-05T10:30:00+02:00" },
    });
    expect(dated.status).toBe(201);
    expect(dated.body.occurred_at).toBe("2024-03-05T08:30:00.000Z");
    expect(Date.parse(dated.body.created_at)).toBeGreaterThan(Date.parse("2025-01-01T00:00:00Z"));
    const got = await e.call("GET", `/v1/memories/${dated.body.id}`, { key });
    expect(got.body.occurred_at).toBe("2024-03-05T08:30:00.000Z");

    // The widest times the rule allows are stored and read back as given.
    for (const [given, stored] of [
      ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000Z"],
      ["9999-12-31T23:59:59+14:00", "9999-12-31T09:59:59.000Z"],
      ["2020-06-01T12:00:00.123456Z", "2020-06-01T12:00:00.123Z"],
    ]) {
      const res = await e.call("POST", "/v1/memories", {
        key,
        body: { text: `edge time ${given}`, occurred_at: given },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.body.occurred_at).toBe(stored);
    }
  });

  it("is in the OpenAPI document: the memory, the add bodies, PATCH and the filters", async () => {
    const doc = (await e.call("GET", "/openapi.json")).body;
    const props = (name: string) => Object.keys(doc.components.schemas[name].properties);
    expect(doc.components.schemas.Memory.required).toContain("occurred_at");
    expect(props("AddMemory")).toContain("occurred_at");
    expect(props("UpdateMemory")).toContain("occurred_at");
    expect(props("BatchAddMemories")).toContain("items");
    expect(props("MemoryFilters")).toEqual(expect.arrayContaining(["occurred_after", "occurred_before"]));
    const list = doc.paths["/v1/memories"].get.parameters.map((p: { name: string }) => p.name);
    expect(list).toEqual(expect.arrayContaining(["occurred_after", "occurred_before"]));
  });

  it("refuses a bad occurred_at with 400 naming the field, and writes nothing", async () => {
    const k = await makeUser(e, uid("bad"));
    for (const value of BAD_TIMES) {
      const one = await e.call("POST", "/v1/memories", { key: k, body: { text: "x", occurred_at: value } });
      expect(one.status, `${JSON.stringify(value)}: ${JSON.stringify(one.body)}`).toBe(400);
      expect(one.body.error).toMatchObject({ code: "validation_error", field: "occurred_at" });
      const batch = await e.call("POST", "/v1/memories/batch", {
        key: k,
        body: { items: [{ text: "fine" }, { text: "y", occurred_at: value }] },
      });
      expect(batch.status, JSON.stringify(value)).toBe(400);
      expect(batch.body.error).toMatchObject({ code: "validation_error", field: "items.1.occurred_at" });
      const om = await e.call("POST", "/api/v1/memories/", {
        key: k,
        body: { text: "z", occurred_at: value },
      });
      expect(om.status, JSON.stringify(value)).toBe(400);
    }
    expect(await count(k)).toBe(0);
    const list = await e.call("GET", "/v1/memories?occurred_after=yesterday", { key: k });
    expect(list.status).toBe(400);
    expect(list.body.error.field).toBe("query.occurred_after");
    const search = await e.call("POST", "/v1/memories/search", {
      key: k,
      body: { query: "x", filters: { occurred_before: "2024-03-05T10:00:00+15:00" } },
    });
    expect(search.status).toBe(400);
    expect(search.body.error.field).toBe("filters.occurred_before");
  });

  it("batch add takes a time per item", async () => {
    const k = await makeUser(e, uid("batch"));
    const res = await e.call("POST", "/v1/memories/batch", {
      key: k,
      body: {
        items: [
          { text: "Started a new job", occurred_at: "2023-09-01T09:00:00Z" },
          { text: "Adopted a cat", occurred_at: "2021-05-10T00:00:00-05:00" },
          { text: "Likes jazz" },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const [a, b, c] = res.body.results.map(
      (r: { memory: { occurred_at: string; created_at: string } }) => r.memory,
    );
    expect(a.occurred_at).toBe("2023-09-01T09:00:00.000Z");
    expect(b.occurred_at).toBe("2021-05-10T05:00:00.000Z");
    expect(c.occurred_at).toBe(c.created_at);
  });

  it("filters list and search by occurred_after / occurred_before", async () => {
    const k = await makeUser(e, uid("filter"));
    const items = [
      { text: "trip to lisbon in spring", occurred_at: "2022-04-01T00:00:00Z" },
      { text: "trip to oslo in winter", occurred_at: "2023-01-15T00:00:00Z" },
      { text: "trip to rome in summer", occurred_at: "2024-07-20T00:00:00Z" },
    ];
    expect((await e.call("POST", "/v1/memories/batch", { key: k, body: { items } })).status).toBe(200);
    const texts = (ms: Array<{ text: string }>) => ms.map((m) => m.text).sort();

    const after = await e.call("GET", "/v1/memories?occurred_after=2023-01-01T00:00:00Z", { key: k });
    expect(after.status).toBe(200);
    expect(texts(after.body.memories)).toEqual(["trip to oslo in winter", "trip to rome in summer"]);
    const window = await e.call(
      "GET",
      `/v1/memories?occurred_after=${encodeURIComponent("2022-06-01T00:00:00+02:00")}&occurred_before=2024-01-01T00:00:00Z`,
      { key: k },
    );
    expect(texts(window.body.memories)).toEqual(["trip to oslo in winter"]);
    // created_at is today for all three: the two times are not the same filter.
    const created = await e.call("GET", "/v1/memories?created_before=2023-01-01T00:00:00Z", { key: k });
    expect(created.body.memories).toEqual([]);

    for (const mode of ["hybrid", "semantic", "keyword"]) {
      const found = await e.call("POST", "/v1/memories/search", {
        key: k,
        body: { query: "trip", mode, filters: { occurred_before: "2023-06-01T00:00:00Z" } },
      });
      expect(found.status, JSON.stringify(found.body)).toBe(200);
      expect(texts(found.body.results), mode).toEqual(["trip to lisbon in spring", "trip to oslo in winter"]);
      expect(found.body.results[0].occurred_at).toMatch(/^202[23]-/);
    }
  });

  it("PATCH corrects occurred_at alone, as a history event", async () => {
    const k = await makeUser(e, uid("patch"));
    const m = (await e.call("POST", "/v1/memories", { key: k, body: { text: "Ran a marathon" } })).body;
    const res = await e.call("PATCH", `/v1/memories/${m.id}`, {
      key: k,
      body: { occurred_at: "2019-10-13T08:00:00Z" },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ text: "Ran a marathon", occurred_at: "2019-10-13T08:00:00.000Z" });
    expect(res.body.created_at).toBe(m.created_at);
    const history = await e.call("GET", `/v1/memories/${m.id}/history`, { key: k });
    expect(history.body.events.map((h: { event: string }) => h.event)).toEqual(["add", "update"]);

    const bad = await e.call("PATCH", `/v1/memories/${m.id}`, {
      key: k,
      body: { occurred_at: "2019-13-01" },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("occurred_at");
    const text = await e.call("PATCH", `/v1/memories/${m.id}`, {
      key: k,
      body: { text: "Ran two marathons" },
    });
    expect(text.body.occurred_at).toBe("2019-10-13T08:00:00.000Z");
  });

  it("the MCP add tools and the OpenMemory create route take it", async () => {
    const userId = uid("mcp");
    const k = await makeUser(e, userId);
    const identity = e.runtime.services.identity;
    const actor = await identity.resolveActor(await identity.authenticate(k), undefined);
    const server = createMcpServer(new LocalMemoryPort(e.runtime.services, async () => actor), {
      version: "test",
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "occurred-at-test", version: "0" });
    await client.connect(clientSide);
    try {
      const one = await client.callTool({
        name: "add_memories",
        arguments: { text: "Visited Kyoto", occurred_at: "2018-04-02T00:00:00+09:00" },
      });
      expect(one.isError, JSON.stringify(one.content)).toBeFalsy();
      const added = one.structuredContent as { results: Array<{ memory: { occurred_at: string } }> };
      expect(added.results[0]?.memory.occurred_at).toBe("2018-04-01T15:00:00.000Z");

      const many = await client.callTool({
        name: "add_memories_batch",
        arguments: { texts: ["Saw cherry blossoms", "Ate ramen"], occurred_at: "2018-04-03T00:00:00Z" },
      });
      expect(many.isError).toBeFalsy();
      const batch = many.structuredContent as { results: Array<{ memory: { occurred_at: string } }> };
      expect(batch.results.map((r) => r.memory.occurred_at)).toEqual([
        "2018-04-03T00:00:00.000Z",
        "2018-04-03T00:00:00.000Z",
      ]);

      const bad = await client.callTool({
        name: "add_memories",
        arguments: { text: "x", occurred_at: "soon" },
      });
      expect(bad.isError).toBe(true);
      expect(JSON.stringify(bad.content)).toMatch(/occurred_at/);
    } finally {
      await client.close();
    }

    const om = await e.call("POST", "/api/v1/memories/", {
      key: k,
      body: { text: "Learned to sail", occurred_at: "2017-07-01T00:00:00Z" },
    });
    expect(om.status, JSON.stringify(om.body)).toBe(200);
    expect(om.body.occurred_at).toBe("2017-07-01T00:00:00.000Z");
    expect(await count(k)).toBe(4);
  });

  it("export keeps it, import restores it; a file without it takes created_at", async () => {
    const userId = uid("move");
    const k = await makeUser(e, userId);
    const items = [{ text: "Graduated", occurred_at: "2015-06-30T14:00:00Z" }, { text: "Plays chess" }];
    const added = (await e.call("POST", "/v1/memories/batch", { key: k, body: { items } })).body.results.map(
      (r: { memory: Record<string, string> }) => r.memory,
    );
    const lines: string[] = [];
    for await (const l of exportLines(e.runtime.services, { kind: "user", tenant: "default", userId })) {
      lines.push(l);
    }
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const exported = new Map(records.filter((r) => r.type === "memory").map((r) => [r.id, r]));
    expect(exported.get(added[0].id)?.occurred_at).toBe("2015-06-30T14:00:00.000000Z");
    // To the microsecond: the same instant as created_at.
    const plain = exported.get(added[1].id);
    expect(plain?.occurred_at).toBe(plain?.created_at);

    const restore = async (file: string[]) => {
      const del = await e.call("DELETE", `/v1/users/${userId}`, { key: ADMIN_KEY });
      expect(del.status).toBe(200);
      const summary = await importRecords(e.runtime.services, ndjsonValues(from(file)));
      expect(summary.imported.memory, JSON.stringify(summary)).toBe(2);
      const key2 = (await e.call("POST", `/v1/users/${userId}/keys`, { key: ADMIN_KEY, body: {} })).body
        .api_key;
      const listed = await e.call("GET", "/v1/memories?limit=10", { key: key2 });
      return new Map<string, Record<string, string>>(
        listed.body.memories.map((m: Record<string, string>) => [m.id, m]),
      );
    };

    const back = await restore(lines);
    for (const m of added) {
      expect(back.get(m.id)).toMatchObject({ occurred_at: m.occurred_at, created_at: m.created_at });
    }

    // A file written before occurred_at existed.
    const old = records.map((r) => {
      if (r.type !== "memory") return JSON.stringify(r);
      const { occurred_at: _dropped, ...rest } = r;
      return JSON.stringify(rest);
    });
    const again = await restore(old);
    for (const m of added) {
      const got = again.get(m.id);
      expect(got?.occurred_at).toBe(m.created_at);
    }

    // A file with a bad occurred_at: that line is refused, the field named.
    const bad = records.map((r) =>
      JSON.stringify(r.type === "memory" ? { ...r, occurred_at: "0000-01-01T00:00:00Z" } : r),
    );
    const del = await e.call("DELETE", `/v1/users/${userId}`, { key: ADMIN_KEY });
    expect(del.status).toBe(200);
    const summary = await importRecords(e.runtime.services, ndjsonValues(from(bad)));
    expect(summary.imported.memory).toBe(0);
    expect(JSON.stringify(summary.errors)).toMatch(/occurred_at/);
  });
});

describe.each(backends)("migration 011 ($name)", (backend) => {
  it("backfills occurred_at from created_at, leaves the keyword statistics alone, indexes it", async () => {
    const store = await backend.create({ empty: true });
    const { db } = await openDb(store.database, { efSearch: 40, migrate: false });
    try {
      await migrate(
        db,
        loadMigrations().filter((m) => m.version < 11),
      );
      await db.query("INSERT INTO users (id, tenant_id, external_id) VALUES ('usr_old', 'default', 'old')");
      await db.query(
        `INSERT INTO memories (id, tenant_id, user_id, text, embedding, embedding_model, created_at)
         SELECT 'mem_' || lpad(i::text, 26, '0'), 'default', 'usr_old', 'old fact number ' || i, '[1,0,0]', 'm',
           '2020-01-01T00:00:00Z'::timestamptz + (i || ' days')::interval
         FROM generate_series(1, 5) AS i`,
      );
      const stats = () => db.query("SELECT docs, total_len FROM memory_user_stats ORDER BY user_id");
      const before = await stats();
      expect(await migrate(db)).toContain("011_occurred_at");
      const rows = await db.query<{ same: number; n: number }>(
        "SELECT count(*) FILTER (WHERE occurred_at = created_at)::int AS same, count(*)::int AS n FROM memories",
      );
      expect(rows[0]).toEqual({ same: 5, n: 5 });
      expect(await stats()).toEqual(before);
      const column = await db.query<{ is_nullable: string; column_default: string }>(
        `SELECT is_nullable, column_default FROM information_schema.columns
         WHERE table_name = 'memories' AND column_name = 'occurred_at'`,
      );
      expect(column[0]).toEqual({ is_nullable: "NO", column_default: "now()" });
      const index = await db.query("SELECT 1 FROM pg_indexes WHERE indexname = 'memories_user_occurred_idx'");
      expect(index).toHaveLength(1);
    } finally {
      await db.close();
      await store.drop();
    }
  }, 120_000);
});
