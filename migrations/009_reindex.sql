-- `engram reindex`: vectors of the new model are staged here, per memory, until a user's memories all have one;
-- then one transaction moves them into memories and deletes them here. A kill loses at most the batch in flight:
-- a resumed run embeds only what has no staged vector yet. text_md5 is the hash of the text that was embedded: a
-- memory whose text was edited since no longer matches and is embedded again (a change of state alone does not).
-- No grant to engram_app: only the reindexing process (the owning role) reads or writes this table.
CREATE TABLE memory_reindex (
  memory_id text PRIMARY KEY REFERENCES memories (id) ON DELETE CASCADE,
  user_id text NOT NULL,
  model text NOT NULL,
  embedding vector NOT NULL,
  text_md5 text NOT NULL
);
CREATE INDEX memory_reindex_user_idx ON memory_reindex (user_id);
