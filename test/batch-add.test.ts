/**
 * POST /v1/memories/batch and the MCP tool add_memories_batch: items answered one by one (created, existing, or an
 * error that leaves the others alone), one history row per created memory, the quota counted across the batch,
 * and bad requests refused whole with the field named. Both backends.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalMemoryPort } from "../src/mcp/local.js";
import { createMcpServer } from "../src/mcp/tools.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram } from "./helpers/runtime.js";

describe.each(backends)("batch add ($name)", (backend) => {
  let e: TestEngram;
  let key: string;

  beforeAll(async () => {
    e = await startEngram(
      backend,
      { ENGRAM_MEMORY_QUOTA: "8", ENGRAM_MAX_TEXT_LENGTH: "200" },
      { embedder: "words" },
    );
    key = await makeUser(e, "batcher");
  }, 120_000);
  afterAll(() => e?.close());

  it("answers each item: created, existing, identical within the batch, too long, paused app", async () => {
    const before = await e.call("POST", "/v1/memories", { key, body: { text: "Likes green tea" } });
    expect(before.status).toBe(201);
    await e.call("POST", "/v1/memories", { key, body: { text: "paused app memory", app: "crm" } });
    expect((await e.call("PATCH", "/v1/apps/crm", { key, body: { is_active: false } })).status).toBe(200);

    const res = await e.call("POST", "/v1/memories/batch", {
      key,
      body: {
        items: [
          { text: "Runs on Sundays", metadata: { source: "batch" } },
          { text: "likes   GREEN tea" },
          { text: "Has a cat named Miso" },
          { text: "has a cat named miso" },
          { text: "x".repeat(201) },
          { text: "goes to the crm", app: "crm" },
        ],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const r = res.body.results;
    expect(r.map((x: { status: string }) => x.status)).toEqual([
      "created",
      "existing",
      "created",
      "existing",
      "error",
      "error",
    ]);
    expect(r.map((x: { index: number }) => x.index)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(r[0].memory.metadata).toEqual({ source: "batch" });
    expect(r[1].memory.id).toBe(before.body.id);
    expect(r[3].memory.id).toBe(r[2].memory.id);
    expect(r[4].error).toMatchObject({ code: "validation_error", field: "items.4.text" });
    expect(r[4].error.message).toMatch(/^items\[4\]: text: must be at most 200 characters/);
    expect(r[5].error).toMatchObject({ code: "app_paused", field: "items.5.app" });
    expect(res.body).toMatchObject({ created: 2, existing: 2, failed: 2 });

    const history = await e.call("GET", `/v1/memories/${r[0].memory.id}/history`, { key });
    expect(history.status).toBe(200);
    expect(history.body.events.map((h: { event: string }) => h.event)).toEqual(["add"]);
    const found = await e.call("POST", "/v1/memories/search", { key, body: { query: "cat named Miso" } });
    expect(found.body.results[0].text).toBe("Has a cat named Miso");
  });

  it("counts the quota across the batch: the items past it fail, the others are stored", async () => {
    // 4 memories so far (tea, crm, Sundays, cat); the quota is 8.
    const items = Array.from({ length: 6 }, (_, i) => ({ text: `quota item ${i}` }));
    const res = await e.call("POST", "/v1/memories/batch", { key, body: { items } });
    expect(res.status).toBe(200);
    expect(res.body.results.map((x: { status: string }) => x.status)).toEqual([
      "created",
      "created",
      "created",
      "created",
      "error",
      "error",
    ]);
    expect(res.body.results[4].error.code).toBe("quota_exceeded");
    const listed = await e.call("GET", "/v1/memories?limit=100", { key });
    expect(listed.body.memories.map((m: { text: string }) => m.text)).not.toContain("quota item 4");
  });

  it("refuses a malformed request whole, naming the field", async () => {
    const many = await e.call("POST", "/v1/memories/batch", {
      key,
      body: { items: Array.from({ length: 101 }, (_, i) => ({ text: `n${i}` })) },
    });
    expect(many.status).toBe(400);
    expect(many.body.error).toMatchObject({ code: "validation_error", field: "items" });
    const empty = await e.call("POST", "/v1/memories/batch", {
      key,
      body: { items: [{ text: "ok" }, { text: " " }] },
    });
    expect(empty.status).toBe(400);
    expect(empty.body.error.field).toBe("items.1.text");
    const none = await e.call("POST", "/v1/memories/batch", { key, body: { items: [] } });
    expect(none.status).toBe(400);
    const admin = await e.call("POST", "/v1/memories/batch", {
      key: ADMIN_KEY,
      body: { items: [{ text: "x" }] },
    });
    expect(admin.status).toBeGreaterThanOrEqual(400);
    expect(admin.status).toBeLessThan(500);
  });

  it("add_memories_batch over MCP, with the real client", async () => {
    const other = await makeUser(e, "batcher-mcp");
    const identity = e.runtime.services.identity;
    const actor = await identity.resolveActor(await identity.authenticate(other), undefined);
    const port = new LocalMemoryPort(e.runtime.services, async () => actor);
    const server = createMcpServer(port, { version: "test" });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: "batch-test", version: "0" });
    await client.connect(clientSide);
    const out = await client.callTool({
      name: "add_memories_batch",
      arguments: { texts: ["one fact", "two facts", "one fact"] },
    });
    expect(out.isError).toBeFalsy();
    const data = out.structuredContent as {
      created: number;
      existing: number;
      results: Array<{ status: string }>;
    };
    expect(data.created).toBe(2);
    expect(data.results.map((x) => x.status)).toEqual(["created", "created", "existing"]);
    await client.close();
  });
});
