/**
 * Isolation property test (issue #9): a seeded random sequence of operations (add, search, list, get, update,
 * delete, history, sessions, chat, apps, OpenMemory routes, MCP tools) by many users of several tenants through
 * every key kind (user keys, tenant client keys acting via X-User-Id, the admin key acting via X-User-Id +
 * X-Tenant-Id), with hostile attempts mixed in (other users' ids, user keys naming other users, client keys naming
 * users of other tenants, admin naming users that do not exist). Every text carries a marker naming its owner
 * (`[owner=<tenant>/<user>#<n>]`), so every response can be scanned: each marker and each resource id in it must
 * belong to the acting user. An in-memory model says who owns what; it is compared exactly, at checkpoints, with
 * what each user lists with its own key and with the raw tables (no foreign writes, nothing lost).
 *
 * ENGRAM_PROPERTY_SEED (default below, printed) and ENGRAM_PROPERTY_OPS (operations per backend; default 2500,
 * 30,000 under ENGRAM_SOAK=1, i.e. `npm run test:soak`) choose the run; ENGRAM_PROPERTY_CHECK_EVERY the checkpoint
 * interval (default 250). A failure prints the seed and the operation index to rerun it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rng as mulberry32 } from "../bench/lib/stats.js";
import { backends } from "./helpers/backends.js";
import { ADMIN_KEY, makeUser, startEngram, type TestEngram } from "./helpers/runtime.js";

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`${name}: expected a non-negative integer, got '${raw}'`);
  return n;
}

const SEED = envInt("ENGRAM_PROPERTY_SEED", 90210);
/** CI: a few thousand per backend. `npm run test:soak` (ENGRAM_SOAK=1): far more, unless ENGRAM_PROPERTY_OPS says. */
const OPS = envInt("ENGRAM_PROPERTY_OPS", process.env.ENGRAM_SOAK === "1" ? 30_000 : 2500);
const CHECK_EVERY = Math.max(1, envInt("ENGRAM_PROPERTY_CHECK_EVERY", 250));
/** Soak runs are long; CI's default finishes well inside this. */
const TIMEOUT_MS = Math.max(300_000, OPS * 150);

// ---------------------------------------------------------------------------------------------- the world

const TENANTS: Record<string, string[]> = {
  // Shared external ids across tenants (alice in pa and pb, bob in pa and pc): distinct users.
  pa: ["alice", "bob", "carol", "dave"],
  pb: ["alice", "erin", "frank"],
  pc: ["bob", "gina", "hank", "ivan"],
};
const ALL_NAMES = [...new Set(Object.values(TENANTS).flat()), "zed", "0"];
/** What a client key names across tenants: users of other tenants, one nobody has, and "0" (no header). */
const CROSS_NAMES = ["alice", "bob", "erin", "gina", "zed", "0"];
/** Shared vocabulary: every user's texts use the same words, so a leak would rank well in anyone's search. */
const WORDS = (
  "tea coffee python rust cycling piano vault code secret lisbon porto peanuts allergy cello email " +
  "garden chess tokyo berlin salary doctor passport sister birthday password train dog cat"
).split(" ");
const APPS = ["default", "notes", "work"];
const STATES = ["active", "paused", "archived"] as const;
const MARKER = /\[owner=([^\]#\s]+)#(\d+)\]/g;
const ID = /\b(?:mem|sess|msg|app|evt)_[0-9a-z]{26}\b/g;

type State = (typeof STATES)[number];
type KeyKind = "user" | "client" | "admin";

interface MMem {
  id: string;
  text: string;
  state: State;
  app: string;
  session: string | null;
}

interface MSession {
  id: string;
  messages: string[];
}

interface MUser {
  /** `<tenant>/<external id>`: what markers name. */
  key: string;
  tenant: string;
  ext: string;
  userKey?: string;
  exists: boolean;
  n: number;
  mems: Map<string, MMem>;
  goneMems: Set<string>;
  sessions: Map<string, MSession>;
  goneSessions: Set<string>;
  apps: Map<string, { active: boolean; id?: string }>;
  /** Other users' session ids this user put on its own memories as a label (session_id is not checked on add). */
  labels: Set<string>;
}

interface Actor {
  user: MUser;
  kind: KeyKind;
  key: string;
  headers: Record<string, string>;
  why: string;
}

interface Stats {
  ops: number;
  responses: number;
  /** All hostile attempts; the breakdown follows. */
  hostile: number;
  /** Another user's memory, session or app id on a route or tool. */
  foreignIds: number;
  /** Another user's marker and words as a search query or chat question. */
  foreignQueries: number;
  /** A key naming a user it may not act as (user key naming another, mismatched body user_id, admin routes). */
  wrongIdentity: number;
  /** A client key naming a user of another tenant (or folding one in with X-Muxi-Tenant-Id). */
  crossTenant: number;
  /** The admin key naming a user that does not exist in the tenant, or none. */
  adminGhost: number;
  refused: number;
  checkpoints: number;
  markersSeen: number;
  checkpointMs: number;
}

interface Res {
  status: number;
  body: any;
}

class Violation extends Error {}

describe.each(backends)("isolation property ($name)", (backend) => {
  let e: TestEngram;
  const rnd = mulberry32(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const chance = (p: number) => rnd() < p;
  const users = new Map<string, MUser>();
  const clientKeys: Record<string, string> = {};
  /** Who each id belongs to: registered when created, or (msg, evt, app) when first seen in an owner's response. */
  const idOwner = new Map<string, string>();
  const stats: Stats = {
    ops: 0,
    responses: 0,
    hostile: 0,
    foreignIds: 0,
    foreignQueries: 0,
    wrongIdentity: 0,
    crossTenant: 0,
    adminGhost: 0,
    refused: 0,
    checkpoints: 0,
    markersSeen: 0,
    checkpointMs: 0,
  };
  let opIndex = -1;
  let opName = "setup";
  let rpc = 0;

  function fail(msg: string): never {
    throw new Violation(`[${backend.name} seed=${SEED} op=${opIndex} ${opName}] ${msg}`);
  }

  function modelUser(tenant: string, ext: string): MUser {
    const key = `${tenant}/${ext}`;
    let u = users.get(key);
    if (!u) {
      u = {
        key,
        tenant,
        ext,
        exists: false,
        n: 0,
        mems: new Map(),
        goneMems: new Set(),
        sessions: new Map(),
        goneSessions: new Set(),
        apps: new Map(),
        labels: new Set(),
      };
      users.set(key, u);
    }
    return u;
  }

  const marker = (u: MUser) => `[owner=${u.key}#${++u.n}]`;
  const words = (k: number) => Array.from({ length: k }, () => pick(WORDS)).join(" ");
  const existing = () => [...users.values()].filter((u) => u.exists);
  const others = (u: MUser) => existing().filter((o) => o !== u);

  function hostile(
    kind: "foreignIds" | "foreignQueries" | "wrongIdentity" | "crossTenant" | "adminGhost",
  ): void {
    stats.hostile++;
    stats[kind]++;
  }

  function own(id: string, u: MUser): void {
    const prev = idOwner.get(id);
    if (prev !== undefined && prev !== u.key) fail(`id ${id} created for ${u.key} was already ${prev}'s`);
    idOwner.set(id, u.key);
  }

  function ensureApp(u: MUser, name: string): void {
    if (!u.apps.has(name)) u.apps.set(name, { active: true });
  }
  const appActive = (u: MUser, name: string) => u.apps.get(name)?.active !== false;

  function visible(u: MUser, state: State = "active", app?: string): MMem[] {
    return [...u.mems.values()].filter(
      (m) => m.state === state && appActive(u, m.app) && (app === undefined || m.app === app),
    );
  }

  // ------------------------------------------------------------------------------------------ actors

  /** A legitimate actor for `u`: its user key, its tenant's client key, or the admin key naming it. */
  function actorFor(u: MUser, kinds: KeyKind[] = ["user", "user", "client", "client", "admin"]): Actor {
    const usable = kinds.filter((k) => k !== "user" || u.userKey !== undefined);
    const kind = pick(usable.length > 0 ? usable : (["client"] as KeyKind[]));
    const headers: Record<string, string> = {};
    const otherTenant = pick(Object.keys(TENANTS).filter((t) => t !== u.tenant));
    if (kind === "user") {
      if (chance(0.3)) headers["x-user-id"] = u.ext;
      // X-Tenant-Id is for the admin key only: ignored for others.
      if (chance(0.1)) headers["x-tenant-id"] = otherTenant;
      return { user: u, kind, key: u.userKey as string, headers, why: "user key" };
    }
    if (kind === "client") {
      headers[chance(0.2) ? "x-muxi-user-id" : "x-user-id"] = u.ext;
      if (chance(0.1)) headers["x-tenant-id"] = otherTenant;
      return { user: u, kind, key: clientKeys[u.tenant] as string, headers, why: "client key" };
    }
    headers["x-user-id"] = u.ext;
    headers["x-tenant-id"] = u.tenant;
    return { user: u, kind, key: ADMIN_KEY, headers, why: "admin key" };
  }

  // ------------------------------------------------------------------------------------------ requests

  /** Every response goes through here: markers and ids in it must be the actor's (or echo the request on error). */
  function scan(owner: MUser, request: string, res: Res): void {
    stats.responses++;
    const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? "");
    for (const m of text.matchAll(MARKER)) {
      stats.markersSeen++;
      if (m[1] === owner.key) continue;
      if (request.includes(m[0])) continue; // the request's own words, echoed
      fail(`response for ${owner.key} contains ${m[0]} (status ${res.status}): ${text.slice(0, 600)}`);
    }
    for (const m of text.matchAll(ID)) {
      const id = m[0];
      const o = idOwner.get(id);
      if (o === undefined) {
        if (res.status < 300) idOwner.set(id, owner.key);
        continue;
      }
      if (o === owner.key) continue;
      if (request.includes(id) || owner.labels.has(id)) continue; // an id the actor itself sent
      fail(
        `response for ${owner.key} contains ${o}'s id ${id} (status ${res.status}): ${text.slice(0, 600)}`,
      );
    }
  }

  async function send(
    a: Actor,
    method: string,
    path: string,
    body?: unknown,
    extra: Record<string, string> = {},
    createsUser = true,
  ): Promise<Res> {
    const res = await e.call(method, path, {
      key: a.key,
      headers: { ...a.headers, ...extra },
      ...(body !== undefined ? { body } : {}),
    });
    if (res.status >= 500) fail(`${method} ${path} as ${a.why}: ${res.status} ${JSON.stringify(res.body)}`);
    if (res.status === 429) fail(`${method} ${path}: rate limited; the test disables rate limits`);
    // A client key that got past validation has created the user it named.
    if (a.kind === "client" && createsUser && res.status !== 400) a.user.exists = true;
    scan(a.user, `${method} ${path} ${JSON.stringify(a.headers)} ${JSON.stringify(body ?? "")}`, res);
    return res;
  }

  function expectStatus(res: Res, status: number, code?: string, what = ""): void {
    if (res.status !== status || (code !== undefined && res.body?.error?.code !== code)) {
      fail(
        `${what}: expected ${status}${code ? ` ${code}` : ""}, got ${res.status} ${JSON.stringify(res.body)}`,
      );
    }
    if (status >= 400) stats.refused++;
  }

  /** One MCP tool call over /mcp (stateless JSON-RPC). Returns the tool result. */
  async function mcp(
    a: Actor,
    name: string,
    args: Record<string, unknown>,
  ): Promise<{ isError: boolean; text: string; data: any }> {
    const res = await send(
      a,
      "POST",
      "/mcp",
      { jsonrpc: "2.0", id: ++rpc, method: "tools/call", params: { name, arguments: args } },
      // In-process there is no socket: Host must name the configured port (src/http/host-guard.ts).
      { accept: "application/json, text/event-stream", host: `localhost:${e.config.port}` },
    );
    if (res.status !== 200 || !res.body?.result)
      fail(`mcp ${name}: ${res.status} ${JSON.stringify(res.body)}`);
    const r = res.body.result;
    const text: string = r.content?.[0]?.text ?? "";
    return { isError: r.isError === true, text, data: r.structuredContent };
  }

  function expectMcpError(r: { isError: boolean; text: string }, code: string, what: string): void {
    if (!r.isError || !r.text.includes(`(${code})`))
      fail(`${what}: expected tool error ${code}, got ${r.text}`);
    stats.refused++;
  }

  // ------------------------------------------------------------------------------------------ choices

  function ownMem(u: MUser): MMem | undefined {
    const xs = [...u.mems.values()];
    return xs.length > 0 ? pick(xs) : undefined;
  }
  function foreignMemId(u: MUser): string | undefined {
    const xs = others(u).flatMap((o) => [...o.mems.keys(), ...o.goneMems]);
    return xs.length > 0 ? pick(xs) : undefined;
  }
  function foreignMarker(u: MUser): string {
    const xs = others(u).flatMap((o) => [...o.mems.values()].map((m) => m.text));
    if (xs.length === 0) return "[owner=nobody/none#0]";
    return /\[owner=[^\]]+\]/.exec(pick(xs))?.[0] ?? "";
  }
  function foreignSessionId(u: MUser): string | undefined {
    const xs = others(u).flatMap((o) => [...o.sessions.keys(), ...o.goneSessions]);
    return xs.length > 0 ? pick(xs) : undefined;
  }
  function foreignAppId(u: MUser): string | undefined {
    const xs = others(u).flatMap((o) => [...o.apps.values()].flatMap((x) => (x.id ? [x.id] : [])));
    return xs.length > 0 ? pick(xs) : undefined;
  }

  type Target =
    | { kind: "own"; mem: MMem }
    | { kind: "gone"; id: string }
    | { kind: "foreign"; id: string }
    | { kind: "none"; id: string };

  /** A memory id to act on: mostly the actor's own, often another user's (a hostile attempt). */
  function memTarget(u: MUser): Target {
    const r = rnd();
    const mine = ownMem(u);
    if (r < 0.55 && mine) return { kind: "own", mem: mine };
    if (r < 0.62 && u.goneMems.size > 0) return { kind: "gone", id: pick([...u.goneMems]) };
    const f = foreignMemId(u);
    if (f) {
      hostile("foreignIds");
      return { kind: "foreign", id: f };
    }
    return { kind: "none", id: "mem_00000000000000000000000000" };
  }

  function sessionTarget(u: MUser): { kind: "own" | "gone" | "foreign" | "none"; id: string } {
    const r = rnd();
    if (r < 0.6 && u.sessions.size > 0) return { kind: "own", id: pick([...u.sessions.keys()]) };
    if (r < 0.67 && u.goneSessions.size > 0) return { kind: "gone", id: pick([...u.goneSessions]) };
    const f = foreignSessionId(u);
    if (f) {
      hostile("foreignIds");
      return { kind: "foreign", id: f };
    }
    return { kind: "none", id: "sess_00000000000000000000000000" };
  }

  function addToModel(u: MUser, m: any, expectText: string | undefined, app: string, session: string | null) {
    if (typeof m?.id !== "string") fail(`no memory in ${JSON.stringify(m)}`);
    if (expectText !== undefined && m.text !== expectText) fail(`stored text ${m.text} != ${expectText}`);
    own(m.id, u);
    if (m.app !== app) fail(`memory app ${m.app} != ${app}`);
    u.mems.set(m.id, { id: m.id, text: m.text, state: "active", app, session });
    ensureApp(u, app);
  }

  function checkMemsAgainst(u: MUser, got: any[], expected: MMem[], exact: boolean, what: string): void {
    const want = new Map(expected.map((m) => [m.id, m]));
    for (const g of got) {
      const m = want.get(g.id);
      if (!m) fail(`${what}: ${g.id} (${g.text}) is not among ${u.key}'s visible memories`);
      if (g.text !== m.text || g.state !== m.state || g.app !== m.app)
        fail(`${what}: ${g.id} is ${JSON.stringify(g)}; model ${JSON.stringify(m)}`);
    }
    if (exact && got.length !== want.size) {
      const gotIds = new Set(got.map((g) => g.id));
      const missing = [...want.keys()].filter((id) => !gotIds.has(id));
      fail(`${what}: ${got.length} memories, model ${want.size}; missing ${missing.join(",")}`);
    }
  }

  // ------------------------------------------------------------------------------------------ operations

  type Op = (a: Actor) => Promise<void>;

  const addRest: Op = async (a) => {
    const u = a.user;
    const app = pick(APPS);
    let session: string | null = null;
    const r = rnd();
    if (r < 0.2 && u.sessions.size > 0) session = pick([...u.sessions.keys()]);
    else if (r < 0.24) {
      // Another user's session id as the label of one's own memory: accepted (a label), but it must neither
      // reach that session nor show the memory to its owner.
      const f = foreignSessionId(u);
      if (f) {
        hostile("foreignIds");
        session = f;
        u.labels.add(f);
      }
    }
    const text = `${words(3)} ${marker(u)}`;
    const res = await send(a, "POST", "/v1/memories", {
      text,
      ...(app !== "default" || chance(0.5) ? { app } : {}),
      ...(session ? { session_id: session } : {}),
      metadata: { n: u.n },
    });
    if (!appActive(u, app)) return expectStatus(res, 403, "app_paused", "add to a paused app");
    expectStatus(res, 201, undefined, "add");
    addToModel(u, res.body, text, app, session);
    if (res.body.session_id !== session) fail(`session_id ${res.body.session_id} != ${session}`);
  };

  const addOm: Op = async (a) => {
    const u = a.user;
    const text = `${words(3)} ${marker(u)}`;
    const app = chance(0.7) ? "default" : "notes";
    const res = await send(a, "POST", "/api/v1/memories/", {
      text,
      app,
      ...(chance(0.4) && a.kind !== "admin" ? { user_id: u.ext } : {}),
    });
    if (!appActive(u, app)) return expectStatus(res, 403, "app_paused", "om add to a paused app");
    expectStatus(res, 200, undefined, "om add");
    if (res.body.content !== text) fail(`om content ${res.body.content}`);
    addToModel(u, res.body, text, app, null);
  };

  const addMcp: Op = async (a) => {
    const u = a.user;
    const text = `${words(3)} ${marker(u)}`;
    const r = await mcp(a, "add_memories", { text });
    if (r.isError) fail(`mcp add: ${r.text}`);
    if (r.data.results[0]?.event !== "ADD") fail(`mcp add: ${r.text}`);
    addToModel(u, r.data.results[0].memory, text, "default", null);
  };

  const listRest: Op = async (a) => {
    const u = a.user;
    const state = chance(0.7) ? undefined : pick(STATES);
    const app = chance(0.8) ? undefined : pick(APPS);
    const qs = new URLSearchParams({ limit: "100" });
    if (state) qs.set("state", state);
    if (app) qs.set("app", app);
    const res = await send(a, "GET", `/v1/memories?${qs}`);
    if (app && !appActive(u, app)) return expectStatus(res, 403, "app_paused", "list a paused app");
    expectStatus(res, 200, undefined, "list");
    checkMemsAgainst(u, res.body.memories, visible(u, state, app), res.body.next_cursor === null, "list");
  };

  const listOm: Op = async (a) => {
    const u = a.user;
    const qs = a.kind !== "admin" && chance(0.3) ? `&user_id=${encodeURIComponent(u.ext)}` : "";
    const res = await send(a, "GET", `/api/v1/memories/?size=100${qs}`);
    expectStatus(res, 200, undefined, "om list");
    const want = visible(u);
    if (res.body.total !== want.length) fail(`om list total ${res.body.total}, model ${want.length}`);
    checkMemsAgainst(u, res.body.items, want, want.length <= 100, "om list");
  };

  const listMcp: Op = async (a) => {
    const u = a.user;
    const r = await mcp(a, "list_memories", { limit: 100 });
    if (r.isError) fail(`mcp list: ${r.text}`);
    checkMemsAgainst(u, r.data.memories, visible(u), r.data.next_cursor === null, "mcp list");
  };

  function query(u: MUser): string {
    const r = rnd();
    // Another user's marker and words: what a leak would rank first.
    if (r < 0.4) {
      hostile("foreignQueries");
      return `${words(2)} ${foreignMarker(u)}`;
    }
    if (r < 0.6) {
      const m = ownMem(u);
      if (m) return m.text;
    }
    return words(3);
  }

  const searchRest: Op = async (a) => {
    const u = a.user;
    const mode = pick(["hybrid", "semantic", "keyword"]);
    const app = chance(0.15) ? pick(APPS) : undefined;
    const state = chance(0.15) ? pick(STATES) : undefined;
    const filters = { ...(app ? { app } : {}), ...(state ? { state } : {}) };
    const res = await send(a, "POST", "/v1/memories/search", {
      query: query(u),
      limit: 100,
      mode,
      ...(app || state ? { filters } : {}),
    });
    if (app && !appActive(u, app)) return expectStatus(res, 403, "app_paused", "search a paused app");
    expectStatus(res, 200, undefined, "search");
    checkMemsAgainst(u, res.body.results, visible(u, state, app), false, `search (${mode})`);
  };

  const searchOm: Op = async (a) => {
    const u = a.user;
    const res = await send(a, "POST", "/api/v1/memories/search", { query: query(u), limit: 100 });
    expectStatus(res, 200, undefined, "om search");
    checkMemsAgainst(u, res.body.results, visible(u), false, "om search");
  };

  const searchMcp: Op = async (a) => {
    const u = a.user;
    const r = await mcp(a, "search_memory", { query: query(u), limit: 100 });
    if (r.isError) fail(`mcp search: ${r.text}`);
    checkMemsAgainst(u, r.data.results, visible(u), false, "mcp search");
  };

  const getMem =
    (om: boolean): Op =>
    async (a) => {
      const u = a.user;
      const t = memTarget(u);
      const id = t.kind === "own" ? t.mem.id : t.id;
      const res = await send(a, "GET", `${om ? "/api/v1" : "/v1"}/memories/${id}`);
      if (t.kind !== "own") return expectStatus(res, 404, "memory_not_found", `get ${t.kind} memory`);
      if (!appActive(u, t.mem.app)) return expectStatus(res, 403, "app_paused", "get in a paused app");
      expectStatus(res, 200, undefined, "get");
      checkMemsAgainst(u, [res.body], [t.mem], true, "get");
    };

  const updateRest: Op = async (a) => {
    const u = a.user;
    const t = memTarget(u);
    const id = t.kind === "own" ? t.mem.id : t.id;
    const state = chance(0.4) ? pick([...STATES, "deleted" as const]) : undefined;
    const text = state === undefined || chance(0.3) ? `${words(3)} ${marker(u)}` : undefined;
    const res = await send(a, "PATCH", `/v1/memories/${id}`, {
      ...(text ? { text } : {}),
      ...(state ? { state } : {}),
    });
    if (t.kind !== "own") return expectStatus(res, 404, "memory_not_found", `update ${t.kind} memory`);
    if (!appActive(u, t.mem.app)) return expectStatus(res, 403, "app_paused", "update in a paused app");
    expectStatus(res, 200, undefined, "update");
    if (state === "deleted") {
      u.mems.delete(id);
      u.goneMems.add(id);
      return;
    }
    if (text) t.mem.text = text;
    if (state) t.mem.state = state;
    checkMemsAgainst(u, [res.body], [t.mem], true, "update");
  };

  const updateMcp: Op = async (a) => {
    const u = a.user;
    const t = memTarget(u);
    const id = t.kind === "own" ? t.mem.id : t.id;
    const text = `${words(3)} ${marker(u)}`;
    const r = await mcp(a, "update_memory", { memory_id: id, text });
    if (t.kind !== "own") return expectMcpError(r, "memory_not_found", `mcp update ${t.kind} memory`);
    if (!appActive(u, t.mem.app)) return expectMcpError(r, "app_paused", "mcp update in a paused app");
    if (r.isError) fail(`mcp update: ${r.text}`);
    t.mem.text = text;
    checkMemsAgainst(u, [r.data], [t.mem], true, "mcp update");
  };

  function forget(u: MUser, id: string): void {
    u.mems.delete(id);
    u.goneMems.add(id);
  }

  const deleteMem =
    (om: boolean): Op =>
    async (a) => {
      const u = a.user;
      const t = memTarget(u);
      const id = t.kind === "own" ? t.mem.id : t.id;
      const res = await send(a, "DELETE", `${om ? "/api/v1" : "/v1"}/memories/${id}`);
      if (t.kind !== "own") return expectStatus(res, 404, "memory_not_found", `delete ${t.kind} memory`);
      expectStatus(res, 200, undefined, "delete");
      forget(u, id);
    };

  const deleteMcp: Op = async (a) => {
    const u = a.user;
    const targets = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => memTarget(u));
    const ids = [...new Set(targets.map((t) => (t.kind === "own" ? t.mem.id : t.id)))];
    const mine = ids.filter((id) => u.mems.has(id));
    const r = await mcp(a, "delete_memories", { memory_ids: ids });
    if (mine.length === 0) return expectMcpError(r, "memory_not_found", "mcp delete of no own memory");
    if (r.isError) fail(`mcp delete: ${r.text}`);
    expect(new Set(r.data.deleted)).toEqual(new Set(mine));
    expect(new Set(r.data.not_found)).toEqual(new Set(ids.filter((id) => !u.mems.has(id))));
    for (const id of mine) forget(u, id);
  };

  const history: Op = async (a) => {
    const u = a.user;
    const t = memTarget(u);
    const id = t.kind === "own" ? t.mem.id : t.id;
    const res = await send(a, "GET", `/v1/memories/${id}/history`);
    if (t.kind === "foreign" || t.kind === "none")
      return expectStatus(res, 404, "memory_not_found", `history of ${t.kind} memory`);
    if (t.kind === "own" && !appActive(u, t.mem.app))
      return expectStatus(res, 403, "app_paused", "history in a paused app");
    expectStatus(res, 200, undefined, "history");
    const events = res.body.events ?? res.body.history ?? res.body;
    if (!Array.isArray(events) || events.length === 0) fail(`history: ${JSON.stringify(res.body)}`);
    for (const ev of events) {
      if (ev.memory_id !== id) fail(`history of ${id} has an event of ${ev.memory_id}`);
      if (t.kind === "gone" && (ev.old_text !== null || ev.new_text !== null))
        fail(`history of deleted ${id} keeps a text: ${JSON.stringify(ev)}`);
    }
  };

  const deleteAll: Op = async (a) => {
    const u = a.user;
    const n = u.mems.size;
    if (chance(0.5)) {
      const res = await send(a, "DELETE", "/v1/memories?confirm=true");
      expectStatus(res, 200, undefined, "delete all");
      if (res.body.deleted !== n) fail(`delete all: ${res.body.deleted}, model ${n}`);
    } else {
      const r = await mcp(a, "delete_all_memories", {});
      if (r.isError || r.data.deleted !== n) fail(`mcp delete all: ${r.text}, model ${n}`);
    }
    for (const id of [...u.mems.keys()]) forget(u, id);
  };

  const sessionCreate: Op = async (a) => {
    const u = a.user;
    const res = await send(a, "POST", "/v1/sessions", { metadata: { note: marker(u) } });
    expectStatus(res, 201, undefined, "session create");
    if (res.body.user_id !== u.ext) fail(`session user_id ${res.body.user_id} != ${u.ext}`);
    own(res.body.id, u);
    u.sessions.set(res.body.id, { id: res.body.id, messages: [] });
  };

  const sessionList: Op = async (a) => {
    const u = a.user;
    const res = await send(a, "GET", "/v1/sessions?limit=100");
    expectStatus(res, 200, undefined, "session list");
    const got = new Set<string>(res.body.sessions.map((s: { id: string }) => s.id));
    for (const s of res.body.sessions) if (s.user_id !== u.ext) fail(`listed session of ${s.user_id}`);
    if (res.body.next_cursor === null) expect(got).toEqual(new Set(u.sessions.keys()));
    else for (const id of got) if (!u.sessions.has(id)) fail(`listed session ${id} not ${u.key}'s`);
  };

  function checkSession(u: MUser, body: any, what: string): void {
    const s = u.sessions.get(body.id) as MSession;
    if (body.user_id !== u.ext) fail(`${what}: user_id ${body.user_id}`);
    const contents = body.messages.map((m: { content: string }) => m.content);
    if (JSON.stringify(contents) !== JSON.stringify(s.messages))
      fail(`${what}: messages ${JSON.stringify(contents)}; model ${JSON.stringify(s.messages)}`);
  }

  const sessionGet: Op = async (a) => {
    const u = a.user;
    const t = sessionTarget(u);
    const res = await send(a, "GET", `/v1/sessions/${t.id}`);
    if (t.kind !== "own") return expectStatus(res, 404, "session_not_found", `get ${t.kind} session`);
    expectStatus(res, 200, undefined, "session get");
    checkSession(u, res.body, "session get");
  };

  const sessionHistoryMcp: Op = async (a) => {
    const u = a.user;
    const t = sessionTarget(u);
    const r = await mcp(a, "get_session_history", { session_id: t.id });
    if (t.kind !== "own") return expectMcpError(r, "session_not_found", `mcp history of ${t.kind} session`);
    if (r.isError) fail(`mcp session history: ${r.text}`);
    checkSession(u, r.data, "mcp session history");
  };

  const sessionAppend: Op = async (a) => {
    const u = a.user;
    const t = sessionTarget(u);
    const content = `${words(4)} ${marker(u)}`;
    const res = await send(a, "POST", `/v1/sessions/${t.id}/messages`, {
      role: pick(["user", "assistant", "system", "tool"]),
      content,
    });
    if (t.kind !== "own") return expectStatus(res, 404, "session_not_found", `append to ${t.kind} session`);
    expectStatus(res, 201, undefined, "append");
    (u.sessions.get(t.id) as MSession).messages.push(content);
  };

  const sessionDelete: Op = async (a) => {
    const u = a.user;
    const t = sessionTarget(u);
    const res = await send(a, "DELETE", `/v1/sessions/${t.id}`);
    if (t.kind !== "own") return expectStatus(res, 404, "session_not_found", `delete ${t.kind} session`);
    expectStatus(res, 200, undefined, "session delete");
    u.sessions.delete(t.id);
    u.goneSessions.add(t.id);
  };

  /** Parses a chat response, JSON or server-sent events, into its ChatResult. */
  function chatResult(res: Res): any {
    if (typeof res.body !== "string") return res.body;
    const done = /event: done\ndata: (.*)\n/.exec(res.body);
    if (!done?.[1]) fail(`chat stream without a done event: ${res.body.slice(0, 400)}`);
    return JSON.parse(done[1]);
  }

  const chat: Op = async (a) => {
    const u = a.user;
    const r = rnd();
    const t: { kind: string; id?: string } = r < 0.45 ? { kind: "new" } : sessionTarget(u);
    const kind = pick(["remember", "remember", "question", "other"]);
    const m = marker(u);
    const message =
      kind === "remember"
        ? `Remember I like ${words(2)} ${m}`
        : kind === "question"
          ? // Another user's marker without its brackets: stored as this user's message, it must not read as theirs.
            `What do I like about ${pick(WORDS)} ${chance(0.5) ? foreignMarker(u).slice(1, -1) : ""}?`
          : `okay then ${words(2)} ${m}`;
    if (kind === "question") hostile("foreignQueries");
    const stream = chance(0.2);
    const res = await send(a, "POST", "/v1/chat", {
      message,
      ...(t.kind !== "new" ? { session_id: t.id } : {}),
      ...(stream ? { stream: true } : {}),
    });
    if (t.kind !== "new" && t.kind !== "own")
      return expectStatus(res, 404, "session_not_found", `chat in ${t.kind} session`);
    expectStatus(res, 200, undefined, "chat");
    const result = chatResult(res);
    const sid: string = result.session_id;
    if (t.kind === "new") {
      own(sid, u);
      u.sessions.set(sid, { id: sid, messages: [] });
    } else if (sid !== t.id) fail(`chat answered in session ${sid}, not ${t.id}`);
    (u.sessions.get(sid) as MSession).messages.push(message, result.reply);
    checkMemsAgainst(u, result.memories_used, visible(u), false, "chat memories_used");
    for (const mem of result.memories_created) {
      if (!mem.text.includes(m)) fail(`chat remembered ${mem.text}`);
      addToModel(u, mem, undefined, "default", sid);
    }
    if (kind === "remember" && result.memories_created.length !== 1)
      fail(`chat did not remember: ${JSON.stringify(result)}`);
  };

  const appsList: Op = async (a) => {
    const u = a.user;
    const res = await send(a, "GET", "/v1/apps");
    expectStatus(res, 200, undefined, "apps list");
    ensureApp(u, "default");
    checkApps(u, res.body.apps, "apps list");
  };

  function checkApps(u: MUser, apps: any[], what: string): void {
    const names = apps.map((x: { name: string }) => x.name).sort();
    if (JSON.stringify(names) !== JSON.stringify([...u.apps.keys()].sort()))
      fail(`${what}: ${JSON.stringify(names)}; model ${JSON.stringify([...u.apps.keys()])}`);
    for (const x of apps) {
      const m = u.apps.get(x.name) as { active: boolean; id?: string };
      if (m.id !== undefined && m.id !== x.id) fail(`${what}: app ${x.name} id ${x.id}, model ${m.id}`);
      m.id = x.id;
      own(x.id, u);
      if (x.is_active !== m.active) fail(`${what}: app ${x.name} is_active ${x.is_active}`);
      const count = [...u.mems.values()].filter((mm) => mm.app === x.name).length;
      if (x.memory_count !== count)
        fail(`${what}: app ${x.name} memory_count ${x.memory_count}, model ${count}`);
    }
  }

  const appsCreate: Op = async (a) => {
    const u = a.user;
    const name = pick(["notes", "work"]);
    const res = await send(a, "POST", "/v1/apps", { name, description: `for ${marker(u)}` });
    if (u.apps.has(name)) return expectStatus(res, 409, "app_exists", "create an existing app");
    expectStatus(res, 201, undefined, "app create");
    own(res.body.id, u);
    u.apps.set(name, { active: true, id: res.body.id });
  };

  const appsPatch: Op = async (a) => {
    const u = a.user;
    const f = foreignAppId(u);
    if (f && chance(0.4)) {
      hostile("foreignIds");
      const res = await send(a, "PATCH", `/v1/apps/${f}`, { is_active: false });
      return expectStatus(res, 404, "app_not_found", "pause another user's app");
    }
    const name = pick(["notes", "work"]);
    const app = u.apps.get(name);
    // Paused apps are resumed soon: a paused app hides memories, which the lists check, but should not last.
    const active = app ? !app.active || chance(0.3) : false;
    const ref = app?.id && chance(0.5) ? app.id : name;
    const res = await send(a, "PATCH", `/v1/apps/${ref}`, { is_active: active });
    if (!app) return expectStatus(res, 404, "app_not_found", "patch an app the user lacks");
    expectStatus(res, 200, undefined, "app patch");
    app.active = active;
    if (res.body.is_active !== active || res.body.name !== name)
      fail(`app patch: ${JSON.stringify(res.body)}`);
  };

  const me: Op = async (a) => {
    const u = a.user;
    // /v1/me describes; it creates no user, even for a client key.
    const res = await send(a, "GET", "/v1/me", undefined, {}, false);
    expectStatus(res, 200, undefined, "me");
    if (
      res.body.user_id !== (a.kind === "admin" ? null : u.ext) ||
      (a.kind !== "admin" && res.body.tenant !== u.tenant)
    )
      fail(`me: ${JSON.stringify(res.body)} for ${u.key}`);
  };

  const OPS_TABLE: Array<[string, number, Op]> = [
    ["add", 12, addRest],
    ["om add", 4, addOm],
    ["mcp add", 4, addMcp],
    ["list", 5, listRest],
    ["om list", 2, listOm],
    ["mcp list", 2, listMcp],
    ["search", 8, searchRest],
    ["om search", 3, searchOm],
    ["mcp search", 4, searchMcp],
    ["get", 6, getMem(false)],
    ["om get", 3, getMem(true)],
    ["update", 6, updateRest],
    ["mcp update", 3, updateMcp],
    ["delete", 3, deleteMem(false)],
    ["om delete", 2, deleteMem(true)],
    ["mcp delete", 3, deleteMcp],
    ["history", 4, history],
    ["delete all", 0.4, deleteAll],
    ["session create", 3, sessionCreate],
    ["session list", 2, sessionList],
    ["session get", 3, sessionGet],
    ["mcp session history", 2, sessionHistoryMcp],
    ["session append", 4, sessionAppend],
    ["session delete", 1, sessionDelete],
    ["chat", 6, chat],
    ["apps list", 2, appsList],
    ["apps create", 1, appsCreate],
    ["apps patch", 2, appsPatch],
    ["me", 1, me],
  ];
  const TOTAL_WEIGHT = OPS_TABLE.reduce((s, [, w]) => s + w, 0);

  function pickOp(): [string, Op] {
    let r = rnd() * TOTAL_WEIGHT;
    for (const [name, w, op] of OPS_TABLE) {
      r -= w;
      if (r < 0) return [name, op];
    }
    const last = OPS_TABLE[OPS_TABLE.length - 1] as [string, number, Op];
    return [last[0], last[2]];
  }

  // ------------------------------------------------------------------------------------------ hostile identities

  /** Requests whose identity is wrong: each must be refused before any service runs, and change nothing. */
  async function impersonate(): Promise<void> {
    hostile("wrongIdentity");
    const keyed = existing().filter((u) => u.userKey);
    const u = pick(keyed);
    const v = pick(others(u).filter((o) => o.ext !== u.ext));
    const vMem = [...v.mems.keys()][0] ?? "mem_00000000000000000000000000";
    const variant = pick([
      "x-user-id",
      "x-muxi-user-id",
      "muxi-tenant",
      "om-body",
      "client-om-body",
      "mcp",
      "admin-route",
    ]);
    opName = `impersonate ${variant} ${u.key} -> ${v.key}`;
    let a: Actor;
    if (variant === "client-om-body") {
      a = actorFor(u, ["client"]);
      a = { ...a, headers: { "x-user-id": u.ext } };
    } else {
      a = { user: u, kind: "user", key: u.userKey as string, headers: {}, why: "user key naming another" };
      if (variant === "x-user-id") a.headers["x-user-id"] = v.ext;
      if (variant === "x-muxi-user-id") a.headers["x-muxi-user-id"] = v.ext;
      if (variant === "muxi-tenant") {
        a.headers["x-user-id"] = u.ext;
        a.headers["x-muxi-tenant-id"] = v.tenant;
      }
    }
    if (variant === "admin-route") {
      // A user or client key on the admin routes: above all, no key minted for another user, no user deleted.
      a = chance(0.5) ? a : { ...actorFor(u, ["client"]), headers: { "x-user-id": u.ext } };
      const q = `tenant=${v.tenant}`;
      const route = pick([
        ["GET", "/v1/users", undefined],
        ["GET", `/v1/users/${v.ext}?${q}`, undefined],
        ["POST", `/v1/users/${v.ext}/keys?${q}`, {}],
        ["GET", `/v1/users/${v.ext}/keys?${q}`, undefined],
        ["PATCH", `/v1/users/${v.ext}?${q}`, { name: "pwned" }],
        ["DELETE", `/v1/users/${v.ext}?${q}`, undefined],
        ["POST", `/v1/tenants/${v.tenant}/keys`, {}],
        ["GET", "/v1/tenants", undefined],
        ["GET", "/v1/keys", undefined],
        ["POST", "/v1/keys", {}],
        ["POST", "/v1/users", { user_id: `${v.ext}x`, tenant: v.tenant }],
      ] as const);
      const res = await send(a, route[0], route[1], route[2]);
      return expectStatus(res, 403, "forbidden", `${opName} ${route[0]} ${route[1]}`);
    }
    if (variant === "om-body" || variant === "client-om-body") {
      const res = chance(0.5)
        ? await send(a, "POST", "/api/v1/memories/", { text: `${words(2)} ${marker(v)}`, user_id: v.ext })
        : await send(a, "GET", `/api/v1/memories/?user_id=${encodeURIComponent(v.ext)}`);
      return expectStatus(res, 403, "user_mismatch", opName);
    }
    if (variant === "mcp") {
      a.headers["x-user-id"] = v.ext;
      const tool = pick([
        ["add_memories", { text: `${words(2)} ${marker(v)}` }],
        ["add_memories_batch", { texts: [`${words(2)} ${marker(v)}`] }],
        ["list_memories", {}],
        ["search_memory", { query: words(2) }],
        ["update_memory", { memory_id: vMem, text: `${words(2)} ${marker(v)}` }],
        ["delete_memories", { memory_ids: [vMem] }],
        ["delete_all_memories", {}],
      ] as const);
      const r = await mcp(a, tool[0], tool[1]);
      return expectMcpError(r, "user_mismatch", `${opName} ${tool[0]}`);
    }
    const route = pick([
      ["GET", "/v1/memories", undefined],
      ["POST", "/v1/memories", { text: `${words(2)} ${marker(v)}` }],
      ["POST", "/v1/memories/search", { query: words(2) }],
      ["GET", `/v1/memories/${vMem}`, undefined],
      ["PATCH", `/v1/memories/${vMem}`, { text: `${words(2)} ${marker(v)}` }],
      ["DELETE", `/v1/memories/${vMem}`, undefined],
      ["DELETE", "/v1/memories?confirm=true", undefined],
      ["GET", `/v1/memories/${vMem}/history`, undefined],
      ["GET", "/v1/sessions", undefined],
      ["POST", "/v1/sessions", {}],
      ["POST", "/v1/chat", { message: `Remember I like ${words(1)} ${marker(v)}` }],
      ["GET", "/v1/apps", undefined],
      ["POST", "/api/v1/memories/search", { query: words(2) }],
      ["GET", "/v1/me", undefined],
    ] as const);
    const res = await send(a, route[0], route[1], route[2]);
    expectStatus(res, 403, "user_mismatch", `${opName} ${route[0]} ${route[1]}`);
  }

  /**
   * A client key of one tenant naming a user of another tenant (or folding another tenant in with
   * X-Muxi-Tenant-Id): it acts for a user of its own tenant, created on first use, who must see nothing of the
   * other tenant's user. Then any operation as that user.
   */
  async function crossTenantClient(): Promise<void> {
    hostile("crossTenant");
    const tenant = pick(Object.keys(TENANTS));
    const muxi = chance(0.3) ? pick(Object.keys(TENANTS).filter((t) => t !== tenant)) : undefined;
    // A few names only, so the same phantom users come back and accumulate data of their own.
    const name = muxi ? "alice" : pick(CROSS_NAMES.filter((n) => !(TENANTS[tenant] as string[]).includes(n)));
    const ext = muxi ? `${muxi}:${name}` : name;
    const u = modelUser(tenant, ext);
    const headers: Record<string, string> = muxi
      ? { "x-muxi-tenant-id": muxi, "x-muxi-user-id": name }
      : name === "0" && chance(0.5)
        ? {} // no header at all: the tenant's user "0"
        : { "x-user-id": name };
    const a: Actor = {
      user: u,
      kind: "client",
      key: clientKeys[tenant] as string,
      headers,
      why: "client key",
    };
    const [n, op] = pickOp();
    opName = `cross-tenant client ${tenant} as ${ext}: ${n}`;
    await op(a);
  }

  /** The admin key naming a user that does not exist in the named tenant (or no user): refused, nothing created. */
  async function adminGhost(): Promise<void> {
    hostile("adminGhost");
    const tenant = pick([...Object.keys(TENANTS), "nosuchtenant"]);
    const candidates = ALL_NAMES.filter((n) => !users.get(`${tenant}/${n}`)?.exists);
    const name = chance(0.15) ? undefined : pick([...candidates, "ghost"]);
    opName = `admin naming ${tenant}/${name ?? "(none)"}`;
    const headers: Record<string, string> = { "x-tenant-id": tenant };
    if (name !== undefined) headers["x-user-id"] = name;
    const ghost = modelUser(tenant, name ?? "(none)");
    const a: Actor = { user: ghost, kind: "admin", key: ADMIN_KEY, headers, why: "admin naming a ghost" };
    const route = pick([
      ["GET", "/v1/memories", undefined],
      ["POST", "/v1/memories", { text: `${words(2)} ${marker(ghost)}` }],
      ["POST", "/v1/sessions", {}],
      ["POST", "/v1/chat", { message: "Remember I like tea" }],
      ["GET", "/v1/apps", undefined],
    ] as const);
    const res = await send(a, route[0], route[1], route[2]);
    if (name === undefined) expectStatus(res, 400, "bad_request", opName);
    else expectStatus(res, 404, undefined, opName);
    if (!users.get(ghost.key)?.exists) users.delete(ghost.key);
  }

  // ------------------------------------------------------------------------------------------ checkpoints

  async function listAll(a: Actor, state: State): Promise<any[]> {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const qs = new URLSearchParams({ limit: "100", state });
      if (cursor) qs.set("cursor", cursor);
      const res = await send(a, "GET", `/v1/memories?${qs}`);
      expectStatus(res, 200, undefined, "checkpoint list");
      out.push(...res.body.memories);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out;
  }

  /** Each user's view through its own key (or its tenant's client key) equals the model, and so do the tables. */
  async function checkpoint(final = false): Promise<void> {
    const t0 = Date.now();
    stats.checkpoints++;
    opName = "checkpoint";
    // The tables are compared in full every time; the API views of a few users, and of every user at the end.
    const all = existing();
    const some = final ? all : Array.from({ length: Math.min(4, all.length) }, () => pick(all));
    for (const u of new Set(some)) {
      const a = actorFor(u, u.userKey ? ["user"] : ["client"]);
      for (const state of STATES)
        checkMemsAgainst(u, await listAll(a, state), visible(u, state), true, `${state} list`);
      const sessions = await send(a, "GET", "/v1/sessions?limit=100");
      expect(new Set(sessions.body.sessions.map((s: { id: string }) => s.id))).toEqual(
        new Set(u.sessions.keys()),
      );
    }
    await checkTables();
    stats.checkpointMs += Date.now() - t0;
  }

  async function checkTables(): Promise<void> {
    const { db } = e.runtime.services;
    const rows = await db.query<{ id: string; tenant_id: string; external_id: string }>(
      "SELECT id, tenant_id, external_id FROM users",
    );
    const byPk = new Map(rows.map((r) => [r.id, `${r.tenant_id}/${r.external_id}`]));
    const inDb = [...byPk.values()].sort();
    const inModel = existing()
      .map((u) => u.key)
      .sort();
    if (JSON.stringify(inDb) !== JSON.stringify(inModel))
      fail(`users table ${JSON.stringify(inDb)}; model ${JSON.stringify(inModel)}`);
    const ownerOf = (pk: string) => byPk.get(pk) ?? fail(`row of unknown user ${pk}`);
    const markersOf = (owner: string, text: string | null, what: string) => {
      for (const m of (text ?? "").matchAll(MARKER))
        if (m[1] !== owner) fail(`${what} of ${owner} holds ${m[0]}: ${text}`);
    };

    const mems = await db.query<{ id: string; user_id: string; text: string; state: State; app: string }>(
      "SELECT id, user_id, text, state, app FROM memories",
    );
    const perUser = new Map<string, number>();
    for (const r of mems) {
      const owner = ownerOf(r.user_id);
      perUser.set(owner, (perUser.get(owner) ?? 0) + 1);
      if (idOwner.get(r.id) !== owner)
        fail(`memory ${r.id} is in ${owner}'s rows; model: ${idOwner.get(r.id)}`);
      markersOf(owner, r.text, `memory ${r.id}`);
      const m = users.get(owner)?.mems.get(r.id);
      if (!m || m.text !== r.text || m.state !== r.state || m.app !== r.app)
        fail(`memory row ${JSON.stringify(r)}; model ${JSON.stringify(m)}`);
    }
    for (const u of existing())
      if ((perUser.get(u.key) ?? 0) !== u.mems.size)
        fail(`${u.key} has ${perUser.get(u.key) ?? 0} memory rows, model ${u.mems.size}`);

    const events = await db.query<{ memory_id: string; user_id: string; old_text: string; new_text: string }>(
      "SELECT memory_id, user_id, old_text, new_text FROM memory_events",
    );
    for (const r of events) {
      const owner = ownerOf(r.user_id);
      if (idOwner.get(r.memory_id) !== owner) fail(`event of ${r.memory_id} is in ${owner}'s rows`);
      markersOf(owner, r.old_text, "event text");
      markersOf(owner, r.new_text, "event text");
    }

    const sessions = await db.query<{ id: string; user_id: string }>("SELECT id, user_id FROM sessions");
    const sessionOwner = new Map<string, string>();
    for (const r of sessions) {
      const owner = ownerOf(r.user_id);
      sessionOwner.set(r.id, owner);
      if (idOwner.get(r.id) !== owner || !users.get(owner)?.sessions.has(r.id))
        fail(`session ${r.id} is in ${owner}'s rows; model ${idOwner.get(r.id)}`);
    }
    const nSessions = existing().reduce((s, u) => s + u.sessions.size, 0);
    if (sessions.length !== nSessions) fail(`${sessions.length} session rows, model ${nSessions}`);

    const messages = await db.query<{ session_id: string; user_id: string; content: string }>(
      "SELECT session_id, user_id, content FROM session_messages ORDER BY created_at, id",
    );
    const contents = new Map<string, string[]>();
    for (const r of messages) {
      const owner = ownerOf(r.user_id);
      if (sessionOwner.get(r.session_id) !== owner) fail(`message of ${r.session_id} is in ${owner}'s rows`);
      markersOf(owner, r.content, "message");
      contents.set(r.session_id, [...(contents.get(r.session_id) ?? []), r.content]);
    }
    for (const u of existing())
      for (const s of u.sessions.values())
        if (JSON.stringify(contents.get(s.id) ?? []) !== JSON.stringify(s.messages))
          fail(
            `session ${s.id} holds ${JSON.stringify(contents.get(s.id))}; model ${JSON.stringify(s.messages)}`,
          );

    const apps = await db.query<{ id: string; user_id: string; name: string; is_active: boolean }>(
      "SELECT id, user_id, name, is_active FROM apps",
    );
    const appsOf = new Map<string, string[]>();
    for (const r of apps) {
      const owner = ownerOf(r.user_id);
      const u = users.get(owner) as MUser;
      const m = u.apps.get(r.name);
      if (!m || m.active !== r.is_active)
        fail(`app row ${JSON.stringify(r)} of ${owner}; model ${JSON.stringify(m)}`);
      if (m.id !== undefined && m.id !== r.id)
        fail(`app ${r.name} of ${owner} has id ${r.id}, model ${m.id}`);
      const seen = idOwner.get(r.id);
      if (seen !== undefined && seen !== owner)
        fail(`app ${r.id} of ${owner} was seen in ${seen}'s responses`);
      appsOf.set(owner, [...(appsOf.get(owner) ?? []), r.name]);
    }
    for (const u of existing()) {
      const got = (appsOf.get(u.key) ?? []).sort();
      if (JSON.stringify(got) !== JSON.stringify([...u.apps.keys()].sort()))
        fail(`${u.key} has apps ${JSON.stringify(got)}, model ${JSON.stringify([...u.apps.keys()])}`);
    }
  }

  // ------------------------------------------------------------------------------------------ the run

  beforeAll(async () => {
    // Thousands of requests per key in a minute: the per-key rate limit would refuse them, so it is off here.
    e = await startEngram(
      backend,
      { ENGRAM_RATE_LIMIT_PER_KEY: "0", ENGRAM_RATE_LIMIT_FAILED_AUTH: "0" },
      { embedder: "words" },
    );
    for (const [tenant, names] of Object.entries(TENANTS)) {
      const t = await e.call("POST", "/v1/tenants", { key: ADMIN_KEY, body: { id: tenant } });
      expect(t.status).toBe(201);
      const k = await e.call("POST", `/v1/tenants/${tenant}/keys`, { key: ADMIN_KEY, body: {} });
      expect(k.status).toBe(201);
      clientKeys[tenant] = k.body.api_key;
      for (const name of names) {
        const u = modelUser(tenant, name);
        u.userKey = await makeUser(e, name, tenant);
        u.exists = true;
      }
    }
  });
  afterAll(async () => {
    await e?.close();
  });

  it(
    `${OPS} random operations by ${Object.values(TENANTS).flat().length} users of ${Object.keys(TENANTS).length} tenants leak nothing and write nothing foreign`,
    async () => {
      const started = Date.now();
      try {
        for (opIndex = 0; opIndex < OPS; opIndex++) {
          stats.ops++;
          const r = rnd();
          if (r < 0.06) await impersonate();
          else if (r < 0.11) await crossTenantClient();
          else if (r < 0.125) await adminGhost();
          else {
            // Mostly the users made with keys; a quarter of the time a user a client key created on first use.
            const phantoms = existing().filter((x) => !x.userKey);
            const u =
              phantoms.length > 0 && chance(0.25)
                ? pick(phantoms)
                : pick(existing().filter((x) => x.userKey));
            const a = actorFor(u);
            const [name, op] = pickOp();
            opName = `${name} as ${u.key} via ${a.why}`;
            await op(a);
          }
          if ((opIndex + 1) % CHECK_EVERY === 0) await checkpoint();
        }
        opIndex = OPS;
        await checkpoint(true);
      } catch (err) {
        console.log(
          `isolation property FAILED (${backend.name}): seed=${SEED} op=${opIndex} (${opName}); rerun with ENGRAM_PROPERTY_SEED=${SEED} ENGRAM_PROPERTY_OPS=${opIndex + 1}`,
        );
        throw err;
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      console.log(
        `isolation property (${backend.name}): seed=${SEED} operations=${stats.ops} responses checked=${stats.responses} ` +
          `hostile attempts=${stats.hostile} (foreign ids ${stats.foreignIds}, foreign queries ${stats.foreignQueries}, ` +
          `wrong identity ${stats.wrongIdentity}, cross-tenant client ${stats.crossTenant}, admin ghost ${stats.adminGhost}) ` +
          `refused as expected=${stats.refused} markers checked=${stats.markersSeen} ` +
          `checkpoints=${stats.checkpoints} (${(stats.checkpointMs / 1000).toFixed(1)}s) users=${existing().length} in ${seconds}s`,
      );
    },
    TIMEOUT_MS,
  );

  it("the oracle itself: a planted foreign marker, a foreign id and a foreign row are each caught", async () => {
    opName = "self-test";
    const keyed = existing().filter((u) => u.userKey);
    const a = keyed[0] as MUser;
    const b = keyed.find((u) => u !== a && u.mems.size > 0);
    if (!b) throw new Error("self-test: no second user with memories (too few operations?)");
    const bMem = [...b.mems.values()][0] as MMem;
    expect(() =>
      scan(a, "GET /v1/memories", { status: 200, body: { memories: [{ text: bMem.text }] } }),
    ).toThrow(Violation);
    expect(() => scan(a, "GET /v1/memories", { status: 200, body: { id: bMem.id } })).toThrow(Violation);
    // A's error echoing an id A sent is not a leak.
    scan(a, `GET /v1/memories/${bMem.id}`, {
      status: 404,
      body: { error: { message: `memory '${bMem.id}'` } },
    });
    // What a foreign write would leave behind: B's memory in A's rows.
    const { db } = e.runtime.services;
    const pk = async (u: MUser) =>
      (
        await db.query<{ id: string }>("SELECT id FROM users WHERE tenant_id = $1 AND external_id = $2", [
          u.tenant,
          u.ext,
        ])
      )[0]?.id;
    await db.query("UPDATE memories SET user_id = $1 WHERE id = $2", [await pk(a), bMem.id]);
    await expect(checkTables()).rejects.toThrow(Violation);
    await db.query("UPDATE memories SET user_id = $1 WHERE id = $2", [await pk(b), bMem.id]);
    await checkTables();
  });
});
