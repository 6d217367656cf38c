/** Bad input: each a 4xx with a stable code naming the field, never a 500, and nothing half-written after it. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

describe.each(backends)("bad input ($name)", (backend) => {
  let e: TestEngram;
  let key: string;
  beforeAll(async () => {
    // Status codes and validation only: the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(
      backend,
      { ENGRAM_MAX_TEXT_LENGTH: "500", ENGRAM_BODY_LIMIT: "20000" },
      { embedder: "words" },
    );
    key = await makeUser(e, uid());
  });
  afterAll(async () => {
    await e?.close();
  });

  async function count(): Promise<number> {
    return (await e.call("GET", "/v1/memories?limit=100", { key })).body.memories.length;
  }

  const cases: Array<{
    name: string;
    method?: string;
    path?: string;
    body?: unknown;
    raw?: string;
    status: number;
    code: string;
    field?: string;
  }> = [
    { name: "missing text", body: {}, status: 400, code: "validation_error", field: "text" },
    { name: "empty text", body: { text: "" }, status: 400, code: "validation_error", field: "text" },
    { name: "blank text", body: { text: "   " }, status: 400, code: "validation_error", field: "text" },
    {
      name: "text of the wrong type",
      body: { text: 42 },
      status: 400,
      code: "validation_error",
      field: "text",
    },
    {
      name: "text over the size limit",
      body: { text: "x".repeat(501) },
      status: 400,
      code: "validation_error",
      field: "text",
    },
    {
      name: "metadata not an object",
      body: { text: "ok", metadata: "tag" },
      status: 400,
      code: "validation_error",
      field: "metadata",
    },
    {
      name: "metadata an array",
      body: { text: "ok", metadata: [1] },
      status: 400,
      code: "validation_error",
      field: "metadata",
    },
    {
      name: "bad app name",
      body: { text: "ok", app: "no spaces allowed" },
      status: 400,
      code: "validation_error",
      field: "app",
    },
    {
      name: "malformed JSON",
      raw: '{"text": "unterminated',
      status: 400,
      code: "invalid_json",
      field: "body",
    },
    { name: "JSON that is not an object", raw: '"just a string"', status: 400, code: "validation_error" },
    {
      name: "oversized body",
      raw: JSON.stringify({ text: "y".repeat(30_000) }),
      status: 413,
      code: "payload_too_large",
    },
    {
      name: "limit 0",
      path: "/v1/memories/search",
      body: { query: "q", limit: 0 },
      status: 400,
      code: "validation_error",
      field: "limit",
    },
    {
      name: "limit 1000",
      path: "/v1/memories/search",
      body: { query: "q", limit: 1000 },
      status: 400,
      code: "validation_error",
      field: "limit",
    },
    {
      name: "limit as a string",
      path: "/v1/memories/search",
      body: { query: "q", limit: "ten" },
      status: 400,
      code: "validation_error",
      field: "limit",
    },
    {
      name: "missing query",
      path: "/v1/memories/search",
      body: {},
      status: 400,
      code: "validation_error",
      field: "query",
    },
    {
      name: "threshold above 1",
      path: "/v1/memories/search",
      body: { query: "q", threshold: 2 },
      status: 400,
      code: "validation_error",
      field: "threshold",
    },
    {
      name: "unknown filter",
      path: "/v1/memories/search",
      body: { query: "q", filters: { colour: "red" } },
      status: 400,
      code: "validation_error",
      field: "filters",
    },
    {
      name: "list limit 0",
      method: "GET",
      path: "/v1/memories?limit=0",
      status: 400,
      code: "validation_error",
      field: "query.limit",
    },
    {
      name: "list bad cursor",
      method: "GET",
      path: "/v1/memories?cursor=zzz",
      status: 400,
      code: "validation_error",
      field: "cursor",
    },
    {
      name: "list bad state",
      method: "GET",
      path: "/v1/memories?state=gone",
      status: 400,
      code: "validation_error",
      field: "query.state",
    },
  ];

  for (const c of cases) {
    it(`${c.name} -> ${c.status} ${c.code}`, async () => {
      const before = await count();
      const res = await e.call(c.method ?? "POST", c.path ?? "/v1/memories", {
        key,
        ...(c.raw !== undefined
          ? { raw: c.raw, headers: { "content-type": "application/json" } }
          : { body: c.body }),
      });
      expect(res.status, JSON.stringify(res.body)).toBe(c.status);
      expect(res.body.error.code).toBe(c.code);
      expect(res.body.error.message).toEqual(expect.any(String));
      expect(res.body.error.request_id).toMatch(/^req_/);
      if (c.field) expect(res.body.error.field).toBe(c.field);
      expect(await count()).toBe(before);
    });
  }

  it("JSON with no Content-Type is accepted, as curl -d sends it", async () => {
    const res = await e.call("POST", "/v1/memories", {
      key,
      raw: JSON.stringify({ text: "sent without a content type" }),
    });
    expect(res.status).toBe(201);
    const form = await e.call("POST", "/v1/memories", {
      key,
      raw: JSON.stringify({ text: "sent as curl -d does" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(form.status).toBe(201);
    expect(form.body.text).toBe("sent as curl -d does");
  });

  it("unknown routes and ids answer JSON 404s", async () => {
    const route = await e.call("GET", "/v1/nothing-here", { key });
    expect(route.status).toBe(404);
    expect(route.body.error.code).toBe("route_not_found");
    for (const id of ["mem_00000000000000000000000000", "not-an-id", "mem_'; DROP TABLE memories; --"]) {
      const res = await e.call("GET", `/v1/memories/${encodeURIComponent(id)}`, { key });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("memory_not_found");
    }
  });

  it("bad user ids: wildcard, too long, empty; unknown user on admin routes", async () => {
    for (const user_id of ["*", "a b", "x".repeat(129), "", "%"]) {
      const res = await e.call("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id } });
      expect(res.status, user_id).toBe(400);
      expect(res.body.error.field).toBe("user_id");
    }
    const star = await e.call("GET", "/v1/memories", { key: ADMIN_KEY, user: "*" });
    expect(star.status).toBe(400);
    expect(star.body.error.field).toBe("X-User-Id");
    for (const [method, path] of [
      ["GET", "/v1/users/ghost"],
      ["PATCH", "/v1/users/ghost"],
      ["DELETE", "/v1/users/ghost"],
      ["POST", "/v1/users/ghost/keys"],
    ] as const) {
      const res = await e.call(method, path, {
        key: ADMIN_KEY,
        body: method === "GET" || method === "DELETE" ? undefined : {},
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("user_not_found");
    }
    const unknownTenant = await e.call("POST", "/v1/users", {
      key: ADMIN_KEY,
      body: { user_id: uid(), tenant: "no-such-tenant" },
    });
    expect(unknownTenant.status).toBe(404);
    expect(unknownTenant.body.error.code).toBe("tenant_not_found");
  });

  it("unknown fields in admin bodies are refused, naming them", async () => {
    const res = await e.call("POST", "/v1/users", { key: ADMIN_KEY, body: { user_id: uid(), nmae: "typo" } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("nmae");
  });

  it("a PATCH with nothing to change is refused", async () => {
    const m = await e.call("POST", "/v1/memories", { key, body: { text: "patch target" } });
    const res = await e.call("PATCH", `/v1/memories/${m.body.id}`, { key, body: {} });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("validation_error");
  });
});
