/**
 * What a user's first program does with the SDK, as JavaScript source, for the tests that run the built client in
 * other places (test/sdk-browser.test.ts in Chromium, test/sdk-runtimes.test.ts in Bun and Deno), and the checks
 * of what it found. The source defines `firstProgram(EngramClient, EngramError, baseUrl, apiKey)`.
 */
import { expect } from "vitest";

export const FIRST_PROGRAM = `async function firstProgram(EngramClient, EngramError, baseUrl, apiKey) {
  const client = new EngramClient({ baseUrl, apiKey });
  const out = {};
  for (const text of ["sdk fact one", "sdk fact two", "sdk fact three"]) await client.memories.add({ text });
  out.search = (await client.memories.search({ query: "sdk fact two", limit: 3 })).map((r) => r.text);
  out.listed = [];
  for await (const m of client.memories.list({ limit: 2 })) out.listed.push(m.text);
  const session = await client.sessions.create();
  let streamed = "";
  for await (const token of client.chat("Remember that I swim on Mondays", { sessionId: session.id, stream: true })) {
    streamed += token;
  }
  out.streamed = streamed.length;
  out.messages = (await client.sessions.get(session.id)).messages.length;
  try {
    await new EngramClient({ baseUrl, apiKey: "ek_user_not_a_key_at_all_000000000000" }).memories.search({ query: "x" });
    out.error = "none";
  } catch (err) {
    out.error = err instanceof EngramError ? [err.status, err.code, typeof err.requestId] : String(err);
  }
  return out;
}`;

/** The findings of FIRST_PROGRAM against a server with fresh user: found, paged, streamed, typed. */
export function expectFirstProgram(out: unknown): void {
  const o = out as { search: string[]; listed: string[]; streamed: number; messages: number; error: unknown };
  expect(o.search[0]).toBe("sdk fact two");
  expect([...o.listed].sort()).toEqual(["sdk fact one", "sdk fact three", "sdk fact two"]);
  expect(o.streamed).toBeGreaterThan(0);
  expect(o.messages).toBe(2);
  expect(o.error).toEqual([401, "invalid_api_key", "string"]);
}
