/** Approval decisions and expiry on PostgreSQL (a port of `sqlite/approvals.ts`). */
import { TuttiError } from '../../core/errors.js';
import type { AttemptRecord } from '../../core/model.js';
import type { ApprovalDecision } from '../types.js';
import { newToken } from './claim.js';
import { endRun, leaveAwaitingIfDone, rewind, succeedTask } from './transitions.js';
import type { PgTx } from './tx.js';

interface AwaitingRow {
  seq: number;
  id: string;
  kind: string;
  awaiting_since: number | null;
  spec: string;
  depends_on: string | null;
}

/** Applies a decision. @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_NOT_AWAITING_APPROVAL`, `ERR_TASK_NOT_FOUND`, `ERR_INVALID_INPUT` */
export async function decideTx(tx: PgTx, d: ApprovalDecision): Promise<{ taskId: string; stopAttempts: AttemptRecord[] }> {
  const run = await tx.run(d.runId);
  if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${d.runId}'`, { details: { runId: d.runId } });
  const waiting = await tx.q<AwaitingRow>(`SELECT seq, id, kind, awaiting_since, spec, depends_on FROM tasks WHERE run_id = $1 AND status = 'awaiting_approval' ORDER BY seq`, [d.runId]);
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

  const decided = await tx.one<{ attempts: number }>(
    `UPDATE tasks SET status = $1, finished_at = $2, attempts = attempts + 1, awaiting_since = NULL WHERE run_id = $3 AND seq = $4 RETURNING attempts`,
    [d.approve ? 'succeeded' : 'awaiting_approval', tx.now, d.runId, task.seq],
  );
  const n = decided?.attempts ?? 1;
  await tx.q(
    `INSERT INTO attempts (run_id, task_seq, n, task_id, token, status, agent_id, worker_id, started_at, finished_at, error, summary)
     VALUES ($1, $2, $3, $4, $5, $6, 'human', $7, $8, $9, $10, $11)`,
    [
      d.runId,
      task.seq,
      n,
      task.id,
      newToken(),
      d.approve ? 'succeeded' : 'failed',
      d.by,
      task.awaiting_since ?? tx.now,
      tx.now,
      d.approve ? null : JSON.stringify({ kind: 'rejected', message: d.feedback ?? 'rejected', retryable: false }),
      (d.approve ? d.comment : d.feedback)?.slice(0, 4000) ?? null,
    ],
  );

  if (d.approve) {
    tx.emit(run, { type: 'approval:granted', taskId: task.id, data: d.comment ? { by: d.by, comment: d.comment.slice(0, 4000) } : { by: d.by } });
    await succeedTask(tx, run, task.seq, task.id, 0, null);
    await leaveAwaitingIfDone(tx, run);
    return { taskId: task.id, stopAttempts: [] };
  }

  const feedback = d.feedback ?? '';
  const target = d.rewindTo ?? defaultRewindTarget(task);
  const targetRow = await tx.one<{ seq: number }>(`SELECT seq FROM tasks WHERE run_id = $1 AND id = $2`, [d.runId, target]);
  if (targetRow === undefined) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${d.runId} has no task '${target}' to rewind to`);
  if (targetRow.seq !== task.seq && !(await isAncestor(tx, d.runId, target, task.id))) {
    throw new TuttiError('ERR_INVALID_INPUT', `cannot rewind to '${target}': '${task.id}' does not depend on it`);
  }
  tx.emit(run, { type: 'approval:rejected', taskId: task.id, data: { by: d.by, feedback: feedback.slice(0, 4000), rewindTo: target } });
  const stop = await rewind(tx, run, targetRow.seq, `rejected by ${d.by}: ${feedback}`, `rejection of ${task.id}`);
  await leaveAwaitingIfDone(tx, run);
  return { taskId: task.id, stopAttempts: stop };
}

function defaultRewindTarget(task: AwaitingRow): string {
  const spec = JSON.parse(task.spec) as { loop?: { rewindTo: string } };
  if (spec.loop) return spec.loop.rewindTo;
  const first = task.depends_on ? (JSON.parse(task.depends_on) as string[])[0] : undefined;
  if (!first) throw new TuttiError('ERR_INVALID_INPUT', `approval '${task.id}' has no earlier task to rewind to: name one`);
  return first;
}

async function isAncestor(tx: PgTx, runId: string, ancestor: string, id: string): Promise<boolean> {
  const deps = new Map((await tx.q<{ id: string; depends_on: string | null }>(`SELECT id, depends_on FROM tasks WHERE run_id = $1`, [runId])).map((r) => [r.id, r.depends_on]));
  const seen = new Set<string>();
  const stack = [id];
  while (stack.length) {
    const json = deps.get(stack.pop()!);
    for (const p of json ? (JSON.parse(json) as string[]) : []) {
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
export async function expireTx(tx: PgTx): Promise<void> {
  const ids = (await tx.q<{ id: string }>(`SELECT id FROM runs WHERE status = 'awaiting_approval' AND expires_at <= $1 ORDER BY id`, [tx.now])).map((r) => r.id);
  await tx.lockRuns(ids);
  for (const id of ids) {
    const run = await tx.run(id);
    if (run && run.status === 'awaiting_approval') await endRun(tx, run, 'expired', 'no approval before the approval TTL ran out');
  }
}
