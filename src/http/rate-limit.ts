/**
 * Rate limits (docs/security.md, Rate limits): requests per API key, and failed authentications per client address.
 * On PostgreSQL they are counted in the database (`engram_rate_limits`, migrations/005_rate_limits.sql) so that every
 * server on one database shares them: a request costs one statement, an atomic upsert of its bucket's counter. On
 * PGlite, whose store one process owns (src/db/lockfile.ts), the same counters live in that process's memory, shared
 * by every app on the store, at no database cost (PGlite runs SQL on Node's own thread). Windows are fixed:
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
/** In-memory counters (PGlite): past this many buckets, ended windows are dropped at once, not at the next sweep. */
const MEMORY_SWEEP_AT = 100_000;
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

/** Where the counts are kept. Every method is one atomic step, so counts hold under concurrency. */
interface Counters {
  /** A hit in `bucket`'s window (or the first of a new one): the hits so far and the seconds until the window ends. */
  hit(bucket: string, windowSeconds: number): Promise<{ hits: number; retryAfter: number }>;
  /**
   * A key's hit, unless `addressBucket` is over `failLimit` in its window: then nothing is counted and `blockedFor`
   * says for how long. `addressBucket` null: no address check.
   */
  keyHit(
    keyBucket: string,
    windowSeconds: number,
    addressBucket: string | null,
    failLimit: number,
  ): Promise<{ hits: number; retryAfter: number } | { blockedFor: number }>;
  /** Seconds until `addressBucket`'s window ends when it is over `failLimit`, else undefined. */
  blockedFor(addressBucket: string, failLimit: number): Promise<number | undefined>;
  /** Forgets windows that have ended. */
  sweep(): Promise<void>;
}

/** The counts in the database: shared by every server on it. */
class DbCounters implements Counters {
  constructor(private readonly db: Queryable) {}

  async hit(bucket: string, windowSeconds: number) {
    const [row] = await this.db.query<{ hits: number; retry_after: number }>(HIT, [bucket, windowSeconds]);
    if (!row) throw new Error("rate-limit upsert returned no row");
    return { hits: row.hits, retryAfter: row.retry_after };
  }

  async keyHit(keyBucket: string, windowSeconds: number, addressBucket: string | null, failLimit: number) {
    const [row] = await this.db.query<{
      hits: number | null;
      retry_after: number | null;
      blocked_for: number | null;
    }>(KEY_HIT_UNLESS_BLOCKED, [
      keyBucket,
      windowSeconds,
      // No address check: a bucket name no address can have, so the check finds nothing.
      addressBucket ?? "",
      addressBucket ? failLimit : 0,
    ]);
    if (row?.blocked_for != null) return { blockedFor: row.blocked_for };
    return { hits: row?.hits ?? 0, retryAfter: row?.retry_after ?? windowSeconds };
  }

  async blockedFor(addressBucket: string, failLimit: number) {
    const [row] = await this.db.query<{ blocked_for: number }>(BLOCKED, [addressBucket, failLimit]);
    return row?.blocked_for;
  }

  async sweep() {
    await this.db.exec(SWEEP);
  }
}

/** The same counts in this process's memory, for a store only this process opens (PGlite). */
class MemoryCounters implements Counters {
  /** bucket -> hits and when the window ends (ms). */
  private readonly windows = new Map<string, { hits: number; end: number }>();

  constructor(private readonly now: () => number) {}

  private secondsLeft(end: number): number {
    return Math.max(1, Math.ceil((end - this.now()) / 1000));
  }

  private current(bucket: string): { hits: number; end: number } | undefined {
    const w = this.windows.get(bucket);
    return w && w.end > this.now() ? w : undefined;
  }

  async hit(bucket: string, windowSeconds: number) {
    // A flood from many addresses within one window: drop ended windows now rather than at the next sweep.
    if (this.windows.size >= MEMORY_SWEEP_AT) await this.sweep();
    let w = this.current(bucket);
    if (w) w.hits += 1;
    else {
      w = { hits: 1, end: this.now() + windowSeconds * 1000 };
      this.windows.set(bucket, w);
    }
    return { hits: w.hits, retryAfter: this.secondsLeft(w.end) };
  }

  async keyHit(keyBucket: string, windowSeconds: number, addressBucket: string | null, failLimit: number) {
    if (addressBucket) {
      const blockedFor = await this.blockedFor(addressBucket, failLimit);
      if (blockedFor !== undefined) return { blockedFor };
    }
    return this.hit(keyBucket, windowSeconds);
  }

  async blockedFor(addressBucket: string, failLimit: number) {
    const w = this.current(addressBucket);
    return w && w.hits > failLimit ? this.secondsLeft(w.end) : undefined;
  }

  async sweep() {
    const now = this.now();
    for (const [bucket, w] of this.windows) if (w.end <= now) this.windows.delete(bucket);
  }
}

/** One MemoryCounters per PGlite store, so that several apps on one store (as tests make) share the counts. */
const memoryCounters = new WeakMap<object, MemoryCounters>();

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

/** The limits of one server (one app); the counts live in the database (shared), or for PGlite in the process. */
export class RateLimiter {
  /** Address -> when its block ends (ms), learnt from the database: later attempts cost no round trip. */
  private readonly blocked = new Map<string, number>();
  private nextSweep: number;
  private readonly now: () => number;
  private readonly counters: Counters;

  /** `db.kind` "pglite": counted in this process's memory (see the top of this file); otherwise in the database. */
  constructor(
    db: Queryable & { readonly kind?: "pglite" | "postgres" },
    readonly config: RateLimitConfig,
    private readonly opts: RateLimiterOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.nextSweep = this.now() + SWEEP_INTERVAL_MS;
    if (db.kind === "pglite") {
      let counters = memoryCounters.get(db);
      if (!counters) {
        counters = new MemoryCounters(Date.now);
        memoryCounters.set(db, counters);
      }
      this.counters = counters;
    } else {
      this.counters = new DbCounters(db);
    }
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
    const { hits, retryAfter } = await this.counters.hit(`fail:${address}`, this.config.windowSeconds);
    if (hits > this.config.failedAuth) {
      this.block(address, retryAfter);
      throw this.addressError(retryAfter);
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
      const blockedFor = await this.counters.blockedFor(`fail:${address}`, failedAuth);
      if (blockedFor !== undefined) {
        this.block(address, blockedFor);
        throw this.addressError(blockedFor);
      }
      return;
    }
    const counted = await this.counters.keyHit(
      `key:${keyId}`,
      windowSeconds,
      checkAddress ? `fail:${address}` : null,
      failedAuth,
    );
    if ("blockedFor" in counted) {
      this.block(address, counted.blockedFor);
      throw this.addressError(counted.blockedFor);
    }
    if (counted.hits > perKey) {
      throw new RateLimited(
        counted.retryAfter,
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
    this.counters
      .sweep()
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
