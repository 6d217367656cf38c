/** Terminal output for the admin CLI: plain tables, timestamps, shown-once secrets, JSON, and one-line errors. */
import { DataDirLockedError } from "../db/lockfile.js";
import { AppError } from "../errors.js";
import { SCOPES } from "../identity/keys.js";
import type { ApiKey } from "../identity/schemas.js";
import { CliError, RemoteError } from "./errors.js";

export function out(text = ""): void {
  process.stdout.write(`${text}\n`);
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2));
}

/** Left-aligned columns separated by two spaces; a header row in capitals. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

/** `2026-01-08 10:00` in UTC (headers say so), or a placeholder when unset. */
export function when(iso: string | null | undefined, none = "-"): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : none;
}

/** A key's visible prefix, ending in one ellipsis (keys stored from ENGRAM_ADMIN_KEY carry one already). */
export function prefixText(k: ApiKey): string {
  return `${k.prefix.replace(/…$/, "")}…`;
}

export function keyStatus(k: ApiKey, now = Date.now()): string {
  if (k.revoked_at) return "revoked";
  if (k.expires_at && new Date(k.expires_at).getTime() <= now) return "expired";
  return "active";
}

export function scopesText(scopes: readonly string[]): string {
  return SCOPES.every((s) => scopes.includes(s)) && scopes.length === SCOPES.length
    ? "all"
    : scopes.join(",");
}

/** Whose a key is, as a phrase to append (" of user alice (tenant default)"); admin keys belong to no one. */
export function keyOwner(k: ApiKey, preposition: string): string {
  if (k.kind === "admin") return "";
  if (k.kind === "client") return ` ${preposition} tenant ${k.tenant ?? "?"}`;
  return ` ${preposition} user ${k.user_id ?? "?"} (tenant ${k.tenant ?? "?"})`;
}

/** The secret on a line of its own, so `grep '^ek_'` or `tail -1` picks it out. */
export function printSecret(apiKey: string, label = "API key"): void {
  out();
  out(`${label} (shown once; store it now):`);
  out(apiKey);
}

/**
 * Prints an expected failure as `engram: <message> (<code>)` and sets the exit code; returns false for
 * anything unexpected, which the caller rethrows.
 */
export function reportError(err: unknown): boolean {
  if (err instanceof AppError || err instanceof RemoteError) {
    process.stderr.write(`engram: ${err.message} (${err.code})\n`);
    process.exitCode = 1;
    return true;
  }
  if (err instanceof CliError) {
    process.stderr.write(`engram: ${err.message}\n`);
    process.exitCode = err.exitCode;
    return true;
  }
  if (err instanceof DataDirLockedError) {
    process.stderr.write(`engram: ${err.message}\n`);
    process.exitCode = 1;
    return true;
  }
  return false;
}
