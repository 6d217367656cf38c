/** Server driver: node-postgres Pool against PostgreSQL 15+ with pgvector. */
import pg from "pg";
import type { Logger } from "pino";
import { type Db, DbError, type Queryable, statementTimeoutSetting, userScopePreamble } from "./db.js";

interface PgClientLike {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
}

function wrap(client: PgClientLike): Queryable {
  return {
    async query<R>(sql: string, params: readonly unknown[] = []): Promise<R[]> {
      try {
        return (await client.query(sql, [...params])).rows as R[];
      } catch (err) {
        throw new DbError(err, sql);
      }
    },
    async exec(sql: string): Promise<void> {
      try {
        // No parameters: node-postgres uses the simple protocol, which takes several statements.
        await client.query(sql);
      } catch (err) {
        throw new DbError(err, sql);
      }
    },
  };
}

export class PostgresDb implements Db {
  readonly kind = "postgres";
  private readonly q: Queryable;
  /** `SET LOCAL statement_timeout …` opening every transaction, or nothing. */
  private readonly timeout: string;

  constructor(
    private readonly pool: pg.Pool,
    /** Where a failed ROLLBACK is reported (the transaction's own error is what its caller sees). */
    private readonly log?: Logger,
    /** statement_timeout of every transaction (withUser and transaction); 0: none. */
    statementTimeoutMs = 0,
  ) {
    this.q = wrap(pool);
    this.timeout = statementTimeoutSetting(statementTimeoutMs);
  }

  static open(
    url: string,
    poolSize: number,
    efSearch: number,
    log?: Logger,
    statementTimeoutMs = 0,
  ): PostgresDb {
    const pool = new pg.Pool({
      connectionString: url,
      max: poolSize,
      idleTimeoutMillis: 30_000,
      // Sent in the startup packet, so every connection has the HNSW settings (docs/architecture.md, Search plan)
      // at no per-request cost.
      options: `-c hnsw.iterative_scan=relaxed_order -c hnsw.ef_search=${Math.trunc(efSearch)}`,
    });
    // An idle client that errors (server restart) must not crash the process; the pool drops it and we say so.
    pool.on("error", (err) =>
      log?.warn({ err }, "an idle PostgreSQL connection failed; the pool dropped it"),
    );
    return new PostgresDb(pool, log, statementTimeoutMs);
  }

  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]> {
    return this.q.query<R>(sql, params);
  }

  exec(sql: string): Promise<void> {
    return this.q.exec(sql);
  }

  private async inTransaction<T>(preamble: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    try {
      // BEGIN, the timeout and the RLS settings travel in one simple-protocol round trip.
      await client.query(`BEGIN; ${this.timeout} ${preamble}`);
      const result = await fn(wrap(client));
      await client.query("COMMIT");
      return result;
    } catch (err) {
      try {
        await client.query("ROLLBACK");
      } catch (rollbackErr) {
        broken = true; // the connection is unusable; discard it rather than return it to the pool
        this.log?.warn(
          { err: rollbackErr },
          "ROLLBACK after a failed transaction failed too; discarding the PostgreSQL connection",
        );
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inTransaction("", fn);
  }

  withUser<T>(userId: string, fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.inTransaction(userScopePreamble(userId), fn);
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
