-- Event time: when the fact happened or was said (issue #13), kept apart from created_at (when it was stored).
-- Existing memories take their created_at: the best that is known of when they happened.
--
-- Filled by a table rewrite (ALTER COLUMN ... TYPE ... USING), not by an UPDATE: an UPDATE writes a new version
-- of every row and inserts each into every index one at a time, the HNSW index above all (measured on PostgreSQL,
-- 10,000 memories of 512 dimensions: UPDATE 23 s, rewrite 4 s, about one HNSW build, as the rewrite rebuilds the
-- indexes in bulk). A rewrite also fires no row or statement triggers, so the keyword statistics of migration 010
-- (which count only tsv changes) are left alone. ADD COLUMN without a default only changes the catalog; NOT NULL
-- is checked during the rewrite pass. RLS needs nothing: the policies filter by user_id, and the table's grants
-- cover the new column.
ALTER TABLE memories ADD COLUMN occurred_at timestamptz;
ALTER TABLE memories
  ALTER COLUMN occurred_at TYPE timestamptz USING created_at,
  ALTER COLUMN occurred_at SET NOT NULL,
  -- now() is the transaction's start, as created_at's default: an add that gives no time has both equal.
  ALTER COLUMN occurred_at SET DEFAULT now();

-- occurred_after / occurred_before narrow one user's memories by event time.
CREATE INDEX memories_user_occurred_idx ON memories (user_id, occurred_at);
