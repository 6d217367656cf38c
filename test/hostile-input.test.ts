/**
 * Hostile input (issue #9, items 4-5): NUL in text, queries, ids and metadata, impossible timestamps, metadata nested
 * thousands deep, non-JSON bodies and a JSON `null` are each a 4xx with a stable code naming the field, on every route
 * that takes them, with nothing written; the database's own refusals never become a 500 that quotes the value; and
 * the offline chat responder reads a 16,000-character adversarial message in linear time.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { interpret, normaliseFact } from "../src/chat/responder.js";
import { DbError } from "../src/db/db.js";
import { asAppError } from "../src/errors.js";
import { createMcpServer, type MemoryPort } from "../src/mcp/tools.js";
import { findJsonProblem } from "../src/validation.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

const NUL = "nul\u0000here";
const NUL_PATH = encodeURIComponent(NUL);
/** Metadata nested 4,200 levels deep, as raw JSON (JSON.stringify of the object itself would overflow the stack). */
const DEEP = `${'{"d":'.repeat(4200)}1${"}".repeat(4200)}`;
const JSON_TYPE = { "content-type": "application/json" };
const XML = { raw: "<memory><text>hi</text></memory>", headers: { "content-type": "application/xml" } };
const MULTIPART = {
  raw: '--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nhi\r\n--b--\r\n',
  headers: { "content-type": "multipart/form-data; boundary=b" },
};

interface Ids {
  memory: string;
  session: string;
}

interface Case {
  name: string;
  method: string;
  path: string | ((ids: Ids) => string);
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  field: string;
}

const nulCase = (name: string, method: string, path: Case["path"], body: unknown, field: string): Case => ({
  name: `NUL in ${name}`,
  method,
  path,
  body,
  status: 400,
  code: "validation_error",
  field,
});

const typeCase = (name: string, method: string, path: Case["path"], as: typeof XML): Case => ({
  name: `${as === XML ? "application/xml" : "multipart/form-data"} to ${name}`,
  method,
  path,
  ...as,
  status: 415,
  code: "unsupported_media_type",
  field: "body",
});

const memoryPath = (ids: Ids) => `/v1/memories/${ids.memory}`;
const messagesPath = (ids: Ids) => `/v1/sessions/${ids.session}/messages`;

const CASES: Case[] = [
  // NUL in text, queries, ids, app names and metadata keys and values, on every route that takes them.
  nulCase("memory text", "POST", "/v1/memories", { text: NUL }, "text"),
  nulCase("a metadata value", "POST", "/v1/memories", { text: "ok", metadata: { k: NUL } }, "metadata.k"),
  nulCase(
    "a nested metadata value",
    "POST",
    "/v1/memories",
    { text: "ok", metadata: { a: { b: ["x", NUL] } } },
    "metadata.a.b.1",
  ),
  nulCase("a metadata key", "POST", "/v1/memories", { text: "ok", metadata: { [NUL]: 1 } }, "metadata"),
  nulCase("the app name", "POST", "/v1/memories", { text: "ok", app: NUL }, "app"),
  nulCase("the session id", "POST", "/v1/memories", { text: "ok", session_id: NUL }, "session_id"),
  nulCase(
    "a message to extract from",
    "POST",
    "/v1/memories",
    { messages: [{ role: "user", content: NUL }], infer: true },
    "messages.0.content",
  ),
  nulCase("a memory id", "GET", `/v1/memories/${NUL_PATH}`, undefined, "param.id"),
  nulCase("a memory id (history)", "GET", `/v1/memories/${NUL_PATH}/history`, undefined, "param.id"),
  nulCase("a memory id (delete)", "DELETE", `/v1/memories/${NUL_PATH}`, undefined, "param.id"),
  nulCase("an updated text", "PATCH", memoryPath, { text: NUL }, "text"),
  nulCase("updated metadata", "PATCH", memoryPath, { metadata: { k: NUL } }, "metadata.k"),
  nulCase(
    "the list's session id",
    "GET",
    `/v1/memories?session_id=${NUL_PATH}`,
    undefined,
    "query.session_id",
  ),
  nulCase("the list's cursor", "GET", `/v1/memories?cursor=${NUL_PATH}`, undefined, "query.cursor"),
  nulCase("the list's app", "GET", `/v1/memories?app=${NUL_PATH}`, undefined, "query.app"),
  nulCase("the search query", "POST", "/v1/memories/search", { query: NUL }, "query"),
  nulCase(
    "the metadata filter",
    "POST",
    "/v1/memories/search",
    { query: "q", filters: { metadata: { k: NUL } } },
    "filters.metadata.k",
  ),
  nulCase(
    "the session filter",
    "POST",
    "/v1/memories/search",
    { query: "q", filters: { session_id: NUL } },
    "filters.session_id",
  ),
  nulCase(
    "the app filter",
    "POST",
    "/v1/memories/search",
    { query: "q", filters: { app: NUL } },
    "filters.app",
  ),
  nulCase("session metadata", "POST", "/v1/sessions", { metadata: { k: NUL } }, "metadata.k"),
  nulCase("a session id", "GET", `/v1/sessions/${NUL_PATH}`, undefined, "param.id"),
  nulCase("the sessions cursor", "GET", `/v1/sessions?cursor=${NUL_PATH}`, undefined, "query.cursor"),
  nulCase("a session message", "POST", messagesPath, { role: "user", content: NUL }, "content"),
  nulCase(
    "a message's session id",
    "POST",
    `/v1/sessions/${NUL_PATH}/messages`,
    { role: "user", content: "hi" },
    "param.id",
  ),
  nulCase("a chat message", "POST", "/v1/chat", { message: NUL }, "message"),
  nulCase("the chat's session id", "POST", "/v1/chat", { message: "hi", session_id: NUL }, "session_id"),
  nulCase("a new app's name", "POST", "/v1/apps", { name: NUL }, "name"),
  nulCase("a new app's description", "POST", "/v1/apps", { name: "fresh", description: NUL }, "description"),
  nulCase("an app name in the path", "PATCH", `/v1/apps/${NUL_PATH}`, { is_active: false }, "param.id"),
  nulCase("an app's description", "PATCH", "/v1/apps/default", { description: NUL }, "description"),
  nulCase("OpenMemory's text", "POST", "/api/v1/memories/", { text: NUL }, "text"),
  nulCase(
    "OpenMemory's metadata",
    "POST",
    "/api/v1/memories",
    { text: "ok", metadata: { k: NUL } },
    "metadata.k",
  ),
  nulCase("OpenMemory's list app", "GET", `/api/v1/memories/?app=${NUL_PATH}`, undefined, "query.app"),
  nulCase("OpenMemory's search body", "POST", "/api/v1/memories/search", { query: NUL }, "query"),
  nulCase(
    "OpenMemory's search URL",
    "POST",
    `/api/v1/memories/search?query=${NUL_PATH}`,
    undefined,
    "query.query",
  ),
  nulCase("OpenMemory's memory id", "GET", `/api/v1/memories/${NUL_PATH}`, undefined, "param.id"),
  nulCase("OpenMemory's delete id", "DELETE", `/api/v1/memories/${NUL_PATH}`, undefined, "param.id"),

  // Date filters PostgreSQL cannot hold: year 0000, an offset past ±14:00 (PostgreSQL's limit is ±15:59).
  ...(
    [
      ["year 0000", "created_after", "0000-01-01T00:00:00Z"],
      ["a +23:59 offset", "created_after", "2024-01-01T00:00:00+23:59"],
      ["a -15:00 offset", "created_before", "2024-01-01T00:00:00-15:00"],
      ["a +14:01 offset", "created_before", "2024-01-01T00:00:00+14:01"],
      ["month 13", "created_before", "2024-13-01T00:00:00Z"],
      ["February 30", "created_after", "2024-02-30T00:00:00Z"],
    ] as const
  ).map(
    ([what, filter, value]): Case => ({
      name: `${filter} of ${what}`,
      method: "POST",
      path: "/v1/memories/search",
      body: { query: "q", filters: { [filter]: value } },
      status: 400,
      code: "validation_error",
      field: `filters.${filter}`,
    }),
  ),

  // Metadata nested 4,200 levels deep: refused at the metadata, not by a RangeError in JSON.stringify.
  ...(
    [
      ["POST", "/v1/memories", `{"text":"ok","metadata":${DEEP}}`, "metadata"],
      ["PATCH", memoryPath, `{"metadata":${DEEP}}`, "metadata"],
      ["POST", "/v1/memories/search", `{"query":"q","filters":{"metadata":${DEEP}}}`, "filters.metadata"],
      ["POST", "/v1/sessions", `{"metadata":${DEEP}}`, "metadata"],
      ["POST", "/api/v1/memories/", `{"text":"ok","metadata":${DEEP}}`, "metadata"],
    ] as const
  ).map(
    ([method, path, raw, field]): Case => ({
      name: `metadata nested 4,200 deep on ${method} ${typeof path === "string" ? path : "/v1/memories/{id}"}`,
      method,
      path,
      raw,
      headers: JSON_TYPE,
      status: 400,
      code: "validation_error",
      field,
    }),
  ),

  // Bodies that are not JSON on JSON routes: Hono's 415, kept a 415.
  typeCase("POST /v1/memories", "POST", "/v1/memories", XML),
  typeCase("POST /v1/memories", "POST", "/v1/memories", MULTIPART),
  typeCase("PATCH /v1/memories/{id}", "PATCH", memoryPath, XML),
  typeCase("POST /v1/memories/search", "POST", "/v1/memories/search", XML),
  typeCase("POST /v1/memories/search", "POST", "/v1/memories/search", MULTIPART),
  typeCase("POST /v1/sessions", "POST", "/v1/sessions", XML),
  typeCase("POST /v1/sessions/{id}/messages", "POST", messagesPath, MULTIPART),
  typeCase("POST /v1/chat", "POST", "/v1/chat", XML),
  typeCase("POST /v1/chat", "POST", "/v1/chat", MULTIPART),
  typeCase("POST /v1/apps", "POST", "/v1/apps", XML),
  typeCase("POST /api/v1/memories/", "POST", "/api/v1/memories/", MULTIPART),
  typeCase("POST /api/v1/memories/search", "POST", "/api/v1/memories/search", XML),

  // OpenMemory's search reads its body itself: JSON that is not an object is refused, not a TypeError.
  ...["null", "[]", '"query"', "42"].map(
    (raw): Case => ({
      name: `OpenMemory search with a JSON body of ${raw}`,
      method: "POST",
      path: "/api/v1/memories/search",
      raw,
      headers: JSON_TYPE,
      status: 400,
      code: "validation_error",
      field: "body",
    }),
  ),
];

describe.each(backends)("hostile input ($name)", (backend) => {
  let e: TestEngram;
  let key: string;
  const ids: Ids = { memory: "", session: "" };
  beforeAll(async () => {
    // Status codes and validation only: the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(backend, {}, { embedder: "words" });
    key = await makeUser(e, uid());
    const memory = await e.call("POST", "/v1/memories", {
      key,
      body: { text: "I like tea", metadata: { a: 1 } },
    });
    const session = await e.call("POST", "/v1/sessions", { key, body: {} });
    const message = await e.call("POST", `/v1/sessions/${session.body.id}/messages`, {
      key,
      body: { role: "user", content: "hello" },
    });
    expect([memory.status, session.status, message.status]).toEqual([201, 201, 201]);
    ids.memory = memory.body.id;
    ids.session = session.body.id;
  });
  afterAll(async () => {
    await e?.close();
  });

  /** Everything a hostile request could have written: memories, the memory's history, sessions, messages, apps. */
  async function snapshot(): Promise<unknown> {
    const reads = [
      "/v1/memories?limit=100",
      `/v1/memories/${ids.memory}/history`,
      "/v1/sessions?limit=100",
      `/v1/sessions/${ids.session}`,
      "/v1/apps",
      "/api/v1/memories/?size=100",
    ];
    const out: unknown[] = [];
    for (const path of reads) {
      const res = await e.call("GET", path, { key });
      expect(res.status, path).toBe(200);
      out.push(res.body);
    }
    return out;
  }

  for (const c of CASES) {
    it(`${c.name} -> ${c.status} ${c.code} (${c.field})`, async () => {
      const before = await snapshot();
      const path = typeof c.path === "function" ? c.path(ids) : c.path;
      const res = await e.call(c.method, path, {
        key,
        ...(c.raw !== undefined ? { raw: c.raw, headers: c.headers } : { body: c.body }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.field).toBe(c.field);
      expect(res.body.error.request_id).toMatch(/^req_/);
      expect(await snapshot()).toEqual(before);
    });
  }

  it("dates at the edges of the range are accepted", async () => {
    const res = await e.call("POST", "/v1/memories/search", {
      key,
      body: {
        query: "tea",
        filters: {
          created_after: "0001-01-01T00:00:00+14:00",
          created_before: "9999-12-31T23:59:59.999-14:00",
        },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.results.map((r: { id: string }) => r.id)).toContain(ids.memory);
  });

  it("metadata 32 levels deep is accepted, 33 is not", async () => {
    const nest = (levels: number): unknown => {
      let v: unknown = "leaf";
      for (let i = 0; i < levels; i++) v = { d: v };
      return v;
    };
    const ok = await e.call("POST", "/v1/memories", { key, body: { text: uid("deep"), metadata: nest(32) } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const tooDeep = await e.call("POST", "/v1/memories", {
      key,
      body: { text: uid("deep"), metadata: nest(33) },
    });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.field).toBe("metadata");
  });

  it("NUL in an admin route's text (a user's name) is refused and no user is made", async () => {
    const userId = uid();
    const res = await e.call("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: userId, name: NUL } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe("validation_error");
    expect(res.body.error.field).toBe("name");
    expect((await e.call("GET", `/v1/users/${userId}`, { key: ADMIN_KEY })).status).toBe(404);
  });

  it("the database's refusal of a value is a validation error that does not repeat the value", async () => {
    const { db } = e.runtime.services;
    const refused: Array<[sql: string, param: string, state: string]> = [
      ["SELECT $1::text AS v", "secret\u0000value", "22021"],
      ["SELECT $1::jsonb AS v", JSON.stringify({ k: "secret\u0000value" }), "22P05"],
      ["SELECT $1::timestamptz AS v", "secret-value", "22007"],
      ["SELECT $1::timestamptz AS v", "0000-01-01T00:00:00Z", "22008"],
      ["SELECT $1::timestamptz AS v", "2024-01-01T00:00:00+23:59", "22009"],
    ];
    for (const [sql, param, state] of refused) {
      const thrown = await db.query(sql, [param]).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(thrown, `${sql} ${JSON.stringify(param)}`).toBeInstanceOf(DbError);
      expect((thrown as DbError).code).toBe(state);
      const err = asAppError(thrown);
      expect(err.code).toBe("validation_error");
      expect(err.status).toBe(400);
      expect(err.message).not.toMatch(/secret|0000|23:59/);
    }
  });
});

describe("the error classification", () => {
  it("maps every invalid-value SQLSTATE to a 400 and anything else to a 500 that says nothing", () => {
    for (const code of ["22P02", "22021", "22P05", "22007", "22008", "22009", "54001"]) {
      const err = asAppError(new DbError({ message: `refused "secret value"`, code }, "SELECT 1"));
      expect([code, err.code, err.status]).toEqual([code, "validation_error", 400]);
      expect(err.message).not.toContain("secret");
    }
    const other = asAppError(
      new DbError({ message: `relation "secret" does not exist`, code: "42P01" }, "SELECT"),
    );
    expect([other.code, other.message]).toEqual(["internal_error", "internal error"]);
  });
});

describe("MCP tools refuse NUL before the port is called", () => {
  let client: Client;
  const calls: string[] = [];
  beforeAll(async () => {
    const record = (name: string) => async (): Promise<never> => {
      calls.push(name);
      throw new Error(`the port's ${name} must not be called`);
    };
    const port: MemoryPort = {
      add: record("add"),
      addBatch: record("addBatch"),
      search: record("search"),
      list: record("list"),
      update: record("update"),
      remove: record("remove"),
      removeAll: record("removeAll"),
      sessionHistory: record("sessionHistory"),
    };
    const server = createMcpServer(port, { version: "test" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    client = new Client({ name: "hostile-input-test", version: "0" });
    await client.connect(clientSide);
  });
  afterAll(async () => {
    await client?.close();
  });

  it.each([
    ["add_memories", { text: NUL }],
    ["search_memory", { query: NUL }],
    ["list_memories", { cursor: NUL }],
    ["update_memory", { memory_id: "mem_01jh8x0000abcdefghjkmnpqrs", text: NUL }],
    ["update_memory", { memory_id: NUL, text: "ok" }],
    ["delete_memories", { memory_ids: [NUL] }],
    ["get_session_history", { session_id: NUL }],
  ] as const)("%s %j", async (name, args) => {
    // The SDK answers an input that fails the tool's schema as a tool error (older versions threw instead).
    const text = await client.callTool({ name, arguments: args }).then(
      (res) => {
        expect(res.isError).toBe(true);
        return JSON.stringify(res.content);
      },
      (err: unknown) => String(err),
    );
    expect(text).toContain("NUL");
    expect(calls).toEqual([]);
  });
});

describe("offline responder: adversarial messages take linear time", () => {
  /** The best of three runs of `fn` alone, in ms: a stray GC pause is not the regex. */
  function timeOf(fn: () => void): number {
    let best = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      fn();
      best = Math.min(best, performance.now() - t0);
    }
    return best;
  }

  // The worst cases of the old regexes (each took 300-500 ms at this length, quadratic in it):
  // - SELF_STATEMENT `my\s+\S.*\s+(?:is|…)`: `.*` then `\s+` over one long run of spaces with no verb after it;
  // - normaliseFact `[.!\s]+$`: a long run of `.`, `!` and spaces that is not at the end, retried from each start.
  const worst: Array<[name: string, message: string, intent: ReturnType<typeof interpret>]> = [
    ["my + 15,995 spaces + x", `my a${" ".repeat(15_995)}x`, { kind: "other" }],
    ["my + spaces over two lines", `my a${" ".repeat(7_995)}\n${" ".repeat(7_999)}x`, { kind: "other" }],
    [
      "I like + '. ' x 7,995",
      `I like x${". ".repeat(7_995)}xy`,
      { kind: "remember", fact: `I like x${". ".repeat(7_995)}xy` },
    ],
    [
      "remember + '!' x 15,990",
      `remember ${"!".repeat(15_990)}x`,
      { kind: "remember", fact: `${"!".repeat(15_990)}x` },
    ],
  ];

  it.each(worst)("%s", (_name, message, intent) => {
    expect(message).toHaveLength(16_000);
    // One short call first, so that compiling the regexes is not counted.
    interpret("my name is Ada");
    let result: ReturnType<typeof interpret> | undefined;
    const ms = timeOf(() => {
      result = interpret(message);
    });
    expect(result).toEqual(intent);
    expect(ms, `interpret took ${ms.toFixed(1)} ms`).toBeLessThan(50);
  });

  it("normaliseFact on a 16,000-character run of '. ' and '!'", () => {
    const text = `${". !".repeat(5_333)}x`;
    expect(text).toHaveLength(16_000);
    const ms = timeOf(() => normaliseFact(text));
    expect(normaliseFact(text)).toBe(text);
    expect(normaliseFact(`${text}. ! `)).toBe(text);
    expect(ms, `normaliseFact took ${ms.toFixed(1)} ms`).toBeLessThan(50);
  });

  it("keeps the old answers on ordinary statements", () => {
    expect(interpret("My favourite colour is\ngreen")).toEqual({
      kind: "remember",
      fact: "My favourite colour is green",
    });
    expect(interpret("my sister\nlives in Lisbon and is a doctor")).toEqual({ kind: "other" });
    expect(interpret("my island home")).toEqual({ kind: "other" });
    expect(interpret("My car was red!!!  ")).toEqual({ kind: "remember", fact: "My car was red" });
  });
});

describe("JSON nested very deep (the import's line check)", () => {
  // Found by the route fuzzer: checking a body nested 100,000 levels copied the path at every level and held the
  // event loop for minutes. Now it walks it once (vitest's 5 s timeout would stop a quadratic walk).
  it("finds a NUL at the bottom of 100,000 levels, with its whole path, and stops at a depth limit", () => {
    let value: unknown = "x\u0000";
    for (let i = 0; i < 100_000; i++) value = { d: value };
    const problem = findJsonProblem(value);
    expect(problem?.message).toMatch(/NUL/);
    expect(problem?.path).toHaveLength(100_000);
    expect(findJsonProblem(value, 36)?.message).toBe("must nest at most 36 levels deep");
  });
});
