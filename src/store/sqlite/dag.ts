/**
 * DAG moves shared by the transitions: a task becoming ready (or, for an approval, waiting for a
 * person), a task succeeding and readying its dependants, a rewind resetting a task and everything
 * downstream of it, and a run ending. Each runs inside the caller's transaction.
 */
import type { AttemptRecord, RunStatus } from '../../core/model.js';
import { isTerminalRunStatus } from '../../core/model.js';
import { DEFAULT_APPROVAL_TTL_MS } from '../../core/plan/defaults.js';
import { endedRunOutcome } from '../../core/run-outcome.js';
import { toAttempt, type AttemptRow, type RunStateRow } from './rows.js';
import type { Tx } from './tx.js';

/** The task just became ready: approvals start waiting for a person, other tasks wait for a claim. */
export function becameReady(tx: Tx, run: RunStateRow, seq: number, id: string, kind: string, message?: string): void {
  if (kind === 'approval') awaitApproval(tx, run, seq, id, message ?? id, 'gate');
  else tx.emit(run, { type: 'task:ready', taskId: id });
}

/**
 * Puts a task in `awaiting_approval` and its run with it (the run expires after its approval TTL).
 * @param reason `gate` for approval tasks, `loop_exhausted` for a loop that ran out of iterations.
 */
export function awaitApproval(tx: Tx, run: RunStateRow, seq: number, id: string, message: string, reason: 'gate' | 'loop_exhausted'): void {
  tx.s.awaitTask.run(tx.now, run.id, seq);
  if (run.status === 'queued') {
    run.status = 'running';
    run.started_at = tx.now;
    tx.emit(run, { type: 'run:started' });
  }
  if (run.status === 'running') {
    run.status = 'awaiting_approval';
    run.expires_at = tx.now + (run.approval_ttl_ms ?? DEFAULT_APPROVAL_TTL_MS);
  }
  tx.emit(run, { type: 'approval:requested', taskId: id, data: { message: message.slice(0, 4000), reason } });
}

/** Back to `running` when no approval is pending any more. */
export function leaveAwaitingIfDone(tx: Tx, run: RunStateRow): void {
  if (run.status !== 'awaiting_approval') return;
  if ((tx.s.awaitingOfRun.all(run.id) as unknown[]).length > 0) return;
  run.status = 'running';
  run.expires_at = null;
}

/** A task succeeded: its dependants whose last dependency this was become ready; the run may complete. */
export function succeedTask(tx: Tx, run: RunStateRow, seq: number, id: string, failures: number, failedAgents: string | null): void {
  tx.s.finishTask.run('succeeded', tx.now, failures, failedAgents, run.id, seq);
  taskSucceeded(tx, run, seq, id);
}

/** After the task's row was marked succeeded: counts it, readies its dependants, may complete the run. */
export function taskSucceeded(tx: Tx, run: RunStateRow, seq: number, id: string): void {
  const s = tx.s;
  run.tasks_finished++;
  tx.emit(run, { type: 'task:succeeded', taskId: id });
  for (const child of s.children.pluck().all(run.id, seq) as number[]) {
    const r = tx.dependencyDone(run.id, child);
    if (!r || r.status !== 'pending' || r.pending_deps !== 0) continue;
    if (tx.deferReady && r.kind === 'task') {
      tx.deferReadyTask({ run_id: run.id, seq: child, id: r.id, priority: r.priority, run_priority: r.run_priority, ready_at: r.ready_at, attempts: r.attempts, failed_agents: r.failed_agents, feedback: r.feedback, spec: r.spec });
      tx.emit(run, { type: 'task:ready', taskId: r.id });
    } else {
      tx.settleDeps();
      s.markReady.run(run.id, child);
      becameReady(tx, run, child, r.id, r.kind, approvalMessage(tx, run.id, child));
    }
  }
  completeIfDone(tx, run);
}

/** The message an approval task shows (from its spec). */
export function approvalMessage(tx: Tx, runId: string, seq: number): string | undefined {
  const json = tx.s.specBySeq.pluck().get(runId, seq) as string | undefined;
  if (!json) return undefined;
  return (JSON.parse(json) as { approval?: { message?: string } }).approval?.message;
}

/**
 * Ends the run once every task has ended: `completed`, or `failed` when tasks failed and none
 * succeeded ({@link endedRunOutcome}; the succeeded tasks are counted only when some failed).
 */
export function completeIfDone(tx: Tx, run: RunStateRow): void {
  if (run.tasks_finished < run.tasks_total || isTerminalRunStatus(run.status)) return;
  const succeeded = run.tasks_failed > 0 ? (tx.s.succeededOfRun.pluck().get(run.id) as number) : run.tasks_finished;
  const outcome = endedRunOutcome(run.tasks_failed, succeeded);
  run.status = outcome.status;
  run.finished_at = tx.now;
  run.expires_at = null;
  if (run.started_at === null) run.started_at = tx.now;
  if (outcome.status === 'failed') {
    run.error = outcome.error;
    tx.emit(run, { type: 'run:failed', data: { error: outcome.error, tasksFailed: run.tasks_failed } });
  } else tx.emit(run, { type: 'run:completed', data: { tasksFailed: run.tasks_failed } });
}

/** Ends a run as failed, cancelled or expired: open tasks that are not running are cancelled. */
export function endRun(tx: Tx, run: RunStateRow, status: Extract<RunStatus, 'failed' | 'cancelled' | 'expired'>, message: string, taskId?: string): void {
  for (const { id } of tx.s.cancelOpenTasks.all(tx.now, run.id) as Array<{ id: string }>) {
    run.tasks_finished++;
    tx.emit(run, { type: 'task:cancelled', taskId: id });
  }
  run.status = status;
  run.finished_at = tx.now;
  run.error = message;
  run.expires_at = null;
  if (status === 'failed') tx.emit(run, { type: 'run:failed', data: taskId ? { error: message, taskId } : { error: message } });
  else if (status === 'cancelled') tx.emit(run, { type: 'run:cancelled', data: { reason: message } });
  else tx.emit(run, { type: 'run:expired', data: { reason: message } });
}

/**
 * Rewinds to a task: it becomes ready again (a new attempt, with `feedback`), and every task
 * downstream of it is reset to pending. Earlier attempts stay as they were.
 * @returns attempts still running among the reset tasks (their workers must stop them).
 */
export function rewind(tx: Tx, run: RunStateRow, targetSeq: number, feedback: string, cause: string): AttemptRecord[] {
  const s = tx.s;
  const stillRunning: AttemptRecord[] = [];
  const before = s.taskStatusBySeq.get(run.id, targetSeq) as { id: string; kind: string; status: string };
  uncount(run, before.status);
  if (before.status === 'running') stillRunning.push(...runningOf(tx, run.id, targetSeq));
  s.rewindTarget.run(tx.now, feedback, run.id, targetSeq);
  tx.emit(run, { type: 'task:rewound', taskId: before.id, data: { cause } });
  // Downstream tasks, breadth first; each is reset once.
  const seen = new Set<number>([targetSeq]);
  const queue = [targetSeq];
  const reset: number[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const child of s.children.pluck().all(run.id, queue[i]) as number[]) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
      reset.push(child);
    }
  }
  for (const seq of reset) {
    const t = s.taskStatusBySeq.get(run.id, seq) as { id: string; kind: string; status: string };
    uncount(run, t.status);
    if (t.status === 'running') stillRunning.push(...runningOf(tx, run.id, seq));
    s.resetTask.get(run.id, seq);
    if (t.status !== 'pending') tx.emit(run, { type: 'task:reset', taskId: t.id, data: { cause } });
  }
  // Counted again once every reset task is pending: a task reset before one of its parents saw that parent's old status.
  for (const seq of reset) s.resetTask.get(run.id, seq);
  if (before.kind === 'approval') awaitApproval(tx, run, targetSeq, before.id, approvalMessage(tx, run.id, targetSeq) ?? before.id, 'gate');
  else tx.emit(run, { type: 'task:ready', taskId: before.id });
  return stillRunning;
}

/** A task leaving a finished status no longer counts as finished. */
function uncount(run: RunStateRow, status: string): void {
  if (status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'cancelled') run.tasks_finished--;
  if (status === 'failed') run.tasks_failed--;
}

function runningOf(tx: Tx, runId: string, seq: number): AttemptRecord[] {
  return (tx.s.runningOfRun.all(runId) as AttemptRow[]).filter((a) => a.task_seq === seq).map(toAttempt);
}
