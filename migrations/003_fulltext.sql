-- Keyword search: a per-row text search configuration and a generated tsvector with a GIN index; a GIN index for
-- metadata containment filters.

-- Separators inside names and numbers (LH-4711, 2024-03-05, 10:30, anna@example.com) become spaces, so the parts
-- index as plain words and numbers instead of PostgreSQL's signed or compound tokens ('-4711').
CREATE FUNCTION engram_search_text(t text) RETURNS text
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  AS $$ SELECT regexp_replace(t, '[-/.:_@#]+', ' ', 'g') $$;

ALTER TABLE memories ADD COLUMN search_config regconfig NOT NULL DEFAULT 'english';
ALTER TABLE memories ADD COLUMN tsv tsvector
  GENERATED ALWAYS AS (to_tsvector(search_config, engram_search_text(text))) STORED;

CREATE INDEX memories_tsv_idx ON memories USING gin (tsv);
CREATE INDEX memories_metadata_idx ON memories USING gin (metadata jsonb_path_ops);
