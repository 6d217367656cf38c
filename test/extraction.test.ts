/** Fact extraction (POST /v1/memories with infer: true) against a fake LLM, on every backend: ADD/UPDATE/DELETE/NONE. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AppError } from "../src/errors.js";
import { MemoryService } from "../src/memories/service.js";
import { backends } from "./helpers/backends.js";
import {
  type FakeLlm,
  type FakeRequest,
  isDecisionCall,
  isFactsCall,
  promptText,
  startFakeLlm,
} from "./helpers/fake-llm.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

const facts = (...f: string[]) => JSON.stringify({ facts: f });
const decisions = (...d: unknown[]) => JSON.stringify({ memory: d });

/** The EXISTING MEMORIES list the decision call was shown, as [id, text]. */
function shown(req: FakeRequest | undefined): Array<[string, string]> {
  const content = req?.body.messages.find((m) => m.content.startsWith("EXISTING MEMORIES:"))?.content ?? "";
  const json = /EXISTING MEMORIES:\n([\s\S]*?)\n\nNEW FACTS/.exec(content)?.[1] ?? "[]";
  return (JSON.parse(json) as Array<{ id: string; text: string }>).map((m) => [m.id, m.text]);
}

describe.each(backends)("extraction ($name)", (backend) => {
  let e: TestEngram;
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
    // The candidates shown to the LLM are a user's nearest 5, and no user here has more than 2 memories: every
    // one is shown whatever the embedder thinks, and the fake LLM's scripted decisions look them up by text.
    // So the words embedder (test/helpers/runtime.ts) is enough.
    e = await startEngram(
      backend,
      {
        ENGRAM_LLM_URL: fake.url,
        ENGRAM_LLM_MODEL: "fake",
        ENGRAM_LLM_TIMEOUT_MS: "500",
        ENGRAM_SESSION_TIMEOUT: "2",
      },
      { embedder: "words" },
    );
  });
  afterAll(async () => {
    await e?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const infer = (key: string, body: Record<string, unknown>) =>
    e.call("POST", "/v1/memories", { key, body: { infer: true, ...body } });
  const texts = async (key: string) =>
    (await e.call("GET", "/v1/memories?limit=100", { key })).body.memories
      .map((m: { text: string }) => m.text)
      .sort();

  it("ADD: each extracted fact becomes a memory (one LLM call when there is nothing to compare with)", async () => {
    const key = await makeUser(e, uid());
    fake.script(facts("I like Python", "I live in Berlin", "I like Python"));
    const res = await infer(key, {
      text: "I like Python and I live in Berlin",
      metadata: { source: "chat" },
    });
    expect(res.status).toBe(200);
    expect(
      res.body.results.map((r: { event: string; memory: { text: string } }) => [r.event, r.memory.text]),
    ).toEqual([
      ["ADD", "I like Python"],
      ["ADD", "I live in Berlin"],
    ]);
    expect(res.body.results[0].memory.metadata).toEqual({ source: "chat" });
    expect(await texts(key)).toEqual(["I like Python", "I live in Berlin"]);
    expect(fake.requests).toHaveLength(1);
    const req = fake.requests[0] as FakeRequest;
    expect(isFactsCall(req)).toBe(true);
    expect(req.body).toMatchObject({
      model: "fake",
      temperature: 0,
      response_format: { type: "json_object" },
    });
    expect(promptText(req)).toContain("user: I like Python and I live in Berlin");
  });

  it("UPDATE: the LLM sees the user's similar memories by index and rewrites one; history records it", async () => {
    const key = await makeUser(e, uid());
    const old = (await e.call("POST", "/v1/memories", { key, body: { text: "I like Python" } })).body;
    fake.script(facts("I prefer Rust over Python now"), (req) => {
      expect(isDecisionCall(req)).toBe(true);
      const [id] = shown(req).find(([, t]) => t === "I like Python") ?? [];
      return decisions({ event: "UPDATE", id, text: "I prefer Rust over Python" });
    });
    const res = await infer(key, { text: "Actually, these days I prefer Rust over Python" });
    expect(res.status).toBe(200);
    expect(res.body.results).toHaveLength(1);
    expect(res.body.results[0]).toMatchObject({ event: "UPDATE", previous_text: "I like Python" });
    expect(res.body.results[0].memory).toMatchObject({ id: old.id, text: "I prefer Rust over Python" });
    expect((await e.call("GET", `/v1/memories/${old.id}`, { key })).body.text).toBe(
      "I prefer Rust over Python",
    );
    const decision = fake.requests[1];
    expect(shown(decision).map(([, t]) => t)).toContain("I like Python");
    expect(promptText(decision as FakeRequest)).not.toContain(old.id); // real ids never reach the LLM
    expect(decision?.body.response_format).toEqual({ type: "json_object" });
    const history = await e.call("GET", `/v1/memories/${old.id}/history`, { key });
    expect(history.status).toBe(200);
    expect(
      (history.body.events as Array<{ event: string; old_text: string | null; new_text: string | null }>).map(
        (x) => [x.event, x.old_text, x.new_text],
      ),
    ).toEqual([
      ["add", null, "I like Python"],
      ["update", "I like Python", "I prefer Rust over Python"],
    ]);
  });

  it("DELETE: a contradicted memory is removed; NONE leaves a known fact alone", async () => {
    const key = await makeUser(e, uid());
    const veg = (await e.call("POST", "/v1/memories", { key, body: { text: "I am vegetarian" } })).body;
    const dog = (await e.call("POST", "/v1/memories", { key, body: { text: "I have a dog named Rex" } }))
      .body;
    fake.script(facts("I eat meat again", "I have a dog named Rex"), (req) => {
      const ids = new Map(shown(req).map(([id, t]) => [t, id]));
      return decisions(
        { event: "DELETE", id: ids.get("I am vegetarian") },
        { event: "none", id: ids.get("I have a dog named Rex") },
        { event: "ADD", text: "I eat meat again" },
      );
    });
    const res = await infer(key, { text: "I eat meat again. My dog Rex says hi." });
    expect(res.status).toBe(200);
    expect(res.body.results.map((r: { event: string }) => r.event)).toEqual(["DELETE", "NONE", "ADD"]);
    expect(res.body.results[0]).toMatchObject({ memory: { id: veg.id }, previous_text: "I am vegetarian" });
    expect(res.body.results[1].memory.id).toBe(dog.id);
    expect((await e.call("GET", `/v1/memories/${veg.id}`, { key })).status).toBe(404);
    expect(await texts(key)).toEqual(["I eat meat again", "I have a dog named Rex"]);
  });

  it("ignores ids the LLM invents, real ids it was never shown, and another user's memories", async () => {
    const aKey = await makeUser(e, uid("a"));
    const bKey = await makeUser(e, uid("b"));
    const aMem = (await e.call("POST", "/v1/memories", { key: aKey, body: { text: "I like green tea" } }))
      .body;
    const bMem = (await e.call("POST", "/v1/memories", { key: bKey, body: { text: "I like black coffee" } }))
      .body;
    fake.script(facts("I like oolong tea"), (req) => {
      expect(promptText(req)).not.toContain("black coffee");
      return decisions(
        { event: "UPDATE", id: "7", text: "invented" },
        { event: "DELETE", id: bMem.id },
        { event: "UPDATE", id: aMem.id, text: "real id, never shown" },
        { event: "DELETE", id: "-1" },
        { event: "BOGUS", id: "0" },
        "not an object",
      );
    });
    const res = await infer(aKey, { text: "I like oolong tea" });
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual([]);
    expect((await e.call("GET", `/v1/memories/${aMem.id}`, { key: aKey })).body.text).toBe(
      "I like green tea",
    );
    expect((await e.call("GET", `/v1/memories/${bMem.id}`, { key: bKey })).body.text).toBe(
      "I like black coffee",
    );
    for (const req of fake.requests) expect(promptText(req)).not.toContain("black coffee");
  });

  it("one change per memory per call: a second UPDATE or DELETE of the same memory is dropped", async () => {
    const key = await makeUser(e, uid());
    const m = (await e.call("POST", "/v1/memories", { key, body: { text: "I work at Acme" } })).body;
    fake.script(
      facts("I work at Globex"),
      decisions({ event: "UPDATE", id: "0", text: "I work at Globex" }, { event: "DELETE", id: "0" }),
    );
    const res = await infer(key, { text: "I moved from Acme to Globex" });
    expect(res.body.results.map((r: { event: string }) => r.event)).toEqual(["UPDATE"]);
    expect((await e.call("GET", `/v1/memories/${m.id}`, { key })).body.text).toBe("I work at Globex");
  });

  it("takes a conversation as messages; assistant turns are context", async () => {
    const key = await makeUser(e, uid());
    fake.script(`\`\`\`json\n${facts("My sister lives in Lisbon")}\n\`\`\``);
    const res = await infer(key, {
      messages: [
        { role: "user", content: "My sister just moved" },
        { role: "assistant", content: "Where did she move to?" },
        { role: "user", content: "Lisbon" },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.results[0]).toMatchObject({
      event: "ADD",
      memory: { text: "My sister lives in Lisbon" },
    });
    expect(promptText(fake.requests[0] as FakeRequest)).toContain(
      "user: My sister just moved\nassistant: Where did she move to?\nuser: Lisbon",
    );
  });

  it("nothing to remember is an empty result and changes nothing", async () => {
    const key = await makeUser(e, uid());
    fake.script(facts());
    const res = await infer(key, { text: "hello!" });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ results: [] });
    expect(await texts(key)).toEqual([]);
  });

  it("LLM failures and nonsense are 502 llm_unavailable and change nothing", async () => {
    const key = await makeUser(e, uid());
    await e.call("POST", "/v1/memories", { key, body: { text: "I like chess" } });
    const cases: Array<[unknown[], string]> = [
      [[{ status: 500, raw: "down" }], "HTTP 500"],
      [[{ delayMs: 1500, content: facts("late") }], "timed out"],
      [["this is not JSON"], "invalid JSON"],
      [['{"facts": "I like chess"}'], "wrong shape"],
      [[facts("I love chess"), '{"decisions": []}'], "wrong shape"],
      [[facts("I love chess"), { status: 503, raw: "busy" }], "HTTP 503"],
    ];
    for (const [script, message] of cases) {
      fake.reset();
      fake.script(...(script as never[]));
      const res = await infer(key, { text: "I love chess" });
      expect(res.status, message).toBe(502);
      expect(res.body.error.code).toBe("llm_unavailable");
      expect(res.body.error.message).toContain(message);
    }
    expect(await texts(key)).toEqual(["I like chess"]);
  });

  it("MemoryService.add with infer and no LLM throws llm_not_configured and calls nothing", async () => {
    const { db, embedder, identity, config } = e.runtime.services;
    // The same store and model, without the LLM: the rule lives in the service, whatever face calls it.
    const memories = new MemoryService(db, embedder, {
      maxTextLength: config.limits.textChars,
      search: config.search,
    });
    const user = uid();
    await makeUser(e, user);
    const actor = await identity.resolveActor(
      { kind: "admin", keyId: null, tenantId: null, userPk: null, scopes: new Set() },
      user,
    );
    const err = await memories.add(actor, { text: "I like Python", infer: true }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("llm_not_configured");
    expect((err as AppError).status).toBe(422);
    expect((err as AppError).field).toBe("infer");
    expect(fake.requests).toHaveLength(0);
    expect((await memories.list(actor, { limit: 10 })).memories).toEqual([]);
  });

  it("a client key's users get separate extractions", async () => {
    const tenant = uid("t");
    await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } });
    const client = (await e.call("POST", `/v1/tenants/${tenant}/keys`, { key: ADMIN_KEY, body: {} })).body
      .api_key;
    await e.call("POST", "/v1/memories", { key: client, user: "B", body: { text: "I like Python" } });
    fake.script(facts("I like Python"));
    const a = await e.call("POST", "/v1/memories", {
      key: client,
      user: "A",
      body: { infer: true, text: "I like Python" },
    });
    // A has no memories, so B's identical one is neither a candidate nor a duplicate: A gets its own.
    expect(a.body.results.map((r: { event: string }) => r.event)).toEqual(["ADD"]);
    expect(fake.requests).toHaveLength(1);
    const aList = await e.call("GET", "/v1/memories", { key: client, user: "A" });
    expect(aList.body.memories.map((m: { id: string }) => m.id)).toEqual([a.body.results[0].memory.id]);
  });
});
