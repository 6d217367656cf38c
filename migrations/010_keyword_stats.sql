-- BM25's per-user statistics, kept on write instead of recomputed on every search: the user's memory count and
-- total length (in lexemes), and per term the number of the user's memories holding it. A search reads a row and a
-- few terms instead of scanning every memory of the user (measured on a 50,000-memory user: 420 of 640 ms).
-- Counted over every memory of the user, whatever its state or app: statistics of a corpus, not of a filter.
CREATE TABLE memory_user_stats (
  user_id text PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  docs bigint NOT NULL,
  total_len bigint NOT NULL
);

CREATE TABLE memory_term_stats (
  user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  term text NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (user_id, term)
);

ALTER TABLE memory_user_stats ENABLE ROW LEVEL SECURITY;
CREATE POLICY memory_user_stats_owner ON memory_user_stats
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));
ALTER TABLE memory_term_stats ENABLE ROW LEVEL SECURITY;
CREATE POLICY memory_term_stats_owner ON memory_term_stats
  USING (user_id = current_setting('engram.user_id', true))
  WITH CHECK (user_id = current_setting('engram.user_id', true));
GRANT SELECT, INSERT, UPDATE, DELETE ON memory_user_stats, memory_term_stats TO engram_app;

-- Runs as whoever writes the memory, so RLS scopes these rows as it scopes the memory. The user's row is locked
-- first by every change, so two transactions writing one user's memories never take term rows in opposite orders.
CREATE FUNCTION engram_keyword_stats() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    UPDATE memory_user_stats SET docs = docs - 1, total_len = total_len - length(OLD.tsv)
      WHERE user_id = OLD.user_id;
    UPDATE memory_term_stats SET df = df - 1
      WHERE user_id = OLD.user_id AND term = ANY (tsvector_to_array(OLD.tsv));
  END IF;
  IF TG_OP IN ('UPDATE', 'INSERT') THEN
    INSERT INTO memory_user_stats (user_id, docs, total_len) VALUES (NEW.user_id, 1, length(NEW.tsv))
      ON CONFLICT (user_id) DO UPDATE
      SET docs = memory_user_stats.docs + 1, total_len = memory_user_stats.total_len + EXCLUDED.total_len;
    INSERT INTO memory_term_stats (user_id, term, df)
      SELECT NEW.user_id, t, 1 FROM unnest(tsvector_to_array(NEW.tsv)) AS t
      ON CONFLICT (user_id, term) DO UPDATE SET df = memory_term_stats.df + 1;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER memories_keyword_stats_insert_delete AFTER INSERT OR DELETE ON memories
  FOR EACH ROW EXECUTE FUNCTION engram_keyword_stats();
-- Only when the indexed text changed: state changes, edits of metadata and reindexing leave statistics alone.
CREATE TRIGGER memories_keyword_stats_update AFTER UPDATE ON memories
  FOR EACH ROW WHEN (OLD.tsv IS DISTINCT FROM NEW.tsv) EXECUTE FUNCTION engram_keyword_stats();

INSERT INTO memory_user_stats (user_id, docs, total_len)
  SELECT user_id, count(*), coalesce(sum(length(tsv)), 0) FROM memories GROUP BY user_id;
INSERT INTO memory_term_stats (user_id, term, df)
  SELECT m.user_id, t, count(*) FROM memories m, unnest(tsvector_to_array(m.tsv)) AS t GROUP BY m.user_id, t;

-- Finding the memories that hold a term. Under row-level security PostgreSQL never uses an index for `tsv @@ q`
-- (the operator is not leakproof, so it may not run before the policy's filter): every keyword search read all
-- of the user's memories (measured: 82 ms for a 50,000-memory user, 24 ms through the index). So the index is
-- per user and term ('<user id> <lexeme>'), and it is read by a SECURITY DEFINER function that applies the
-- same filter the policy does (the current engram.user_id), so it returns only the caller's own memories.
-- memories_tsv_idx, which no query under the policy could use, goes.
CREATE FUNCTION engram_user_terms(user_id text, tsv tsvector) RETURNS text[]
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT coalesce(array_agg(user_id || ' ' || t), '{}') FROM unnest(tsvector_to_array(tsv)) AS t $$;

CREATE INDEX memories_user_terms_idx ON memories USING gin (engram_user_terms(user_id, tsv));
DROP INDEX memories_tsv_idx;

-- The ids of the current user's memories holding any of `terms`. Planned per call with the values inline, so the
-- planner sees how rare the terms are (a generic plan would guess, and could scan a large user's rows instead).
CREATE FUNCTION engram_keyword_matches(terms text[]) RETURNS SETOF text
  LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
DECLARE
  uid text := current_setting('engram.user_id', true);
BEGIN
  IF uid IS NULL OR uid = '' OR terms IS NULL OR cardinality(terms) = 0 THEN
    RETURN;
  END IF;
  RETURN QUERY EXECUTE format(
    'SELECT id FROM memories WHERE user_id = %L AND engram_user_terms(user_id, tsv) && %L::text[]',
    uid, (SELECT array_agg(uid || ' ' || t) FROM unnest(terms) AS t));
END $$;
REVOKE ALL ON FUNCTION engram_keyword_matches(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION engram_keyword_matches(text[]) TO engram_app;
