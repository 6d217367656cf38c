/** What every admin command shares: the connection options, opening the AdminApi, input checks, confirmation, error reporting. */
import { createInterface } from "node:readline/promises";
import type { Command } from "commander";
import type { z } from "zod";
import { AppError } from "../errors.js";
import { SCOPES, type Scope } from "../identity/keys.js";
import type { AdminApi } from "./admin-api.js";
import { openAdminApi } from "./admin-connect.js";
import { CliError } from "./errors.js";
import { reportError } from "./output.js";
import { loadConfigOrExit, overriddenBy } from "./serve.js";

export interface ConnectionFlags {
  url?: string;
  key?: string;
  json?: boolean;
}

/** Adds --url, --key and --json to an admin command. */
export function withConnectionOptions(cmd: Command): Command {
  return (
    cmd
      // ENGRAM_URL is read by the config module (config.client.url), which checks it.
      .option("--url <url>", "go through the admin API of the Engram server at this URL (env: ENGRAM_URL)")
      .option("--key <admin-key>", "admin API key for a server (default: ENGRAM_ADMIN_KEY)")
      .option("--json", "print JSON instead of text")
  );
}

export const CONNECTION_HELP = `
Where it runs: on the configured database directly (ENGRAM_DATABASE_URL, or the embedded store in
ENGRAM_DATA_DIR); while a server holds the embedded store, through that server's admin API instead
(needs --key or ENGRAM_ADMIN_KEY); always through the server given with --url / ENGRAM_URL.
A line on stderr says which was used.`;

/**
 * Makes usage errors (unknown option, missing argument, conflicting options) exit 2 rather than commander's 1,
 * so scripts can tell a mistyped command from a failed operation. Subcommands created afterwards inherit it.
 */
export function usageErrorsExit2(cmd: Command): Command {
  return cmd.exitOverride((err) => {
    process.exit(err.exitCode === 1 ? 2 : err.exitCode);
  });
}

/** Opens the AdminApi for one command, runs `fn` with it, and closes it. */
export async function runAdmin(flags: ConnectionFlags, fn: (api: AdminApi) => Promise<void>): Promise<void> {
  const config = loadConfigOrExit(overriddenBy(process.env, { ENGRAM_URL: flags.url }));
  const url = flags.url ?? config.client.url;
  const api = await openAdminApi(config, { url, key: flags.key }, (line) =>
    process.stderr.write(`engram: ${line}\n`),
  );
  try {
    await fn(api);
  } finally {
    await api.close();
  }
}

/** Wraps a command's action so expected failures end as one line on stderr with the right exit code, never a stack. */
export function guarded<A extends unknown[]>(
  fn: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (err) {
      if (!reportError(err)) throw err;
    }
  };
}

/** Option and argument names as the user typed them, for messages about the fields they fill. */
const FLAG_OF: Record<string, string> = {
  user_id: "user_id",
  tenant: "--tenant",
  name: "--name",
  email: "--email",
  scopes: "--scopes",
  expires_at: "--expires",
  grace_seconds: "--grace",
  id: "tenant id",
  key_id: "--actor-key",
  action: "--action",
  occurred_at: "--occurred-at",
};

/** Checks input with the same schema the server uses, so both modes refuse the same things with the same words. */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what?: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue?.path.map(String) ?? [];
  const first = path[0];
  const field = what ?? (first !== undefined ? (FLAG_OF[first] ?? path.join(".")) : "input");
  throw new AppError("validation_error", `${field}: ${issue?.message ?? "invalid"}`, { field });
}

/** `--expires`: an ISO date or date-time, or a duration from now such as `90d` or `12h`. */
export function parseExpiry(value: string): string {
  const rel = /^(\d+)\s*([dhm])$/.exec(value.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as "d" | "h" | "m"];
    return new Date(Date.now() + Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new AppError(
      "validation_error",
      "--expires: expected an ISO date (2026-12-31), date-time, or a duration like 90d",
      {
        field: "--expires",
      },
    );
  }
  return new Date(t).toISOString();
}

const SECONDS_PER = { s: 1, m: 60, h: 3_600, d: 86_400 } as const;

/**
 * `--grace`: whole seconds (`3600`) or one number with a unit, `s`, `m`, `h` or `d` (`90s`, `15m`, `1h`, `7d`).
 * Only the form is checked here; the range is the server's schema's (RotateKeyBody), applied by the caller.
 */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d{1,9})\s*([smhd]?)$/.exec(value.trim());
  if (!m) {
    throw new AppError(
      "validation_error",
      `${flag}: expected seconds (3600) or a duration like 90s, 15m, 1h or 7d, got '${value}'`,
      { field: flag },
    );
  }
  return Number(m[1]) * SECONDS_PER[(m[2] || "s") as keyof typeof SECONDS_PER];
}

/** `--scopes a,b`: each must be a known scope. */
export function parseScopes(value: string): Scope[] {
  const scopes = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const unknown = scopes.filter((s) => !(SCOPES as readonly string[]).includes(s));
  if (unknown.length > 0 || scopes.length === 0) {
    throw new AppError(
      "validation_error",
      `--scopes: unknown scope '${unknown[0] ?? ""}'; known: ${SCOPES.join(", ")}`,
      {
        field: "--scopes",
      },
    );
  }
  return scopes as Scope[];
}

/**
 * Destructive commands need --yes, or `expected` (the id being deleted) typed at a terminal, so a reflexive "y" is
 * not enough. Without a terminal there is nobody to ask: refuse rather than guess.
 */
export async function confirmTyped(
  question: string,
  expected: string,
  yes: boolean | undefined,
): Promise<void> {
  if (yes) return;
  if (!process.stdin.isTTY) {
    throw new CliError(
      "refusing to delete without --yes (stdin is not a terminal, so there is no one to ask)",
      2,
    );
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question}\nType '${expected}' to confirm: `);
    if (answer.trim() !== expected) throw new CliError("cancelled; nothing was deleted");
  } finally {
    rl.close();
  }
}

/** `--inactive-since`: a duration back from now (`30d`, `12h`, `15m`) or an ISO date or date-time; an ISO instant. */
export function parseSince(value: string, flag: string): string {
  const rel = /^(\d{1,6})\s*([dhm])$/.exec(value.trim());
  if (rel) {
    const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[rel[2] as "d" | "h" | "m"];
    return new Date(Date.now() - Number(rel[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(t)) {
    throw new AppError(
      "validation_error",
      `${flag}: expected a duration like 30d, 12h or 15m, or an ISO date (2026-01-31) or date-time`,
      { field: flag },
    );
  }
  return new Date(t).toISOString();
}
