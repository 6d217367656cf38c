/** The audit log as the admin faces see it: listing (admin only) and retention. Writes happen in each service. */
import type { Logger } from "pino";
import type { Db } from "../db/db.js";
import { type AuditEvent, type AuditFilter, listAudit, purgeAudit } from "./store.js";

const DAY_MS = 86_400_000;

export interface AuditServiceOptions {
  /** Rows older than this are purged; 0 keeps them forever. */
  retentionDays: number;
  log?: Logger | undefined;
}

export class AuditService {
  constructor(
    private readonly db: Db,
    private readonly opts: AuditServiceOptions,
  ) {}

  /** Newest first, filtered and keyset-paged. As the owner: the app role reads no audit rows. */
  list(filter: AuditFilter): Promise<{ events: AuditEvent[]; next_cursor: string | null }> {
    return listAudit(this.db, filter);
  }

  /** Deletes rows older than the retention period (one indexed DELETE, as the owner); returns how many. */
  async purge(): Promise<number> {
    if (this.opts.retentionDays <= 0) return 0;
    return purgeAudit(this.db, this.opts.retentionDays);
  }

  /**
   * Purges now and then once a day, on an unref'd timer (it never keeps the process alive). Returns the stop
   * function. A failed purge is logged; the next one catches up.
   */
  startRetention(): () => void {
    if (this.opts.retentionDays <= 0) return () => {};
    const run = () => {
      this.purge()
        .then((n) => {
          if (n > 0)
            this.opts.log?.info({ purged: n, retention_days: this.opts.retentionDays }, "audit log purged");
        })
        .catch((err: unknown) => this.opts.log?.warn({ err }, "audit log retention purge failed"));
    };
    run();
    const timer = setInterval(run, DAY_MS);
    timer.unref();
    return () => clearInterval(timer);
  }
}
