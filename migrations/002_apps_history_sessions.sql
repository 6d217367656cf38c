-- Apps, memory history, sessions and their messages: every table user-owned, every table under RLS.

CREATE TABLE apps (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  name text NOT NULL,
  description text,
  is_active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT apps_user_name_key UNIQUE (user_id, name)
);

-- A key may be bound to one app: what it writes is recorded as that app's.
ALTER TABLE api_keys ADD COLUMN app text;

-- History outlives the memory (no foreign key): a delete leaves a tombstone event, with every text removed.
CREATE TABLE memory_events (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  memory_id text NOT NULL,
  event text NOT NULL CHECK (event IN ('add', 'update', 'state', 'delete')),
  old_text text,
  new_text text,
  old_state text,
  new_state text,
  key_id text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memory_events_memory_idx ON memory_events (user_id, memory_id, id);

CREATE TABLE sessions (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_activity_at timestamptz NOT NULL DEFAULT now(),
  -- Sliding expiry, kept in the database so that every server behind a load balancer agrees.
  expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id, id DESC);

CREATE TABLE session_messages (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
  content text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX session_messages_session_idx ON session_messages (session_id, id);

ALTER TABLE apps ENABLE ROW LEVEL SECURITY;
CREATE POLICY apps_owner ON apps
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));
ALTER TABLE memory_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY memory_events_owner ON memory_events
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY sessions_owner ON sessions
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));
ALTER TABLE session_messages ENABLE ROW LEVEL SECURITY;
CREATE POLICY session_messages_owner ON session_messages
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON apps, memory_events, sessions, session_messages TO engram_app;
