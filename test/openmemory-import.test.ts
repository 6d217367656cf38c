/** `engram import --from openmemory`: the reader over SQLite and PostgreSQL fixtures, and the import into Engram. */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyOpenMemory, formatReport, surveyOpenMemory } from "../src/cli/openmemory-import.js";
import { loadConfig } from "../src/config/config.js";
import { startServer } from "../src/server.js";
import { type MemoryRecord, TransferRecord } from "../src/transfer/format.js";
import { emptyReport, isoTime, type ReadReport, readOpenMemory } from "../src/transfer/openmemory.js";
import { openOpenMemorySource } from "../src/transfer/openmemory-sql.js";
import { backends, pgliteBackend, postgresBackend } from "./helpers/backends.js";
import {
  type Fixture,
  openMemoryFixture,
  writePostgresFixture,
  writeSqliteFixture,
} from "./helpers/openmemory-fixture.js";
import { ADMIN_KEY, startEngram } from "./helpers/runtime.js";

const EXPORTED_AT = "2026-01-01T00:00:00.000Z";
const dir = mkdtempSync(join(tmpdir(), "engram-openmemory-"));
const file = join(dir, "openmemory.db");
let fixture: Fixture;

async function readAll(location: string): Promise<{ records: TransferRecord[]; report: ReadReport }> {
  const src = await openOpenMemorySource(location);
  const report = emptyReport();
  const records: TransferRecord[] = [];
  try {
    for await (const r of readOpenMemory(src, { exportedAt: EXPORTED_AT }, report)) records.push(r);
  } finally {
    await src.close();
  }
  return { records, report };
}

const memoriesOf = (records: TransferRecord[], user: string) =>
  records.filter((r): r is MemoryRecord => r.type === "memory" && r.user_id === user);

beforeAll(async () => {
  fixture = openMemoryFixture();
  await writeSqliteFixture(fixture, file);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("reading an OpenMemory SQLite file", () => {
  it("accounts for every row: imported or skipped with a reason", async () => {
    const { report } = await readAll(file);
    expect(report.source).toEqual({ users: 4, apps: 7, memories: 9, memory_status_history: 12 });
    expect(report.users).toBe(3);
    expect(report.apps).toBe(5);
    expect(report.memories).toEqual({ active: 3, paused: 1, archived: 1, deleted: 1 });
    expect(report.events).toBe(9);
    expect(report.categoryLinks).toBe(3);
    const skipped = (t: string) =>
      report.skipped
        .filter((s) => s.table === t)
        .map((s) => s.reason)
        .sort();
    expect(skipped("users")).toEqual(['user_id "carol smith" is not a valid Engram user id']);
    expect(skipped("apps")).toEqual(["its user was skipped", "owner not in users"]);
    expect(skipped("memories")).toEqual(["empty content", "its user was skipped", "user not in users"]);
    expect(skipped("memory_status_history")).toEqual([
      "its memory was skipped",
      "its user was skipped",
      "memory not in memories",
    ]);
    for (const t of ["users", "apps", "memories", "memory_status_history"] as const) {
      const imported = {
        users: report.users,
        apps: report.apps,
        memories: Object.values(report.memories).reduce((a, b) => a + b, 0),
        memory_status_history: report.events,
      }[t];
      expect(imported + skipped(t).length, t).toBe(report.source[t]);
    }
    const text = formatReport(report, "sqlite", file);
    expect(text).toContain("memories  6 of 9: active 3, paused 1, archived 1, deleted 1");
    expect(text).toContain("memories: empty content (1)");
  });

  it("yields valid export records in file order, with states, timestamps, apps and categories mapped", async () => {
    const { records } = await readAll(file);
    for (const r of records) expect(TransferRecord.safeParse(r).success, JSON.stringify(r)).toBe(true);
    expect(records.map((r) => r.type).slice(0, 3)).toEqual(["header", "tenant", "user"]);
    expect(records.at(-1)).toEqual({
      type: "end",
      counts: { tenant: 1, user: 3, app: 5, memory: 6, memory_event: 9, session: 0, message: 0 },
    });
    const users = records.flatMap((r) => (r.type === "user" ? [r] : []));
    expect(users.map((u) => [u.user_id, u.email, u.created_at])).toEqual([
      ["alice", "alice@example.com", "2025-03-01T10:00:00.123Z"],
      ["bob", null, "2025-03-02T10:00:00.123Z"],
      ["default_user", null, "2025-03-03T10:00:00.123Z"],
    ]);
    expect(users[0]?.last_active_at).toBe("2025-03-08T12:00:00.123Z");

    const alice = memoriesOf(records, "alice");
    expect(alice.map((m) => [m.text, m.state, m.app])).toEqual([
      ["Alice prefers green tea", "active", "claude"],
      ["Alice is learning Rust", "paused", "cursor"],
      ["Alice lived in Lisbon", "archived", "claude"],
      ["Alice had a cat named Tom", "deleted", "claude"],
    ]);
    expect(alice[0]).toMatchObject({
      metadata: { source_app: "openmemory", mcp_client: "claude", categories: ["food", "personal"] },
      created_at: "2025-03-05T10:00:00.123Z",
      updated_at: "2025-03-05T12:00:00.123Z",
      embedding: null,
      session_id: null,
    });
    expect(memoriesOf(records, "bob").map((m) => m.app)).toEqual(["My-App"]);
    expect(memoriesOf(records, "default_user")[0]?.metadata).toEqual({ categories: ["personal"] });

    const apps = records.flatMap((r) => (r.type === "app" && r.user_id === "alice" ? [r] : []));
    apps.sort((a, b) => a.name.localeCompare(b.name));
    expect(apps.map((a) => [a.name, a.is_active, a.description])).toEqual([
      ["claude", true, null],
      ["cursor", false, "paused by alice"],
    ]);

    // OpenMemory's creation row (deleted → active) is the memory's add; later rows are state changes.
    const paused = alice[1] as MemoryRecord;
    const events = records.flatMap((r) =>
      r.type === "memory_event" && r.memory_id === paused.id ? [r] : [],
    );
    expect(events.map((e) => [e.event, e.old_state, e.new_state, e.created_at])).toEqual([
      ["add", null, "active", "2025-03-06T10:00:00.123Z"],
      ["state", "active", "paused", "2025-03-06T11:00:00.123Z"],
    ]);
  });

  it("derives the same ids on every run, sortable by creation time", async () => {
    const first = await readAll(file);
    const second = await readAll(file);
    expect(second.records).toEqual(first.records);
    const ids = first.records.flatMap((r) => ("id" in r && r.type !== "tenant" ? [r.id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^(mem|app|evt)_[0-9a-z]{26}$/);
    const alice = memoriesOf(first.records, "alice").map((m) => m.id);
    expect([...alice].sort()).toEqual(alice);
  });

  it("the dry run writes nothing and opens no Engram store", async () => {
    const src = await openOpenMemorySource(`sqlite:///${file}`);
    try {
      const report = await surveyOpenMemory(src);
      expect(report.users).toBe(3);
    } finally {
      await src.close();
    }
  });

  it("refuses a file that is not SQLite, and a database without OpenMemory's tables", async () => {
    await expect(openOpenMemorySource(join(import.meta.dirname, "..", "package.json"))).rejects.toThrow(
      /not a SQLite database/,
    );
    const empty = join(dir, "empty.db");
    const initSqlJs = (await import("sql.js")).default;
    const db = new (await initSqlJs()).Database();
    db.run("CREATE TABLE notes (id INTEGER)");
    writeFileSync(empty, db.export());
    db.close();
    const src = await openOpenMemorySource(empty);
    await expect(surveyOpenMemory(src)).rejects.toThrow(
      "not an OpenMemory database: no table 'users' (sqlite)",
    );
    await src.close();
  });

  it("reads SQLAlchemy's timestamps (no zone: UTC) and zoned ones", () => {
    expect(isoTime("2025-03-01 10:00:00")).toBe("2025-03-01T10:00:00.000Z");
    expect(isoTime("2025-03-01 10:00:00.5+02")).toBe("2025-03-01T08:00:00.500Z");
    expect(isoTime("2025-03-01T10:00:00.123456+00:00")).toBe("2025-03-01T10:00:00.123Z");
    expect(isoTime("yesterday")).toBeNull();
  });
});

describe.skipIf(!process.env.ENGRAM_TEST_DATABASE_URL)("reading an OpenMemory PostgreSQL database", () => {
  it("yields exactly the records the same data gives from SQLite", async () => {
    const db = await postgresBackend.create({ empty: true });
    try {
      if (db.database.kind !== "postgres") throw new Error("expected postgres");
      await writePostgresFixture(fixture, db.database.url);
      const fromPg = await readAll(db.database.url);
      const fromSqlite = await readAll(file);
      expect(fromPg.records).toEqual(fromSqlite.records);
      // The report names rows as each database spells their UUIDs; the rest is the same.
      const undashed = (r: ReadReport) =>
        JSON.parse(
          JSON.stringify(r).replace(
            /([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})/g,
            "$1$2$3$4$5",
          ),
        );
      expect(undashed(fromPg.report)).toEqual(fromSqlite.report);
    } finally {
      await db.drop();
    }
  });
});

describe.each(backends)("importing into Engram ($name)", (backend) => {
  it("imports each user with a key that sees only its own memories; a second run changes nothing", async () => {
    const e = await startEngram(backend, {}, { embedder: "words" });
    try {
      const services = e.runtime.services;
      const src = await openOpenMemorySource(file);
      const first = await applyOpenMemory(services, src).finally(() => src.close());
      expect(first.summary.errors).toEqual([]);
      expect(first.summary.ok).toBe(true);
      expect(first.summary.imported).toMatchObject({ user: 3, app: 5, memory: 6, memory_event: 9 });
      expect(first.summary.reembedded).toBe(6);
      expect(first.keys.map((k) => k.user_id)).toEqual(["alice", "bob", "default_user"]);

      const { records } = await readAll(file);
      const key = (u: string) => first.keys.find((k) => k.user_id === u)?.api_key ?? "";
      const listAll = async (u: string) => {
        const ids: string[] = [];
        for (const state of ["active", "paused", "archived", "deleted"]) {
          const res = await e.call("GET", `/v1/memories?state=${state}&limit=100`, { key: key(u) });
          expect(res.status).toBe(200);
          for (const m of res.body.memories) ids.push(m.id);
        }
        return ids.sort();
      };
      // Lists leave out the memories of a paused app (alice's "cursor", paused in OpenMemory too).
      const visible = (u: string) =>
        memoriesOf(records, u)
          .filter((m) => m.app !== "cursor")
          .map((m) => m.id)
          .sort();
      for (const u of ["alice", "bob", "default_user"]) expect(await listAll(u)).toEqual(visible(u));
      const apps = await e.call("GET", "/v1/apps", { key: key("alice") });
      expect(
        apps.body.apps
          .map((a: { name: string; is_active: boolean; memory_count: number }) => [
            a.name,
            a.is_active,
            a.memory_count,
          ])
          .sort(),
      ).toEqual([
        ["claude", true, 3],
        ["cursor", false, 1],
        ["default", true, 0],
      ]);
      const aliceMem = memoriesOf(records, "alice")[2] as MemoryRecord;
      const got = await e.call("GET", `/v1/memories/${aliceMem.id}`, { key: key("alice") });
      expect(got.body).toMatchObject({ state: "archived", created_at: aliceMem.created_at, app: "claude" });
      const history = await e.call("GET", `/v1/memories/${aliceMem.id}/history`, { key: key("alice") });
      expect(
        history.body.events.map((x: { event: string; new_state: string }) => [x.event, x.new_state]),
      ).toEqual([
        ["add", "active"],
        ["state", "archived"],
      ]);
      // Another user's memory is not found, not forbidden.
      expect((await e.call("GET", `/v1/memories/${aliceMem.id}`, { key: key("bob") })).status).toBe(404);
      const search = await e.call("POST", "/v1/memories/search", {
        key: key("alice"),
        body: { query: "green tea", mode: "semantic" },
      });
      expect(search.body.results[0]?.text).toBe("Alice prefers green tea");

      const src2 = await openOpenMemorySource(file);
      const second = await applyOpenMemory(services, src2).finally(() => src2.close());
      expect(second.summary.ok).toBe(true);
      expect(second.summary.imported).toMatchObject({ user: 0, app: 0, memory: 0, memory_event: 0 });
      expect(second.keys).toEqual([]);
      expect(second.keptKeys).toEqual(["alice", "bob", "default_user"]);
      expect(await listAll("alice")).toEqual(visible("alice"));
    } finally {
      await e.close();
    }
  });
});

describe("engram mcp's OpenMemory variables", () => {
  it("OPENMEMORY_API_URL / OPENMEMORY_API_KEY are fallbacks, read only where ENGRAM_URL / ENGRAM_API_KEY are unset", () => {
    const om = { OPENMEMORY_API_URL: "http://localhost:8765", OPENMEMORY_API_KEY: "ek_user_x" };
    expect(loadConfig(om, dir).client).toEqual({
      openMemory: { url: "http://localhost:8765", apiKey: "ek_user_x" },
    });
    expect(
      loadConfig({ ...om, ENGRAM_URL: "http://engram:8765", ENGRAM_API_KEY: "ek_user_y" }, dir).client,
    ).toEqual({ url: "http://engram:8765", apiKey: "ek_user_y" });
    expect(() => loadConfig({ OPENMEMORY_API_URL: "localhost:8765" }, dir)).toThrow(
      'invalid configuration: OPENMEMORY_API_URL: must be an http:// or https:// URL (got "localhost:8765")',
    );
    // Unread when ENGRAM_URL is set: a stale OpenMemory value does not stop the command.
    expect(loadConfig({ OPENMEMORY_API_URL: "nonsense", ENGRAM_URL: "http://x:1" }, dir).client).toEqual({
      url: "http://x:1",
    });
  });
});

describe("engram mcp with OpenMemory's Claude Desktop env", () => {
  it("forwards to the server OPENMEMORY_API_URL names, as the key OPENMEMORY_API_KEY holds", async () => {
    const db = await pgliteBackend.create();
    const config = loadConfig(
      { ...db.env, ENGRAM_PORT: "0", ENGRAM_ADMIN_KEY: ADMIN_KEY, ENGRAM_LOG_LEVEL: "silent" },
      "/nonexistent",
    );
    const server = await startServer(config, pino({ level: "silent" }));
    const client = new Client({ name: "engram-test", version: "1.0.0" });
    try {
      const created = await fetch(`${server.url}/v1/users`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ user_id: "moved_user" }),
      });
      const key = ((await created.json()) as { api_key: string }).api_key;
      const root = join(import.meta.dirname, "..");
      // Only OpenMemory's variables: the block moved from OpenMemory with a new command and args.
      const transport = new StdioClientTransport({
        command: join(root, "node_modules", ".bin", "tsx"),
        args: [join(root, "src", "cli", "main.ts"), "mcp"],
        env: { PATH: process.env.PATH ?? "", OPENMEMORY_API_URL: server.url, OPENMEMORY_API_KEY: key },
        cwd: dir,
        stderr: "pipe",
      });
      await client.connect(transport);
      const added = (await client.callTool({
        name: "add_memories",
        arguments: { text: "Moved from OpenMemory" },
      })) as CallToolResult;
      expect(added.isError).toBeFalsy();
      const listed = await fetch(`${server.url}/v1/memories`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const body = (await listed.json()) as { memories: Array<{ text: string }> };
      expect(body.memories.map((m) => m.text)).toEqual(["Moved from OpenMemory"]);
    } finally {
      await client.close();
      await server.stop();
      await db.drop();
    }
  }, 120_000);
});
