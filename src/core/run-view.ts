/**
 * The run as users see it (CLI `--json`, the library's `getRun`, the REST API): timestamps in
 * ISO-8601 with milliseconds, progress in percent, and a typed `blockedReason` on every
 * unfinished task that is not running (derived on read from the store's state).
 */
import type { AgentRecord } from '../agents/types.js';
import {
  progressOf,
  type AttemptError,
  type AttemptRecord,
  type AttemptStatus,
  type BlockedReason,
  type RunRecord,
  type RunStatus,
  type TaskRecord,
  type TaskStatus,
  type Usage,
} from './model.js';
import type { Interruption } from './interrupted.js';
import { chooseAgent, type AcceptsFn } from './scheduler/select.js';

export interface AttemptView {
  n: number;
  agentId: string;
  status: AttemptStatus;
  startedAt: string;
  finishedAt: string | null;
  exitCode: number | null;
  error: AttemptError | null;
  summary: string | null;
  output: unknown;
  outputRef: string | null;
  usage: Usage | null;
  /** Relative to the data dir. */
  logPath: string | null;
  workerId: string;
}

export interface TaskView {
  id: string;
  title: string;
  status: TaskStatus;
  dependsOn: string[];
  priority: number;
  blockedReason: BlockedReason | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: AttemptView[];
}

export interface RunCounts {
  total: number;
  pending: number;
  ready: number;
  running: number;
  blocked: number;
  awaitingApproval: number;
  succeeded: number;
  failed: number;
  skipped: number;
  cancelled: number;
}

/** A merge queue entry of the run (docs/coding-agents.md, "Merge queue"). */
export interface MergeView {
  id: number;
  /** The task whose work is merged. */
  taskId: string;
  target: string;
  branch: string;
  status: 'queued' | 'merging' | 'merged' | 'conflict' | 'failed' | 'abandoned';
  /** For open entries: how many entries of the same repository and target are ahead. */
  position?: number;
  enqueuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** The target's commit once merged. */
  mergedSha: string | null;
  message: string | null;
}

export interface RunView {
  id: string;
  name: string;
  goal: string | null;
  status: RunStatus;
  priority: number;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
  /**
   * 0–100: tasks in a terminal status / total tasks. How far the run got, not how well: a failed run
   * ends at 100 too. Read `counts` (succeeded / failed / skipped / cancelled) for the outcome.
   */
  progress: number;
  error: string | null;
  workDir: string | null;
  metadata: Record<string, unknown>;
  /** Tasks by their real status (one task scan; the same numbers in lists and in the full view). */
  counts: RunCounts;
  /**
   * Set when the stored status says the run goes on (`queued`, `running`) but no live engine holds
   * it: derived on read from the workers' heartbeats (see {@link interruptionOf}); null otherwise.
   */
  interrupted: Interruption | null;
  /** What the run waits on: tasks awaiting a person's decision. */
  approvals: PendingApproval[];
  /** The run's merge queue entries, oldest first (empty when nothing was merged through the queue). */
  merges?: MergeView[];
  tasks: TaskView[];
}

export interface PendingApproval {
  taskId: string;
  message: string;
  /** ISO time it started waiting. */
  since: string | null;
  /** When the run expires if nobody decides (ISO). */
  expiresAt: string | null;
}

/** A run without its tasks (lists). */
export type RunSummary = Omit<RunView, 'tasks' | 'approvals'>;

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * The run's counts from how many tasks have each status (the store's `countTasks`, or a scan of
 * the tasks): the one function behind every count the CLI, the API and the dashboard show.
 * `total` is the sum of the statuses.
 */
export function runCounts(byStatus: Partial<Record<TaskStatus, number>>): RunCounts {
  const n = (s: TaskStatus) => byStatus[s] ?? 0;
  const c: RunCounts = {
    total: 0,
    pending: n('pending'),
    ready: n('ready'),
    running: n('running'),
    blocked: n('blocked'),
    awaitingApproval: n('awaiting_approval'),
    succeeded: n('succeeded'),
    failed: n('failed'),
    skipped: n('skipped'),
    cancelled: n('cancelled'),
  };
  c.total = c.pending + c.ready + c.running + c.blocked + c.awaitingApproval + c.succeeded + c.failed + c.skipped + c.cancelled;
  return c;
}

/** {@link runCounts} of a list of tasks. */
export function countTasks(tasks: readonly Pick<TaskRecord, 'status'>[]): RunCounts {
  const byStatus: Partial<Record<TaskStatus, number>> = {};
  for (const t of tasks) byStatus[t.status] = (byStatus[t.status] ?? 0) + 1;
  return runCounts(byStatus);
}

/**
 * A run without its tasks.
 * @param counts the run's tasks by status ({@link runCounts}).
 * @param interrupted from {@link interruptionOf}; null when a live engine holds the run or it ended.
 */
export function runSummary(run: RunRecord, counts: RunCounts, interrupted: Interruption | null = null): RunSummary {
  return {
    id: run.id,
    name: run.name,
    goal: run.goal,
    status: run.status,
    priority: run.priority,
    createdAt: iso(run.createdAt)!,
    startedAt: iso(run.startedAt),
    finishedAt: iso(run.finishedAt),
    updatedAt: iso(run.updatedAt)!,
    progress: progressOf(run),
    error: run.error,
    workDir: run.workDir,
    metadata: run.metadata,
    counts,
    interrupted,
  };
}

export function attemptView(a: AttemptRecord): AttemptView {
  return {
    n: a.n,
    agentId: a.agentId,
    status: a.status,
    startedAt: iso(a.startedAt)!,
    finishedAt: iso(a.finishedAt),
    exitCode: a.exitCode,
    error: a.error,
    summary: a.summary,
    output: a.output,
    outputRef: a.outputRef,
    usage: a.usage,
    logPath: a.logPath,
    workerId: a.workerId,
  };
}

export interface BlockedContext {
  run: RunRecord;
  tasksById: ReadonlyMap<string, TaskRecord>;
  agents: readonly AgentRecord[];
  accepts: AcceptsFn;
  now: number;
}

/**
 * A blocked reason in words, as the CLI, the dashboard's tooltips and the seed 003 status say it.
 * @param maxIds task ids named at most for `dependencies` (the rest counted). @default all
 */
export function describeBlockedReason(r: BlockedReason, maxIds = Infinity): string {
  switch (r.kind) {
    case 'dependencies':
      return `waiting on ${r.waitingOn.slice(0, maxIds).join(', ')}${r.waitingOn.length > maxIds ? ` (+${r.waitingOn.length - maxIds})` : ''}`;
    case 'no_capable_agent':
      return `no capable agent: ${r.message}`;
    case 'agent_capacity':
      return `agents at capacity: ${r.agents.join(', ')}`;
    case 'concurrency_limit':
      return `${r.scope} concurrency limit ${r.limit}`;
    case 'retry_backoff':
      return `retry at ${new Date(r.until).toISOString()}`;
    case 'rate_limited':
      return r.message ? `parked until ${new Date(r.until).toISOString()}: ${r.message}` : `rate-limited until ${new Date(r.until).toISOString()}`;
    case 'budget_exhausted':
      return `budget exhausted: ${r.message}`;
    case 'awaiting_approval':
      return 'awaiting approval';
    case 'queued':
      return 'queued for a worker';
  }
}

/** Why an unfinished, not running task is not running; null for running and finished tasks. */
export function deriveBlockedReason(task: TaskRecord, ctx: BlockedContext): BlockedReason | null {
  switch (task.status) {
    case 'running':
      return null;
    case 'blocked':
      return task.blockedReason ?? { kind: 'no_capable_agent', message: 'blocked' };
    case 'awaiting_approval':
      return { kind: 'awaiting_approval' };
    case 'pending':
      return { kind: 'dependencies', waitingOn: task.dependsOn.filter((d) => ctx.tasksById.get(d)?.status !== 'succeeded') };
    case 'ready': {
      if (task.readyAt !== null && task.readyAt > ctx.now) return { kind: 'retry_backoff', until: task.readyAt };
      const { run } = ctx;
      if (run.maxConcurrency !== null && run.running >= run.maxConcurrency) return { kind: 'concurrency_limit', scope: 'run', limit: run.maxConcurrency };
      const choice = chooseAgent(task.spec, task.failedAgents, ctx.agents, ctx.accepts, task.runId);
      return choice.reason ?? { kind: 'queued' };
    }
    default:
      return null;
  }
}

/** Builds the full view of a run from its records. */
export function buildRunView(
  run: RunRecord,
  tasks: readonly TaskRecord[],
  attempts: readonly AttemptRecord[],
  ctx: Omit<BlockedContext, 'run' | 'tasksById'> & { interrupted?: Interruption | null },
): RunView {
  const tasksById = new Map(tasks.map((t) => [t.id, t] as const));
  const attemptsByTask = new Map<string, AttemptView[]>();
  for (const a of attempts) {
    let list = attemptsByTask.get(a.taskId);
    if (!list) attemptsByTask.set(a.taskId, (list = []));
    list.push(attemptView(a));
  }
  const blockedCtx: BlockedContext = { ...ctx, run, tasksById };
  const approvals = tasks
    .filter((t) => t.status === 'awaiting_approval')
    .map((t) => ({
      taskId: t.id,
      message: t.spec.approval?.message ?? `${t.id} needs a decision: its loop ran out of iterations`,
      since: iso(t.awaitingSince),
      expiresAt: iso(run.expiresAt),
    }));
  return {
    ...runSummary(run, countTasks(tasks), ctx.interrupted ?? null),
    approvals,
    tasks: tasks.map((t) => ({
      id: t.id,
      title: t.spec.title,
      status: t.status,
      dependsOn: t.dependsOn,
      priority: t.priority,
      blockedReason: deriveBlockedReason(t, blockedCtx),
      startedAt: iso(t.startedAt),
      finishedAt: iso(t.finishedAt),
      attempts: attemptsByTask.get(t.id) ?? [],
    })),
  };
}
