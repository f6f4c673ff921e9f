/**
 * The model: runs, tasks, attempts and events, their statuses and the transitions allowed
 * between them (ARCHITECTURE.md §4). Records here are what the store persists; timestamps are
 * epoch milliseconds (the JSON views turn them into ISO-8601 strings).
 */
import { InvalidTransitionError } from './errors.js';
import type { TaskSpec } from './plan/schema.js';

/** Run lifecycle: `queued → running → (awaiting_approval ↔ running) → completed | failed | cancelled`, or `expired`. */
export const RUN_STATUSES = ['queued', 'running', 'awaiting_approval', 'completed', 'failed', 'cancelled', 'expired'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Task lifecycle: `pending → ready → running → succeeded | failed | cancelled | skipped`, plus `blocked` and `awaiting_approval`. */
export const TASK_STATUSES = ['pending', 'ready', 'running', 'succeeded', 'failed', 'cancelled', 'skipped', 'blocked', 'awaiting_approval'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Attempt lifecycle: `running → succeeded | failed | cancelled | interrupted` (interrupted: its lease expired or its worker died). */
export const ATTEMPT_STATUSES = ['running', 'succeeded', 'failed', 'cancelled', 'interrupted'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

const RUN_TRANSITIONS: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'completed', 'failed', 'cancelled'],
  running: ['awaiting_approval', 'completed', 'failed', 'cancelled'],
  awaiting_approval: ['running', 'completed', 'failed', 'cancelled', 'expired'],
  completed: [],
  failed: [],
  cancelled: [],
  expired: [],
};

const TASK_TRANSITIONS: Record<TaskStatus, readonly TaskStatus[]> = {
  pending: ['ready', 'blocked', 'skipped', 'cancelled'],
  ready: ['running', 'blocked', 'awaiting_approval', 'skipped', 'cancelled'],
  // running → ready: a retry after backoff, or an interrupted attempt handed back.
  running: ['succeeded', 'failed', 'ready', 'cancelled', 'blocked'],
  blocked: ['ready', 'skipped', 'cancelled'],
  awaiting_approval: ['succeeded', 'failed', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
  skipped: [],
};

const ATTEMPT_TRANSITIONS: Record<AttemptStatus, readonly AttemptStatus[]> = {
  running: ['succeeded', 'failed', 'cancelled', 'interrupted'],
  succeeded: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export const TERMINAL_RUN_STATUSES: ReadonlySet<RunStatus> = new Set(['completed', 'failed', 'cancelled', 'expired']);
export const TERMINAL_TASK_STATUSES: ReadonlySet<TaskStatus> = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

export function isTerminalRunStatus(s: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.has(s);
}
export function isTerminalTaskStatus(s: TaskStatus): boolean {
  return TERMINAL_TASK_STATUSES.has(s);
}

export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from].includes(to);
}
export function canTransitionTask(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}
export function canTransitionAttempt(from: AttemptStatus, to: AttemptStatus): boolean {
  return ATTEMPT_TRANSITIONS[from].includes(to);
}

/** @throws InvalidTransitionError (`ERR_INVALID_TRANSITION`) when the run state machine forbids it. */
export function assertRunTransition(from: RunStatus, to: RunStatus, id?: string): void {
  if (!canTransitionRun(from, to)) throw new InvalidTransitionError('run', from, to, id);
}
/** @throws InvalidTransitionError (`ERR_INVALID_TRANSITION`) when the task state machine forbids it. */
export function assertTaskTransition(from: TaskStatus, to: TaskStatus, id?: string): void {
  if (!canTransitionTask(from, to)) throw new InvalidTransitionError('task', from, to, id);
}
/** @throws InvalidTransitionError (`ERR_INVALID_TRANSITION`) when the attempt state machine forbids it. */
export function assertAttemptTransition(from: AttemptStatus, to: AttemptStatus, id?: string): void {
  if (!canTransitionAttempt(from, to)) throw new InvalidTransitionError('attempt', from, to, id);
}

/**
 * Why a task that is not running is not running. Every non-terminal task that is not running
 * has one (derived on read for transient causes, persisted for `blocked` tasks).
 */
export type BlockedReason =
  | { kind: 'dependencies'; waitingOn: string[] }
  | { kind: 'no_capable_agent'; message: string }
  | { kind: 'agent_capacity'; agents: string[] }
  | { kind: 'concurrency_limit'; scope: 'global' | 'run'; limit: number }
  | { kind: 'retry_backoff'; until: number }
  /** `message`: what the agent's provider said, e.g. `claude rate-limited until 16:00 UTC (…)`. */
  | { kind: 'rate_limited'; until: number; agentId?: string; message?: string }
  | { kind: 'budget_exhausted'; message: string }
  | { kind: 'awaiting_approval' }
  | { kind: 'queued' };

export type BlockedReasonKind = BlockedReason['kind'];

/** Classified failure of an attempt (ARCHITECTURE.md §7). */
export type AttemptErrorKind =
  | 'exit_code'
  | 'timeout'
  | 'crashed'
  | 'cancelled'
  | 'spawn'
  | 'not_installed'
  | 'auth'
  | 'rate_limited'
  | 'invalid_output'
  | 'no_changes'
  | 'output_limit'
  | 'exception'
  | 'non_retryable'
  | 'rejected'
  /** The task's validation commands failed (in its workspace, or on the result of merging its target). */
  | 'validation_failed'
  /** The task's branch conflicts with its target (merge queue), after its last iteration. */
  | 'merge_conflict'
  /** The agent changed files outside its worktree (the main checkout, another task's worktree). */
  | 'boundary_violation'
  /** The attempt was stopped by its budget (tutti's, or the CLI's own, e.g. Claude's --max-budget-usd). */
  | 'budget_exhausted';

export interface AttemptError {
  kind: AttemptErrorKind;
  message: string;
  /** False: do not retry this attempt whatever the policy says. */
  retryable?: boolean;
  /** Earliest next attempt, ms from the failure (from `RetryAfterError` or a rate-limit reset). */
  retryAfterMs?: number;
}

/**
 * Token counts and cost reported by an agent. Input is split: `inputTokens` counts new (uncached)
 * input only; prompt-cache writes and reads are counted apart (Claude reports all three; Codex and
 * Gemini report cached input, which is read from the cache).
 */
export interface Usage {
  /** New (uncached) input tokens. */
  inputTokens?: number;
  /** Input tokens read from the prompt cache (cheap; not counted by token budgets). */
  cacheReadTokens?: number;
  /** Input tokens written to the prompt cache. */
  cacheWriteTokens?: number;
  outputTokens?: number;
  /** USD. */
  costUsd?: number;
}

export interface RunRecord {
  id: string;
  status: RunStatus;
  /** Plan name or the goal's first line. */
  name: string;
  goal: string | null;
  /** Higher first. */
  priority: number;
  /** Per-run limit on running attempts; null: unlimited. */
  maxConcurrency: number | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
  error: string | null;
  tasksTotal: number;
  /** Tasks in a terminal status. */
  tasksFinished: number;
  tasksFailed: number;
  /** Attempts of this run currently running. */
  running: number;
  /** Last event sequence number of the run. */
  lastSeq: number;
  idempotencyKey: string | null;
  /** Absolute directory the run's attempts work in; null: the engine's default. */
  workDir: string | null;
  /** While waiting for an approval: when the run expires (epoch ms). */
  expiresAt: number | null;
  metadata: Record<string, unknown>;
}

export interface TaskRecord {
  runId: string;
  id: string;
  /** Creation order within the run. */
  seq: number;
  status: TaskStatus;
  spec: TaskSpec;
  dependsOn: string[];
  priority: number;
  /** Dependencies not yet succeeded. */
  pendingDeps: number;
  /** Attempts started so far (interrupted ones included). */
  attempts: number;
  /** Failed attempts so far (counted against `retry.maxAttempts`). */
  failures: number;
  /** When the task became ready, or the earliest start after a backoff. */
  readyAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  /** Persisted for `blocked` tasks; derived on read otherwise. */
  blockedReason: BlockedReason | null;
  /** Agents whose attempts failed, preferred last on retry. */
  failedAgents: string[];
  /** What the next attempt is told about the previous one (its failure), or a reviewer's feedback. */
  feedback: string | null;
  /** Loop rewinds this task made (its `loop.maxIterations` bounds them). */
  iterations: number;
  /** When the task started waiting for an approval (epoch ms). */
  awaitingSince: number | null;
}

export interface AttemptRecord {
  runId: string;
  taskId: string;
  /** 1-based attempt number within the task. */
  n: number;
  /** Fencing token: unique per attempt; a write carrying another token is rejected. */
  token: number;
  status: AttemptStatus;
  agentId: string;
  workerId: string;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  error: AttemptError | null;
  /** JSON output of the attempt (small; large outputs are files referenced by `outputRef`). */
  output: unknown;
  outputRef: string | null;
  summary: string | null;
  usage: Usage | null;
  /** Log file of the attempt, relative to the data dir. */
  logPath: string | null;
  pid: number | null;
}

/** An append-only history entry `noun:verb` with a per-run sequence number. */
export interface EventRecord {
  /** Global, increasing id (cursor for "all runs" streams). */
  id: number;
  runId: string;
  /** 1, 2, 3… within the run, without gaps. */
  seq: number;
  /** Epoch ms. */
  ts: number;
  type: string;
  taskId: string | null;
  attempt: number | null;
  data: Record<string, unknown> | null;
}

/** The unique key of an attempt, also its idempotency key: `runId/taskId/attemptNo`. */
export interface AttemptRef {
  runId: string;
  taskId: string;
  n: number;
}

export function idempotencyKey(ref: AttemptRef): string {
  return `${ref.runId}/${ref.taskId}/${ref.n}`;
}

/** Progress in percent (0–100, integer): finished tasks / total tasks. */
export function progressOf(run: Pick<RunRecord, 'tasksTotal' | 'tasksFinished'>): number {
  if (run.tasksTotal === 0) return 0;
  return Math.floor((run.tasksFinished * 100) / run.tasksTotal);
}
