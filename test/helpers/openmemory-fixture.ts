/** An OpenMemory database (openmemory/api/app/models.py of mem0ai/mem0) as SQLAlchemy lays it out in SQLite and PostgreSQL. */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import pg from "pg";

// No foreign keys: SQLite does not enforce them by default, so an OpenMemory file may hold orphans; the fixture has some.
const SQLITE_SCHEMA = `
CREATE TABLE users (id CHAR(32) NOT NULL PRIMARY KEY, user_id VARCHAR NOT NULL UNIQUE, name VARCHAR, email VARCHAR UNIQUE,
  metadata JSON, created_at DATETIME, updated_at DATETIME);
CREATE TABLE apps (id CHAR(32) NOT NULL PRIMARY KEY, owner_id CHAR(32) NOT NULL, name VARCHAR NOT NULL, description VARCHAR,
  metadata JSON, is_active BOOLEAN, created_at DATETIME, updated_at DATETIME, CONSTRAINT uq_user_app_name UNIQUE (owner_id, name));
CREATE TABLE memories (id CHAR(32) NOT NULL PRIMARY KEY, user_id CHAR(32) NOT NULL, app_id CHAR(32) NOT NULL,
  content VARCHAR NOT NULL, vector VARCHAR, metadata JSON, state VARCHAR(8), created_at DATETIME, updated_at DATETIME,
  archived_at DATETIME, deleted_at DATETIME);
CREATE TABLE categories (id CHAR(32) NOT NULL PRIMARY KEY, name VARCHAR NOT NULL UNIQUE, description VARCHAR,
  created_at DATETIME, updated_at DATETIME);
CREATE TABLE memory_categories (memory_id CHAR(32) NOT NULL, category_id CHAR(32) NOT NULL, PRIMARY KEY (memory_id, category_id));
CREATE TABLE access_controls (id CHAR(32) NOT NULL PRIMARY KEY, subject_type VARCHAR NOT NULL, subject_id CHAR(32),
  object_type VARCHAR NOT NULL, object_id CHAR(32), effect VARCHAR NOT NULL, created_at DATETIME);
CREATE TABLE memory_status_history (id CHAR(32) NOT NULL PRIMARY KEY, memory_id CHAR(32) NOT NULL, changed_by CHAR(32) NOT NULL,
  old_state VARCHAR(8) NOT NULL, new_state VARCHAR(8) NOT NULL, changed_at DATETIME);
`;

const PG_SCHEMA = `
CREATE TYPE memorystate AS ENUM ('active', 'paused', 'archived', 'deleted');
CREATE TABLE users (id uuid PRIMARY KEY, user_id varchar NOT NULL UNIQUE, name varchar, email varchar UNIQUE, metadata json,
  created_at timestamp, updated_at timestamp);
CREATE TABLE apps (id uuid PRIMARY KEY, owner_id uuid NOT NULL, name varchar NOT NULL, description varchar, metadata json,
  is_active boolean, created_at timestamp, updated_at timestamp, CONSTRAINT uq_user_app_name UNIQUE (owner_id, name));
CREATE TABLE memories (id uuid PRIMARY KEY, user_id uuid NOT NULL, app_id uuid NOT NULL, content varchar NOT NULL,
  vector varchar, metadata json, state memorystate, created_at timestamp, updated_at timestamp, archived_at timestamp,
  deleted_at timestamp);
CREATE TABLE categories (id uuid PRIMARY KEY, name varchar NOT NULL UNIQUE, description varchar, created_at timestamp,
  updated_at timestamp);
CREATE TABLE memory_categories (memory_id uuid NOT NULL, category_id uuid NOT NULL, PRIMARY KEY (memory_id, category_id));
CREATE TABLE memory_status_history (id uuid PRIMARY KEY, memory_id uuid NOT NULL, changed_by uuid NOT NULL,
  old_state memorystate NOT NULL, new_state memorystate NOT NULL, changed_at timestamp);
`;

type Value = string | number | boolean | null;
interface Row {
  table: string;
  values: Record<string, Value>;
}

/** The rows, with UUIDs dashed; `uuidColumns` are written as 32 hex digits in SQLite, as SQLAlchemy's Uuid does. */
export interface Fixture {
  rows: Row[];
  ids: Record<string, string>;
}

const UUID_COLUMNS = new Set([
  "id",
  "owner_id",
  "user_id",
  "app_id",
  "memory_id",
  "category_id",
  "changed_by",
]);

/**
 * Users alice, bob, default_user (no email) and "carol smith" (not an Engram user id); apps in use, inactive, shared
 * by name, and one whose name needs cleaning; memories in all four states, one empty, one orphan; history with the
 * creation rows OpenMemory writes (deleted → active), state changes, and an orphan; categories on two memories.
 */
export function openMemoryFixture(): Fixture {
  const ids: Record<string, string> = {};
  const id = (name: string) => {
    ids[name] ??= randomUUID();
    return ids[name];
  };
  const t = (day: number, hh = 10) => `2025-03-${String(day).padStart(2, "0")} ${hh}:00:00.123456`;
  const rows: Row[] = [];
  const add = (table: string, values: Record<string, Value>) => rows.push({ table, values });

  add("users", {
    id: id("alice"),
    user_id: "alice",
    name: "Alice",
    email: "alice@example.com",
    metadata: "{}",
    created_at: t(1),
    updated_at: t(2),
  });
  add("users", {
    id: id("bob"),
    user_id: "bob",
    name: "Bob",
    email: "not an email",
    metadata: "{}",
    created_at: t(2),
    updated_at: t(2),
  });
  add("users", {
    id: id("default"),
    user_id: "default_user",
    name: null,
    email: null,
    metadata: null,
    created_at: t(3),
    updated_at: t(3),
  });
  add("users", {
    id: id("carol"),
    user_id: "carol smith",
    name: "Carol",
    email: null,
    metadata: "{}",
    created_at: t(4),
    updated_at: t(4),
  });

  const app = (
    key: string,
    owner: string,
    name: string,
    active: boolean,
    description: string | null,
    day: number,
  ) =>
    add("apps", {
      id: id(key),
      owner_id: id(owner),
      name,
      description,
      metadata: "{}",
      is_active: active,
      created_at: t(day),
      updated_at: t(day),
    });
  app("a.claude", "alice", "claude", true, null, 1);
  app("a.cursor", "alice", "cursor", false, "paused by alice", 1);
  app("b.claude", "bob", "claude", true, null, 2);
  app("b.myapp", "bob", "My App", true, null, 2);
  app("d.openmemory", "default", "openmemory", true, null, 3);
  app("c.claude", "carol", "claude", true, null, 4);
  app("ghost.app", "ghost", "ghost", true, null, 4);

  const mem = (
    key: string,
    user: string,
    appKey: string,
    content: string,
    state: string,
    day: number,
    meta = "{}",
  ) =>
    add("memories", {
      id: id(key),
      user_id: id(user),
      app_id: id(appKey),
      content,
      vector: null,
      metadata: meta,
      state,
      created_at: t(day),
      updated_at: t(day, 12),
    });
  mem(
    "m.a1",
    "alice",
    "a.claude",
    "Alice prefers green tea",
    "active",
    5,
    '{"source_app":"openmemory","mcp_client":"claude"}',
  );
  mem("m.a2", "alice", "a.cursor", "Alice is learning Rust", "paused", 6);
  mem("m.a3", "alice", "a.claude", "Alice lived in Lisbon", "archived", 7);
  mem("m.a4", "alice", "a.claude", "Alice had a cat named Tom", "deleted", 8);
  mem("m.b1", "bob", "b.myapp", "Bob runs marathons", "active", 5);
  mem("m.b2", "bob", "b.claude", "   ", "active", 6);
  mem("m.d1", "default", "d.openmemory", "The default user likes jazz", "active", 9, '"not an object"');
  mem("m.c1", "carol", "c.claude", "Carol's memory", "active", 9);
  mem("m.ghost", "ghost", "ghost.app", "Nobody's memory", "active", 9);

  const hist = (key: string, memKey: string, user: string, from: string, to: string, day: number, hh = 10) =>
    add("memory_status_history", {
      id: id(key),
      memory_id: id(memKey),
      changed_by: id(user),
      old_state: from,
      new_state: to,
      changed_at: t(day, hh),
    });
  for (const [m, u, day] of [
    ["m.a1", "alice", 5],
    ["m.a2", "alice", 6],
    ["m.a3", "alice", 7],
    ["m.a4", "alice", 8],
    ["m.b1", "bob", 5],
    ["m.b2", "bob", 6],
    ["m.d1", "default", 9],
    ["m.c1", "carol", 9],
  ] as const) {
    hist(`h.${m}`, m, u, "deleted", "active", day);
  }
  hist("h.a2.pause", "m.a2", "alice", "active", "paused", 6, 11);
  hist("h.a3.archive", "m.a3", "alice", "active", "archived", 7, 11);
  hist("h.a4.delete", "m.a4", "alice", "active", "deleted", 8, 11);
  hist("h.ghost", "m.gone", "alice", "active", "paused", 9);

  add("categories", {
    id: id("cat.personal"),
    name: "personal",
    description: null,
    created_at: t(1),
    updated_at: t(1),
  });
  add("categories", {
    id: id("cat.food"),
    name: "food",
    description: null,
    created_at: t(1),
    updated_at: t(1),
  });
  add("memory_categories", { memory_id: id("m.a1"), category_id: id("cat.personal") });
  add("memory_categories", { memory_id: id("m.a1"), category_id: id("cat.food") });
  add("memory_categories", { memory_id: id("m.d1"), category_id: id("cat.personal") });
  return { rows, ids };
}

function insertSql(row: Row, placeholder: (i: number) => string): string {
  const cols = Object.keys(row.values);
  return `INSERT INTO ${row.table} (${cols.join(", ")}) VALUES (${cols.map((_, i) => placeholder(i)).join(", ")})`;
}

/** Writes the fixture as an OpenMemory SQLite file (openmemory.db) at `file`. */
export async function writeSqliteFixture(f: Fixture, file: string): Promise<void> {
  const initSqlJs = (await import("sql.js")).default;
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  db.run(SQLITE_SCHEMA);
  for (const row of f.rows) {
    const values = Object.entries(row.values).map(([k, v]) =>
      typeof v === "string" && UUID_COLUMNS.has(k)
        ? v.replaceAll("-", "")
        : typeof v === "boolean"
          ? v
            ? 1
            : 0
          : v,
    );
    db.run(
      insertSql(row, () => "?"),
      values,
    );
  }
  writeFileSync(file, db.export());
  db.close();
}

/** Creates OpenMemory's tables in the (empty) database at `url` and fills them. */
export async function writePostgresFixture(f: Fixture, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(PG_SCHEMA);
    for (const row of f.rows)
      await client.query(
        insertSql(row, (i) => `$${i + 1}`),
        Object.values(row.values),
      );
  } finally {
    await client.end();
  }
}
