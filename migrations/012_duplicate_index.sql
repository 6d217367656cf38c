-- An add first looks for an identical active memory of the user (same text up to case and runs of whitespace).
-- Without an index that check read and normalised every memory of the user, twice per add: 335 ms for a
-- 50,000-memory user. The key is an md5, so texts of any length fit in a btree entry; callers compare the full
-- normalised text as well, so a hash collision cannot merge two memories.
CREATE FUNCTION engram_text_key(body text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT md5(lower(regexp_replace(btrim(body), '\s+', ' ', 'g'))) $$;

CREATE INDEX memories_text_key_idx ON memories (user_id, engram_text_key(text)) WHERE state = 'active';

-- Under row-level security PostgreSQL uses an index only for leakproof conditions, and md5/regexp_replace are not
-- (so the index above would never be used by engram_app). As with engram_keyword_matches (010), the lookup runs as
-- the owner, limited to the user the transaction is scoped to: the ids of that user's active memories whose text
-- has one of `text_keys`.
CREATE FUNCTION engram_active_with_keys(text_keys text[]) RETURNS SETOF text
  LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public
  AS $$
    SELECT id FROM memories
    WHERE user_id = current_setting('engram.user_id', true) AND state = 'active' AND engram_text_key(text) = ANY(text_keys)
  $$;
REVOKE ALL ON FUNCTION engram_active_with_keys(text[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION engram_active_with_keys(text[]) TO engram_app;
