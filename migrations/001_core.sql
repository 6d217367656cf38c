-- Core schema: tenants, users, API keys, memories; row-level security on every user-owned table.
CREATE EXTENSION IF NOT EXISTS vector;

-- The restricted role user-scoped transactions switch to (SET LOCAL ROLE), so RLS applies even to a superuser
-- connection such as PGlite's. Roles are cluster-wide: several databases in one cluster share it.
DO $$
BEGIN
  -- Checked first, so a database user without CREATEROLE works once the role exists (created by an operator).
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'engram_app') THEN
    CREATE ROLE engram_app NOLOGIN;
  END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END $$;

DO $$
BEGIN
  IF NOT pg_has_role(current_user, 'engram_app', 'MEMBER') THEN
    EXECUTE format('GRANT engram_app TO %I', current_user);
  END IF;
END $$;

CREATE TABLE engram_meta (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE tenants (
  id text PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id, name) VALUES ('default', 'Default tenant');

CREATE TABLE users (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  external_id text NOT NULL,
  name text,
  email text,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  last_active_at timestamptz,
  CONSTRAINT users_tenant_external_key UNIQUE (tenant_id, external_id)
);

CREATE TABLE api_keys (
  id text PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('admin', 'client', 'user')),
  tenant_id text REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text REFERENCES users (id) ON DELETE CASCADE,
  name text,
  prefix text NOT NULL,
  hash text NOT NULL,
  scopes text[] NOT NULL,
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_keys_hash_key UNIQUE (hash),
  CHECK ((kind = 'admin') = (tenant_id IS NULL)),
  CHECK ((kind = 'user') = (user_id IS NOT NULL))
);
CREATE INDEX api_keys_user_idx ON api_keys (user_id);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

-- embedding has no fixed dimension here: the model (and so the dimension) is configuration. Start-up creates the
-- HNSW expression index for the configured dimension and refuses a store whose vectors came from another model.
CREATE TABLE memories (
  id text PRIMARY KEY,
  tenant_id text NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  app text NOT NULL DEFAULT 'default',
  session_id text,
  text text NOT NULL,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  state text NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'archived', 'deleted')),
  embedding vector NOT NULL,
  embedding_model text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
-- Per-user btree: exact search for small users, and keyset pagination by id.
CREATE INDEX memories_user_id_idx ON memories (user_id, id DESC);
CREATE INDEX memories_embedding_model_idx ON memories (embedding_model);

ALTER TABLE memories ENABLE ROW LEVEL SECURITY;
CREATE POLICY memories_owner ON memories
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));

GRANT USAGE ON SCHEMA public TO engram_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON memories TO engram_app;
