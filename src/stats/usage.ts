/**
 * The server's own usage counters (searches per UTC day): counted in memory, and added to `usage_daily` by one
 * upsert every few seconds and at shutdown, so servers sharing a database add up and a request pays nothing. A crash
 * loses what was counted since the last flush (at most FLUSH_INTERVAL_MS of it); a failed flush keeps its counts for
 * the next one.
 */
import type { Logger } from "pino";
import type { Queryable } from "../db/db.js";

export const USAGE_METRICS = ["searches"] as const;
export type UsageMetric = (typeof USAGE_METRICS)[number];

export const FLUSH_INTERVAL_MS = 10_000;

/** `YYYY-MM-DD` of an instant, in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}

export class UsageCounters {
  /** `day|metric` -> count not yet in the database. */
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly db: Queryable,
    private readonly opts: { log?: Logger | undefined; intervalMs?: number; now?: () => Date } = {},
  ) {}

  /** Starts the periodic flush (an unref'd timer: it never keeps the process alive). */
  start(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => {
      void this.flush();
    }, this.opts.intervalMs ?? FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  count(metric: UsageMetric, n = 1): void {
    const key = `${utcDay(this.opts.now?.() ?? new Date())}|${metric}`;
    this.pending.set(key, (this.pending.get(key) ?? 0) + n);
  }

  /** Adds the pending counts to the database; flushes run one at a time. Never throws: a failure is logged. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.flushNow());
    return this.flushing;
  }

  private async flushNow(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const days: string[] = [];
    const metrics: string[] = [];
    const counts: number[] = [];
    for (const [key, n] of batch) {
      const [day, metric] = key.split("|") as [string, string];
      days.push(day);
      metrics.push(metric);
      counts.push(n);
    }
    try {
      await this.db.query(
        `INSERT INTO usage_daily (day, metric, count)
         SELECT * FROM unnest($1::date[], $2::text[], $3::bigint[])
         ON CONFLICT (day, metric) DO UPDATE SET count = usage_daily.count + EXCLUDED.count`,
        [days, metrics, counts],
      );
    } catch (err) {
      // Kept for the next flush: a database that is briefly away loses no counts (unless this process stops too).
      for (const [key, n] of batch) this.pending.set(key, (this.pending.get(key) ?? 0) + n);
      this.opts.log?.warn({ err }, "could not flush the usage counters; will retry");
    }
  }

  /** Stops the timer and flushes what is left: call before the database closes. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
