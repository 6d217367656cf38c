/**
 * The admin overview (GET /v1/stats): totals, and per UTC day new users, active users, memories added and searches.
 * What each number is drawn from is in docs/api.md (Stats); in short: users.created_at, the audit log and
 * users.last_active_at, the history's add events, and the servers' own counters (usage.ts).
 */
import type { Db } from "../db/db.js";
import type { Stats, StatsDay, StatsTotals } from "./schemas.js";
import type { UsageCounters } from "./usage.js";

/** Counts come back as bigint (text from node-postgres) or int: either way a number here. */
type Counts<T> = { [K in keyof T]: T[K] extends number ? number | string : T[K] };

function numbers<T extends object>(row: Counts<T>): T {
  return Object.fromEntries(
    Object.entries(row).map(([k, v]) => [k, k === "day" ? v : Number(v)]),
  ) as unknown as T;
}

/**
 * Every day of the window, oldest first, zeros included. The window is the last `days` UTC days by the database's
 * clock, today (so far) included. Each source is read from the window's first instant on, through an index
 * (users: by scan, they are few; audit_log_at_idx; memory_events_created_brin; usage_daily's primary key).
 */
const DAYS_SQL = `
WITH bounds AS (
  SELECT (now() AT TIME ZONE 'UTC')::date - ($1::int - 1) AS first, (now() AT TIME ZONE 'UTC')::date AS last
), since AS (
  SELECT first, (first::timestamp AT TIME ZONE 'UTC') AS ts FROM bounds
), days AS (
  SELECT generate_series(first, last, interval '1 day')::date AS day FROM bounds
), new_users AS (
  SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
  FROM users u, since WHERE u.created_at >= since.ts GROUP BY 1
), active AS (
  SELECT day, count(DISTINCT user_pk) AS n FROM (
    SELECT (a.at AT TIME ZONE 'UTC')::date AS day, a.user_id AS user_pk
    FROM audit_log a, since
    WHERE a.at >= since.ts AND a.user_id IS NOT NULL AND a.key_kind IN ('user', 'client', 'open')
    UNION ALL
    SELECT (u.last_active_at AT TIME ZONE 'UTC')::date, u.id FROM users u, since WHERE u.last_active_at >= since.ts
  ) seen GROUP BY day
), added AS (
  SELECT (e.created_at AT TIME ZONE 'UTC')::date AS day, count(*) AS n
  FROM memory_events e, since WHERE e.event = 'add' AND e.created_at >= since.ts GROUP BY 1
), searches AS (
  SELECT day, sum(count) AS n FROM usage_daily, since
  WHERE metric = 'searches' AND day >= since.first GROUP BY day
)
SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
  coalesce(nu.n, 0) AS new_users, coalesce(ac.n, 0) AS active_users,
  coalesce(ad.n, 0) AS memories_added, coalesce(se.n, 0) AS searches
FROM days d
LEFT JOIN new_users nu ON nu.day = d.day
LEFT JOIN active ac ON ac.day = d.day
LEFT JOIN added ad ON ad.day = d.day
LEFT JOIN searches se ON se.day = d.day
ORDER BY d.day`;

const TOTALS_SQL = `
SELECT (SELECT count(*) FROM tenants) AS tenants, (SELECT count(*) FROM users) AS users,
  (SELECT count(*) FROM memories WHERE state <> 'deleted') AS memories, (SELECT count(*) FROM sessions) AS sessions,
  (SELECT count(*) FROM api_keys WHERE revoked_at IS NULL) AS keys`;

export class StatsService {
  constructor(
    private readonly db: Db,
    private readonly usage: UsageCounters,
  ) {}

  /** Runs as the owner role (no RLS): an admin view across every tenant. */
  async stats(days: number): Promise<Stats> {
    // This server's searches so far are written first, so the answer includes them (other servers' lag by at most
    // their flush interval).
    await this.usage.flush();
    const totals = await this.db.query<Counts<StatsTotals>>(TOTALS_SQL);
    const rows = await this.db.query<Counts<StatsDay>>(DAYS_SQL, [Math.trunc(days)]);
    return {
      totals: numbers<StatsTotals>(totals[0] ?? { tenants: 0, users: 0, memories: 0, sessions: 0, keys: 0 }),
      days: rows.map((r) => numbers<StatsDay>(r)),
    };
  }
}
