/** Chat: the LLM client against a fake OpenAI-compatible server, chat with an LLM and offline, on every backend. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { interpret } from "../src/chat/responder.js";
import { AppError } from "../src/errors.js";
import { chatCompletionsEndpoint, createLlmClient } from "../src/llm/client.js";
import { backends } from "./helpers/backends.js";
import { type FakeLlm, isFactsCall, promptText, startFakeLlm } from "./helpers/fake-llm.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram, uid } from "./helpers/runtime.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface SseEvent {
  event: string;
  data: any;
}

/** Parses a text/event-stream body into its events (data lines joined, as the SSE spec says). */
function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length > 0) events.push({ event, data: JSON.parse(data.join("\n")) });
  }
  return events;
}

async function llmError(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe("llm_unavailable");
  return err as AppError;
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const d of it) out.push(d);
  return out;
}

describe("LLM client", () => {
  let fake: FakeLlm;
  const KEY = "sk-secret-llm-key-42";
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  const client = (timeoutMs = 500) =>
    createLlmClient({ url: fake.url, model: "fake-model", apiKey: KEY, timeoutMs });

  it("derives the endpoint from a base URL with or without /v1 (the embeddings rule)", () => {
    expect(chatCompletionsEndpoint("http://localhost:11434").href).toBe(
      "http://localhost:11434/v1/chat/completions",
    );
    expect(chatCompletionsEndpoint("http://localhost:11434/").href).toBe(
      "http://localhost:11434/v1/chat/completions",
    );
    expect(chatCompletionsEndpoint("http://localhost:11434/v1").href).toBe(
      "http://localhost:11434/v1/chat/completions",
    );
    expect(chatCompletionsEndpoint("http://localhost:11434/v1/").href).toBe(
      "http://localhost:11434/v1/chat/completions",
    );
    expect(chatCompletionsEndpoint("https://api.example.com/openai/v1/chat/completions").href).toBe(
      "https://api.example.com/openai/v1/chat/completions",
    );
    expect(chatCompletionsEndpoint("https://x.example.com/v1beta/openai?api-version=2").href).toBe(
      "https://x.example.com/v1beta/openai/chat/completions?api-version=2",
    );
  });

  it("complete: sends model, messages, bearer key and JSON mode; returns the content", async () => {
    fake.script('{"ok": true}');
    const out = await client().complete([{ role: "user", content: "hi" }], { json: true, temperature: 0 });
    expect(out).toBe('{"ok": true}');
    const [req] = fake.requests;
    expect(req?.path).toBe("/v1/chat/completions");
    expect(req?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(req?.body).toMatchObject({
      model: "fake-model",
      messages: [{ role: "user", content: "hi" }],
      stream: false,
      temperature: 0,
      response_format: { type: "json_object" },
    });
    const noKey = createLlmClient({ url: fake.url, model: "m", timeoutMs: 500 });
    await noKey.complete([{ role: "user", content: "hi" }]);
    expect(fake.requests[1]?.headers.authorization).toBeUndefined();
    expect(fake.requests[1]?.body.response_format).toBeUndefined();
  });

  it("5xx, timeouts, malformed bodies and refused connections are llm_unavailable; the URL only in the logged cause, the key nowhere", async () => {
    const msgs = [{ role: "user" as const, content: "hi" }];
    fake.script({ status: 500, raw: `{"error": "upstream failed for ${KEY}"}` });
    const e500 = await llmError(client().complete(msgs));
    // The caller's message names neither the endpoint's URL nor its body; the cause (for the log) has both.
    expect(e500.message).not.toContain(fake.url);
    expect(e500.message).toContain("HTTP 500");
    expect(e500.message).not.toContain(KEY);
    expect(String((e500.cause as Error).message)).toContain(`${fake.url}/chat/completions`);
    expect(String((e500.cause as Error).message)).not.toContain(KEY);
    expect(e500.status).toBe(502);

    fake.script({ delayMs: 1000, content: "late" });
    const t0 = performance.now();
    const slow = await llmError(client(300).complete(msgs));
    expect(performance.now() - t0).toBeLessThan(900);
    expect(slow.message).toContain("timed out after 300 ms");

    fake.script({ raw: "<html>not json</html>" });
    expect((await llmError(client().complete(msgs))).message).toContain("invalid JSON");
    fake.script({ raw: '{"choices": []}' });
    expect((await llmError(client().complete(msgs))).message).toContain("choices[0].message.content");

    const closed = await startFakeLlm();
    await closed.close();
    const refused = createLlmClient({ url: closed.url, model: "m", apiKey: KEY, timeoutMs: 500 });
    const e = await llmError(refused.complete(msgs));
    expect(e.message).not.toContain(closed.url);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(String((e.cause as Error).message)).toContain(`${closed.url}/chat/completions`);
  });

  it("stream: yields deltas in order until [DONE]", async () => {
    fake.script({ chunks: ["Hel", "lo", " world"] });
    expect(await collect(client().stream([{ role: "user", content: "hi" }]))).toEqual([
      "Hel",
      "lo",
      " world",
    ]);
    expect(fake.requests[0]?.body.stream).toBe(true);
  });

  it("stream: a cut-off stream, a stalled one and a 500 are llm_unavailable; a plain JSON answer is one delta", async () => {
    const msgs = [{ role: "user" as const, content: "hi" }];
    fake.script({ chunks: ["a", "b", "c"], dropAfter: 1 });
    expect((await llmError(collect(client().stream(msgs)))).message).toContain("before [DONE]");
    fake.script({ chunks: ["a", "b"], chunkDelayMs: 800 });
    expect((await llmError(collect(client(300).stream(msgs)))).message).toContain("timed out");
    fake.script({ status: 503, raw: "overloaded" });
    expect((await llmError(collect(client().stream(msgs)))).message).toContain("HTTP 503");
    fake.script({ raw: JSON.stringify({ choices: [{ message: { content: "whole answer" } }] }) });
    expect(await collect(client().stream(msgs))).toEqual(["whole answer"]);
    fake.script({ raw: "data: {broken\n\n", contentType: "text/event-stream" });
    expect((await llmError(collect(client().stream(msgs)))).message).toContain("malformed stream event");
  });
});

describe("offline responder: interpret()", () => {
  it.each([
    ["Remember I like Python", { kind: "remember", fact: "I like Python" }],
    ["remember that my sister lives in Lisbon.", { kind: "remember", fact: "My sister lives in Lisbon" }],
    ["Please remember: I’m allergic to nuts!", { kind: "remember", fact: "I'm allergic to nuts" }],
    ["Don't forget that I prefer tea", { kind: "remember", fact: "I prefer tea" }],
    ["remember to buy milk", { kind: "remember", fact: "Reminder: buy milk" }],
    ["My favourite colour is green", { kind: "remember", fact: "My favourite colour is green" }],
    ["i live in Porto", { kind: "remember", fact: "I live in Porto" }],
    ["What language do I like?", { kind: "question" }],
    ["Do I like Python", { kind: "question" }],
    ["Remember what my name is?", { kind: "question" }],
    ["Notebooks are great", { kind: "other" }],
    ["hello there", { kind: "other" }],
  ])("%s", (message, intent) => {
    expect(interpret(message)).toEqual(intent);
  });
});

describe.each(backends)("chat with an LLM ($name)", (backend) => {
  let e: TestEngram;
  let fake: FakeLlm;
  beforeAll(async () => {
    fake = await startFakeLlm();
    e = await startEngram(backend, {
      ENGRAM_LLM_URL: fake.url,
      ENGRAM_LLM_MODEL: "fake",
      ENGRAM_LLM_TIMEOUT_MS: "500",
      ENGRAM_SESSION_TIMEOUT: "2",
    });
  });
  afterAll(async () => {
    await e?.close();
    await fake?.close();
  });
  beforeEach(() => fake.reset());

  async function session(key: string, sessionId: string) {
    const res = await e.call("GET", `/v1/sessions/${sessionId}`, { key });
    expect(res.status).toBe(200);
    return res.body.messages.map((m: { role: string; content: string }) => [m.role, m.content]);
  }

  it("puts A's memories in A's prompt and never B's; stores both sides of the exchange", async () => {
    const aKey = await makeUser(e, uid("a"));
    const bKey = await makeUser(e, uid("b"));
    await e.call("POST", "/v1/memories", { key: aKey, body: { text: "I like Python" } });
    await e.call("POST", "/v1/memories", { key: bKey, body: { text: "I like Haskell" } });

    fake.script("You like Python.");
    const a = await e.call("POST", "/v1/chat", {
      key: aKey,
      body: { message: "What programming language do I like?" },
    });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ reply: "You like Python.", memories_created: [], memory_changes: [] });
    expect(a.body.session_id).toMatch(/^sess_/);
    expect(a.body.memories_used.map((m: { text: string }) => m.text)).toEqual(["I like Python"]);
    expect(a.body.memories_used[0].score).toBeGreaterThan(0.25);
    const aPrompt = promptText(fake.requests[0] as never);
    expect(aPrompt).toContain("I like Python");
    expect(aPrompt).not.toContain("Haskell");
    expect(fake.requests[0]?.body.messages.at(-1)).toEqual({
      role: "user",
      content: "What programming language do I like?",
    });
    expect(await session(aKey, a.body.session_id)).toEqual([
      ["user", "What programming language do I like?"],
      ["assistant", "You like Python."],
    ]);

    fake.reset();
    fake.script("You like Haskell.");
    const b = await e.call("POST", "/v1/chat", {
      key: bKey,
      body: { message: "What programming language do I like?" },
    });
    expect(b.body.memories_used.map((m: { text: string }) => m.text)).toEqual(["I like Haskell"]);
    for (const req of fake.requests) expect(promptText(req)).not.toContain("Python");
  });

  it("sends the recent history of the session with each message", async () => {
    const key = await makeUser(e, uid());
    fake.script("Nice to meet you, Ana.");
    const first = await e.call("POST", "/v1/chat", { key, body: { message: "hello, I am Ana" } });
    fake.reset();
    fake.script("Your name is Ana.");
    const second = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "what's my name?", session_id: first.body.session_id },
    });
    expect(second.status).toBe(200);
    expect(second.body.session_id).toBe(first.body.session_id);
    const turns = fake.requests[0]?.body.messages.filter((m) => m.role !== "system");
    expect(turns).toEqual([
      { role: "user", content: "hello, I am Ana" },
      { role: "assistant", content: "Nice to meet you, Ana." },
      { role: "user", content: "what's my name?" },
    ]);
  });

  it("stores the facts a message states: 'Remember I like Python' becomes a memory in that session", async () => {
    const key = await makeUser(e, uid());
    fake.script("Noted!", '{"facts": ["I like Python"]}');
    const res = await e.call("POST", "/v1/chat", { key, body: { message: "Remember I like Python" } });
    expect(res.status).toBe(200);
    expect(res.body.reply).toBe("Noted!");
    expect(res.body.memories_created).toHaveLength(1);
    expect(res.body.memories_created[0]).toMatchObject({
      text: "I like Python",
      session_id: res.body.session_id,
    });
    expect(res.body.memory_changes).toEqual([{ event: "ADD", memory: res.body.memories_created[0] }]);
    // Reply, then extraction; no decision call because the user had no memories to compare with.
    expect(fake.requests).toHaveLength(2);
    expect(isFactsCall(fake.requests[1] as never)).toBe(true);
    expect(promptText(fake.requests[1] as never)).toContain("Remember I like Python");
    const list = await e.call("GET", "/v1/memories", { key });
    expect(list.body.memories.map((m: { text: string }) => m.text)).toEqual(["I like Python"]);
  });

  it("an LLM timeout is 502 llm_unavailable and the user's message stays in the session", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    fake.script({ delayMs: 1500, content: "too late" });
    const res = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "are you there?", session_id: s.id },
    });
    expect(res.status).toBe(502);
    expect(res.body.error.code).toBe("llm_unavailable");
    expect(res.body.error.message).toContain("timed out after 500 ms");
    expect(res.body.error.message).not.toContain(fake.url);
    expect(await session(key, s.id)).toEqual([["user", "are you there?"]]);
  });

  it("an LLM 5xx or malformed reply is 502 llm_unavailable and the user's message stays", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    fake.script({ status: 500, raw: '{"error": "boom"}' });
    const r500 = await e.call("POST", "/v1/chat", { key, body: { message: "first", session_id: s.id } });
    expect(r500.status).toBe(502);
    expect(r500.body.error.code).toBe("llm_unavailable");
    expect(r500.body.error.message).toContain("HTTP 500");
    fake.script({ raw: "garbage" });
    const bad = await e.call("POST", "/v1/chat", { key, body: { message: "second", session_id: s.id } });
    expect(bad.status).toBe(502);
    expect(await session(key, s.id)).toEqual([
      ["user", "first"],
      ["user", "second"],
    ]);
  });

  it("a failed extraction keeps the reply and says why", async () => {
    const key = await makeUser(e, uid());
    fake.script("Sure.", { status: 500, raw: "extraction down" });
    const res = await e.call("POST", "/v1/chat", { key, body: { message: "I like jazz" } });
    expect(res.status).toBe(200);
    expect(res.body.reply).toBe("Sure.");
    expect(res.body.memories_created).toEqual([]);
    expect(res.body.extraction_error).toContain("HTTP 500");
    expect(await session(key, res.body.session_id)).toEqual([
      ["user", "I like jazz"],
      ["assistant", "Sure."],
    ]);
  });

  it("stream: true relays deltas as server-sent events, then one done event with the full result", async () => {
    const key = await makeUser(e, uid());
    await e.call("POST", "/v1/memories", { key, body: { text: "I like Python" } });
    fake.script({ chunks: ["You ", "like ", "Python."] });
    const res = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "What programming language do I like?", stream: true },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const events = parseSse(res.body as string);
    expect(events.map((x) => x.event)).toEqual(["session", "delta", "delta", "delta", "done"]);
    expect(events.filter((x) => x.event === "delta").map((x) => x.data.text)).toEqual([
      "You ",
      "like ",
      "Python.",
    ]);
    const done = events.at(-1)?.data;
    expect(done).toMatchObject({ reply: "You like Python.", session_id: events[0]?.data.session_id });
    expect(done.memories_used[0].text).toBe("I like Python");
    expect(fake.requests[0]?.body.stream).toBe(true);
    expect(await session(key, done.session_id)).toEqual([
      ["user", "What programming language do I like?"],
      ["assistant", "You like Python."],
    ]);
  });

  it("stream: a failure before the first delta is a JSON 502; one after it is an error event", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    fake.script({ status: 500, raw: "down" });
    const early = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "one", session_id: s.id, stream: true },
    });
    expect(early.status).toBe(502);
    expect(early.body.error.code).toBe("llm_unavailable");
    fake.script({ chunks: ["par", "tial", "!"], dropAfter: 1 });
    const late = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "two", session_id: s.id, stream: true },
    });
    expect(late.status).toBe(200);
    const events = parseSse(late.body as string);
    expect(events.map((x) => x.event)).toEqual(["session", "delta", "error"]);
    expect(events[2]?.data.error.code).toBe("llm_unavailable");
    expect(await session(key, s.id)).toEqual([
      ["user", "one"],
      ["user", "two"],
    ]);
  });

  it("an expired session refuses chat with 410 naming session_id", async () => {
    const key = await makeUser(e, uid());
    const s = (await e.call("POST", "/v1/sessions", { key, body: {} })).body;
    await sleep(2300);
    const res = await e.call("POST", "/v1/chat", { key, body: { message: "hello?", session_id: s.id } });
    expect(res.status).toBe(410);
    expect(res.body.error).toMatchObject({ code: "session_expired", field: "session_id" });
    expect(fake.requests).toHaveLength(0);
  });

  it("bad input is a 4xx naming the field", async () => {
    const key = await makeUser(e, uid());
    const cases: Array<[unknown, number, string]> = [
      [{}, 400, "message"],
      [{ message: "" }, 400, "message"],
      [{ message: 42 }, 400, "message"],
      [{ message: "x".repeat(e.config.limits.textChars + 1) }, 400, "message"],
      [{ message: "hi", stream: "yes" }, 400, "stream"],
      [{ message: "hi", session_id: "sess_00000000000000000000000000" }, 404, "session_id"],
      [{ message: "hi", session_id: "nope" }, 404, "session_id"],
    ];
    for (const [body, status, field] of cases) {
      const res = await e.call("POST", "/v1/chat", { key, body });
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(res.body.error.field).toBe(field);
      expect(res.body.error.message).toContain(field);
    }
    expect(fake.requests).toHaveLength(0);
  });
});

describe.each(backends)("chat offline, no LLM ($name)", (backend) => {
  let e: TestEngram;
  let client: string;
  beforeAll(async () => {
    e = await startEngram(backend);
    const tenant = uid("muxi");
    await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } });
    client = (await e.call("POST", `/v1/tenants/${tenant}/keys`, { key: ADMIN_KEY, body: {} })).body.api_key;
  });
  afterAll(async () => {
    await e?.close();
  });

  it("MUXI flow: A remembers Python; B asks and gets no Python; A asks and gets Python", async () => {
    const remember = await e.call("POST", "/v1/chat", {
      key: client,
      user: "A",
      body: { message: "Remember I like Python" },
    });
    expect(remember.status).toBe(200);
    expect(remember.body.reply).toContain("I like Python");
    expect(remember.body.memories_created.map((m: { text: string }) => m.text)).toEqual(["I like Python"]);
    expect(remember.body.memories_created[0].session_id).toBe(remember.body.session_id);

    const b = await e.call("POST", "/v1/chat", {
      key: client,
      user: "B",
      body: { message: "What language do I like?" },
    });
    expect(b.status).toBe(200);
    expect(b.body.reply).toBe("I don't know that yet.");
    expect(JSON.stringify(b.body)).not.toContain("Python");

    const a = await e.call("POST", "/v1/chat", {
      key: client,
      user: "A",
      body: { message: "What language do I like?" },
    });
    expect(a.body.reply).toBe("From what you've told me: I like Python.");
    expect(a.body.memories_used).toHaveLength(1);
    expect(a.body.memories_used[0]).toMatchObject({ text: "I like Python" });

    const list = await e.call("GET", "/v1/memories", { key: client, user: "A" });
    expect(list.body.memories.map((m: { text: string }) => m.text)).toEqual(["I like Python"]);
  });

  it("does not answer from an unrelated memory; repeats are not stored twice; small talk is acknowledged", async () => {
    const key = await makeUser(e, uid());
    await e.call("POST", "/v1/chat", { key, body: { message: "I live in Berlin" } });
    const unrelated = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "What is the capital of France?" },
    });
    expect(unrelated.body.reply).toBe("I don't know that yet.");
    const again = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "remember that I live in Berlin" },
    });
    expect(again.body.reply).toContain("already know");
    expect(again.body.memories_created).toEqual([]);
    const hello = await e.call("POST", "/v1/chat", { key, body: { message: "hello there" } });
    expect(hello.body.reply).toMatch(/^Okay\./);
    const list = await e.call("GET", "/v1/memories", { key });
    expect(list.body.memories.map((m: { text: string }) => m.text)).toEqual(["I live in Berlin"]);
  });

  it("stream: true works offline: one delta, then done", async () => {
    const key = await makeUser(e, uid());
    const res = await e.call("POST", "/v1/chat", {
      key,
      body: { message: "My favourite colour is green", stream: true },
    });
    expect(res.status).toBe(200);
    const events = parseSse(res.body as string);
    expect(events.map((x) => x.event)).toEqual(["session", "delta", "done"]);
    expect(events[2]?.data.memories_created[0].text).toBe("My favourite colour is green");
  });

  it("infer: true without an LLM is 422 llm_not_configured", async () => {
    const key = await makeUser(e, uid());
    const res = await e.call("POST", "/v1/memories", { key, body: { text: "I like Python", infer: true } });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe("llm_not_configured");
  });
});
