/** MemoryPort in-process: the same services and the same scope checks as the REST routes, for one resolved actor. */

import type { Scope } from "../identity/keys.js";
import type { Actor } from "../identity/principal.js";
import type { BatchAddResult, Memory, SearchResult } from "../memories/schemas.js";
import type { Services } from "../services.js";
import type { SessionDetail } from "../sessions/schemas.js";
import type { AddInput, ExtractionResult, MemoryPage, MemoryPort } from "./tools.js";

/** Resolves the acting user for one tool call and checks the key carries `scope` (REST's actorFor). */
export type ActorFor = (scope: Scope) => Promise<Actor>;

export class LocalMemoryPort implements MemoryPort {
  constructor(
    private readonly services: Pick<Services, "memories" | "sessions">,
    private readonly actorFor: ActorFor,
  ) {}

  async add(input: AddInput): Promise<{ results: ExtractionResult[] }> {
    const actor = await this.actorFor("memories:write");
    const added = await this.services.memories.add(actor, {
      text: input.text,
      infer: input.infer,
      occurred_at: input.occurred_at,
    });
    if (added.infer) return { results: added.results };
    // An identical active memory already existed: nothing was added (mem0's NONE).
    return { results: [{ event: added.created ? "ADD" : "NONE", memory: added.memory }] };
  }

  async addBatch(texts: string[], occurredAt?: string): Promise<BatchAddResult> {
    const actor = await this.actorFor("memories:write");
    const results = await this.services.memories.addBatch(
      actor,
      texts.map((text) => ({ text, occurred_at: occurredAt })),
    );
    const count = (s: string) => results.filter((r) => r.status === s).length;
    return { results, created: count("created"), existing: count("existing"), failed: count("error") };
  }

  async search(input: { query: string; limit: number }): Promise<SearchResult[]> {
    const actor = await this.actorFor("memories:read");
    return this.services.memories.search(actor, { query: input.query, limit: input.limit });
  }

  async list(input: { limit: number; cursor?: string | undefined }): Promise<MemoryPage> {
    const actor = await this.actorFor("memories:read");
    return this.services.memories.list(actor, {
      limit: input.limit,
      ...(input.cursor ? { cursor: input.cursor } : {}),
    });
  }

  async update(id: string, text: string): Promise<Memory> {
    const actor = await this.actorFor("memories:write");
    return this.services.memories.update(actor, id, { text });
  }

  async remove(id: string): Promise<void> {
    const actor = await this.actorFor("memories:write");
    await this.services.memories.delete(actor, id);
  }

  async removeAll(): Promise<{ deleted: number }> {
    const actor = await this.actorFor("memories:write");
    return this.services.memories.deleteAll(actor);
  }

  async sessionHistory(sessionId: string): Promise<SessionDetail> {
    const actor = await this.actorFor("sessions:read");
    return this.services.sessions.get(actor, sessionId);
  }
}
