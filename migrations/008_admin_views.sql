-- The admin views (issue #10): usage counters for the overview, and indexes for the users list and daily stats.

-- Per-day counters the servers keep in memory and add here every few seconds (src/stats/usage.ts): several servers
-- on one database add up. Not user data: no tenant, no user, no RLS; only the owner role writes it.
CREATE TABLE usage_daily (
  day date NOT NULL,
  metric text NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (day, metric)
);

-- GET /v1/users?tenant=…: a tenant's users in id order (keyset paging) without sorting the whole tenant.
CREATE INDEX users_tenant_id_idx ON users (tenant_id, id);

-- GET /v1/stats: memories added per day, from the history's add events. Rows arrive in time order, so a BRIN index
-- is tiny and costs next to nothing per insert, yet skips everything before the window.
CREATE INDEX memory_events_created_brin ON memory_events USING brin (created_at);
