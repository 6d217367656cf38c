/**
 * Rate limits (docs/security.md, Rate limits): requests per API key, and failed authentications per client address,
 * counted in the database (`engram_rate_limits`, migrations/005_rate_limits.sql) so that every server on one
 * database shares them. A request costs one statement: an atomic upsert of its bucket's counter. Windows are fixed:
 * a bucket's window starts at its first hit and lasts `windowSeconds`; the hit that goes over the limit and every hit
 * after it, until the window ends, is 429 `rate_limited` with Retry-After.
 */
import { getConnInfo } from "@hono/node-server/conninfo";
import type { Context } from "hono";
import type { Config } from "../config/config.js";
import type { Queryable } from "../db/db.js";
import { AppError } from "../errors.js";

export type RateLimitConfig = Config["rateLimits"];

/** How often one server deletes counters whose window has ended (one DELETE, off the request's path). */
const SWEEP_INTERVAL_MS = 60_000;
/** Addresses this server knows to be blocked, refused without a database round trip; bounded against floods. */
const MAX_BLOCKED = 10_000;

/**
 * One upsert: a hit in the bucket's current window, or the first hit of a new window when it has ended. Returns the
 * hits counted so far in the window and the seconds until it ends (rounded up, at least 1).
 */
const HIT = `INSERT INTO engram_rate_limits AS r (bucket, window_end, hits)
  VALUES ($1, now() + make_interval(secs => $2), 1)
  ON CONFLICT (bucket) DO UPDATE SET
    hits = CASE WHEN r.window_end > now() THEN r.hits + 1 ELSE 1 END,
    window_end = CASE WHEN r.window_end > now() THEN r.window_end ELSE EXCLUDED.window_end END
  RETURNING hits, greatest(1, ceil(extract(epoch FROM window_end - now())))::int AS retry_after`;

/**
 * A key's hit and, in the same statement, whether its address is over the failed-authentication limit: a valid key
 * from a blocked address is refused too, so a guesser cannot tell a right key from a wrong one by the status. The
 * key's hit is not counted while the address is blocked.
 */
const KEY_HIT_UNLESS_BLOCKED = `WITH blocked AS (
    SELECT greatest(1, ceil(extract(epoch FROM window_end - now())))::int AS retry_after
    FROM engram_rate_limits WHERE bucket = $3 AND window_end > now() AND hits > $4
  ), hit AS (
    INSERT INTO engram_rate_limits AS r (bucket, window_end, hits)
    SELECT $1, now() + make_interval(secs => $2), 1 WHERE NOT EXISTS (SELECT 1 FROM blocked)
    ON CONFLICT (bucket) DO UPDATE SET
      hits = CASE WHEN r.window_end > now() THEN r.hits + 1 ELSE 1 END,
      window_end = CASE WHEN r.window_end > now() THEN r.window_end ELSE EXCLUDED.window_end END
    RETURNING hits, greatest(1, ceil(extract(epoch FROM window_end - now())))::int AS retry_after
  )
  SELECT (SELECT hits FROM hit) AS hits, (SELECT retry_after FROM hit) AS retry_after,
    (SELECT retry_after FROM blocked) AS blocked_for`;

/** Only the address check, when keys are not limited but failed authentication is. */
const BLOCKED = `SELECT greatest(1, ceil(extract(epoch FROM window_end - now())))::int AS blocked_for
  FROM engram_rate_limits WHERE bucket = $1 AND window_end > now() AND hits > $2`;

const SWEEP = "DELETE FROM engram_rate_limits WHERE window_end <= now()";

/** Thrown as 429 rate_limited; the HTTP face adds Retry-After from `retryAfter`. */
export class RateLimited extends AppError {
  constructor(
    readonly retryAfter: number,
    what: string,
  ) {
    const at = new Date(Date.now() + retryAfter * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
    super("rate_limited", `${what}; retry in ${retryAfter} s (after ${at})`, { details: { retryAfter } });
  }
}

export interface RateLimiterOptions {
  log?: { warn(obj: object, msg: string): void };
  /** Milliseconds clock, for the local block list and the sweep (tests). */
  now?: () => number;
}

/** The counters of one server (one app); the counts themselves live in the database, shared. */
export class RateLimiter {
  /** Address -> when its block ends (ms), learnt from the database: later attempts cost no round trip. */
  private readonly blocked = new Map<string, number>();
  private nextSweep: number;
  private readonly now: () => number;

  constructor(
    private readonly db: Queryable,
    readonly config: RateLimitConfig,
    private readonly opts: RateLimiterOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.nextSweep = this.now() + SWEEP_INTERVAL_MS;
  }

  /** Refuses an address known (to this server) to be over its failed-authentication limit: no database work. */
  checkAddress(address: string | undefined): void {
    if (address === undefined || this.config.failedAuth === 0) return;
    const until = this.blocked.get(address);
    if (until === undefined) return;
    const left = until - this.now();
    if (left <= 0) {
      this.blocked.delete(address);
      return;
    }
    throw this.addressError(Math.max(1, Math.ceil(left / 1000)));
  }

  /**
   * Counts a failed authentication from `address`; past the limit, throws 429 (which the caller answers instead of
   * its 401). Without an address (an in-process request, no socket) nothing is counted.
   */
  async failedAuth(address: string | undefined): Promise<void> {
    if (address === undefined || this.config.failedAuth === 0) return;
    this.maybeSweep();
    const [row] = await this.db.query<{ hits: number; retry_after: number }>(HIT, [
      `fail:${address}`,
      this.config.windowSeconds,
    ]);
    if (row && row.hits > this.config.failedAuth) {
      this.block(address, row.retry_after);
      throw this.addressError(row.retry_after);
    }
  }

  /**
   * Counts a request by an authenticated key (and refuses it if its address is blocked). `keyId` undefined: a key
   * that is not limited itself (the admin key), for which only the address is checked.
   */
  async keyHit(keyId: string | undefined, address: string | undefined): Promise<void> {
    // No address: not a network request (app.request in-process, as in the tests); only network clients are limited.
    if (address === undefined) return;
    const { failedAuth, windowSeconds } = this.config;
    const perKey = keyId === undefined ? 0 : this.config.perKey;
    const checkAddress = address !== undefined && failedAuth > 0;
    if (perKey === 0 && !checkAddress) return;
    this.maybeSweep();
    if (perKey === 0) {
      const [row] = await this.db.query<{ blocked_for: number }>(BLOCKED, [`fail:${address}`, failedAuth]);
      if (row) {
        this.block(address as string, row.blocked_for);
        throw this.addressError(row.blocked_for);
      }
      return;
    }
    const [row] = await this.db.query<{
      hits: number | null;
      retry_after: number | null;
      blocked_for: number | null;
    }>(KEY_HIT_UNLESS_BLOCKED, [
      `key:${keyId}`,
      windowSeconds,
      // No address: a bucket name no address can have, so the check finds nothing.
      checkAddress ? `fail:${address}` : "",
      checkAddress ? failedAuth : 0,
    ]);
    if (row?.blocked_for != null) {
      this.block(address as string, row.blocked_for);
      throw this.addressError(row.blocked_for);
    }
    if (row?.hits != null && row.hits > perKey) {
      throw new RateLimited(
        row.retry_after ?? windowSeconds,
        `too many requests with this API key: the limit is ${perKey} per ${windowSeconds} s`,
      );
    }
  }

  private addressError(retryAfter: number): RateLimited {
    const { failedAuth, windowSeconds } = this.config;
    return new RateLimited(
      retryAfter,
      `too many failed authentications from this address: the limit is ${failedAuth} per ${windowSeconds} s, and until the window ends every request from it is refused`,
    );
  }

  private block(address: string, seconds: number): void {
    if (this.blocked.size >= MAX_BLOCKED) {
      const now = this.now();
      for (const [a, until] of this.blocked) if (until <= now) this.blocked.delete(a);
      // Still full: a flood from many addresses. Forget the oldest; the database still counts them.
      if (this.blocked.size >= MAX_BLOCKED) this.blocked.delete(this.blocked.keys().next().value as string);
    }
    this.blocked.set(address, this.now() + seconds * 1000);
  }

  /** At most once a minute per server, deletes ended windows; a failure is logged and retried a minute later. */
  private maybeSweep(): void {
    const now = this.now();
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    this.db
      .exec(SWEEP)
      .catch((err: unknown) => this.opts.log?.warn({ err }, "could not delete old rate-limit counters"));
  }
}

/**
 * The client's address: the socket's peer (@hono/node-server), or with `trustProxy` = n, the address the outermost
 * of n proxies saw (the n-th X-Forwarded-For entry from the right; entries further left are whatever the client
 * sent). Undefined without a socket, as for `app.request` in-process.
 */
export function clientAddress(c: Context, trustProxy: number): string | undefined {
  if (trustProxy > 0) {
    const forwarded = c.req.header("x-forwarded-for");
    if (forwarded) {
      const hops = forwarded
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
      const client = hops[Math.max(0, hops.length - trustProxy)];
      if (client) return addressBucket(client);
    }
  }
  // app.request in-process has no Node request (c.env.incoming), so no socket and no address.
  if (!(c.env as { incoming?: unknown } | undefined)?.incoming) return undefined;
  const address = getConnInfo(c).remote.address;
  return address ? addressBucket(address) : undefined;
}

/**
 * What is counted for an address: an IPv4 address itself (also when written `::ffff:1.2.3.4`), and for IPv6 its /64
 * (one subscriber's usual allocation, so that hopping through its 2^64 addresses gains nothing).
 */
export function addressBucket(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith("[") && a.includes("]")) a = a.slice(1, a.indexOf("]"));
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (a.startsWith("::ffff:") && a.includes(".")) a = a.slice(7);
  if (!a.includes(":")) return a.slice(0, 64);
  const [head = "", tail] = a.split("::", 2) as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill("0"), ...right];
  if (groups.length < 4 || groups.some((g) => !/^[0-9a-f]{1,4}$/.test(g))) return a.slice(0, 64);
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}
