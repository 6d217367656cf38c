/** The API client: the key goes in a header and nowhere else, and every failure comes back as an ApiError. */
import { describe, expect, it } from "vitest";
import { ApiError, createApi, queryString, toApiError } from "./client";

const KEY = "ek_user_abcdefghijklmnopqrstuvwxyz012345";

interface Seen {
  url: string;
  init: RequestInit;
}

function fakeFetch(status: number, body: string, seen: Seen[] = []): typeof fetch {
  return async (input, init) => {
    seen.push({ url: String(input), init: init ?? {} });
    return new Response(body, { status, headers: { "content-type": "application/json" } });
  };
}

describe("toApiError", () => {
  it("takes code, message, request id and field from the API's error body", () => {
    const e = toApiError(400, {
      error: { code: "validation_error", message: "limit: too small", request_id: "req_1", field: "limit" },
    });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message, e.requestId, e.field]).toEqual([
      400,
      "validation_error",
      "limit: too small",
      "req_1",
      "limit",
    ]);
  });

  it.each([
    [401, "unauthorized"],
    [403, "forbidden"],
    [404, "not_found"],
    [429, "rate_limited"],
    [502, "server_error"],
    [409, "http_error"],
  ])("maps a bare %i to %s", (status, code) => {
    expect(toApiError(status, undefined).code).toBe(code);
  });

  it("quotes a short non-JSON body (a proxy's message) and leaves out a long one", () => {
    expect(toApiError(502, "Bad Gateway from nginx", "Bad Gateway").message).toBe(
      "HTTP 502 Bad Gateway: Bad Gateway from nginx",
    );
    expect(toApiError(502, "x".repeat(500)).message).toBe("HTTP 502");
  });
});

describe("createApi", () => {
  it("sends the key as a bearer header, never in the URL, and JSON bodies", async () => {
    const seen: Seen[] = [];
    const api = createApi({ key: KEY, fetch: fakeFetch(200, '{"ok":true}', seen) });
    await api.post("/v1/memories/search", { query: "tea" }, { x: 1 });
    const [call] = seen;
    expect(call?.url).toBe("/v1/memories/search?x=1");
    expect(call?.url).not.toContain(KEY);
    const headers = call?.init.headers as Record<string, string>;
    expect(headers.authorization).toBe(`Bearer ${KEY}`);
    expect(headers["content-type"]).toBe("application/json");
    expect(call?.init.body).toBe('{"query":"tea"}');
    expect(call?.init.credentials).toBe("omit");
  });

  it("adds the acting user's headers for a client key", async () => {
    const seen: Seen[] = [];
    const api = createApi({
      key: KEY,
      actAs: { userId: "alice", tenant: "acme" },
      fetch: fakeFetch(200, "{}", seen),
    });
    await api.get("/v1/me");
    const headers = seen[0]?.init.headers as Record<string, string>;
    expect(headers["x-user-id"]).toBe("alice");
    expect(headers["x-tenant-id"]).toBe("acme");
  });

  it("rejects with the API's error for a revoked key", async () => {
    const body = JSON.stringify({
      error: { code: "key_revoked", message: "the key was revoked", request_id: "r" },
    });
    const api = createApi({ key: KEY, fetch: fakeFetch(401, body) });
    await expect(api.get("/v1/me")).rejects.toMatchObject({ status: 401, code: "key_revoked" });
  });

  it("turns a failed connection into network_error", async () => {
    const api = createApi({
      key: KEY,
      fetch: async () => {
        throw new TypeError("Failed to fetch");
      },
    });
    await expect(api.get("/v1/me")).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("refuses a 200 that is not JSON (an HTML page where the API should be)", async () => {
    const api = createApi({ key: KEY, fetch: fakeFetch(200, "<!doctype html><p>hi") });
    await expect(api.get("/v1/me")).rejects.toMatchObject({ code: "bad_response" });
  });
});

describe("queryString", () => {
  it("leaves out undefined, null and empty values and encodes the rest", () => {
    expect(queryString({ a: 1, b: undefined, c: null, d: "", e: "x y&z" })).toBe("?a=1&e=x+y%26z");
    expect(queryString({})).toBe("");
    expect(queryString(undefined)).toBe("");
  });
});
