/**
 * Numbered, append-only migrations of the SQLite store. Never edit a released migration: add the
 * next number. Applied in order inside one immediate transaction by `SqliteStore.migrate()`.
 *
 * Layout chosen for the cost of a transition (each dirty page costs a WAL frame at commit):
 * tasks and attempts are clustered by (run, task seq) so neighbouring tasks share pages; indexes
 * that change with status are partial; events of one transaction and run share one row.
 */
import { MEMORY_MIGRATION_SQL } from './memory-schema.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
CREATE TABLE runs (
  id              TEXT PRIMARY KEY,
  status          TEXT NOT NULL,
  name            TEXT NOT NULL,
  goal            TEXT,
  priority        INTEGER NOT NULL DEFAULT 0,
  max_concurrency INTEGER,
  created_at      INTEGER NOT NULL,
  started_at      INTEGER,
  finished_at     INTEGER,
  updated_at      INTEGER NOT NULL,
  error           TEXT,
  tasks_total     INTEGER NOT NULL,
  tasks_finished  INTEGER NOT NULL DEFAULT 0,
  tasks_failed    INTEGER NOT NULL DEFAULT 0,
  running         INTEGER NOT NULL DEFAULT 0,
  last_seq        INTEGER NOT NULL DEFAULT 0,
  idempotency_key TEXT UNIQUE,
  work_dir        TEXT,
  metadata        TEXT
);
CREATE INDEX runs_by_status ON runs (status, id);
-- Unfinished runs with a concurrency limit: the claim checks whether each is saturated.
CREATE INDEX runs_limited ON runs (id) WHERE max_concurrency IS NOT NULL AND status IN ('queued', 'running', 'awaiting_approval');

-- spec holds the task definition with defaults dropped (store/codec.ts).
CREATE TABLE tasks (
  run_id         TEXT NOT NULL,
  seq            INTEGER NOT NULL,
  id             TEXT NOT NULL,
  status         TEXT NOT NULL,
  priority       INTEGER NOT NULL,
  run_priority   INTEGER NOT NULL,
  pending_deps   INTEGER NOT NULL,
  attempts       INTEGER NOT NULL DEFAULT 0,
  failures       INTEGER NOT NULL DEFAULT 0,
  ready_at       INTEGER,
  started_at     INTEGER,
  finished_at    INTEGER,
  blocked_reason TEXT,
  failed_agents  TEXT,
  -- What the next attempt is told about the previous one (a failure's message and output).
  feedback       TEXT,
  depends_on     TEXT,
  spec           TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
CREATE UNIQUE INDEX tasks_by_id ON tasks (run_id, id);
-- Dispatch order: run priority, task priority, age. Partial: only ready tasks are indexed.
CREATE INDEX tasks_ready ON tasks (run_priority DESC, priority DESC, ready_at, run_id, seq) WHERE status = 'ready';
CREATE INDEX tasks_ready_by_run ON tasks (run_id, priority DESC, ready_at, seq) WHERE status = 'ready';
CREATE INDEX tasks_blocked ON tasks (run_id) WHERE status = 'blocked';

-- Dependency edges keyed by parent seq: completing a task finds its dependants here.
CREATE TABLE task_edges (
  run_id TEXT NOT NULL,
  parent INTEGER NOT NULL,
  child  INTEGER NOT NULL,
  PRIMARY KEY (run_id, parent, child)
) WITHOUT ROWID;

-- token: the fencing token of the attempt (unique); the lease is held through the worker's heartbeat.
CREATE TABLE attempts (
  run_id      TEXT NOT NULL,
  task_seq    INTEGER NOT NULL,
  n           INTEGER NOT NULL,
  task_id     TEXT NOT NULL,
  token       INTEGER NOT NULL,
  status      TEXT NOT NULL,
  agent_id    TEXT NOT NULL,
  worker_id   TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  finished_at INTEGER,
  exit_code   INTEGER,
  error       TEXT,
  output      TEXT,
  output_ref  TEXT,
  summary     TEXT,
  usage       TEXT,
  log_path    TEXT,
  pid         INTEGER,
  PRIMARY KEY (run_id, task_seq, n)
) WITHOUT ROWID;

-- Append-only history. One row holds the events one transaction appended to one run
-- (seq .. seq + n - 1); body is a JSON array of [type, taskId, attempt, data].
CREATE TABLE events (
  id     INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL,
  seq    INTEGER NOT NULL,
  n      INTEGER NOT NULL,
  ts     INTEGER NOT NULL,
  body   TEXT NOT NULL
);
CREATE UNIQUE INDEX events_by_run ON events (run_id, seq);

CREATE TABLE agents (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL,
  type            TEXT NOT NULL,
  driver          TEXT NOT NULL,
  capabilities    TEXT NOT NULL,
  max_concurrency INTEGER,
  priority        INTEGER NOT NULL DEFAULT 0,
  status          TEXT NOT NULL,
  config          TEXT NOT NULL,
  running         INTEGER NOT NULL DEFAULT 0,
  -- Bumped by every change of the definition (not of the load): lets claims reuse parsed agents.
  version         INTEGER NOT NULL DEFAULT 1,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL
);

-- A worker's heartbeat holds the leases of all its running attempts.
CREATE TABLE workers (
  id           TEXT PRIMARY KEY,
  host         TEXT NOT NULL,
  pid          INTEGER NOT NULL,
  lease_ms     INTEGER NOT NULL,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL
);
`,
  },
  { version: 2, name: 'memory', sql: MEMORY_MIGRATION_SQL },
  {
    version: 3,
    name: 'approvals',
    sql: `
-- kind: 'task' or 'approval' (an approval waits for a person instead of an agent).
ALTER TABLE tasks ADD COLUMN kind TEXT NOT NULL DEFAULT 'task';
-- Rewinds a loop made to this task's 'rewindTo' target (engineer <-> qa iterations).
ALTER TABLE tasks ADD COLUMN iterations INTEGER NOT NULL DEFAULT 0;
-- When an approval task started waiting.
ALTER TABLE tasks ADD COLUMN awaiting_since INTEGER;
ALTER TABLE runs ADD COLUMN approval_ttl_ms INTEGER;
-- A run waiting for approval past this time becomes 'expired'.
ALTER TABLE runs ADD COLUMN expires_at INTEGER;
CREATE INDEX runs_expiring ON runs (expires_at) WHERE status = 'awaiting_approval';
CREATE INDEX tasks_awaiting ON tasks (run_id) WHERE status = 'awaiting_approval';
`,
  },
  {
    version: 4,
    name: 'logs',
    sql: `
-- Seed 003's orchestration log. severity: rank of the level (debug 0 .. critical 4).
CREATE TABLE logs (
  seq        INTEGER PRIMARY KEY AUTOINCREMENT,
  id         TEXT NOT NULL UNIQUE,
  ts         INTEGER NOT NULL,
  severity   INTEGER NOT NULL,
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
CREATE INDEX logs_by_severity ON logs (severity, ts) WHERE severity >= 3;
`,
  },
  {
    version: 5,
    name: 'coordination',
    sql: `
-- The merge queue: merges into one (repo, target) branch happen one at a time, in id order.
-- An entry belongs to the attempt (run_id, owner_task_id, owner_attempt) doing the merge.
CREATE TABLE merge_queue (
  id            INTEGER PRIMARY KEY AUTOINCREMENT,
  repo          TEXT NOT NULL,
  target        TEXT NOT NULL,
  run_id        TEXT NOT NULL,
  task_id       TEXT NOT NULL,
  owner_task_id TEXT NOT NULL,
  owner_attempt INTEGER NOT NULL,
  branch        TEXT NOT NULL,
  head          TEXT NOT NULL,
  status        TEXT NOT NULL,
  enqueued_at   INTEGER NOT NULL,
  started_at    INTEGER,
  finished_at   INTEGER,
  merged_sha    TEXT,
  message       TEXT
);
CREATE INDEX merge_queue_open ON merge_queue (repo, target, id) WHERE status IN ('queued', 'merging');
CREATE INDEX merge_queue_by_run ON merge_queue (run_id, id);
CREATE UNIQUE INDEX merge_queue_owner ON merge_queue (run_id, owner_task_id, owner_attempt);
-- The quota ledger: a CLI (per account) is not called before 'until' (epoch ms).
CREATE TABLE cli_quotas (
  cli        TEXT NOT NULL,
  account    TEXT NOT NULL,
  state      TEXT NOT NULL,
  until      INTEGER NOT NULL,
  known      INTEGER NOT NULL,
  message    TEXT NOT NULL,
  strikes    INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (cli, account)
);
-- Agents that belong to one run (e.g. made by --agent-cli): only that run's tasks may use them.
ALTER TABLE agents ADD COLUMN run_id TEXT;
CREATE INDEX agents_by_run ON agents (run_id) WHERE run_id IS NOT NULL;
`,
  },
  {
    // Lists sort by creation time, newest first (ties by id): the cursor's
    // row-value comparison and the order read this index.
    version: 6,
    name: 'runs_by_created',
    sql: `CREATE INDEX runs_by_created ON runs (created_at, id);`,
  },
  {
    version: 7,
    name: 'decisions',
    sql: `
-- Seed 001's approvals_total / rejections_total: people's decisions are attempts by 'human'.
CREATE INDEX attempts_decisions ON attempts (status) WHERE agent_id = 'human';
-- sessions_total / sessions_active: runs by the template that made them.
CREATE INDEX runs_by_template ON runs (json_extract(metadata, '$.template'), status) WHERE json_extract(metadata, '$.template') IS NOT NULL;
`,
  },
];
