/** OpenMemory → Engram: reads an OpenMemory database and yields Engram export records (embeddings left to the importer). */
import { AppNameSchema } from "../apps/schemas.js";
import { UserIdSchema } from "../identity/schemas.js";
import { derivedId } from "../ids.js";
import { MEMORY_STATES, type MemoryState } from "../memories/schemas.js";
import { hasNul, MetadataSchema } from "../validation.js";
import type { AppRecord, MemoryRecord, TransferRecord } from "./format.js";
import { FORMAT_NAME, FORMAT_VERSION, zeroCounts } from "./format.js";
import { type OpenMemorySource, SQL } from "./openmemory-sql.js";

export interface ReadOptions {
  tenant?: string;
  /** Longest memory text accepted (the server's ENGRAM_MAX_TEXT_LENGTH); longer ones are skipped, with the reason. */
  maxTextChars?: number;
  serverVersion?: string;
  /** The header's model and dimensions (default "none", 1: no vector is included; the importer embeds every text). */
  embeddingModel?: string;
  dimensions?: number;
  exportedAt?: string;
}

export type SourceTable = "users" | "apps" | "memories" | "memory_status_history";

export interface Skipped {
  table: SourceTable;
  id: string;
  reason: string;
}

/** What a read found: filled in as the records are yielded, complete once the generator is done. */
export interface ReadReport {
  source: Record<SourceTable, number>;
  users: number;
  apps: number;
  memories: Record<MemoryState, number>;
  events: number;
  categoryLinks: number;
  skipped: Skipped[];
  /** Rows imported with a change (an app renamed, metadata dropped), one line each. */
  notes: string[];
}

const STATES = new Set<string>(MEMORY_STATES);

/** "2025-05-13 10:20:30.123456" (UTC, no zone, as SQLAlchemy writes it) or with a zone → ISO 8601, or null. */
export function isoTime(v: string | null): string | null {
  if (v === null) return null;
  const m =
    /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
      v.trim(),
    );
  if (!m) return null;
  const frac = (m[3] ?? "").padEnd(3, "0").slice(0, 3);
  let zone = m[4] ?? "Z";
  if (/^[+-]\d{2}$/.test(zone)) zone += ":00";
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${m[2]}.${frac}${zone}`);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** UUIDs are hex without dashes in SQLite, with them in PostgreSQL: the same row gets the same Engram id from either. */
function uuidKey(id: string): string {
  return id.replaceAll("-", "").toLowerCase();
}

function idFor(prefix: "mem" | "app" | "evt", at: string, seed: string): string {
  return derivedId(prefix, Date.parse(at), `openmemory:${prefix}:${seed}`);
}

/** An app name Engram accepts: other characters become "-", at most 64. */
export function appName(name: string | null): string {
  const cleaned = (name ?? "").replace(/[^A-Za-z0-9_.:-]/g, "-").slice(0, 64);
  return AppNameSchema.safeParse(cleaned).success ? cleaned : "default";
}

function bool(v: string | null): boolean {
  return !(v === "0" || v === "false" || v === "f");
}

function parseMetadata(raw: string | null): { value: Record<string, unknown>; dropped: boolean } {
  if (raw === null) return { value: {}, dropped: false };
  try {
    const v: unknown = JSON.parse(raw);
    if (v === null) return { value: {}, dropped: false };
    if (typeof v === "object" && !Array.isArray(v))
      return { value: v as Record<string, unknown>, dropped: false };
  } catch (err) {
    // Not JSON: reported below as dropped, the memory itself is kept.
    if (!(err instanceof SyntaxError)) throw err;
  }
  return { value: {}, dropped: true };
}

interface AppRow {
  id: string;
  owner: string | null;
  name: string;
  description: string | null;
  isActive: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export function emptyReport(): ReadReport {
  return {
    source: { users: 0, apps: 0, memories: 0, memory_status_history: 0 },
    users: 0,
    apps: 0,
    memories: { active: 0, paused: 0, archived: 0, deleted: 0 },
    events: 0,
    categoryLinks: 0,
    skipped: [],
    notes: [],
  };
}

/**
 * Yields header, tenant, then each user with its apps, memories and events, then the end record. `report` is filled
 * as it goes: every source row ends up counted as imported or in `skipped`, with a reason.
 */
export async function* readOpenMemory(
  src: OpenMemorySource,
  opts: ReadOptions = {},
  report: ReadReport = emptyReport(),
): AsyncGenerator<TransferRecord> {
  const tenant = opts.tenant ?? "default";
  const maxText = opts.maxTextChars ?? 16_000;
  const tables = await src.tables();
  for (const t of ["users", "apps", "memories"]) {
    if (!tables.has(t)) throw new Error(`not an OpenMemory database: no table '${t}' (${src.kind})`);
  }
  const hasHistory = tables.has("memory_status_history");
  const hasCategories = tables.has("memory_categories") && tables.has("categories");
  const count = async (t: SourceTable) => Number((await src.query<"n">(SQL.count(t)))[0]?.n ?? 0);
  report.source = {
    users: await count("users"),
    apps: await count("apps"),
    memories: await count("memories"),
    memory_status_history: hasHistory ? await count("memory_status_history") : 0,
  };
  const skip = (table: SourceTable, id: string | null, reason: string) =>
    report.skipped.push({ table, id: id ?? "?", reason });

  const users = await src.query<"id" | "user_id" | "name" | "email" | "created_at" | "updated_at">(SQL.users);
  const apps: AppRow[] = (
    await src.query<"id" | "owner_id" | "name" | "description" | "is_active" | "created_at" | "updated_at">(
      SQL.apps,
    )
  ).map((a) => ({
    id: a.id ?? "",
    owner: a.owner_id,
    name: appName(a.name),
    description: a.description,
    isActive: bool(a.is_active),
    createdAt: isoTime(a.created_at),
    updatedAt: isoTime(a.updated_at),
  }));
  const appsById = new Map(apps.map((a) => [a.id, a]));
  const userIds = new Set(users.map((u) => u.id));
  for (const a of apps) if (!a.owner || !userIds.has(a.owner)) skip("apps", a.id, "owner not in users");
  for (const r of await src.query<"id">(SQL.orphanMemories))
    skip("memories", r.id ?? null, "user not in users");
  if (hasHistory) {
    for (const r of await src.query<"id">(SQL.orphanHistory))
      skip("memory_status_history", r.id ?? null, "memory not in memories");
  }

  const counts = { ...zeroCounts(), tenant: 1 };
  const firstUser = users.map((u) => isoTime(u.created_at)).find((t) => t !== null);
  yield {
    type: "header",
    format: FORMAT_NAME,
    version: FORMAT_VERSION,
    server_version: opts.serverVersion ?? "openmemory",
    embedding_model: opts.embeddingModel ?? "none",
    dimensions: opts.dimensions ?? 1,
    exported_at: opts.exportedAt ?? new Date().toISOString(),
  };
  yield {
    type: "tenant",
    id: tenant,
    name: tenant === "default" ? "Default tenant" : tenant,
    created_at: firstUser ?? "1970-01-01T00:00:00.000Z",
  };

  const seenUserIds = new Set<string>();
  for (const u of users) {
    const uuid = u.id ?? "";
    const memories = await src.query<
      "id" | "app_id" | "content" | "metadata" | "state" | "created_at" | "updated_at"
    >(SQL.memoriesOf, [uuid]);
    const history = hasHistory
      ? await src.query<"id" | "memory_id" | "old_state" | "new_state" | "changed_at">(SQL.historyOf, [uuid])
      : [];
    const owned = apps.filter((a) => a.owner === uuid);
    const userId = u.user_id ?? "";
    const invalid = !UserIdSchema.safeParse(userId).success
      ? `user_id ${JSON.stringify(userId)} is not a valid Engram user id`
      : seenUserIds.has(userId)
        ? `duplicate user_id ${JSON.stringify(userId)}`
        : undefined;
    const userCreated = isoTime(u.created_at) ?? isoTime(u.updated_at);
    const reason = invalid ?? (userCreated === null ? "no created_at" : undefined);
    if (reason !== undefined || userCreated === null) {
      skip("users", uuid, reason ?? "no created_at");
      for (const a of owned) skip("apps", a.id, "its user was skipped");
      for (const m of memories) skip("memories", m.id, "its user was skipped");
      for (const h of history) skip("memory_status_history", h.id, "its user was skipped");
      continue;
    }
    seenUserIds.add(userId);

    const categories = new Map<string, string[]>();
    if (hasCategories) {
      for (const c of await src.query<"memory_id" | "name">(SQL.categoriesOf, [uuid])) {
        if (!c.memory_id || !c.name) continue;
        const list = categories.get(c.memory_id) ?? [];
        list.push(c.name);
        categories.set(c.memory_id, list);
      }
    }

    // Memories first into a list: the user record carries the latest activity, and apps used from another owner.
    const out: MemoryRecord[] = [];
    const kept = new Map<string, MemoryRecord>();
    for (const m of memories) {
      const created = isoTime(m.created_at) ?? isoTime(m.updated_at);
      const state = m.state ?? "active";
      const text = m.content ?? "";
      const why =
        created === null
          ? "no created_at"
          : !STATES.has(state)
            ? `unknown state ${JSON.stringify(state)}`
            : text.trim() === ""
              ? "empty content"
              : hasNul(text)
                ? "content contains NUL"
                : text.length > maxText
                  ? `content longer than ${maxText} characters`
                  : undefined;
      if (why !== undefined || created === null) {
        skip("memories", m.id, why ?? "no created_at");
        continue;
      }
      const meta = parseMetadata(m.metadata);
      const cats = categories.get(m.id ?? "");
      let metadata: Record<string, unknown> = meta.value;
      if (cats && cats.length > 0) {
        const prior = Array.isArray(metadata.categories)
          ? metadata.categories.filter((c) => typeof c === "string")
          : [];
        metadata = { ...metadata, categories: [...new Set([...prior, ...cats])].sort() };
        report.categoryLinks += cats.length;
      }
      if (!MetadataSchema.safeParse(metadata).success) {
        metadata = cats && cats.length > 0 ? { categories: [...new Set(cats)].sort() } : {};
        report.notes.push(`memory ${m.id}: metadata not accepted by Engram, dropped`);
      } else if (meta.dropped) {
        report.notes.push(`memory ${m.id}: metadata not a JSON object, dropped`);
      }
      const app = m.app_id ? appsById.get(m.app_id) : undefined;
      if (!app) report.notes.push(`memory ${m.id}: app ${m.app_id} not in apps, imported under "default"`);
      const rec: MemoryRecord = {
        type: "memory",
        tenant,
        user_id: userId,
        id: idFor("mem", created, uuidKey(m.id ?? "")),
        text,
        metadata,
        app: app?.name ?? "default",
        session_id: null,
        state: state as MemoryState,
        created_at: created,
        updated_at: isoTime(m.updated_at) ?? created,
        embedding: null,
      };
      out.push(rec);
      kept.set(m.id ?? "", rec);
    }

    const lastActive = out.reduce<string | null>(
      (acc, m) => (acc === null || m.updated_at > acc ? m.updated_at : acc),
      null,
    );
    yield {
      type: "user",
      tenant,
      user_id: userId,
      name: u.name === null ? null : u.name.slice(0, 200),
      email: u.email !== null && /^[^\s@]+@[^\s@]+$/.test(u.email) && u.email.length <= 320 ? u.email : null,
      created_at: userCreated,
      updated_at: isoTime(u.updated_at) ?? userCreated,
      last_active_at: lastActive,
    };
    report.users++;
    counts.user++;

    // The user's apps, then any app another user owns that this user's memories name (Engram apps are per user).
    const used = new Set(out.map((m) => m.app));
    const names = new Set<string>();
    const appRecords: AppRecord[] = [];
    const emitApp = (a: AppRow, seed: string) => {
      if (names.has(a.name)) return false;
      names.add(a.name);
      const created = a.createdAt ?? userCreated;
      appRecords.push({
        type: "app",
        tenant,
        user_id: userId,
        id: idFor("app", created, seed),
        name: a.name,
        description: a.description === null ? null : a.description.slice(0, 500),
        is_active: a.isActive,
        created_at: created,
        updated_at: a.updatedAt ?? created,
      });
      return true;
    };
    for (const a of owned) {
      if (!emitApp(a, uuidKey(a.id)))
        report.notes.push(`app ${a.id}: name "${a.name}" already taken, merged`);
    }
    for (const name of used) {
      const foreign = apps.find((a) => a.name === name && a.owner !== uuid);
      if (!names.has(name) && foreign) emitApp(foreign, `${uuidKey(uuid)}:${uuidKey(foreign.id)}`);
    }
    for (const a of appRecords) yield a;
    report.apps += owned.length;
    counts.app += appRecords.length;

    for (const m of out) {
      yield m;
      report.memories[m.state]++;
      counts.memory++;
    }

    // OpenMemory writes deleted → active when it creates a memory: a memory's first such row is its "add".
    const seenMemory = new Set<string>();
    for (const h of history) {
      const mem = kept.get(h.memory_id ?? "");
      const at = isoTime(h.changed_at) ?? mem?.created_at ?? null;
      const oldState = h.old_state;
      const newState = h.new_state;
      const why = !mem
        ? "its memory was skipped"
        : (oldState !== null && !STATES.has(oldState)) || newState === null || !STATES.has(newState)
          ? `unknown state ${JSON.stringify(oldState)} → ${JSON.stringify(newState)}`
          : undefined;
      if (why !== undefined || !mem || at === null) {
        skip("memory_status_history", h.id, why ?? "no changed_at");
        continue;
      }
      const first = !seenMemory.has(mem.id);
      seenMemory.add(mem.id);
      const isAdd = first && newState === "active" && (oldState === null || oldState === "deleted");
      yield {
        type: "memory_event",
        tenant,
        user_id: userId,
        id: idFor("evt", at, uuidKey(h.id ?? "")),
        memory_id: mem.id,
        event: isAdd ? "add" : "state",
        old_text: null,
        new_text: null,
        old_state: isAdd ? null : (oldState as MemoryState | null),
        new_state: newState as MemoryState,
        created_at: at,
      };
      report.events++;
      counts.memory_event++;
    }
  }
  yield { type: "end", counts };
}
