/**
 * Approval decisions and expiry. Approving succeeds the waiting task (its dependants become
 * ready); rejecting records the decision and rewinds to an earlier task with the reviewer's
 * feedback. Each decision is kept as an attempt of the task by agent `human`.
 */
import { randomInt } from 'node:crypto';
import { TuttiError } from '../../core/errors.js';
import type { AttemptRecord } from '../../core/model.js';
import type { ApprovalDecision } from '../types.js';
import { endRun, leaveAwaitingIfDone, rewind, succeedTask } from './dag.js';
import type { Tx } from './tx.js';

interface AwaitingRow {
  seq: number;
  id: string;
  kind: string;
  awaiting_since: number | null;
  spec: string;
}

/** Applies a decision. @returns the decided task's id and attempts to stop (reset by a rewind while running). @throws TuttiError */
export function decideTx(tx: Tx, d: ApprovalDecision): { taskId: string; stopAttempts: AttemptRecord[] } {
  const s = tx.s;
  const run = tx.run(d.runId);
  if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${d.runId}'`, { details: { runId: d.runId } });
  const waiting = s.awaitingOfRun.all(d.runId) as AwaitingRow[];
  if (run.status !== 'awaiting_approval' || waiting.length === 0) {
    throw new TuttiError('ERR_NOT_AWAITING_APPROVAL', `run ${d.runId} is ${run.status}, not awaiting approval`, { details: { runId: d.runId, status: run.status } });
  }
  let task: AwaitingRow | undefined;
  if (d.taskId !== undefined) {
    task = waiting.find((t) => t.id === d.taskId);
    if (!task) throw new TuttiError('ERR_INVALID_INPUT', `task '${d.taskId}' of run ${d.runId} is not awaiting approval (waiting: ${waiting.map((t) => t.id).join(', ')})`);
  } else if (waiting.length > 1) {
    throw new TuttiError('ERR_INVALID_INPUT', `run ${d.runId} waits on ${waiting.length} approvals (${waiting.map((t) => t.id).join(', ')}): name the task`);
  } else task = waiting[0]!;

  // A rejected task stays awaiting here: the rewind below resets it with everything downstream.
  const n = (s.decideTask.pluck().get(d.approve ? 'succeeded' : 'awaiting_approval', tx.now, d.runId, task.seq) as number) ?? 1;
  s.insertDecision.run({
    run_id: d.runId,
    task_seq: task.seq,
    n,
    task_id: task.id,
    token: randomInt(1, 2 ** 48 - 1),
    status: d.approve ? 'succeeded' : 'failed',
    by: d.by,
    started_at: task.awaiting_since ?? tx.now,
    finished_at: tx.now,
    error: d.approve ? null : JSON.stringify({ kind: 'rejected', message: d.feedback ?? 'rejected', retryable: false }),
    summary: (d.approve ? d.comment : d.feedback)?.slice(0, 4000) ?? null,
  });

  if (d.approve) {
    tx.emit(run, { type: 'approval:granted', taskId: task.id, data: d.comment ? { by: d.by, comment: d.comment.slice(0, 4000) } : { by: d.by } });
    // decideTask marked it succeeded; succeedTask counts it and readies its dependants.
    succeedTask(tx, run, task.seq, task.id, 0, null);
    leaveAwaitingIfDone(tx, run);
    return { taskId: task.id, stopAttempts: [] };
  }

  const feedback = d.feedback ?? '';
  const target = d.rewindTo ?? defaultRewindTarget(tx, d.runId, task);
  const targetSeq = s.seqById.pluck().get(d.runId, target) as number | undefined;
  if (targetSeq === undefined) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${d.runId} has no task '${target}' to rewind to`);
  if (targetSeq !== task.seq && !isAncestor(tx, d.runId, target, task.id)) {
    throw new TuttiError('ERR_INVALID_INPUT', `cannot rewind to '${target}': '${task.id}' does not depend on it`);
  }
  tx.emit(run, { type: 'approval:rejected', taskId: task.id, data: { by: d.by, feedback: feedback.slice(0, 4000), rewindTo: target } });
  const stop = rewind(tx, run, targetSeq, `rejected by ${d.by}: ${feedback}`, `rejection of ${task.id}`);
  leaveAwaitingIfDone(tx, run);
  return { taskId: task.id, stopAttempts: stop };
}

/** A rejection without a target goes back to the gate's first dependency (or the task itself for a loop gate). */
function defaultRewindTarget(tx: Tx, runId: string, task: AwaitingRow): string {
  const spec = JSON.parse(task.spec) as { loop?: { rewindTo: string } };
  if (spec.loop) return spec.loop.rewindTo;
  const deps = tx.s.taskById.get(runId, task.id) as { depends_on: string | null };
  const first = deps.depends_on ? (JSON.parse(deps.depends_on) as string[])[0] : undefined;
  if (!first) throw new TuttiError('ERR_INVALID_INPUT', `approval '${task.id}' has no earlier task to rewind to: name one`);
  return first;
}

/** Whether task `ancestor` is upstream of task `id` (walks `dependsOn` backwards). */
function isAncestor(tx: Tx, runId: string, ancestor: string, id: string): boolean {
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const row = tx.s.taskById.get(runId, stack.pop()!) as { depends_on: string | null } | undefined;
    for (const p of row?.depends_on ? (JSON.parse(row.depends_on) as string[]) : []) {
      if (p === ancestor) return true;
      if (!seen.has(p)) {
        seen.add(p);
        stack.push(p);
      }
    }
  }
  return false;
}

/** Runs that waited for an approval past their TTL become `expired`. */
export function expireTx(tx: Tx): void {
  for (const id of tx.s.expiringRuns.pluck().all(tx.now) as string[]) {
    const run = tx.run(id);
    if (run) endRun(tx, run, 'expired', 'no approval before the approval TTL ran out');
  }
}
