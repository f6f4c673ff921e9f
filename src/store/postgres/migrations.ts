/**
 * Numbered, append-only migrations of the PostgreSQL store. Never edit a released migration: add
 * the next number. `PostgresStore.migrate()` applies pending ones in one transaction holding
 * `pg_advisory_xact_lock(MIGRATION_LOCK)`, so workers starting together migrate once.
 *
 * The layout mirrors the SQLite store (`store/sqlite/migrations.ts`): times are epoch ms (BIGINT),
 * JSON columns are text in the shared compact encodings (`store/codec.ts`), and the events one
 * transaction appends to one run share one row (ids are `row id × 1000 + index`).
 * Agent loads are not stored: they are counted from running attempts, so finishing an attempt
 * never touches a shared agent row.
 */
export interface PgMigration {
  version: number;
  name: string;
  sql: string;
}

/** Advisory lock keys (first argument of the two-int form: the tutti namespace). */
export const LOCK_NAMESPACE = 0x7475_7474; // "tutt"
export const MIGRATION_LOCK = 1;
/** Held from the event insert to the commit, so event ids grow in commit order. */
export const EVENTS_LOCK = 2;
/** The second key of a merge queue's lock is `hashtext(repo || target)`: acquiring a turn is serialised per queue. */
export const MERGE_QUEUE_LOCK_NAMESPACE = 0x7475_6d71; // "tumq"

/** Migration 2: the orchestration logs (`logs.ts`). */
const LOGS_MIGRATION_SQL = `
CREATE TABLE logs (
  seq        BIGSERIAL PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  ts         BIGINT NOT NULL,
  severity   SMALLINT NOT NULL,
  source     TEXT NOT NULL,
  message    TEXT NOT NULL,
  session_id TEXT,
  task_id    TEXT,
  agent_id   TEXT,
  data       TEXT,
  error      TEXT
);
CREATE INDEX logs_by_ts ON logs (ts, seq);
CREATE INDEX logs_by_session ON logs (session_id, ts, seq) WHERE session_id IS NOT NULL;
`;

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE runs (
  id              TEXT COLLATE "C" PRIMARY KEY,
  status          TEXT NOT NULL,
  name            TEXT NOT NULL,
  goal            TEXT,
  priority        INTEGER NOT NULL DEFAULT 0,
  max_concurrency INTEGER,
  created_at      BIGINT NOT NULL,
  started_at      BIGINT,
  finished_at     BIGINT,
  updated_at      BIGINT NOT NULL,
  error           TEXT,
  tasks_total     INTEGER NOT NULL,
  tasks_finished  INTEGER NOT NULL DEFAULT 0,
  tasks_failed    INTEGER NOT NULL DEFAULT 0,
  running         INTEGER NOT NULL DEFAULT 0,
  last_seq        INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  work_dir        TEXT,
  metadata        TEXT,
  approval_ttl_ms BIGINT,
  expires_at      BIGINT
);
CREATE INDEX runs_by_status ON runs (status, id);
CREATE INDEX runs_limited ON runs (id) WHERE max_concurrency IS NOT NULL AND status IN ('queued', 'running', 'awaiting_approval');
CREATE INDEX runs_expiring ON runs (expires_at) WHERE status = 'awaiting_approval';
CREATE INDEX runs_with_running ON runs (id) WHERE running > 0;

CREATE TABLE tasks (
  run_id         TEXT COLLATE "C" NOT NULL,
  seq            INTEGER NOT NULL,
  id             TEXT NOT NULL,
  kind           TEXT NOT NULL DEFAULT 'task',
  status         TEXT NOT NULL,
  priority       INTEGER NOT NULL,
  run_priority   INTEGER NOT NULL,
  pending_deps   INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  failures       INTEGER NOT NULL DEFAULT 0,
  iterations     INTEGER NOT NULL DEFAULT 0,
  ready_at       BIGINT,
  started_at     BIGINT,
  finished_at    BIGINT,
  awaiting_since BIGINT,
  blocked_reason TEXT,
  failed_agents  TEXT,
  feedback       TEXT,
  depends_on     TEXT,
  spec           TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
CREATE UNIQUE INDEX tasks_by_id ON tasks (run_id, id);
CREATE INDEX tasks_ready ON tasks (run_priority DESC, priority DESC, ready_at, run_id, seq) WHERE status = 'ready';
CREATE INDEX tasks_ready_by_run ON tasks (run_id, priority DESC, ready_at, seq) WHERE status = 'ready';
CREATE INDEX tasks_blocked ON tasks (run_id) WHERE status = 'blocked';
CREATE INDEX tasks_awaiting ON tasks (run_id) WHERE status = 'awaiting_approval';

CREATE TABLE task_edges (
  run_id TEXT NOT NULL,
  parent INTEGER NOT NULL,
  child  INTEGER NOT NULL,
  PRIMARY KEY (run_id, parent, child)
);

CREATE TABLE attempts (
  run_id      TEXT COLLATE "C" NOT NULL,
  task_seq    INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  task_id     TEXT NOT NULL,
  token       BIGINT NOT NULL,
  status      TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  worker_id   TEXT NOT NULL,
  started_at  BIGINT NOT NULL,
  finished_at BIGINT,
  exit_code   INTEGER,
  error       TEXT,
  output      TEXT,
  output_ref  TEXT,
  summary     TEXT,
  usage       TEXT,
  log_path    TEXT,
  pid         INTEGER,
  PRIMARY KEY (run_id, task_seq, n)
);
CREATE INDEX attempts_running ON attempts (agent_id) WHERE status = 'running';
CREATE INDEX attempts_running_by_run ON attempts (run_id) WHERE status = 'running';

CREATE TABLE events (
  id     BIGSERIAL PRIMARY KEY,
  run_id TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  n      INTEGER NOT NULL,
  ts     BIGINT NOT NULL,
  body   TEXT NOT NULL
);
CREATE UNIQUE INDEX events_by_run ON events (run_id, seq);

CREATE TABLE agents (
  id              TEXT COLLATE "C" PRIMARY KEY,
  name            TEXT NOT NULL,
  type            TEXT NOT NULL,
  driver          TEXT NOT NULL,
  capabilities    TEXT NOT NULL,
  max_concurrency INTEGER,
  priority        INTEGER NOT NULL DEFAULT 0,
  status          TEXT NOT NULL,
  config          TEXT NOT NULL,
  version         INTEGER NOT NULL DEFAULT 1,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL
);

CREATE TABLE workers (
  id           TEXT PRIMARY KEY,
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  lease_ms     BIGINT NOT NULL,
  started_at   BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL
);

CREATE TABLE state (
  run_id     TEXT NOT NULL,
  owner      TEXT NOT NULL DEFAULT '',
  key        TEXT NOT NULL,
  type       TEXT NOT NULL,
  value      TEXT,
  version    INTEGER NOT NULL,
  expires_at BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (run_id, owner, key)
);
CREATE INDEX state_expiring ON state (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE state_locks (
  run_id      TEXT NOT NULL,
  name        TEXT NOT NULL,
  owner       TEXT NOT NULL,
  token       BIGINT NOT NULL,
  acquired_at BIGINT NOT NULL,
  expires_at  BIGINT NOT NULL,
  PRIMARY KEY (run_id, name)
);

CREATE TABLE memory_models (
  id         SERIAL PRIMARY KEY,
  model      TEXT NOT NULL UNIQUE,
  dim        INTEGER NOT NULL,
  created_at BIGINT NOT NULL
);

-- vec: little-endian float32 bytes (ranked in process); see memory.ts for pgvector.
CREATE TABLE memories (
  seq        BIGSERIAL PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  run_id     TEXT,
  kind       TEXT NOT NULL,
  key        TEXT,
  dedupe_key TEXT,
  text       TEXT NOT NULL,
  tsv        TSVECTOR NOT NULL,
  value      TEXT,
  metadata   TEXT,
  provenance TEXT,
  score      DOUBLE PRECISION,
  model_id   INTEGER,
  vec        BYTEA,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX memories_by_key ON memories (COALESCE(run_id, ''), kind, key) WHERE key IS NOT NULL;
CREATE UNIQUE INDEX memories_by_dedupe ON memories (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX memories_by_run ON memories (run_id, seq);
CREATE INDEX memories_by_model ON memories (model_id) WHERE model_id IS NOT NULL;
CREATE INDEX memories_tsv ON memories USING GIN (tsv);
`,
  },
  { version: 2, name: 'logs', sql: LOGS_MIGRATION_SQL },
  {
    version: 3,
    name: 'coordination',
    sql: `
CREATE TABLE merge_queue (
  id            BIGSERIAL PRIMARY KEY,
  repo          TEXT NOT NULL,
  target        TEXT NOT NULL,
  run_id        TEXT COLLATE "C" NOT NULL,
  task_id       TEXT NOT NULL,
  owner_task_id TEXT NOT NULL,
  owner_attempt INTEGER NOT NULL,
  branch        TEXT NOT NULL,
  head          TEXT NOT NULL,
  status        TEXT NOT NULL,
  enqueued_at   BIGINT NOT NULL,
  started_at    BIGINT,
  finished_at   BIGINT,
  merged_sha    TEXT,
  message       TEXT
);
CREATE INDEX merge_queue_open ON merge_queue (repo, target, id) WHERE status IN ('queued', 'merging');
CREATE INDEX merge_queue_by_run ON merge_queue (run_id, id);
CREATE UNIQUE INDEX merge_queue_owner ON merge_queue (run_id, owner_task_id, owner_attempt);
CREATE TABLE cli_quotas (
  cli        TEXT NOT NULL,
  account    TEXT NOT NULL,
  state      TEXT NOT NULL,
  until      BIGINT NOT NULL,
  known      BOOLEAN NOT NULL,
  message    TEXT NOT NULL,
  strikes    INTEGER NOT NULL,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (cli, account)
);
ALTER TABLE agents ADD COLUMN run_id TEXT COLLATE "C";
CREATE INDEX agents_by_run ON agents (run_id) WHERE run_id IS NOT NULL;
`,
  },
  // Lists sort by creation time, newest first (ties by id).
  { version: 4, name: 'runs_by_created', sql: `CREATE INDEX runs_by_created ON runs (created_at, id);` },
  {
    version: 5,
    name: 'decisions',
    sql: `
-- Seed 001's approvals_total / rejections_total: people's decisions are attempts by 'human'.
CREATE INDEX attempts_decisions ON attempts (status) WHERE agent_id = 'human';
-- sessions_total / sessions_active: runs by the template that made them.
CREATE INDEX runs_by_template ON runs ((metadata::json ->> 'template'), status) WHERE (metadata::json ->> 'template') IS NOT NULL;
`,
  },
];

