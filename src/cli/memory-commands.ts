/** `engram memories …` and `engram sessions …`: one user's memories and sessions from the shell, on a server or the local store. */
import type { Command } from "commander";
import { AppError } from "../errors.js";
import type { Memory } from "../memories/schemas.js";
import { AddMemoryBody, ListQuery, SearchBody, UpdateMemoryBody } from "../memories/schemas.js";
import { ListSessionsQuery } from "../sessions/schemas.js";
import { guarded, usageErrorsExit2, validate } from "./admin-run.js";
import type { MemoryApi, Page } from "./memory-api.js";
import { runAsUser, USER_HELP, type UserFlags, withUserOptions } from "./memory-run.js";
import { out, printJson, when } from "./output.js";
import { bold, dim, oneLine, styledTable } from "./style.js";

interface PageFlags extends UserFlags {
  limit: string;
  cursor?: string;
  all?: boolean;
}

export function registerMemoryCommands(program: Command): void {
  registerMemories(program);
  registerSessions(program);
}

function registerMemories(program: Command): void {
  const memories = usageErrorsExit2(program.command("memories"))
    .description("add, search, list, read, change and delete one user's memories")
    .addHelpText(
      "after",
      `
Examples:
  engram memories add "Alice prefers tea" --user alice
  engram memories search "what does alice drink?" --user alice
  engram memories list --user alice --all --json
${USER_HELP}`,
    );

  withUserOptions(
    memories
      .command("add <text>")
      .description("store a memory verbatim (an identical active one is returned instead of a duplicate)")
      .option("--metadata <json>", 'a JSON object stored with it, e.g. \'{"source":"cli"}\'')
      .option("--app <app>", "the app it belongs to")
      .option("--session <session_id>", "the session it came from")
      .option(
        "--occurred-at <time>",
        "when it happened or was said, ISO 8601 with Z or an offset (default: now)",
      ),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  engram memories add "Alice prefers tea" --user alice --metadata '{"source":"cli"}'\n  engram memories add "Alice moved to Berlin" --user alice --occurred-at 2025-06-01T00:00:00Z\n${USER_HELP}`,
    )
    .action(
      guarded(
        async (
          text: string,
          opts: UserFlags & { metadata?: string; app?: string; session?: string; occurredAt?: string },
        ) => {
          const body = validate(AddMemoryBody, {
            text,
            metadata: opts.metadata === undefined ? undefined : parseJsonObject(opts.metadata, "--metadata"),
            app: opts.app,
            session_id: opts.session,
            occurred_at: opts.occurredAt,
          });
          await runAsUser(opts, async (api) => {
            const { memory, created } = await api.add({
              text: body.text ?? text,
              metadata: body.metadata,
              app: body.app,
              session_id: body.session_id ?? undefined,
              occurred_at: body.occurred_at,
            });
            if (opts.json) return printJson({ ...memory, ...(created !== undefined ? { created } : {}) });
            out(`${created === false ? "Already stored as" : "Added"} memory ${bold(memory.id)}.`);
          });
        },
      ),
    );

  withUserOptions(
    memories
      .command("search <query>")
      .description("search by meaning and keywords, best match first")
      .option("--limit <n>", "how many results (1-100)", "10")
      .option("--mode <mode>", "hybrid, semantic or keyword", "hybrid")
      .option("--threshold <score>", "minimum score, 0..1"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  engram memories search "drinks" --user alice --limit 5\n${USER_HELP}`,
    )
    .action(
      guarded(
        async (query: string, opts: UserFlags & { limit: string; mode: string; threshold?: string }) => {
          const body = validate(SearchBody, {
            query,
            limit: toNumber(opts.limit, "--limit"),
            mode: opts.mode,
            ...(opts.threshold !== undefined ? { threshold: toNumber(opts.threshold, "--threshold") } : {}),
          });
          await runAsUser(opts, async (api) => {
            const results = await api.search(body);
            if (opts.json) return printJson({ results });
            if (results.length === 0) return out("no matches");
            out(
              styledTable(
                ["SCORE", "ID", "TEXT"],
                results.map((r) => [r.score.toFixed(3), r.id, oneLine(r.text)]),
              ),
            );
          });
        },
      ),
    );

  withUserOptions(
    pageOptions(
      memories
        .command("list")
        .description("list memories, newest first, a page at a time")
        .option("--app <app>", "only this app's memories")
        .option("--state <state>", "only memories in this state (active, paused, archived)"),
    ),
  )
    .addHelpText(
      "after",
      `\nTimes are UTC. Without --all, a further page is announced on stderr with its --cursor.\n\nExamples:\n  engram memories list --user alice --limit 50\n  engram memories list --user alice --all --json\n${USER_HELP}`,
    )
    .action(
      guarded(async (opts: PageFlags & { app?: string; state?: string }) => {
        const query = validate(ListQuery, {
          limit: opts.limit,
          cursor: opts.cursor,
          app: opts.app,
          state: opts.state,
        });
        await runAsUser(opts, async (api) => {
          const page = await pages(opts.all, query.cursor, (cursor) => api.list({ ...query, cursor }));
          if (opts.json) return printJson({ memories: page.items, next_cursor: page.next_cursor });
          printMemories(page.items);
          moreHint(page.next_cursor);
        });
      }),
    );

  withUserOptions(memories.command("get <memory_id>").description("show one memory"))
    .addHelpText(
      "after",
      `\nExamples:\n  engram memories get mem_01jh8x0000abcdefghjkmnpqrs --user alice --json\n${USER_HELP}`,
    )
    .action(
      guarded(async (id: string, opts: UserFlags) => {
        await runAsUser(opts, async (api) => {
          const memory = await api.get(id);
          if (opts.json) return printJson(memory);
          printMemory(memory);
        });
      }),
    );

  withUserOptions(
    memories
      .command("update <memory_id>")
      .description("change a memory's text, metadata or state (each change is kept in its history)")
      .option("--text <text>", "the new text")
      .option("--metadata <json>", "the new metadata, a JSON object")
      .option("--state <state>", "active, paused or archived"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  engram memories update mem_… --text "Alice prefers green tea" --user alice\n${USER_HELP}`,
    )
    .action(
      guarded(async (id: string, opts: UserFlags & { text?: string; metadata?: string; state?: string }) => {
        const patch = validate(
          UpdateMemoryBody,
          {
            text: opts.text,
            metadata: opts.metadata === undefined ? undefined : parseJsonObject(opts.metadata, "--metadata"),
            state: opts.state,
          },
          undefined,
        );
        await runAsUser(opts, async (api) => {
          const memory = await api.update(id, patch);
          if (opts.json) return printJson(memory);
          out(`Updated memory ${bold(memory.id)}.`);
          printMemory(memory);
        });
      }),
    );

  withUserOptions(
    memories.command("delete <memory_id>").description("delete one memory (its history keeps the event)"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  engram memories delete mem_01jh8x0000abcdefghjkmnpqrs --user alice\n${USER_HELP}`,
    )
    .action(
      guarded(async (id: string, opts: UserFlags) => {
        await runAsUser(opts, async (api) => {
          await api.delete(id);
          if (opts.json) return printJson({ deleted: true, id });
          out(`Deleted memory ${id}.`);
        });
      }),
    );
}

function registerSessions(program: Command): void {
  const sessions = usageErrorsExit2(program.command("sessions"))
    .description("list one user's conversation sessions and read their messages")
    .addHelpText(
      "after",
      `\nExamples:\n  engram sessions list --user alice\n  engram sessions show sess_… --user alice\n${USER_HELP}`,
    );

  withUserOptions(pageOptions(sessions.command("list").description("list sessions, newest first")))
    .addHelpText(
      "after",
      `\nTimes are UTC.\n\nExamples:\n  engram sessions list --user alice --all --json\n${USER_HELP}`,
    )
    .action(
      guarded(async (opts: PageFlags) => {
        const query = validate(ListSessionsQuery, { limit: opts.limit, cursor: opts.cursor });
        await runAsUser(opts, async (api: MemoryApi) => {
          const page = await pages(opts.all, query.cursor, (cursor) =>
            api.listSessions({ ...query, cursor }),
          );
          if (opts.json) return printJson({ sessions: page.items, next_cursor: page.next_cursor });
          if (page.items.length === 0) out("no sessions");
          else
            out(
              styledTable(
                ["ID", "CREATED", "LAST ACTIVITY", "STATUS"],
                page.items.map((s) => [
                  s.id,
                  when(s.created_at),
                  when(s.last_activity_at),
                  s.expired ? "expired" : "open",
                ]),
              ),
            );
          moreHint(page.next_cursor);
        });
      }),
    );

  withUserOptions(
    sessions.command("show <session_id>").description("show a session and its messages, oldest first"),
  )
    .addHelpText(
      "after",
      `\nExamples:\n  engram sessions show sess_01jh8x0000abcdefghjkmnpqrs --user alice --json\n${USER_HELP}`,
    )
    .action(
      guarded(async (id: string, opts: UserFlags) => {
        await runAsUser(opts, async (api) => {
          const session = await api.getSession(id);
          if (opts.json) return printJson(session);
          out(`${bold(session.id)}  user ${session.user_id}  ${session.expired ? "expired" : "open"}`);
          out(
            dim(
              `created ${when(session.created_at)} UTC, last activity ${when(session.last_activity_at)} UTC`,
            ),
          );
          if (session.messages.length === 0) return out("(no messages)");
          for (const m of session.messages)
            out(`${dim(when(m.created_at))}  ${bold(m.role.padEnd(9))}  ${m.content}`);
        });
      }),
    );
}

function pageOptions(cmd: Command): Command {
  return cmd
    .option("--limit <n>", "page size (1-100)", "20")
    .option("--cursor <cursor>", "start after this cursor (the next_cursor of the page before)")
    .option("--all", "follow every page to the end");
}

/** One page, or with `all` every page from `cursor` on, concatenated. */
async function pages<T>(
  all: boolean | undefined,
  cursor: string | undefined,
  fetch: (cursor: string | undefined) => Promise<Page<T>>,
): Promise<Page<T>> {
  if (!all) return fetch(cursor);
  const items: T[] = [];
  let next = cursor;
  do {
    const page = await fetch(next);
    items.push(...page.items);
    next = page.next_cursor ?? undefined;
  } while (next);
  return { items, next_cursor: null };
}

/** On stderr, so stdout holds only the table. */
function moreHint(next: string | null): void {
  if (next) process.stderr.write(`engram: more: --cursor ${next} (or --all)\n`);
}

function printMemories(items: Memory[]): void {
  if (items.length === 0) {
    out("no memories");
    return;
  }
  out(
    styledTable(
      ["ID", "CREATED", "APP", "STATE", "TEXT"],
      items.map((m) => [m.id, when(m.created_at), m.app, m.state, oneLine(m.text, 60)]),
    ),
  );
}

function printMemory(m: Memory): void {
  const rows: [string, string][] = [
    ["id", m.id],
    ["text", m.text],
    ["app", m.app],
    ["state", m.state],
    ["session", m.session_id ?? "-"],
    ["metadata", JSON.stringify(m.metadata)],
    ["occurred", `${when(m.occurred_at)} UTC`],
    ["created", `${when(m.created_at)} UTC`],
    ["updated", `${when(m.updated_at)} UTC`],
  ];
  for (const [k, v] of rows) out(`${dim(k.padEnd(9))}${v}`);
}

function parseJsonObject(value: string, flag: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new AppError("validation_error", `${flag}: not valid JSON`, { field: flag });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new AppError("validation_error", `${flag}: expected a JSON object`, { field: flag });
  }
  return parsed as Record<string, unknown>;
}

function toNumber(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === "" || Number.isNaN(n)) {
    throw new AppError("validation_error", `${flag}: expected a number, got '${value}'`, { field: flag });
  }
  return n;
}
