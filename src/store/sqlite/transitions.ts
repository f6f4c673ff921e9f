/**
 * The state transitions of the SQLite store, each run inside one write transaction by
 * `SqliteStore`. Decisions (retry or fail, agent choice) come from the pure functions of
 * `core/`; this file moves the rows and appends the events.
 */
import { isTerminalRunStatus, type AttemptError, type AttemptRecord } from '../../core/model.js';
import { rateLimitedUntil, retryAt } from '../../core/scheduler/retry.js';
import { decodeSpec, fromJsonList, toJson, toJsonList } from '../codec.js';
import type { AttemptFinish, FinishOutcome } from '../types.js';
import { toAttempt, type AttemptRow, type RunStateRow, type TaskRow } from './rows.js';

/** The columns of a task a finish works with. */
type FinishTaskRow = Pick<TaskRow, 'seq' | 'id' | 'kind' | 'status' | 'failures' | 'failed_agents' | 'iterations'>;
import type { Tx } from './tx.js';
import { awaitApproval, completeIfDone, endRun, rewind, taskSucceeded } from './dag.js';

export { endRun };

/** Applies one attempt finish (fenced by its token); successes take {@link finishSucceeded}. */
export function finishTx(tx: Tx, f: AttemptFinish, random: () => number): FinishOutcome {
  if (f.status === 'succeeded') return finishSucceeded(tx, f);
  const s = tx.s;
  const { runId, taskId, n } = f.ref;
  const task = s.taskForFinish.get(runId, taskId) as FinishTaskRow | undefined;
  if (!task) return { ref: f.ref, applied: false };
  // Failures may skip, cancel or rewind tasks by status: tasks kept ready in memory are written first.
  tx.settleReady();
  const a = s.finishAttempt.get({
    run_id: runId,
    task_seq: task.seq,
    n,
    token: f.token,
    status: f.status,
    finished_at: f.finishedAt,
    exit_code: f.exitCode ?? null,
    error: toJson(f.error),
    output: toJson(f.output),
    output_ref: f.outputRef ?? null,
    summary: f.summary ?? null,
    usage: toJson(f.usage),
    log_path: f.logPath ?? null,
  }) as { agent_id: string; started_at: number } | undefined;
  // Not running with this token: the lease was lost (the attempt was interrupted and re-claimed).
  if (!a) return { ref: f.ref, applied: false };
  const now = tx.now;
  const ms = Math.max(0, f.finishedAt - a.started_at);
  tx.agentLoad(a.agent_id, -1);
  const run = tx.run(runId)!;
  run.running = Math.max(0, run.running - 1);
  const attemptEvent = { taskId, attempt: n };
  switch (f.status) {
    case 'failed': {
      const err = f.error ?? { kind: 'exception', message: 'failed' };
      tx.emit(run, { type: 'attempt:failed', ...attemptEvent, data: { kind: err.kind, message: err.message.slice(0, 500), exitCode: f.exitCode ?? null, ms } });
      break;
    }
    case 'cancelled':
      tx.emit(run, { type: 'attempt:cancelled', ...attemptEvent, data: { ms } });
      break;
    case 'interrupted':
      tx.emit(run, { type: 'attempt:interrupted', ...attemptEvent, data: { reason: f.error?.message ?? 'interrupted' } });
      break;
  }
  if (task.status !== 'running') return { ref: f.ref, applied: true };

  if (isTerminalRunStatus(run.status)) {
    // The run ended while this attempt ran (cancelled, or failed elsewhere): record what really happened.
    s.finishTask.run('cancelled', now, task.failures, task.failed_agents, runId, task.seq);
    run.tasks_finished++;
    tx.emit(run, { type: 'task:cancelled', taskId });
    return { ref: f.ref, applied: true };
  }

  if (f.status === 'interrupted') {
    s.requeueTask.run(now, runId, task.seq);
    tx.emit(run, { type: 'task:ready', taskId });
  } else {
    const rewound = failTask(tx, run, task, a.agent_id, f.status === 'cancelled' ? { kind: 'cancelled', message: 'attempt cancelled', retryable: false } : (f.error ?? null), feedbackOf(f), random);
    return { ref: f.ref, applied: true, ...(rewound.length ? { stopAttempts: rewound } : {}) };
  }
  return { ref: f.ref, applied: true };
}

/** A successful finish: two statements (the attempt, then the task if it still runs). */
function finishSucceeded(tx: Tx, f: AttemptFinish): FinishOutcome {
  const s = tx.s;
  const { runId, taskId, n } = f.ref;
  const a = s.finishAttemptOfTask.get(
    'succeeded',
    f.finishedAt,
    f.exitCode ?? null,
    toJson(f.error),
    toJson(f.output),
    f.outputRef ?? null,
    f.summary ?? null,
    toJson(f.usage),
    f.logPath ?? null,
    runId,
    runId,
    taskId,
    n,
    f.token,
  ) as { agent_id: string; started_at: number; task_seq: number } | undefined;
  // Unknown task, or not running with this token: the lease was lost (interrupted and re-claimed).
  if (!a) return { ref: f.ref, applied: false };
  tx.agentLoad(a.agent_id, -1);
  const run = tx.run(runId)!;
  run.running = Math.max(0, run.running - 1);
  tx.emit(run, { type: 'attempt:succeeded', taskId, attempt: n, data: { ms: Math.max(0, f.finishedAt - a.started_at) } });
  if (s.succeedRunning.get(tx.now, runId, a.task_seq) === undefined) return { ref: f.ref, applied: true };
  if (isTerminalRunStatus(run.status)) {
    // The run ended while this attempt ran: record that it succeeded, ready nothing.
    run.tasks_finished++;
    tx.emit(run, { type: 'task:succeeded', taskId });
  } else taskSucceeded(tx, run, a.task_seq, taskId);
  return { ref: f.ref, applied: true };
}

/** What the next attempt hears about a failed one: the error and the end of its output. */
function feedbackOf(f: AttemptFinish): string {
  const lines = [`attempt ${f.ref.n} failed: ${f.error?.message ?? f.status}`];
  const out = typeof f.output === 'string' ? f.output : f.output === undefined || f.output === null ? '' : JSON.stringify(f.output);
  if (out) lines.push(out.length > FEEDBACK_OUTPUT_BYTES ? `…${out.slice(out.length - FEEDBACK_OUTPUT_BYTES)}` : out);
  return lines.join('\n');
}

/** Output kept in feedback, characters. */
const FEEDBACK_OUTPUT_BYTES = 4000;

/** @returns attempts a loop's rewind reset while they ran (to be stopped). */
function failTask(tx: Tx, run: RunStateRow, task: FinishTaskRow, agentId: string, error: AttemptError | null, feedback: string, random: () => number): AttemptRecord[] {
  const s = tx.s;
  const failedAgents = fromJsonList(task.failed_agents);
  if (!failedAgents.includes(agentId)) failedAgents.push(agentId);
  const until = rateLimitedUntil(error, tx.now);
  if (until !== null) {
    // Not the task's fault: park it until the limit resets, without spending an attempt.
    const reason = { kind: 'rate_limited' as const, until, agentId, ...(error?.message ? { message: error.message.slice(0, 500) } : {}) };
    s.parkTask.run(JSON.stringify(reason), until, toJsonList(failedAgents), run.id, task.seq);
    tx.emit(run, { type: 'task:blocked', taskId: task.id, data: { reason } });
    return [];
  }
  const spec = decodeSpec(s.specBySeq.pluck().get(run.id, task.seq) as string, task.id);
  const failures = task.failures + 1;
  const at = retryAt(spec.retry, failures, error, tx.now, random);
  if (at !== null) {
    s.retryTask.run(at, failures, toJsonList(failedAgents), feedback, run.id, task.seq);
    tx.emit(run, { type: 'task:retrying', taskId: task.id, data: { at, failures } });
    return [];
  }
  const message = error?.message ?? 'failed';
  if (spec.loop) {
    const iteration = task.iterations + 1;
    if (iteration <= spec.loop.maxIterations) {
      // A validation loop: run the earlier task again with this failure as its feedback.
      const target = s.seqById.pluck().get(run.id, spec.loop.rewindTo) as number;
      s.finishTask.run('failed', tx.now, failures, toJsonList(failedAgents), run.id, task.seq);
      s.setIterations.run(iteration, run.id, task.seq);
      tx.emit(run, { type: 'task:looped', taskId: task.id, data: { iteration, maxIterations: spec.loop.maxIterations, rewindTo: spec.loop.rewindTo } });
      run.tasks_finished++;
      run.tasks_failed++;
      return rewind(tx, run, target, `${task.id} failed (iteration ${iteration} of ${spec.loop.maxIterations}): ${feedback}`, `loop of ${task.id}`);
    }
    if (spec.loop.onExhausted === 'approval') {
      awaitApproval(tx, run, task.seq, task.id, `${task.id} still fails after ${spec.loop.maxIterations} iterations: ${message}`, 'loop_exhausted');
      return [];
    }
  }
  s.finishTask.run('failed', tx.now, failures, toJsonList(failedAgents), run.id, task.seq);
  run.tasks_finished++;
  run.tasks_failed++;
  tx.emit(run, { type: 'task:failed', taskId: task.id, data: { error: message.slice(0, 1000) } });
  skipDependants(tx, run, task.seq, task.id);
  if (!spec.continueOnFailure) endRun(tx, run, 'failed', `task '${task.id}' failed: ${message}`.slice(0, 2000), task.id);
  else completeIfDone(tx, run);
  return [];
}

/** Every task downstream of the failed one that has not run becomes `skipped`. */
function skipDependants(tx: Tx, run: RunStateRow, seq: number, taskId: string): void {
  const s = tx.s;
  const queue = [seq];
  for (let i = 0; i < queue.length; i++) {
    for (const child of s.children.pluck().all(run.id, queue[i]) as number[]) {
      const skipped = s.skipTask.pluck().get(tx.now, run.id, child) as string | undefined;
      if (skipped !== undefined) {
        run.tasks_finished++;
        tx.emit(run, { type: 'task:skipped', taskId: skipped, data: { because: taskId } });
        queue.push(child);
      }
    }
  }
}

/** Re-readies tasks blocked for lack of a capable agent. */
export function unblockTx(tx: Tx): void {
  for (const r of tx.s.unblockTasks.all(tx.now) as Array<{ run_id: string; id: string }>) {
    const run = tx.run(r.run_id);
    if (run) tx.emit(run, { type: 'task:ready', taskId: r.id });
  }
}

export function runningAttempts(tx: Tx, runId: string): AttemptRecord[] {
  return (tx.s.runningOfRun.all(runId) as AttemptRow[]).map(toAttempt);
}
