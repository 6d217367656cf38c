/** What `engram export` and `engram import` share: where they run (a server or the store), and the progress line. */
import { pino } from "pino";
import type { Config } from "../config/config.js";
import { readLiveLock } from "../db/lockfile.js";
import { describeDatabase } from "../db/open.js";
import { createServices, type OpenServices } from "../services.js";
import { reachableUrl } from "./admin-connect.js";
import { CliError, RemoteError } from "./errors.js";

export interface TransferFlags {
  url?: string;
  key?: string;
}

/** A server's REST API (GET /v1/export, POST /v1/import), or the configured store opened here. */
export type TransferTarget =
  | { kind: "http"; url: string; key: string }
  | { kind: "direct"; open: () => Promise<OpenServices> };

/**
 * As the admin commands decide (src/cli/admin-connect.ts): --url / ENGRAM_URL, else the server that holds the
 * embedded store, else the store itself (PostgreSQL always directly). Says which on `say`.
 */
export function chooseTarget(
  config: Config,
  flags: TransferFlags,
  say: (line: string) => void,
): TransferTarget {
  const url = flags.url ?? config.client.url;
  const key = flags.key ?? config.client.apiKey ?? config.adminKey;
  const http = (where: string, target: string): TransferTarget => {
    if (!key) {
      throw new CliError(
        `${where} needs an API key: pass --key <key> or set ENGRAM_API_KEY (or ENGRAM_ADMIN_KEY for an admin key)`,
        2,
      );
    }
    say(`using ${where}`);
    return { kind: "http", url: target, key };
  };
  if (url) return http(`the server at ${url}`, url);
  const db = config.database;
  if (db.kind === "pglite") {
    const holder = readLiveLock(db.dataDir);
    if (holder?.url) {
      const at = reachableUrl(holder.url);
      return http(`the running server at ${at} (the embedded store is locked by pid ${holder.pid})`, at);
    }
    if (holder) {
      throw new CliError(
        `the embedded store at ${db.dataDir} is locked by pid ${holder.pid}, which is not serving HTTP; ` +
          "stop it and try again, or pass --url of a server on this store",
      );
    }
  }
  say(`using ${describeDatabase(db)} directly`);
  // Warnings only, and on stderr: stdout may be the export itself.
  const log = pino({ level: "warn" }, pino.destination(2));
  return { kind: "direct", open: () => createServices(config, log) };
}

/** The error of a failed API response, as the admin client reports it. */
export async function remoteError(res: Response): Promise<RemoteError> {
  const text = await res.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return new RemoteError(body.error?.code ?? "http_error", body.error?.message ?? text, res.status);
  } catch (err) {
    // Not JSON (a proxy's HTML page, say): the status and the start of the text are all there is.
    if (!(err instanceof SyntaxError)) throw err;
    return new RemoteError("http_error", `${res.status} ${text.slice(0, 200)}`, res.status);
  }
}

/** One updating line on stderr (count, rate, and ETA when the total is known), only when stderr is a terminal. */
export class Progress {
  private readonly started = Date.now();
  private last = 0;
  private readonly on = process.stderr.isTTY === true;

  constructor(private readonly unit: string) {}

  /** `done` units so far; `total` and `fraction` when known (bytes of a file, for instance). */
  update(done: number, fraction?: number): void {
    if (!this.on) return;
    const now = Date.now();
    if (now - this.last < 200) return;
    this.last = now;
    const secs = Math.max((now - this.started) / 1000, 0.001);
    const rate = Math.round(done / secs);
    let eta = "";
    if (fraction !== undefined && fraction > 0 && fraction < 1) {
      const left = Math.round((secs / fraction) * (1 - fraction));
      eta = `, ${Math.round(fraction * 100)}%, about ${left}s left`;
    }
    process.stderr.write(`\r\x1b[K${done} ${this.unit} (${rate}/s${eta})`);
  }

  done(): void {
    if (this.on) process.stderr.write("\r\x1b[K");
  }
}
