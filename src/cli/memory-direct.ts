/**
 * MemoryApi on the local store through the services (MemoryService, SessionService), as the named user of a
 * tenant: whoever can open the store acts as that user (created on first use), as `engram mcp --user` does.
 */
import type { Config } from "../config/config.js";
import { describeDatabase } from "../db/open.js";
import { type Actor, openPrincipal } from "../identity/principal.js";
import { createLogger } from "../log.js";
import type { Memory, SearchResult } from "../memories/schemas.js";
import { createServices, type OpenServices } from "../services.js";
import type { Session, SessionDetail } from "../sessions/schemas.js";
import { CliError } from "./errors.js";
import type {
  MemoryAddInput,
  MemoryApi,
  MemoryListInput,
  MemorySearchInput,
  MemoryUpdateInput,
  Page,
} from "./memory-api.js";

export class DirectMemoryApi implements MemoryApi {
  private constructor(
    private readonly open: OpenServices,
    private readonly actor: Actor,
    readonly via: string,
  ) {}

  /** Opens (and migrates) the store and loads the embedder. On PGlite this takes the data dir's lock. */
  static async open(config: Config, tenantId: string, userId: string): Promise<DirectMemoryApi> {
    // A CLI command's own info lines (migrations, model load) would bury its output: warnings and worse only,
    // unless a quieter or louder level than the default was asked for.
    const log = createLogger(config.logLevel === "info" ? "warn" : config.logLevel);
    const open = await createServices(config, log);
    try {
      const { identity } = open.services;
      if (!(await identity.listTenants()).some((t) => t.id === tenantId)) {
        throw new CliError(
          `--tenant: tenant '${tenantId}' not found (create it with: engram tenants create ${tenantId})`,
          2,
        );
      }
      const actor = await identity.resolveActor(openPrincipal(tenantId), userId);
      return new DirectMemoryApi(open, actor, describeDatabase(config.database));
    } catch (err) {
      await open.close();
      throw err;
    }
  }

  private get services() {
    return this.open.services;
  }

  async add(input: MemoryAddInput): Promise<{ memory: Memory; created: boolean }> {
    return this.services.memories.addOne(this.actor, input);
  }

  search(input: MemorySearchInput): Promise<SearchResult[]> {
    return this.services.memories.search(this.actor, {
      query: input.query,
      limit: input.limit,
      mode: input.mode ?? "hybrid",
      explain: false,
      ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
    });
  }

  async list(input: MemoryListInput): Promise<Page<Memory>> {
    const page = await this.services.memories.list(this.actor, input);
    return { items: page.memories, next_cursor: page.next_cursor };
  }

  get(id: string): Promise<Memory> {
    return this.services.memories.get(this.actor, id);
  }

  update(id: string, patch: MemoryUpdateInput): Promise<Memory> {
    return this.services.memories.update(this.actor, id, patch);
  }

  delete(id: string): Promise<void> {
    return this.services.memories.delete(this.actor, id);
  }

  async listSessions(input: { limit: number; cursor?: string | undefined }): Promise<Page<Session>> {
    const page = await this.services.sessions.list(this.actor, input);
    return { items: page.sessions, next_cursor: page.next_cursor };
  }

  getSession(id: string): Promise<SessionDetail> {
    return this.services.sessions.get(this.actor, id);
  }

  close(): Promise<void> {
    return this.open.close();
  }
}
