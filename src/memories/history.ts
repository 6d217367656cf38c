/** Memory history: one event per applied change, written in the same transaction as the change. */
import type { Queryable } from "../db/db.js";
import type { Actor } from "../identity/principal.js";
import { newId } from "../ids.js";
import type { MemoryEvent } from "./schemas.js";

type State = MemoryEvent["new_state"];

export interface EventInput {
  memoryId: string;
  event: MemoryEvent["event"];
  oldText?: string | null;
  newText?: string | null;
  oldState?: State;
  newState?: State;
}

export async function recordEvent(tx: Queryable, actor: Actor, e: EventInput): Promise<void> {
  await tx.query(
    `INSERT INTO memory_events (id, tenant_id, user_id, memory_id, event, old_text, new_text, old_state, new_state, key_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      newId("evt"),
      actor.tenantId,
      actor.userPk,
      e.memoryId,
      e.event,
      e.oldText ?? null,
      e.newText ?? null,
      e.oldState ?? null,
      e.newState ?? null,
      actor.principal.keyId,
    ],
  );
}

/** A deleted memory's text is removed everywhere: its history keeps who and when, not what. */
export async function scrubHistory(
  tx: Queryable,
  userPk: string,
  memoryIds: readonly string[],
): Promise<void> {
  if (memoryIds.length === 0) return;
  await tx.query(
    "UPDATE memory_events SET old_text = NULL, new_text = NULL WHERE user_id = $1 AND memory_id = ANY($2::text[])",
    [userPk, memoryIds],
  );
}

interface EventRow {
  id: string;
  memory_id: string;
  event: MemoryEvent["event"];
  old_text: string | null;
  new_text: string | null;
  old_state: State;
  new_state: State;
  key_id: string | null;
  created_at: Date;
}

export async function listEvents(tx: Queryable, userPk: string, memoryId: string): Promise<MemoryEvent[]> {
  const rows = await tx.query<EventRow>(
    `SELECT id, memory_id, event, old_text, new_text, old_state, new_state, key_id, created_at
     FROM memory_events WHERE user_id = $1 AND memory_id = $2 ORDER BY id`,
    [userPk, memoryId],
  );
  return rows.map((r) => ({ ...r, created_at: new Date(r.created_at).toISOString() }));
}
