-- Audit log: one row per change (users, keys, tenants, apps, memories, sessions) and per admin read of a user's
-- data, written in the same transaction as the change. Who, what, when and from where; never a secret or a text.
-- No foreign keys: the trail outlives the user, key or tenant it names.
CREATE TABLE audit_log (
  id text PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  -- The acting key (NULL for keyless local_open requests, start-up and the CLI's direct mode) and its kind.
  key_id text,
  key_kind text NOT NULL CHECK (key_kind IN ('admin', 'client', 'user', 'open', 'system', 'cli')),
  tenant_id text,
  -- The user the change or read concerns: internal id (what RLS is keyed on) and external id at the time.
  user_id text,
  external_user_id text,
  action text NOT NULL,
  resource_id text,
  outcome text NOT NULL DEFAULT 'ok',
  request_id text,
  client_addr text
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_user_idx ON audit_log (tenant_id, external_user_id, id);
CREATE INDEX audit_log_key_idx ON audit_log (key_id, id);

-- Append-only for the application role: INSERT and SELECT only (no UPDATE, no DELETE). Under RLS a user-scoped
-- transaction may insert rows about its own user and reads none (there is no SELECT policy): only the owner
-- (admin routes, retention) reads or deletes.
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_log_append ON audit_log FOR INSERT TO engram_app
  WITH CHECK (user_id = current_setting('engram.user_id', true));
GRANT SELECT, INSERT ON audit_log TO engram_app;
