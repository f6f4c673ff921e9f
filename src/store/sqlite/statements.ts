/**
 * Every SQL statement of the SQLite store, prepared once per connection. One query per concern.
 *
 * Limits are bound as `LIMIT +?`, never `LIMIT ?`: SQLite plans with the value of a bare bound
 * LIMIT, so rebinding one expires the statement and every call re-parses and re-plans it (about
 * 15 µs, against 1.5 µs for the ready-page read it costs otherwise). The unary `+` makes the
 * limit an expression the planner does not look into; the plan is the same.
 */
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { ATTEMPT_COLUMNS, CANDIDATE, RUN_STATE, TASK_COLUMNS } from './rows.js';

/** Tasks per multi-row insert (11 parameters each; SQLite allows 32,766 per statement). */
export const TASK_CHUNK = 64;
/** Dependency edges per multi-row insert (3 parameters each). */
export const EDGE_CHUNK = 256;

/** `(?, ?, …), (?, ?, …), …`: `n` rows of `width` parameters. */
function rows(n: number, width: number): string {
  const one = `(${Array.from({ length: width }, () => '?').join(', ')})`;
  return Array.from({ length: n }, () => one).join(', ');
}

/** Statements whose rows are arrays (better-sqlite3 raw mode), mapped by `rows.ts` in column order. */
const RAW = ['runStateById', 'readyAll', 'readyAllExcept', 'readyOfRun'] as const;

const SQL = {
  // runs
  insertRun: `INSERT INTO runs (id, status, name, goal, priority, max_concurrency, created_at, updated_at, tasks_total, idempotency_key, work_dir, metadata, approval_ttl_ms)
              VALUES (@id, 'queued', @name, @goal, @priority, @max_concurrency, @created_at, @created_at, @tasks_total, @idempotency_key, @work_dir, @metadata, @approval_ttl_ms)`,
  runById: `SELECT * FROM runs WHERE id = ?`,
  runStateById: `SELECT ${RUN_STATE} FROM runs WHERE id = ?`,
  runIdByKey: `SELECT id FROM runs WHERE idempotency_key = ?`,
  runStatus: `SELECT status FROM runs WHERE id = ?`,
  runsWithRunning: `SELECT id FROM runs WHERE running > 0`,
  // Candidates only (the runs_limited index); the claim checks saturation against this transaction's loads.
  limitedRuns: `SELECT id FROM runs WHERE max_concurrency IS NOT NULL AND status IN ('queued', 'running', 'awaiting_approval')`,
  // Counters only: leaves the indexes on status and expiry untouched (each dirty index page is a WAL frame).
  updateRunCounts: `UPDATE runs SET updated_at = ?, tasks_total = ?, tasks_finished = ?, tasks_failed = ?, running = ?, last_seq = ? WHERE id = ?`,
  updateRun: `UPDATE runs SET status = @status, started_at = @started_at, finished_at = @finished_at, updated_at = @updated_at, error = @error,
              tasks_total = @tasks_total, tasks_finished = @tasks_finished, tasks_failed = @tasks_failed, running = @running, last_seq = @last_seq, expires_at = @expires_at WHERE id = @id`,
  // tasks
  insertTask: `INSERT INTO tasks (run_id, seq, id, kind, status, priority, run_priority, pending_deps, ready_at, depends_on, spec) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  insertEdge: `INSERT INTO task_edges (run_id, parent, child) VALUES (?, ?, ?)`,
  // Creating a run inserts its tasks and edges in chunks: one statement call per chunk.
  insertTasks: `INSERT INTO tasks (run_id, seq, id, kind, status, priority, run_priority, pending_deps, ready_at, depends_on, spec) VALUES ${rows(TASK_CHUNK, 11)}`,
  insertEdges: `INSERT INTO task_edges (run_id, parent, child) VALUES ${rows(EDGE_CHUNK, 3)}`,
  taskById: `SELECT * FROM tasks WHERE run_id = ? AND id = ?`,
  taskBySeq: `SELECT * FROM tasks WHERE run_id = ? AND seq = ?`,
  taskForFinish: `SELECT seq, id, kind, status, failures, failed_agents, iterations FROM tasks WHERE run_id = ? AND id = ?`,
  // approvals and rewinds (sqlite/approvals.ts)
  awaitTask: `UPDATE tasks SET status = 'awaiting_approval', awaiting_since = ?, blocked_reason = NULL WHERE run_id = ? AND seq = ?`,
  awaitingOfRun: `SELECT seq, id, kind, awaiting_since, spec FROM tasks WHERE run_id = ? AND status = 'awaiting_approval' ORDER BY seq`,
  decideTask: `UPDATE tasks SET status = ?, finished_at = ?, attempts = attempts + 1, awaiting_since = NULL WHERE run_id = ? AND seq = ? RETURNING attempts`,
  insertDecision: `INSERT INTO attempts (run_id, task_seq, n, task_id, token, status, agent_id, worker_id, started_at, finished_at, error, summary)
                   VALUES (@run_id, @task_seq, @n, @task_id, @token, @status, 'human', @by, @started_at, @finished_at, @error, @summary)`,
  rewindTarget: `UPDATE tasks SET status = 'ready', ready_at = ?, finished_at = NULL, blocked_reason = NULL, awaiting_since = NULL, failures = 0, feedback = ?
                 WHERE run_id = ? AND seq = ? RETURNING id, kind, status`,
  taskStatusBySeq: `SELECT id, kind, status FROM tasks WHERE run_id = ? AND seq = ?`,
  resetTask: `UPDATE tasks SET status = 'pending', ready_at = NULL, finished_at = NULL, blocked_reason = NULL, awaiting_since = NULL, failures = 0,
                pending_deps = (SELECT COUNT(*) FROM task_edges e JOIN tasks p ON p.run_id = e.run_id AND p.seq = e.parent
                                WHERE e.run_id = tasks.run_id AND e.child = tasks.seq AND p.status != 'succeeded')
              WHERE run_id = ? AND seq = ? RETURNING pending_deps`,
  readyIfNoDeps: `UPDATE tasks SET status = 'ready', ready_at = ? WHERE run_id = ? AND seq = ? AND status = 'pending' AND pending_deps = 0`,
  setIterations: `UPDATE tasks SET iterations = ? WHERE run_id = ? AND seq = ?`,
  seqById: `SELECT seq FROM tasks WHERE run_id = ? AND id = ?`,
  maxSeq: `SELECT COALESCE(MAX(seq), -1) FROM tasks WHERE run_id = ?`,
  expiringRuns: `SELECT id FROM runs WHERE status = 'awaiting_approval' AND expires_at <= ?`,
  specBySeq: `SELECT spec FROM tasks WHERE run_id = ? AND seq = ?`,
  // Read raw (arrays): see TASK_COLUMNS.
  tasksOfRun: `SELECT ${TASK_COLUMNS} FROM tasks WHERE run_id = ? ORDER BY seq`,
  taskCounts: `SELECT status, COUNT(*) AS n FROM tasks WHERE run_id = ? GROUP BY status`,
  succeededOfRun: `SELECT COUNT(*) FROM tasks WHERE run_id = ? AND status = 'succeeded'`,
  children: `SELECT child FROM task_edges WHERE run_id = ? AND parent = ?`,
  readyAll: `SELECT ${CANDIDATE} FROM tasks WHERE status = 'ready' AND ready_at <= ?
             ORDER BY run_priority DESC, priority DESC, ready_at, run_id, seq LIMIT +? OFFSET +?`,
  // Runs at their concurrency limit are left out, so their ready tasks cannot fill the claim window.
  readyAllExcept: `SELECT ${CANDIDATE} FROM tasks WHERE status = 'ready' AND ready_at <= ? AND run_id NOT IN (SELECT value FROM json_each(?))
             ORDER BY run_priority DESC, priority DESC, ready_at, run_id, seq LIMIT +? OFFSET +?`,
  readyOfRun: `SELECT ${CANDIDATE} FROM tasks WHERE status = 'ready' AND run_id = ? AND ready_at <= ? ORDER BY priority DESC, ready_at, seq LIMIT +? OFFSET +?`,
  nextReadyAll: `SELECT MIN(ready_at) AS t FROM tasks WHERE status = 'ready' AND ready_at > ?`,
  nextReadyOfRun: `SELECT MIN(ready_at) AS t FROM tasks WHERE status = 'ready' AND run_id = ? AND ready_at > ?`,
  startTask: `UPDATE tasks SET status = 'running', attempts = ?, started_at = COALESCE(started_at, ?), blocked_reason = NULL WHERE run_id = ? AND seq = ?`,
  blockTask: `UPDATE tasks SET status = 'blocked', blocked_reason = ? WHERE run_id = ? AND seq = ? AND status = 'ready'`,
  // A successful finish: the task succeeds if it still runs (else it was cancelled or reset meanwhile).
  succeedRunning: `UPDATE tasks SET status = 'succeeded', finished_at = ? WHERE run_id = ? AND seq = ? AND status = 'running' RETURNING id`,
  finishTask: `UPDATE tasks SET status = ?, finished_at = ?, failures = ?, failed_agents = ? WHERE run_id = ? AND seq = ?`,
  retryTask: `UPDATE tasks SET status = 'ready', ready_at = ?, failures = ?, failed_agents = ?, feedback = ? WHERE run_id = ? AND seq = ?`,
  // Rate-limited: parked without counting a failure, until the limit resets.
  parkTask: `UPDATE tasks SET status = 'blocked', blocked_reason = ?, ready_at = ?, failed_agents = ? WHERE run_id = ? AND seq = ?`,
  // Whether unparkTasks may have anything to do (a read is cheaper than an UPDATE finding nothing).
  anyBlockedDue: `SELECT 1 FROM tasks WHERE status = 'blocked' AND ready_at <= ? LIMIT 1`,
  unparkTasks: `UPDATE tasks SET status = 'ready', blocked_reason = NULL WHERE status = 'blocked' AND ready_at <= ?
                AND json_extract(blocked_reason, '$.kind') = 'rate_limited' RETURNING run_id, id`,
  requeueTask: `UPDATE tasks SET status = 'ready', ready_at = ? WHERE run_id = ? AND seq = ? AND status = 'running'`,
  // Claim transactions: the dependant stays 'pending' (out of the ready indexes) until the claim
  // either starts it (startTask) or leaves it ready (markReady) — see Tx.deferReady.
  depDone: `UPDATE tasks SET pending_deps = pending_deps - 1,
              ready_at = CASE WHEN pending_deps = 1 AND status = 'pending' THEN ? ELSE ready_at END
            WHERE run_id = ? AND seq = ?
            RETURNING id, kind, status, pending_deps, priority, run_priority, ready_at, attempts, failed_agents, feedback,
              CASE WHEN pending_deps = 0 AND status = 'pending' THEN spec END AS spec`,
  setPendingDeps: `UPDATE tasks SET pending_deps = ?, ready_at = ? WHERE run_id = ? AND seq = ?`,
  markReady: `UPDATE tasks SET status = 'ready' WHERE run_id = ? AND seq = ? AND status = 'pending' AND pending_deps = 0`,
  skipTask: `UPDATE tasks SET status = 'skipped', finished_at = ?, blocked_reason = NULL WHERE run_id = ? AND seq = ? AND status IN ('pending', 'ready', 'blocked') RETURNING id`,
  cancelOpenTasks: `UPDATE tasks SET status = 'cancelled', finished_at = ?, blocked_reason = NULL
                    WHERE run_id = ? AND status IN ('pending', 'ready', 'blocked', 'awaiting_approval') RETURNING id`,
  unblockTasks: `UPDATE tasks SET status = 'ready', ready_at = ?, blocked_reason = NULL WHERE status = 'blocked'
                 AND json_extract(blocked_reason, '$.kind') = 'no_capable_agent' RETURNING run_id, id`,
  // attempts
  insertAttempt: `INSERT INTO attempts (run_id, task_seq, n, task_id, token, status, agent_id, worker_id, started_at) VALUES (?, ?, ?, ?, ?, 'running', ?, ?, ?)`,
  // The same, locating the attempt by task id (one statement fewer on the success path).
  finishAttemptOfTask: `UPDATE attempts SET status = ?, finished_at = ?, exit_code = ?, error = ?, output = ?, output_ref = ?, summary = ?, usage = ?, log_path = ?
                  WHERE run_id = ? AND task_seq = (SELECT seq FROM tasks WHERE run_id = ? AND id = ?) AND n = ? AND token = ? AND status = 'running'
                  RETURNING agent_id, started_at, task_seq`,
  finishAttempt: `UPDATE attempts SET status = @status, finished_at = @finished_at, exit_code = @exit_code, error = @error, output = @output,
                    output_ref = @output_ref, summary = @summary, usage = @usage, log_path = @log_path
                  WHERE run_id = @run_id AND task_seq = @task_seq AND n = @n AND token = @token AND status = 'running'
                  RETURNING agent_id, started_at`,
  // Read raw (arrays): see ATTEMPT_COLUMNS.
  attemptsOfRun: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ? ORDER BY task_seq, n`,
  attemptsOfTask: `SELECT ${ATTEMPT_COLUMNS} FROM attempts WHERE run_id = ? AND task_seq = (SELECT seq FROM tasks WHERE run_id = ? AND id = ?) ORDER BY n`,
  runningOfRun: `SELECT * FROM attempts WHERE run_id = ? AND status = 'running' ORDER BY task_seq, n`,
  setPid: `UPDATE attempts SET pid = @pid WHERE run_id = @run_id AND task_seq = (SELECT seq FROM tasks WHERE run_id = @run_id AND id = @task_id)
           AND n = @n AND token = @token AND status = 'running'`,
  // events
  insertEvents: `INSERT INTO events (run_id, seq, n, ts, body) VALUES (?, ?, ?, ?, ?)`,
  eventsOfRun: `SELECT * FROM events WHERE run_id = ? AND seq + n > ? ORDER BY seq LIMIT +?`,
  // A row holds events id*1000 … id*1000+n-1: rows wholly at or before the cursor are skipped, so
  // LIMIT counts only rows that yield at least one event.
  eventsAll: `SELECT * FROM events WHERE id >= ? AND id * 1000 + n - 1 > ? ORDER BY id LIMIT +?`,
  // agents
  allAgents: `SELECT * FROM agents ORDER BY id`,
  agentLoads: `SELECT id, running, version FROM agents ORDER BY id`,
  agentById: `SELECT * FROM agents WHERE id = ?`,
  upsertAgent: `INSERT INTO agents (id, name, type, driver, capabilities, max_concurrency, priority, status, config, run_id, created_at, updated_at)
                VALUES (@id, @name, @type, @driver, @capabilities, @max_concurrency, @priority, @status, @config, @run_id, @now, @now)
                ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, driver = excluded.driver,
                  capabilities = excluded.capabilities, max_concurrency = excluded.max_concurrency, priority = excluded.priority,
                  status = excluded.status, config = excluded.config, run_id = excluded.run_id, updated_at = excluded.updated_at, version = agents.version + 1`,
  pruneRunAgents: `DELETE FROM agents WHERE run_id IS NOT NULL AND running = 0
                     AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = agents.run_id AND r.status IN ('queued', 'running', 'awaiting_approval'))`,
  agentLoad: `UPDATE agents SET running = MAX(0, running + ?) WHERE id = ?`,
  agentStatus: `UPDATE agents SET status = ?, updated_at = ?, version = version + 1 WHERE id = ?`,
  deleteAgent: `DELETE FROM agents WHERE id = ?`,
  // workers
  upsertWorker: `INSERT INTO workers (id, host, pid, lease_ms, started_at, heartbeat_at) VALUES (@id, @host, @pid, @leaseMs, @startedAt, @heartbeatAt)
                 ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, lease_ms = excluded.lease_ms`,
  workerBeat: `UPDATE workers SET heartbeat_at = ? WHERE id = ?`,
  allWorkers: `SELECT * FROM workers ORDER BY started_at`,
  deleteWorker: `DELETE FROM workers WHERE id = ?`,
  // stats
  runsByStatus: `SELECT status, COUNT(*) AS n FROM runs GROUP BY status`,
  tasksByStatus: `SELECT status, COUNT(*) AS n FROM tasks GROUP BY status`,
  blockedByReason: `SELECT json_extract(blocked_reason, '$.kind') AS reason, COUNT(*) AS n FROM tasks WHERE status = 'blocked' GROUP BY reason`,
  readyCount: `SELECT COUNT(*) AS n FROM tasks WHERE status = 'ready'`,
  runsByTemplate: `SELECT json_extract(metadata, '$.template') AS template, status, COUNT(*) AS n FROM runs
                   WHERE json_extract(metadata, '$.template') IS NOT NULL GROUP BY template, status`,
  decisionsByStatus: `SELECT status, COUNT(*) AS n FROM attempts WHERE agent_id = 'human' GROUP BY status`,
} as const;

export type Statements = { [K in keyof typeof SQL]: SqliteStatement };

export function prepareStatements(db: SqliteDatabase): Statements {
  const out = {} as Record<string, SqliteStatement>;
  for (const [name, sql] of Object.entries(SQL)) out[name] = db.prepare(sql);
  for (const name of RAW) out[name]!.raw(true);
  return out as Statements;
}
