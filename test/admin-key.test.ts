/** ENGRAM_ADMIN_KEY: at least 32 characters, a warning when guessable, and a changed value revokes the previous one. */
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config/config.js";
import { adminKeyWeakness } from "../src/identity/keys.js";
import { createRuntime, type Runtime } from "../src/server.js";
import { bootstrapAdmin } from "../src/services.js";
import { backends } from "./helpers/backends.js";
import { wordsEmbedder } from "./helpers/words-embedder.js";

const KEY_A = "ek_admin_AAAAaaaa1111bbbbBBBB2222ccccCCCC";
const KEY_B = "ek_admin_ZZZZzzzz9999yyyyYYYY8888xxxxXXXX";

/** A logger whose warn lines the test can read. */
function capturingLog(): { log: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { log: pino({ level: "warn" }, sink), lines };
}

describe("ENGRAM_ADMIN_KEY strength", () => {
  it("is refused under 32 characters, naming the variable", () => {
    expect(() => loadConfig({ ENGRAM_ADMIN_KEY: "x".repeat(31) }, "/nonexistent")).toThrow(ConfigError);
    expect(() => loadConfig({ ENGRAM_ADMIN_KEY: "x".repeat(31) }, "/nonexistent")).toThrow(
      /ENGRAM_ADMIN_KEY/,
    );
    expect(loadConfig({ ENGRAM_ADMIN_KEY: KEY_A }, "/nonexistent").adminKey).toBe(KEY_A);
  });

  it("a generated-form or random key passes; a long but repetitive one is called guessable", () => {
    expect(adminKeyWeakness(KEY_A)).toBeUndefined();
    expect(adminKeyWeakness("q7R2-vP9x_Lm3Kw8ZtB4nY6cJ1hF5dGs0aE")).toBeUndefined();
    expect(adminKeyWeakness("abababababababababababababababab")).toMatch(/guessable.*openssl rand/);
    expect(adminKeyWeakness("correcthorsebatterystaple")).toBeDefined();
    expect(adminKeyWeakness("password1password1password1passw")).toMatch(/guessable/);
    // 32 hex digits: 128 bits if random, the floor.
    expect(adminKeyWeakness("9f86d081884c7d659a2feaa0c55ad015")).toBeUndefined();
  });
});

describe.each(backends)("ENGRAM_ADMIN_KEY rotation ($name)", (backend) => {
  const embedder = wordsEmbedder();
  let drop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await drop?.();
  });

  it("a changed ENGRAM_ADMIN_KEY revokes the previous one at start-up, and nothing else", async () => {
    const db = await backend.create();
    drop = db.drop;
    const start = async (adminKey: string) => {
      const config = loadConfig({ ENGRAM_ADMIN_KEY: adminKey, ...db.env }, "/nonexistent");
      const { log, lines } = capturingLog();
      const runtime = await createRuntime(config, log, { embedder });
      await bootstrapAdmin(runtime.services.identity, config, log);
      return { runtime, lines };
    };
    const status = async (rt: Runtime, key: string) => {
      const res = await rt.app.request("/v1/me", { headers: { authorization: `Bearer ${key}` } });
      return [res.status, ((await res.json()) as { error?: { code: string } }).error?.code];
    };

    const first = await start(KEY_A);
    expect(await status(first.runtime, KEY_A)).toEqual([200, undefined]);
    // An admin key made through the API, even one that borrows the name, is not the env's to revoke.
    const made = await first.runtime.app.request("/v1/keys", {
      method: "POST",
      headers: { authorization: `Bearer ${KEY_A}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "ENGRAM_ADMIN_KEY" }),
    });
    expect(made.status).toBe(201);
    const apiKey = ((await made.json()) as { api_key: string }).api_key;
    const listed = await first.runtime.app.request("/v1/keys", {
      headers: { authorization: `Bearer ${KEY_A}` },
    });
    const envRow = (
      (await listed.json()) as { keys: Array<{ id: string; prefix: string; name: string }> }
    ).keys.find((k) => k.prefix === KEY_A.slice(0, 8));
    // A fixed 8 characters of a key given in the environment.
    expect(envRow?.prefix).toBe("ek_admin");
    expect(first.lines.filter((l) => /revoked/.test(String(l.msg)))).toEqual([]);
    await first.runtime.close();

    const second = await start(KEY_B);
    expect(await status(second.runtime, KEY_A)).toEqual([401, "key_revoked"]);
    expect(await status(second.runtime, KEY_B)).toEqual([200, undefined]);
    expect(await status(second.runtime, apiKey)).toEqual([200, undefined]);
    const warned = second.lines.filter((l) => /ENGRAM_ADMIN_KEY changed/.test(String(l.msg)));
    expect(warned).toHaveLength(1);
    expect(warned[0]).toMatchObject({ key_id: envRow?.id, prefix: "ek_admin" });
    // The log names the old key by id and prefix, never by its secret.
    expect(JSON.stringify(second.lines)).not.toContain(KEY_A);
    await second.runtime.close();

    // The same value again: nothing more to revoke, and the key keeps working.
    const third = await start(KEY_B);
    expect(await status(third.runtime, KEY_B)).toEqual([200, undefined]);
    expect(third.lines.filter((l) => /revoked/.test(String(l.msg)))).toEqual([]);
    await third.runtime.close();
  });
});
