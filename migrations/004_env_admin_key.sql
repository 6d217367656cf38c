-- Which admin key came from ENGRAM_ADMIN_KEY: a changed ENGRAM_ADMIN_KEY revokes the previous one at start-up,
-- and only that one (an admin key created through the API is never touched, whatever its name).
ALTER TABLE api_keys ADD COLUMN from_env boolean NOT NULL DEFAULT false;

-- Before this column, env-provided keys were recognisable only by the name start-up gave them.
UPDATE api_keys SET from_env = true WHERE kind = 'admin' AND name = 'ENGRAM_ADMIN_KEY';
