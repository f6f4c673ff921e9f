/** Row shapes of the SQLite tables and their mapping to model records. */
import type { AgentRecord, AgentStatus } from '../../agents/types.js';
import type { AttemptError, AttemptRecord, AttemptStatus, BlockedReason, EventRecord, RunRecord, RunStatus, TaskRecord, TaskStatus, Usage } from '../../core/model.js';
import { decodeSpec, fromJson, fromJsonList } from '../codec.js';
import type { WorkerRecord } from '../types.js';

export interface RunRow {
  id: string;
  status: RunStatus;
  name: string;
  goal: string | null;
  priority: number;
  max_concurrency: number | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  updated_at: number;
  error: string | null;
  tasks_total: number;
  tasks_finished: number;
  tasks_failed: number;
  running: number;
  last_seq: number;
  idempotency_key: string | null;
  work_dir: string | null;
  approval_ttl_ms: number | null;
  expires_at: number | null;
  metadata: string | null;
}

/** The columns of a run a transaction works with. */
export type RunStateRow = Pick<
  RunRow,
  'id' | 'status' | 'priority' | 'max_concurrency' | 'started_at' | 'finished_at' | 'error' | 'tasks_total' | 'tasks_finished' | 'tasks_failed' | 'running' | 'last_seq' | 'work_dir'
| 'approval_ttl_ms' | 'expires_at'
> & { updated_at?: number };

export interface TaskRow {
  run_id: string;
  seq: number;
  id: string;
  kind: 'task' | 'approval';
  iterations: number;
  awaiting_since: number | null;
  status: TaskStatus;
  priority: number;
  run_priority: number;
  pending_deps: number;
  attempts: number;
  failures: number;
  ready_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  blocked_reason: string | null;
  failed_agents: string | null;
  feedback: string | null;
  depends_on: string | null;
  spec: string;
}

/** A ready task as the claim reads it. */
export type CandidateRow = Pick<TaskRow, 'run_id' | 'seq' | 'id' | 'priority' | 'run_priority' | 'ready_at' | 'attempts' | 'failed_agents' | 'feedback' | 'spec'>;

/** Columns of a ready task the claim needs, in the order of {@link candidateFromRaw}. */
export const CANDIDATE = `run_id, seq, id, priority, run_priority, ready_at, attempts, failed_agents, feedback, spec`;

/**
 * A candidate from a raw row of {@link CANDIDATE}. The hot statements of a claim read arrays:
 * better-sqlite3 builds a row object property by property, slower than this literal.
 */
export function candidateFromRaw(r: unknown[]): CandidateRow {
  return {
    run_id: r[0] as string,
    seq: r[1] as number,
    id: r[2] as string,
    priority: r[3] as number,
    run_priority: r[4] as number,
    ready_at: r[5] as number | null,
    attempts: r[6] as number,
    failed_agents: r[7] as string | null,
    feedback: r[8] as string | null,
    spec: r[9] as string,
  };
}

/** Columns of a run a transaction works with, in the order of {@link runStateFromRaw}. */
export const RUN_STATE = `id, status, priority, max_concurrency, started_at, finished_at, error, tasks_total, tasks_finished, tasks_failed, running, last_seq,
  work_dir, approval_ttl_ms, expires_at`;

/** A run's state from a raw row of {@link RUN_STATE}. */
export function runStateFromRaw(r: unknown[]): RunStateRow {
  return {
    id: r[0] as string,
    status: r[1] as RunStatus,
    priority: r[2] as number,
    max_concurrency: r[3] as number | null,
    started_at: r[4] as number | null,
    finished_at: r[5] as number | null,
    error: r[6] as string | null,
    tasks_total: r[7] as number,
    tasks_finished: r[8] as number,
    tasks_failed: r[9] as number,
    running: r[10] as number,
    last_seq: r[11] as number,
    work_dir: r[12] as string | null,
    approval_ttl_ms: r[13] as number | null,
    expires_at: r[14] as number | null,
  };
}

export interface AttemptRow {
  run_id: string;
  task_seq: number;
  n: number;
  task_id: string;
  token: number;
  status: AttemptStatus;
  agent_id: string;
  worker_id: string;
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  error: string | null;
  output: string | null;
  output_ref: string | null;
  summary: string | null;
  usage: string | null;
  log_path: string | null;
  pid: number | null;
}

/** Events appended by one transaction to one run: `seq .. seq + n - 1`. */
export interface EventRow {
  id: number;
  run_id: string;
  seq: number;
  n: number;
  ts: number;
  /** JSON array of [type, taskId, attempt, data]. */
  body: string;
}

/** Events per row at most; event ids are `row id × EVENT_ID_STRIDE + index`. */
export const EVENT_ID_STRIDE = 1000;

export type EncodedEvent = [type: string, taskId: string | null, attempt: number | null, data: Record<string, unknown> | null];

export interface AgentRow {
  id: string;
  name: string;
  type: string;
  driver: string;
  capabilities: string;
  max_concurrency: number | null;
  priority: number;
  status: AgentStatus;
  config: string;
  running: number;
  /** Set for agents that belong to one run. */
  run_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  lease_ms: number;
  started_at: number;
  heartbeat_at: number;
}

export function toRun(r: RunRow): RunRecord {
  return {
    id: r.id,
    status: r.status,
    name: r.name,
    goal: r.goal,
    priority: r.priority,
    maxConcurrency: r.max_concurrency,
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    updatedAt: r.updated_at,
    error: r.error,
    tasksTotal: r.tasks_total,
    tasksFinished: r.tasks_finished,
    tasksFailed: r.tasks_failed,
    running: r.running,
    lastSeq: r.last_seq,
    idempotencyKey: r.idempotency_key,
    workDir: r.work_dir,
    expiresAt: r.expires_at,
    metadata: fromJson<Record<string, unknown>>(r.metadata) ?? {},
  };
}

export function toTask(r: TaskRow): TaskRecord {
  return {
    runId: r.run_id,
    id: r.id,
    seq: r.seq,
    status: r.status,
    spec: decodeSpec(r.spec, r.id),
    dependsOn: fromJsonList(r.depends_on),
    priority: r.priority,
    pendingDeps: r.pending_deps,
    attempts: r.attempts,
    failures: r.failures,
    readyAt: r.ready_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    blockedReason: fromJson<BlockedReason>(r.blocked_reason),
    failedAgents: fromJsonList(r.failed_agents),
    feedback: r.feedback,
    iterations: r.iterations,
    awaitingSince: r.awaiting_since,
  };
}

/**
 * Columns read for {@link taskFromRaw}, in its order. Listing a run's tasks reads rows as arrays
 * (better-sqlite3's raw mode): building an object per row property by property costs about twice
 * the read itself.
 */
export const TASK_COLUMNS = `run_id, seq, id, status, spec, depends_on, priority, pending_deps, attempts, failures, ready_at, started_at, finished_at,
  blocked_reason, failed_agents, feedback, iterations, awaiting_since`;

/** A task from a raw row of {@link TASK_COLUMNS} (the same record as {@link toTask}). */
export function taskFromRaw(r: unknown[]): TaskRecord {
  const id = r[2] as string;
  return {
    runId: r[0] as string,
    id,
    seq: r[1] as number,
    status: r[3] as TaskStatus,
    spec: decodeSpec(r[4] as string, id),
    dependsOn: fromJsonList(r[5] as string | null),
    priority: r[6] as number,
    pendingDeps: r[7] as number,
    attempts: r[8] as number,
    failures: r[9] as number,
    readyAt: r[10] as number | null,
    startedAt: r[11] as number | null,
    finishedAt: r[12] as number | null,
    blockedReason: fromJson<BlockedReason>(r[13] as string | null),
    failedAgents: fromJsonList(r[14] as string | null),
    feedback: r[15] as string | null,
    iterations: r[16] as number,
    awaitingSince: r[17] as number | null,
  };
}

/** Columns read for {@link attemptFromRaw}, in its order (see {@link TASK_COLUMNS}). */
export const ATTEMPT_COLUMNS = `run_id, task_id, n, token, status, agent_id, worker_id, started_at, finished_at, exit_code, error, output, output_ref,
  summary, usage, log_path, pid`;

/** An attempt from a raw row of {@link ATTEMPT_COLUMNS} (the same record as {@link toAttempt}). */
export function attemptFromRaw(r: unknown[]): AttemptRecord {
  return {
    runId: r[0] as string,
    taskId: r[1] as string,
    n: r[2] as number,
    token: r[3] as number,
    status: r[4] as AttemptStatus,
    agentId: r[5] as string,
    workerId: r[6] as string,
    startedAt: r[7] as number,
    finishedAt: r[8] as number | null,
    exitCode: r[9] as number | null,
    error: fromJson<AttemptError>(r[10] as string | null),
    output: fromJson<unknown>(r[11] as string | null),
    outputRef: r[12] as string | null,
    summary: r[13] as string | null,
    usage: fromJson<Usage>(r[14] as string | null),
    logPath: r[15] as string | null,
    pid: r[16] as number | null,
  };
}

export function toAttempt(r: AttemptRow): AttemptRecord {
  return {
    runId: r.run_id,
    taskId: r.task_id,
    n: r.n,
    token: r.token,
    status: r.status,
    agentId: r.agent_id,
    workerId: r.worker_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    exitCode: r.exit_code,
    error: fromJson<AttemptError>(r.error),
    output: fromJson<unknown>(r.output),
    outputRef: r.output_ref,
    summary: r.summary,
    usage: fromJson<Usage>(r.usage),
    logPath: r.log_path,
    pid: r.pid,
  };
}

/** Expands an event row into its events. */
export function toEvents(r: EventRow): EventRecord[] {
  const body = JSON.parse(r.body) as EncodedEvent[];
  return body.map(([type, taskId, attempt, data], i) => ({ id: r.id * EVENT_ID_STRIDE + i, runId: r.run_id, seq: r.seq + i, ts: r.ts, type, taskId, attempt, data }));
}

/**
 * The events of stored rows (each holding a batch) past a cursor, at most `limit`: rows may start
 * before the cursor, so their leading events are skipped. `by` is the cursor's field.
 */
export function eventsAfter(rows: Iterable<EventRow>, by: 'id' | 'seq', after: number, limit: number): EventRecord[] {
  const out: EventRecord[] = [];
  for (const row of rows) {
    for (const e of toEvents(row)) {
      if (e[by] <= after) continue;
      out.push(e);
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export function toAgent(r: AgentRow): AgentRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    driver: r.driver,
    capabilities: JSON.parse(r.capabilities) as string[],
    maxConcurrency: r.max_concurrency,
    priority: r.priority,
    status: r.status,
    config: JSON.parse(r.config) as Record<string, unknown>,
    running: r.running,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ...(r.run_id ? { runId: r.run_id } : {}),
  };
}

export function toWorker(r: WorkerRow): WorkerRecord {
  return { id: r.id, host: r.host, pid: r.pid, leaseMs: r.lease_ms, startedAt: r.started_at, heartbeatAt: r.heartbeat_at };
}
