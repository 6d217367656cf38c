/**
 * Per-user apps: every memory records the app that wrote it; a paused app can neither write nor read, and a key
 * bound to a paused app can do nothing for that user. A bound key manages only its own app and pauses nothing.
 */

import { auditActor } from "../audit/store.js";
import type { Db, Queryable } from "../db/db.js";
import { isUniqueViolation } from "../db/db.js";
import { AppError } from "../errors.js";
import type { Actor } from "../identity/principal.js";
import { newId } from "../ids.js";
import type { App } from "./schemas.js";

interface AppRow {
  id: string;
  name: string;
  description: string | null;
  is_active: boolean;
  memory_count: number;
  created_at: Date;
  updated_at: Date;
}

function toApp(r: AppRow): App {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    is_active: r.is_active,
    memory_count: Number(r.memory_count ?? 0),
    created_at: new Date(r.created_at).toISOString(),
    updated_at: new Date(r.updated_at).toISOString(),
  };
}

const APP_SELECT = `SELECT a.id, a.name, a.description, a.is_active, a.created_at, a.updated_at,
  (SELECT count(*)::int FROM memories m WHERE m.user_id = a.user_id AND m.app = a.name) AS memory_count
  FROM apps a`;

/** The app a request acts as: the key's bound app wins over a name in the request, which wins over `default`. */
export function appFor(actor: Actor, requested: string | undefined): string {
  return actor.principal.app ?? requested ?? "default";
}

/** Refuses a paused app; creates the app on first use (every user has `default` from their first write). */
export async function ensureActiveApp(tx: Queryable, actor: Actor, name: string): Promise<void> {
  const rows = await tx.query<{ is_active: boolean }>(
    "SELECT is_active FROM apps WHERE user_id = $1 AND name = $2",
    [actor.userPk, name],
  );
  if (rows[0]) {
    if (!rows[0].is_active) throw new AppError("app_paused", `app '${name}' is paused`, { field: "app" });
    return;
  }
  await tx.query(
    `INSERT INTO apps (id, tenant_id, user_id, name) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT apps_user_name_key DO NOTHING`,
    [newId("app"), actor.tenantId, actor.userPk, name],
  );
}

/**
 * Refuses a read that names a paused app (`app` in a list, `filters.app` in a search); creates nothing. The app a
 * key is bound to is not checked here: IdentityService.resolveActor refused a paused one before any service ran.
 */
export async function checkAppReadable(
  tx: Queryable,
  actor: Actor,
  requested: string | undefined,
): Promise<void> {
  if (!requested) return;
  const rows = await tx.query<{ is_active: boolean }>(
    "SELECT is_active FROM apps WHERE user_id = $1 AND name = $2",
    [actor.userPk, requested],
  );
  if (rows[0] && !rows[0].is_active)
    throw new AppError("app_paused", `app '${requested}' is paused`, { field: "app" });
}

/**
 * The bound-app check of every user-scoped request (REST, OpenMemory, MCP, chat): a key bound to an app that is
 * paused for the acting user does nothing for that user. Called once, by IdentityService.resolveActor, right after
 * the acting user is known: one indexed lookup per request, made as the owner like the rest of actor resolution
 * (docs/architecture.md, Isolation), and keyed by the acting user. An app the user does not have yet is active:
 * it is created by the key's first write.
 */
export async function requireBoundAppActive(q: Queryable, actor: Actor): Promise<void> {
  const name = actor.principal.app;
  if (!name) return;
  const rows = await q.query<{ is_active: boolean }>(
    "SELECT is_active FROM apps WHERE user_id = $1 AND name = $2",
    [actor.userPk, name],
  );
  if (rows[0] && !rows[0].is_active) {
    throw new AppError(
      "app_paused",
      `this key is bound to app '${name}', which is paused; a key not bound to an app can resume it (PATCH /v1/apps/${name})`,
    );
  }
}

/** A bound key manages nothing but its own app: refuses `what` unless it is about that app (or the key is unbound). */
function requireOwnApp(actor: Actor, name: string, what: string): void {
  const bound = actor.principal.app;
  if (bound && bound !== name) {
    throw new AppError("forbidden", `this key is bound to app '${bound}': it cannot ${what} app '${name}'`);
  }
}

/** The memory's own app, if the memory exists and that app is paused. */
export async function pausedAppOfMemory(
  tx: Queryable,
  userPk: string,
  memoryId: string,
): Promise<string | undefined> {
  const rows = await tx.query<{ app: string }>(
    `SELECT m.app FROM memories m JOIN apps a ON a.user_id = m.user_id AND a.name = m.app
     WHERE m.id = $1 AND m.user_id = $2 AND NOT a.is_active`,
    [memoryId, userPk],
  );
  return rows[0]?.app;
}

/**
 * SQL condition hiding memories of the user's paused apps from lists and searches; for statements inside
 * `db.withUser` (the user is the transaction's scope, as for row-level security).
 *
 * Why not `NOT EXISTS (... pa.name = memories.app ...)`: most users have one app, so the planner's estimate for
 * "app differs from a paused app's name" (or the anti-join) was 1 row, and for a 50,000-memory user it chose a
 * full scan and sort of every vector (173 ms) over the HNSW index (3.7 ms). An uncorrelated NOT IN is one hashed
 * lookup per statement, estimated at half the rows. `apps.name` is NOT NULL, so NOT IN has no NULL trap.
 */
export const NOT_IN_PAUSED_APP = `app NOT IN (SELECT pa.name FROM apps pa
  WHERE pa.user_id = current_setting('engram.user_id', true) AND NOT pa.is_active)`;

export class AppService {
  constructor(private readonly db: Db) {}

  /** Every app of the acting user; for a key bound to an app, that app only (created if the user lacks it). */
  async list(actor: Actor): Promise<App[]> {
    const bound = actor.principal.app ?? null;
    return this.db.withUser(actor.userPk, async (tx) => {
      await ensureActiveApp(tx, actor, bound ?? "default").catch((err) => {
        if (!(err instanceof AppError)) throw err; // a paused default app is still listed
      });
      const rows = await tx.query<AppRow>(
        `${APP_SELECT} WHERE a.user_id = $1 AND ($2::text IS NULL OR a.name = $2) ORDER BY a.name`,
        [actor.userPk, bound],
      );
      return rows.map(toApp);
    });
  }

  /** A key bound to an app may create only that app. */
  async create(actor: Actor, input: { name: string; description?: string | undefined }): Promise<App> {
    requireOwnApp(actor, input.name, "create");
    return this.db.withUser(actor.userPk, async (tx) => {
      const id = newId("app");
      try {
        await tx.query(
          "INSERT INTO apps (id, tenant_id, user_id, name, description) VALUES ($1, $2, $3, $4, $5)",
          [id, actor.tenantId, actor.userPk, input.name, input.description ?? null],
        );
      } catch (err) {
        if (isUniqueViolation(err))
          throw new AppError("app_exists", `app '${input.name}' already exists`, { field: "name" });
        throw err;
      }
      await auditActor(tx, actor, "app.create", id);
      const rows = await tx.query<AppRow>(`${APP_SELECT} WHERE a.user_id = $1 AND a.name = $2`, [
        actor.userPk,
        input.name,
      ]);
      return toApp(rows[0] as AppRow);
    });
  }

  /**
   * `idOrName`: the app's id (app_…) or its name. Pausing and resuming need a key not bound to an app: a bound key
   * could otherwise resume the app it was paused by, or pause its neighbours. A bound key may change its own app's
   * description.
   */
  async update(
    actor: Actor,
    idOrName: string,
    patch: { is_active?: boolean | undefined; description?: string | null | undefined },
  ): Promise<App> {
    const bound = actor.principal.app;
    if (bound && patch.is_active !== undefined) {
      throw new AppError(
        "forbidden",
        `is_active: this key is bound to app '${bound}' and cannot pause or resume apps; use a key that is not bound to an app`,
        { field: "is_active" },
      );
    }
    return this.db.withUser(actor.userPk, async (tx) => {
      if (bound) {
        const target = await tx.query<{ name: string }>(
          "SELECT name FROM apps WHERE user_id = $1 AND (id = $2 OR name = $2)",
          [actor.userPk, idOrName],
        );
        if (!target[0]) throw new AppError("app_not_found", `app '${idOrName}' not found`);
        requireOwnApp(actor, target[0].name, "change");
      }
      // `was_active`: the row before the update (a self-join sees the old version), to tell a pause from an edit.
      const rows = await tx.query<{ id: string; was_active: boolean }>(
        `UPDATE apps SET
           is_active = coalesce($3, apps.is_active),
           description = CASE WHEN $4::boolean THEN $5 ELSE apps.description END,
           updated_at = now()
         FROM apps old
         WHERE old.id = apps.id AND apps.user_id = $1 AND (apps.id = $2 OR apps.name = $2)
         RETURNING apps.id, old.is_active AS was_active`,
        [
          actor.userPk,
          idOrName,
          patch.is_active ?? null,
          patch.description !== undefined,
          patch.description ?? null,
        ],
      );
      const id = rows[0]?.id;
      if (!id) throw new AppError("app_not_found", `app '${idOrName}' not found`);
      const wasActive = rows[0]?.was_active;
      const action =
        patch.is_active === undefined || patch.is_active === wasActive
          ? "app.update"
          : patch.is_active
            ? "app.resume"
            : "app.pause";
      await auditActor(tx, actor, action, id);
      const apps = await tx.query<AppRow>(`${APP_SELECT} WHERE a.id = $1`, [id]);
      return toApp(apps[0] as AppRow);
    });
  }
}
