/**
 * The Store contract: everything tutti persists, as intent-level operations. Each operation that
 * changes state is one transaction in which the event log append and the updated rows commit
 * together; no whole-run snapshot is ever rewritten (ARCHITECTURE.md §5, §11).
 *
 * No connection or transaction types appear here: each backend owns its connections and exposes
 * `migrate()` and `close()`. Every backend runs the suite in `store/conformance/` unchanged.
 */
import type { AgentRecord, AgentStatus } from '../agents/types.js';
import type { TuttiError } from '../core/errors.js';
import type { StoreHealth } from './health.js';
import type { NewEvent } from '../core/events.js';
import type {
  AttemptError,
  AttemptRecord,
  AttemptRef,
  BlockedReason,
  EventRecord,
  RunRecord,
  RunStatus,
  TaskRecord,
  TaskStatus,
  Usage,
} from '../core/model.js';
import type { PlannedTask } from '../core/plan/validate.js';
import type { Chooser } from '../core/scheduler/select.js';
import type { CoordinationStore } from './coordination-types.js';
import type { MemoryStore } from './memory-types.js';
import type { StateStore } from './state-types.js';

export type { NewEvent };

/** A run to create, with its tasks (plan order) and the agents it declares. */
export interface NewRun {
  id: string;
  name: string;
  goal: string | null;
  priority: number;
  maxConcurrency: number | null;
  metadata: Record<string, unknown>;
  /** When set, creating a second run with the same key returns the first (no new run). */
  idempotencyKey?: string | null;
  /** Absolute directory attempts work in (task `cwd` is relative to it); null: the engine's default. */
  workDir: string | null;
  /** A run waiting for an approval longer than this expires, ms (null: never). */
  approvalTtlMs?: number | null;
  createdAt: number;
  tasks: PlannedTask[];
}

/** An agent to register or update (load is kept by the store). */
export type AgentUpsert = Omit<AgentRecord, 'running' | 'createdAt' | 'updatedAt'>;

/** The end of an attempt, written by the worker holding its lease. */
export interface AttemptFinish {
  ref: AttemptRef;
  /** Fencing token received at claim; a mismatch means the lease was lost. */
  token: number;
  /**
   * `interrupted` hands the task back (ready again, no failure counted): a graceful shutdown or a
   * dead worker. `cancelled` is for attempts stopped because their run ended.
   */
  status: 'succeeded' | 'failed' | 'cancelled' | 'interrupted';
  finishedAt: number;
  exitCode?: number | null;
  error?: AttemptError | null;
  output?: unknown;
  outputRef?: string | null;
  summary?: string | null;
  usage?: Usage | null;
  logPath?: string | null;
  /** Processes tutti ended for this attempt (a cancel): recorded in the `attempt:cancelled` event. */
  processesEnded?: number;
}

/** The process id of a running attempt, for killing what a crashed worker left. */
export interface AttemptProcess {
  ref: AttemptRef;
  token: number;
  pid: number;
}

export interface ClaimRequest {
  workerId: string;
  /** Epoch ms: the transaction's time. */
  now: number;
  /** Runs to create first (as `createRun` would), so a new run's first tasks can start in the same transaction. */
  newRuns?: NewRun[];
  /** Process ids of running attempts to record (stale tokens are ignored). Applied after the new runs. */
  processes?: AttemptProcess[];
  /** Applied next, in order, in the same transaction. */
  finishes?: AttemptFinish[];
  /** At most this many attempts start (0: only apply finishes). */
  limit: number;
  /** Only tasks of these runs are claimed (undefined: every run). */
  runIds?: readonly string[];
  /** Picks agents for ready tasks, inside the transaction (see `core/scheduler/select.ts`). */
  choose: Chooser;
  /** Random source for backoff jitter. @default Math.random */
  random?: () => number;
}

/** An attempt just started, with what the worker needs to execute it. */
/** The part of a task an executing worker needs. */
export type StartedTask = Pick<TaskRecord, 'runId' | 'id' | 'seq' | 'spec' | 'attempts' | 'feedback'>;

export interface StartedAttempt {
  attempt: AttemptRecord;
  task: StartedTask;
  agent: AgentRecord;
  /** The run's work dir (null: the engine's default). */
  workDir: string | null;
}

export interface FinishOutcome {
  ref: AttemptRef;
  /** False: the token was stale or the attempt was not running; nothing was written. */
  applied: boolean;
  /** Attempts a loop's rewind reset while they ran: their workers must stop them. */
  stopAttempts?: AttemptRecord[];
}

/** What a create in a claim produced: the run (new, or the one of its idempotency key), or why not. */
export type CreateResult = { run: RunRecord; created: boolean } | { error: TuttiError };

export interface ClaimResult {
  /** One per `newRuns` entry, in order (absent when the request had none). */
  created?: CreateResult[];
  started: StartedAttempt[];
  finished: FinishOutcome[];
  /** Every event appended by the transaction, in order. */
  events: EventRecord[];
}

export interface RunFilter {
  status?: RunStatus | readonly RunStatus[];
  /** Runs listed after this run id: created before it, or at the same ms with a smaller id (cursor pagination, newest first). */
  before?: string;
  /** @default 50 */
  limit?: number;
}

/**
 * An engine process claiming attempts. Its heartbeat holds the leases of all its running attempts:
 * they expire together when `heartbeatAt + leaseMs` passes.
 */
export interface WorkerRecord {
  id: string;
  host: string;
  pid: number;
  /** ms. */
  leaseMs: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface CancelResult {
  /** Null: no such run. */
  run: RunRecord | null;
  /** False: the run was already finished (nothing changed). */
  changed: boolean;
  events: EventRecord[];
  /** Attempts still running; their workers must stop them and finish them as `cancelled`. */
  running: AttemptRecord[];
}

/** A person's decision on a task awaiting approval. */
export interface ApprovalDecision {
  runId: string;
  /** Needed only when the run waits on several approvals. */
  taskId?: string;
  approve: boolean;
  /** Who decided (recorded as the decision attempt's worker). */
  by: string;
  /** Approval note. */
  comment?: string;
  /** Rejection feedback: given to the task rewound to, in its next attempt. */
  feedback?: string;
  /** Rejection: the task to run again (an upstream task of the gate). Default: the gate's loop target, else its first dependency. */
  rewindTo?: string;
  now: number;
}

export interface ApprovalOutcome {
  run: RunRecord;
  /** The task decided. */
  taskId: string;
  events: EventRecord[];
  /** Attempts the rewind reset while they ran: their workers must stop them. */
  stopAttempts: AttemptRecord[];
}

/** Per-store counters, for `/metrics` and `doctor`. */
export interface StoreStats {
  runsByStatus: Partial<Record<RunStatus, number>>;
  tasksByStatus: Record<string, number>;
  blockedByReason: Record<string, number>;
  readyTasks: number;
  /** Runs made from a template (their `metadata.template`, e.g. seed 001's sessions are `dev-team` runs), by template and status. */
  runsByTemplate: Record<string, Partial<Record<RunStatus, number>>>;
  /** Decisions people made on approval tasks, through any face (API, CLI, library); kept with the runs. */
  decisions: { approved: number; rejected: number };
}

// --- logs -----------------------------------------------------------------------------------

/** Severity of a log entry, lowest first (seed 003's orchestration logger levels). */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'critical';

/** The levels in increasing severity: a level's index is its rank for `minLevel`. */
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'critical'];

/** An error attached to a log entry (already redacted by the writer). */
export interface LogError {
  name: string;
  message: string;
  stack?: string;
}

/**
 * A structured log entry to persist. Writers redact secrets before appending: the store keeps
 * what it is given.
 */
export interface NewLogEntry {
  /** Unique id chosen by the writer; appending an id already stored is a no-op. */
  id: string;
  /** Epoch ms. */
  ts: number;
  level: LogLevel;
  /** Who logged: `orchestrator`, `agent`, `task`, `planner`… (free text). */
  source: string;
  message: string;
  /** Scope ids; null when the entry is not about one. */
  sessionId: string | null;
  taskId: string | null;
  agentId: string | null;
  /** Any JSON value, or null. */
  data: unknown;
  error: LogError | null;
}

/** A stored log entry. */
export interface LogEntry extends NewLogEntry {
  /** Assigned by the store at append, increasing (never reused): the tie-break of equal `ts`. */
  seq: number;
}

/** Which log entries a query or count selects; every field narrows, all are optional. */
export interface LogFilter {
  sessionId?: string;
  taskId?: string;
  agentId?: string;
  source?: string;
  /** Exactly these levels. */
  levels?: readonly LogLevel[];
  /** This level or more severe (combined with `levels` when both are given). */
  minLevel?: LogLevel;
  /** `ts >= since`, epoch ms. */
  since?: number;
  /** `ts < until`, epoch ms. */
  until?: number;
}

export interface LogQuery extends LogFilter {
  /** By (ts, seq). @default 'asc' */
  order?: 'asc' | 'desc';
  /** Entries skipped first (pagination). @default 0 */
  offset?: number;
  /** At most this many (1..10000). @default 100 */
  limit?: number;
}

/** Counts of the entries a filter selects. */
export interface LogCounts {
  total: number;
  /** Every level, 0 when none. */
  byLevel: Record<LogLevel, number>;
  /** Sources with at least one entry. */
  bySource: Record<string, number>;
}

/** What to delete: entries older than `before`, then all but the newest `keep` (by ts, seq). */
export interface LogRetention {
  /** Epoch ms: entries with `ts < before` go. */
  before?: number;
  /** Entries kept at most (the newest). */
  keep?: number;
}

/** The logs part of the Store contract: an append-only, queryable, prunable log (seed 003 logger). */
export interface LogStore {
  /**
   * Appends entries in one transaction; ids already stored are skipped.
   * @returns how many were written.
   * @throws TuttiError `ERR_INVALID_INPUT` on an unknown level (nothing is written).
   */
  appendLogs(entries: readonly NewLogEntry[]): Promise<number>;
  /** Entries matching the query, ordered by (ts, seq). */
  queryLogs(query?: LogQuery): Promise<LogEntry[]>;
  /** Counts of the entries matching the filter. */
  countLogs(filter?: LogFilter): Promise<LogCounts>;
  /** Applies retention in one transaction. @returns how many entries were deleted. */
  pruneLogs(retention: LogRetention): Promise<number>;
}

/**
 * Everything tutti persists; the state, memory and coordination (merge queue, quota ledger) parts
 * are in `state-types.ts`, `memory-types.ts` and `coordination-types.ts`.
 */
export interface Store extends StateStore, MemoryStore, LogStore, CoordinationStore {
  /** `sqlite`, `postgres`… */
  readonly kind: string;
  /**
   * The first error a call met showing the database is damaged or unreadable
   * (`ERR_STORE_CORRUPT`, `ERR_STORE_UNREADABLE`); null or absent while none. Probes read it.
   */
  readonly fault?: TuttiError | null;
  /**
   * A self-check for `tutti doctor`: SQLite runs `PRAGMA quick_check`; PostgreSQL checks the
   * connection and the migration level. Never throws. Optional for other backends.
   */
  checkHealth?(): Promise<StoreHealth>;
  /** Applies pending numbered migrations. Idempotent. */
  migrate(): Promise<void>;
  /** Closes connections; later calls throw `ERR_STORE_CLOSED`. */
  close(): Promise<void>;

  // --- runs -------------------------------------------------------------------------------
  /**
   * Creates a run with its tasks and edges; tasks without dependencies are ready. One transaction.
   * With an idempotency key already used, returns that run (`created: false`).
   * @throws TuttiError `ERR_INVALID_INPUT` when a run with this id exists.
   */
  createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean; events: EventRecord[] }>;
  getRun(id: string): Promise<RunRecord | null>;
  /**
   * Newest first: by creation time, ties broken by id (descending). `before` is a run id: the page
   * holds the runs listed after it in that order (a stable cursor; an unknown id gives an empty page).
   */
  listRuns(filter?: RunFilter): Promise<RunRecord[]>;
  listTasks(runId: string): Promise<TaskRecord[]>;
  getTask(runId: string, taskId: string): Promise<TaskRecord | null>;
  /** Tasks of a run by status (statuses with no task are absent). */
  countTasks(runId: string): Promise<Partial<Record<TaskStatus, number>>>;
  /** {@link countTasks} of several runs at once (an entry per known id; lists of runs). */
  countTasksOfRuns(runIds: readonly string[]): Promise<Map<string, Partial<Record<TaskStatus, number>>>>;
  /** In (task seq, attempt number) order. */
  listAttempts(runId: string, taskId?: string): Promise<AttemptRecord[]>;
  /** Events of a run with `seq > afterSeq`, in order. */
  listEvents(runId: string, options?: { afterSeq?: number; limit?: number }): Promise<EventRecord[]>;
  /** Events of every run with `id > afterId`, in commit order. */
  listAllEvents(options?: { afterId?: number; limit?: number }): Promise<EventRecord[]>;
  /**
   * Cancels a run: status `cancelled`, unfinished tasks that are not running `cancelled`.
   * Running attempts are returned for their workers to stop.
   */
  cancelRun(id: string, now: number, reason: string): Promise<CancelResult>;

  /**
   * Applies an approval decision in one transaction (see {@link ApprovalDecision}).
   * @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_NOT_AWAITING_APPROVAL`, `ERR_TASK_NOT_FOUND`, `ERR_INVALID_INPUT`
   */
  decideApproval(decision: ApprovalDecision): Promise<ApprovalOutcome>;
  /**
   * Adds tasks to an unfinished run (a plan growing while it runs). New tasks may depend on
   * existing and new tasks; existing tasks cannot depend on new ones, so no cycle can form.
   * One transaction. @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_INVALID_TRANSITION` (finished run),
   * `ERR_DUPLICATE_TASK`, `ERR_UNKNOWN_DEPENDENCY`
   */
  addTasks(runId: string, tasks: PlannedTask[], now: number): Promise<{ run: RunRecord; events: EventRecord[] }>;
  /** Runs waiting for an approval past their TTL become `expired`. @returns the events. */
  expireRuns(now: number): Promise<EventRecord[]>;

  // --- scheduling -------------------------------------------------------------------------
  /** Applies finishes, then starts up to `limit` attempts chosen by `choose`. One transaction. */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Running attempts of these runs, or of every run (any worker). */
  listRunningAttempts(runIds?: readonly string[]): Promise<AttemptRecord[]>;
  /**
   * Renews the worker's heartbeat, and with it the leases of all its running attempts.
   * @returns false when the worker is no longer registered (declared dead: its attempts were re-claimed).
   */
  heartbeat(workerId: string, now: number): Promise<boolean>;
  /** Records the process id of an attempt (for killing orphans after a crash). @throws StaleLeaseError */
  setAttemptProcess(ref: AttemptRef, token: number, pid: number): Promise<void>;
  /** Tasks blocked for lack of a capable agent become ready again (after the registry changed). */
  unblockTasks(now: number): Promise<EventRecord[]>;
  /** Earliest `readyAt` after `now` among ready tasks (retry backoff), or null. */
  nextReadyAt(now: number, runIds?: readonly string[]): Promise<number | null>;
  /** Statuses of the given runs (unknown ids are absent). */
  runStatuses(ids: readonly string[]): Promise<Map<string, RunStatus>>;

  // --- workers ----------------------------------------------------------------------------
  registerWorker(worker: WorkerRecord): Promise<void>;
  listWorkers(): Promise<WorkerRecord[]>;
  removeWorker(id: string): Promise<void>;

  // --- agents -----------------------------------------------------------------------------
  /** Inserts or updates agents by id (load unchanged). */
  upsertAgents(agents: readonly AgentUpsert[], now: number): Promise<void>;
  listAgents(): Promise<AgentRecord[]>;
  getAgent(id: string): Promise<AgentRecord | null>;
  setAgentStatus(id: string, status: AgentStatus, now: number): Promise<AgentRecord | null>;
  /** @returns false when no such agent. */
  removeAgent(id: string): Promise<boolean>;
  /** Removes agents that belong to a run that has ended (and run nothing). @returns how many. */
  pruneRunAgents(): Promise<number>;

  stats(): Promise<StoreStats>;
}

export type { BlockedReason };
