/** `engram audit`: the audit log (who changed what, and admin reads of users' data), through the AdminApi. */
import type { Command } from "commander";
import { AuditQuery } from "../audit/schemas.js";
import { AppError } from "../errors.js";
import {
  CONNECTION_HELP,
  type ConnectionFlags,
  guarded,
  runAdmin,
  validate,
  withConnectionOptions,
} from "./admin-run.js";
import { out, printJson, table } from "./output.js";

interface AuditFlags extends ConnectionFlags {
  user?: string;
  tenant?: string;
  actorKey?: string;
  action?: string;
  since?: string;
  until?: string;
  limit: string;
}

/** `--since` / `--until`: an ISO date or date-time, or a duration before now such as `24h` or `7d`. */
export function parseWhen(value: string, flag: string): string {
  const rel = /^(\d+)\s*([dhm])$/.exec(value.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as "d" | "h" | "m"];
    return new Date(Date.now() - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new AppError(
      "validation_error",
      `${flag}: expected an ISO date (2026-12-31), date-time, or a duration before now like 24h or 7d`,
      { field: flag },
    );
  }
  return new Date(t).toISOString();
}

export function registerAuditCommand(program: Command): void {
  withConnectionOptions(
    program
      .command("audit")
      .description(
        "list audit events, newest first: changes (users, keys, tenants, apps, memories, sessions) and admin reads",
      )
      .option("--user <user_id>", "only events about this user")
      .option("--tenant <tenant>", "only events in this tenant")
      .option("--actor-key <key_id>", "only events by this key (key_…)")
      .option("--action <action>", "only this action (memory.add), or a prefix (memory.*)")
      .option("--since <when>", "only events at or after: ISO date/date-time, or a duration ago (24h, 7d)")
      .option("--until <when>", "only events before: ISO date/date-time, or a duration ago")
      .option("--limit <n>", "at most this many events (1-10000)", "100"),
  )
    .addHelpText(
      "after",
      `
Audit events record who (key id and kind), what (action, resource id), whose (tenant, user), when, and the
request id and client address; never a key or a memory's text. Times are UTC.

Examples:
  engram audit --since 24h
  engram audit --user alice --action 'memory.*'
  engram audit --actor-key key_01jabc… --json
${CONNECTION_HELP}`,
    )
    .action(
      guarded(async (opts: AuditFlags) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
          throw new AppError("validation_error", "--limit: must be an integer from 1 to 10000", {
            field: "--limit",
          });
        }
        const q = validate(AuditQuery, {
          user_id: opts.user,
          tenant: opts.tenant,
          key_id: opts.actorKey,
          action: opts.action,
          since: opts.since === undefined ? undefined : parseWhen(opts.since, "--since"),
          until: opts.until === undefined ? undefined : parseWhen(opts.until, "--until"),
        });
        const { limit: _pageSize, cursor: _cursor, ...filter } = q;
        await runAdmin(opts, async (api) => {
          const events = await api.listAudit(filter, limit);
          if (opts.json) return printJson({ events });
          if (events.length === 0) return out("no audit events");
          out(
            table(
              ["TIME (UTC)", "ACTION", "KEY", "TENANT", "USER", "RESOURCE", "OUTCOME", "REQUEST", "CLIENT"],
              events.map((e) => [
                `${e.at.slice(0, 10)} ${e.at.slice(11, 19)}`,
                e.action,
                e.key_id ?? e.key_kind,
                e.tenant ?? "-",
                e.user_id ?? "-",
                e.resource_id ?? "-",
                e.outcome,
                e.request_id ?? "-",
                e.client_addr ?? "-",
              ]),
            ),
          );
        });
      }),
    );
}
