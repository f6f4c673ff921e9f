/**
 * Migration 2 (`memory`): the memory plane's tables. Kept here so `migrations.ts` only lists it.
 *
 * - `state`, `state_locks`: per-run key/value state and leased locks (`state.ts`).
 * - `memories`: entries and learnings; `seq` is the rowid shared with the full-text index and
 *   the vectors. `memories_fts` is an external-content FTS5 index of `text` (porter stemming).
 * - `memory_models`: one row per embedding model, fixing its dimension.
 * - `memory_vectors`: the float32 embedding of each memory: the source of truth, searched exactly
 *   for a run's scope and copied into the approximate index.
 * - `memory_ann`, `memory_ivf`: the IVF index of each model and its centroids (`memory-index.ts`);
 *   the inverted lists themselves are sqlite-vec `vec0` tables created at run time (their
 *   dimension is the model's).
 */
export const MEMORY_MIGRATION_SQL = `
CREATE TABLE state (
  run_id     TEXT NOT NULL,
  owner      TEXT NOT NULL DEFAULT '',
  key        TEXT NOT NULL,
  type       TEXT NOT NULL,
  value      TEXT,
  version    INTEGER NOT NULL,
  expires_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, owner, key)
) WITHOUT ROWID;
CREATE INDEX state_expiring ON state (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE state_locks (
  run_id      TEXT NOT NULL,
  name        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  token       INTEGER NOT NULL,
  acquired_at INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL,
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;

CREATE TABLE memory_models (
  id         INTEGER PRIMARY KEY,
  model      TEXT NOT NULL UNIQUE,
  dim        INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE memories (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  run_id     TEXT,
  kind       TEXT NOT NULL,
  key        TEXT,
  dedupe_key TEXT,
  text       TEXT NOT NULL,
  value      TEXT,
  metadata   TEXT,
  provenance TEXT,
  score      REAL,
  model_id   INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX memories_by_key ON memories (ifnull(run_id, ''), kind, key) WHERE key IS NOT NULL;
CREATE UNIQUE INDEX memories_by_dedupe ON memories (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX memories_by_run ON memories (run_id, seq);

CREATE VIRTUAL TABLE memories_fts USING fts5(text, content = 'memories', content_rowid = 'seq', tokenize = 'porter unicode61');

CREATE TABLE memory_vectors (
  seq      INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL,
  vec      BLOB NOT NULL
);
CREATE INDEX memory_vectors_by_model ON memory_vectors (model_id, seq);

-- The IVF index of each model: generation g lives in the vec0 table memory_ann_<model>_<g>
-- (partitioned by inverted list); nlist 1 means one list searched exhaustively (not trained yet).
-- next_*: a generation being built from memory_vectors by maintainMemoryIndex().
CREATE TABLE memory_ann (
  model_id        INTEGER PRIMARY KEY,
  generation      INTEGER NOT NULL,
  nlist           INTEGER NOT NULL,
  trained_count   INTEGER NOT NULL,
  next_generation INTEGER,
  next_nlist      INTEGER,
  next_upto       INTEGER,
  next_touched_at INTEGER
);

CREATE TABLE memory_ivf (
  model_id   INTEGER NOT NULL,
  generation INTEGER NOT NULL,
  list       INTEGER NOT NULL,
  centroid   BLOB NOT NULL,
  PRIMARY KEY (model_id, generation, list)
) WITHOUT ROWID;
`;
