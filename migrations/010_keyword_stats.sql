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

-- Statement-level, over the statement's transition tables: one change per user and term per statement. A row
-- trigger updated a user's rows once per memory, and a transaction importing 50,000 memories of one user left
-- 50,000 versions of each common term's row for every lookup to walk (an import that took 6 minutes ran for over
-- 40). Runs as whoever writes the memories, so RLS scopes these rows as it scopes theirs. Users' rows are changed
-- in user order, then terms in (user, term) order, so concurrent writers never take them in opposite orders.
CREATE FUNCTION engram_keyword_stats_add(delta integer, tsvs_user text[], tsvs tsvector[]) RETURNS void
  LANGUAGE plpgsql AS $$
BEGIN
  IF delta > 0 THEN
    INSERT INTO memory_user_stats AS s (user_id, docs, total_len)
      SELECT u, count(*), coalesce(sum(length(v)), 0)
      FROM unnest(tsvs_user, tsvs) AS x(u, v) GROUP BY u ORDER BY u
      ON CONFLICT (user_id) DO UPDATE
      SET docs = s.docs + EXCLUDED.docs, total_len = s.total_len + EXCLUDED.total_len;
    INSERT INTO memory_term_stats AS s (user_id, term, df)
      SELECT u, t, count(*)
      FROM unnest(tsvs_user, tsvs) AS x(u, v), unnest(tsvector_to_array(v)) AS t
      GROUP BY u, t ORDER BY u, t
      ON CONFLICT (user_id, term) DO UPDATE SET df = s.df + EXCLUDED.df;
  ELSE
    -- Updates only: when a user is deleted, its memories go with it and so do its statistics' rows.
    UPDATE memory_user_stats AS s SET docs = s.docs - d.docs, total_len = s.total_len - d.len
      FROM (SELECT u, count(*) AS docs, coalesce(sum(length(v)), 0) AS len
            FROM unnest(tsvs_user, tsvs) AS x(u, v) GROUP BY u) d
      WHERE s.user_id = d.u;
    UPDATE memory_term_stats AS s SET df = s.df - d.n
      FROM (SELECT u, t, count(*) AS n
            FROM unnest(tsvs_user, tsvs) AS x(u, v), unnest(tsvector_to_array(v)) AS t GROUP BY u, t) d
      WHERE s.user_id = d.u AND s.term = d.t;
  END IF;
END $$;

CREATE FUNCTION engram_keyword_stats() RETURNS trigger
  LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    PERFORM engram_keyword_stats_add(1, array_agg(user_id), array_agg(tsv)) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'DELETE' THEN
    PERFORM engram_keyword_stats_add(-1, array_agg(user_id), array_agg(tsv)) FROM old_rows HAVING count(*) > 0;
  ELSE
    -- Only rows whose indexed text changed: state changes, metadata edits and reindexing leave statistics alone.
    PERFORM engram_keyword_stats_add(-1, array_agg(o.user_id), array_agg(o.tsv))
      FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.tsv IS DISTINCT FROM n.tsv HAVING count(*) > 0;
    PERFORM engram_keyword_stats_add(1, array_agg(n.user_id), array_agg(n.tsv))
      FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.tsv IS DISTINCT FROM n.tsv HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER memories_keyword_stats_insert AFTER INSERT ON memories
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engram_keyword_stats();
CREATE TRIGGER memories_keyword_stats_delete AFTER DELETE ON memories
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engram_keyword_stats();
CREATE TRIGGER memories_keyword_stats_update AFTER UPDATE ON memories
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engram_keyword_stats();

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
