-- Rate-limit counters shared by every server on this database (src/http/rate-limit.ts, docs/security.md).
-- One row per bucket ("key:<key id>" or "fail:<client address>"): a fixed window that starts at the bucket's first
-- hit and ends at window_end, and the hits counted in it. A request is one atomic upsert on its bucket's row. Rows
-- whose window has ended are dead weight (the next hit starts a new window in place) and are deleted now and then.
-- UNLOGGED: a counter is not worth a WAL record and a flush per request; after a crash the counts start from zero.
-- No index but the primary key, so that the counter update can stay a heap-only (HOT) update.
CREATE UNLOGGED TABLE engram_rate_limits (
  bucket text PRIMARY KEY,
  window_end timestamptz NOT NULL,
  hits integer NOT NULL
);
