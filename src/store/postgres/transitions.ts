/**
 * The state transitions of the PostgreSQL store, each inside one transaction (`PgTx`). A port of
 * the SQLite store's `dag.ts` and `transitions.ts` with the same events in the same order;
 * statements are combined where a step needs several (completing a task and readying its
 * dependants is one statement). Decisions (retry or fail) come from the pure functions of `core/`.
 */
import type { AttemptError, AttemptRecord, RunStatus } from '../../core/model.js';
import { isTerminalRunStatus } from '../../core/model.js';
import { endedRunOutcome } from '../../core/run-outcome.js';
import { DEFAULT_APPROVAL_TTL_MS } from '../../core/plan/defaults.js';
import { rateLimitedUntil, retryAt } from '../../core/scheduler/retry.js';
import { decodeSpec, fromJsonList, toJson, toJsonList } from '../codec.js';
import type { AttemptFinish, FinishOutcome } from '../types.js';
import { toAttempt, type AttemptRow, type RunStateRow, type TaskRow } from '../sqlite/rows.js';
import type { PoolClient } from 'pg';
import { inlineParams, type PgTx } from './tx.js';

type FinishTaskRow = Pick<TaskRow, 'seq' | 'id' | 'kind' | 'status' | 'failures' | 'failed_agents' | 'iterations'>;

// --- DAG moves (sqlite/dag.ts) ----------------------------------------------------------------

export async function becameReady(tx: PgTx, run: RunStateRow, seq: number, id: string, kind: string, message?: string): Promise<void> {
  if (kind === 'approval') await awaitApproval(tx, run, seq, id, message ?? id, 'gate');
  else tx.emit(run, { type: 'task:ready', taskId: id });
}

export async function awaitApproval(tx: PgTx, run: RunStateRow, seq: number, id: string, message: string, reason: 'gate' | 'loop_exhausted'): Promise<void> {
  await tx.q(`UPDATE tasks SET status = 'awaiting_approval', awaiting_since = $1, blocked_reason = NULL WHERE run_id = $2 AND seq = $3`, [tx.now, run.id, seq]);
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

export async function leaveAwaitingIfDone(tx: PgTx, run: RunStateRow): Promise<void> {
  if (run.status !== 'awaiting_approval') return;
  if ((await tx.q(`SELECT 1 FROM tasks WHERE run_id = $1 AND status = 'awaiting_approval' LIMIT 1`, [run.id])).length > 0) return;
  run.status = 'running';
  run.expires_at = null;
}

/** Marks the task succeeded and readies the dependants whose last dependency it was, in one statement. */
const SUCCEED_SQL = `WITH f AS (
  UPDATE tasks SET status = 'succeeded', finished_at = $3, failures = $4, failed_agents = $5 WHERE run_id = $1 AND seq = $2 RETURNING seq
)
UPDATE tasks t SET pending_deps = t.pending_deps - 1,
  status = CASE WHEN t.pending_deps = 1 AND t.status = 'pending' THEN 'ready' ELSE t.status END,
  ready_at = CASE WHEN t.pending_deps = 1 AND t.status = 'pending' THEN $3 ELSE t.ready_at END
FROM task_edges e
WHERE e.run_id = $1 AND e.parent = $2 AND t.run_id = e.run_id AND t.seq = e.child AND EXISTS (SELECT 1 FROM f)
RETURNING t.seq, t.id, t.kind, t.status, t.pending_deps, t.spec`;

type ChildRow = { seq: number; id: string; kind: string; status: string; pending_deps: number; spec: string };

export async function succeedTask(tx: PgTx, run: RunStateRow, seq: number, id: string, failures: number, failedAgents: string | null): Promise<void> {
  const children = await tx.q<ChildRow>(SUCCEED_SQL, [run.id, seq, tx.now, failures, failedAgents]);
  await succeeded(tx, run, id, children);
}

/** The events and counts of a task that succeeded (its row and dependants already updated). */
async function succeeded(tx: PgTx, run: RunStateRow, id: string, children: ChildRow[]): Promise<void> {
  run.tasks_finished++;
  tx.emit(run, { type: 'task:succeeded', taskId: id });
  children.sort((a, b) => a.seq - b.seq);
  for (const r of children) {
    if (r.status === 'ready' && r.pending_deps === 0) await becameReady(tx, run, r.seq, r.id, r.kind, r.kind === 'approval' ? messageOf(r.spec) : undefined);
  }
  await completeIfDone(tx, run);
}

function messageOf(spec: string): string | undefined {
  return (JSON.parse(spec) as { approval?: { message?: string } }).approval?.message;
}

export async function approvalMessage(tx: PgTx, runId: string, seq: number): Promise<string | undefined> {
  const row = await tx.one<{ spec: string }>(`SELECT spec FROM tasks WHERE run_id = $1 AND seq = $2`, [runId, seq]);
  return row ? messageOf(row.spec) : undefined;
}

/**
 * Ends the run once every task has ended: `completed`, or `failed` when tasks failed and none
 * succeeded ({@link endedRunOutcome}; the succeeded tasks are counted only when some failed).
 */
export async function completeIfDone(tx: PgTx, run: RunStateRow): Promise<void> {
  if (run.tasks_finished < run.tasks_total || isTerminalRunStatus(run.status)) return;
  const succeeded = run.tasks_failed > 0
    ? Number((await tx.one<{ n: number }>(`SELECT count(*)::int AS n FROM tasks WHERE run_id = $1 AND status = 'succeeded'`, [run.id]))?.n ?? 0)
    : run.tasks_finished;
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

export async function endRun(tx: PgTx, run: RunStateRow, status: Extract<RunStatus, 'failed' | 'cancelled' | 'expired'>, message: string, taskId?: string): Promise<void> {
  const rows = await tx.q<{ id: string; seq: number }>(
    `UPDATE tasks SET status = 'cancelled', finished_at = $1, blocked_reason = NULL WHERE run_id = $2 AND status IN ('pending', 'ready', 'blocked', 'awaiting_approval') RETURNING id, seq`,
    [tx.now, run.id],
  );
  rows.sort((a, b) => a.seq - b.seq);
  for (const { id } of rows) {
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

async function children(tx: PgTx, runId: string, seq: number): Promise<number[]> {
  return (await tx.q<{ child: number }>(`SELECT child FROM task_edges WHERE run_id = $1 AND parent = $2 ORDER BY child`, [runId, seq])).map((r) => r.child);
}

const RESET_SQL = `UPDATE tasks SET status = 'pending', ready_at = NULL, finished_at = NULL, blocked_reason = NULL, awaiting_since = NULL, failures = 0,
  pending_deps = (SELECT count(*) FROM task_edges e JOIN tasks p ON p.run_id = e.run_id AND p.seq = e.parent
                  WHERE e.run_id = tasks.run_id AND e.child = tasks.seq AND p.status <> 'succeeded')
WHERE run_id = $1 AND seq = $2`;

/** See sqlite/dag.ts `rewind`. */
export async function rewind(tx: PgTx, run: RunStateRow, targetSeq: number, feedback: string, cause: string): Promise<AttemptRecord[]> {
  const stillRunning: AttemptRecord[] = [];
  const statusOf = async (seq: number) => (await tx.one<{ id: string; kind: string; status: string }>(`SELECT id, kind, status FROM tasks WHERE run_id = $1 AND seq = $2`, [run.id, seq]))!;
  const before = await statusOf(targetSeq);
  uncount(run, before.status);
  if (before.status === 'running') stillRunning.push(...(await runningOf(tx, run.id, targetSeq)));
  await tx.q(
    `UPDATE tasks SET status = 'ready', ready_at = $1, finished_at = NULL, blocked_reason = NULL, awaiting_since = NULL, failures = 0, feedback = $2 WHERE run_id = $3 AND seq = $4`,
    [tx.now, feedback, run.id, targetSeq],
  );
  tx.emit(run, { type: 'task:rewound', taskId: before.id, data: { cause } });
  const seen = new Set<number>([targetSeq]);
  const queue = [targetSeq];
  const reset: number[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const child of await children(tx, run.id, queue[i]!)) {
      if (seen.has(child)) continue;
      seen.add(child);
      queue.push(child);
      reset.push(child);
    }
  }
  for (const seq of reset) {
    const t = await statusOf(seq);
    uncount(run, t.status);
    if (t.status === 'running') stillRunning.push(...(await runningOf(tx, run.id, seq)));
    await tx.q(RESET_SQL, [run.id, seq]);
    if (t.status !== 'pending') tx.emit(run, { type: 'task:reset', taskId: t.id, data: { cause } });
  }
  for (const seq of reset) await tx.q(RESET_SQL, [run.id, seq]);
  if (before.kind === 'approval') await awaitApproval(tx, run, targetSeq, before.id, (await approvalMessage(tx, run.id, targetSeq)) ?? before.id, 'gate');
  else tx.emit(run, { type: 'task:ready', taskId: before.id });
  return stillRunning;
}

function uncount(run: RunStateRow, status: string): void {
  if (status === 'succeeded' || status === 'failed' || status === 'skipped' || status === 'cancelled') run.tasks_finished--;
  if (status === 'failed') run.tasks_failed--;
}

async function runningOf(tx: PgTx, runId: string, seq: number): Promise<AttemptRecord[]> {
  return (await tx.q<AttemptRow>(`SELECT * FROM attempts WHERE run_id = $1 AND task_seq = $2 AND status = 'running' ORDER BY n`, [runId, seq])).map(toAttempt);
}

export async function runningAttempts(tx: PgTx, runId: string): Promise<AttemptRecord[]> {
  return (await tx.q<AttemptRow>(`SELECT * FROM attempts WHERE run_id = $1 AND status = 'running' ORDER BY task_seq, n`, [runId])).map(toAttempt);
}

// --- finishing attempts (sqlite/transitions.ts) -----------------------------------------------

/** Ends the attempt when its token matches and it is running; returns it with its task's state. */
const FINISH_SQL = `UPDATE attempts a SET status = $5, finished_at = $6, exit_code = $7, error = $8, output = $9, output_ref = $10, summary = $11, usage = $12, log_path = $13
FROM tasks t
WHERE t.run_id = $1 AND t.id = $2 AND a.run_id = t.run_id AND a.task_seq = t.seq AND a.n = $3 AND a.token = $4 AND a.status = 'running'
RETURNING a.agent_id, a.started_at, t.seq, t.id, t.kind, t.status, t.failures, t.failed_agents, t.iterations`;

/**
 * The common path in one statement: the attempt succeeds (fenced by its token), its task (if still
 * running) succeeds, and the dependants whose last dependency it was become ready.
 */
const FINISH_SUCCEED_SQL = `WITH a AS (${FINISH_SQL}),
f AS (
  UPDATE tasks t SET status = 'succeeded', finished_at = $14 FROM a WHERE t.run_id = $1 AND t.seq = a.seq AND a.status = 'running' RETURNING t.seq
),
d AS (
  UPDATE tasks t SET pending_deps = t.pending_deps - 1,
    status = CASE WHEN t.pending_deps = 1 AND t.status = 'pending' THEN 'ready' ELSE t.status END,
    ready_at = CASE WHEN t.pending_deps = 1 AND t.status = 'pending' THEN $14 ELSE t.ready_at END
  FROM task_edges e, f
  WHERE e.run_id = $1 AND e.parent = f.seq AND t.run_id = e.run_id AND t.seq = e.child
  RETURNING t.seq, t.id, t.kind, t.status, t.pending_deps, t.spec
)
SELECT a.*, (SELECT json_agg(d) FROM d) AS children FROM a`;

/** What the finish statements return for an attempt they ended. */
export type FinishRow = FinishTaskRow & { agent_id: string; started_at: number; children?: ChildRow[] | null };

/**
 * FINISH_SUCCEED_SQL guarded by the run's status (its dependants are readied only while the run
 * goes on), with its parameters inlined: sent with BEGIN and the run lock in one round trip.
 */
export function finishSucceedInline(c: Pick<PoolClient, 'escapeLiteral'>, f: AttemptFinish, now: number): string {
  return inlineParams(c, FINISH_SUCCEED_GUARDED_SQL, [...finishParams(f), now]);
}

const FINISH_SUCCEED_GUARDED_SQL = FINISH_SUCCEED_SQL.replace(
  "AND a.status = 'running' RETURNING t.seq",
  "AND a.status = 'running' AND EXISTS (SELECT 1 FROM runs r WHERE r.id = $1 AND r.status IN ('queued', 'running', 'awaiting_approval')) RETURNING t.seq",
);
if (FINISH_SUCCEED_GUARDED_SQL === FINISH_SUCCEED_SQL) throw new Error('tutti: the guarded finish statement could not be built');

function finishParams(f: AttemptFinish): unknown[] {
  return [
    f.ref.runId,
    f.ref.taskId,
    f.ref.n,
    f.token,
    f.status,
    f.finishedAt,
    f.exitCode ?? null,
    toJson(f.error),
    toJson(f.output),
    f.outputRef ?? null,
    f.summary ?? null,
    toJson(f.usage),
    f.logPath ?? null,
  ];
}

/**
 * Applies one attempt finish, fenced by its token: a stale token changes nothing (`applied: false`).
 * @param prefetched the result of {@link finishSucceedInline} when it was sent with BEGIN.
 */
export async function finishTx(tx: PgTx, f: AttemptFinish, random: () => number, prefetched?: { row: FinishRow | undefined }): Promise<FinishOutcome> {
  const { runId, taskId, n } = f.ref;
  const run = await tx.run(runId);
  if (!run) return { ref: f.ref, applied: false };
  const fast = prefetched !== undefined || (f.status === 'succeeded' && !isTerminalRunStatus(run.status));
  const row = prefetched ? prefetched.row : await tx.one<FinishRow>(fast ? FINISH_SUCCEED_SQL : FINISH_SQL, [
    runId,
    taskId,
    n,
    f.token,
    f.status,
    f.finishedAt,
    f.exitCode ?? null,
    toJson(f.error),
    toJson(f.output),
    f.outputRef ?? null,
    f.summary ?? null,
    toJson(f.usage),
    f.logPath ?? null,
    ...(fast ? [tx.now] : []),
  ]);
  if (!row) return { ref: f.ref, applied: false };
  const task: FinishTaskRow = row;
  const now = tx.now;
  const ms = Math.max(0, f.finishedAt - row.started_at);
  run.running = Math.max(0, run.running - 1);
  const attemptEvent = { taskId, attempt: n };
  switch (f.status) {
    case 'succeeded':
      tx.emit(run, { type: 'attempt:succeeded', ...attemptEvent, data: { ms } });
      break;
    case 'failed': {
      const err = f.error ?? { kind: 'exception', message: 'failed' };
      tx.emit(run, { type: 'attempt:failed', ...attemptEvent, data: { kind: err.kind, message: err.message.slice(0, 500), exitCode: f.exitCode ?? null, ms } });
      break;
    }
    case 'cancelled':
      tx.emit(run, { type: 'attempt:cancelled', ...attemptEvent, data: { ms, ...(f.processesEnded !== undefined ? { processes: f.processesEnded } : {}) } });
      break;
    case 'interrupted':
      tx.emit(run, { type: 'attempt:interrupted', ...attemptEvent, data: { reason: f.error?.message ?? 'interrupted' } });
      break;
  }
  if (task.status !== 'running') return { ref: f.ref, applied: true };

  if (isTerminalRunStatus(run.status)) {
    const status = f.status === 'succeeded' ? 'succeeded' : 'cancelled';
    await finishTask(tx, status, task.failures, task.failed_agents, runId, task.seq);
    run.tasks_finished++;
    tx.emit(run, { type: status === 'succeeded' ? 'task:succeeded' : 'task:cancelled', taskId });
    return { ref: f.ref, applied: true };
  }

  if (f.status === 'succeeded') {
    if (fast) await succeeded(tx, run, taskId, row.children ?? []);
    else await succeedTask(tx, run, task.seq, taskId, task.failures, task.failed_agents);
  } else if (f.status === 'interrupted') {
    await tx.q(`UPDATE tasks SET status = 'ready', ready_at = $1 WHERE run_id = $2 AND seq = $3 AND status = 'running'`, [now, runId, task.seq]);
    tx.emit(run, { type: 'task:ready', taskId });
  } else {
    const error: AttemptError | null = f.status === 'cancelled' ? { kind: 'cancelled', message: 'attempt cancelled', retryable: false } : (f.error ?? null);
    const rewound = await failTask(tx, run, task, row.agent_id, error, feedbackOf(f), random);
    return { ref: f.ref, applied: true, ...(rewound.length ? { stopAttempts: rewound } : {}) };
  }
  return { ref: f.ref, applied: true };
}

function finishTask(tx: PgTx, status: string, failures: number, failedAgents: string | null, runId: string, seq: number): Promise<unknown> {
  return tx.q(`UPDATE tasks SET status = $1, finished_at = $2, failures = $3, failed_agents = $4 WHERE run_id = $5 AND seq = $6`, [status, tx.now, failures, failedAgents, runId, seq]);
}

const FEEDBACK_OUTPUT_BYTES = 4000;

function feedbackOf(f: AttemptFinish): string {
  const lines = [`attempt ${f.ref.n} failed: ${f.error?.message ?? f.status}`];
  const out = typeof f.output === 'string' ? f.output : f.output === undefined || f.output === null ? '' : JSON.stringify(f.output);
  if (out) lines.push(out.length > FEEDBACK_OUTPUT_BYTES ? `…${out.slice(out.length - FEEDBACK_OUTPUT_BYTES)}` : out);
  return lines.join('\n');
}

async function failTask(tx: PgTx, run: RunStateRow, task: FinishTaskRow, agentId: string, error: AttemptError | null, feedback: string, random: () => number): Promise<AttemptRecord[]> {
  const failedAgents = fromJsonList(task.failed_agents);
  if (!failedAgents.includes(agentId)) failedAgents.push(agentId);
  const until = rateLimitedUntil(error, tx.now);
  if (until !== null) {
    const reason = { kind: 'rate_limited' as const, until, agentId, ...(error?.message ? { message: error.message.slice(0, 500) } : {}) };
    await tx.q(`UPDATE tasks SET status = 'blocked', blocked_reason = $1, ready_at = $2, failed_agents = $3 WHERE run_id = $4 AND seq = $5`, [
      JSON.stringify(reason),
      until,
      toJsonList(failedAgents),
      run.id,
      task.seq,
    ]);
    tx.emit(run, { type: 'task:blocked', taskId: task.id, data: { reason } });
    return [];
  }
  const specRow = (await tx.one<{ spec: string }>(`SELECT spec FROM tasks WHERE run_id = $1 AND seq = $2`, [run.id, task.seq]))!;
  const spec = decodeSpec(specRow.spec, task.id);
  const failures = task.failures + 1;
  const at = retryAt(spec.retry, failures, error, tx.now, random);
  if (at !== null) {
    await tx.q(`UPDATE tasks SET status = 'ready', ready_at = $1, failures = $2, failed_agents = $3, feedback = $4 WHERE run_id = $5 AND seq = $6`, [
      at,
      failures,
      toJsonList(failedAgents),
      feedback,
      run.id,
      task.seq,
    ]);
    tx.emit(run, { type: 'task:retrying', taskId: task.id, data: { at, failures } });
    return [];
  }
  const message = error?.message ?? 'failed';
  if (spec.loop) {
    const iteration = task.iterations + 1;
    if (iteration <= spec.loop.maxIterations) {
      const target = (await tx.one<{ seq: number }>(`SELECT seq FROM tasks WHERE run_id = $1 AND id = $2`, [run.id, spec.loop.rewindTo]))!.seq;
      await finishTask(tx, 'failed', failures, toJsonList(failedAgents), run.id, task.seq);
      await tx.q(`UPDATE tasks SET iterations = $1 WHERE run_id = $2 AND seq = $3`, [iteration, run.id, task.seq]);
      tx.emit(run, { type: 'task:looped', taskId: task.id, data: { iteration, maxIterations: spec.loop.maxIterations, rewindTo: spec.loop.rewindTo } });
      run.tasks_finished++;
      run.tasks_failed++;
      return rewind(tx, run, target, `${task.id} failed (iteration ${iteration} of ${spec.loop.maxIterations}): ${feedback}`, `loop of ${task.id}`);
    }
    if (spec.loop.onExhausted === 'approval') {
      await awaitApproval(tx, run, task.seq, task.id, `${task.id} still fails after ${spec.loop.maxIterations} iterations: ${message}`, 'loop_exhausted');
      return [];
    }
  }
  await finishTask(tx, 'failed', failures, toJsonList(failedAgents), run.id, task.seq);
  run.tasks_finished++;
  run.tasks_failed++;
  tx.emit(run, { type: 'task:failed', taskId: task.id, data: { error: message.slice(0, 1000) } });
  await skipDependants(tx, run, task.seq, task.id);
  if (!spec.continueOnFailure) await endRun(tx, run, 'failed', `task '${task.id}' failed: ${message}`.slice(0, 2000), task.id);
  else await completeIfDone(tx, run);
  return [];
}

async function skipDependants(tx: PgTx, run: RunStateRow, seq: number, taskId: string): Promise<void> {
  const queue = [seq];
  for (let i = 0; i < queue.length; i++) {
    for (const child of await children(tx, run.id, queue[i]!)) {
      const skipped = await tx.one<{ id: string }>(
        `UPDATE tasks SET status = 'skipped', finished_at = $1, blocked_reason = NULL WHERE run_id = $2 AND seq = $3 AND status IN ('pending', 'ready', 'blocked') RETURNING id`,
        [tx.now, run.id, child],
      );
      if (skipped !== undefined) {
        run.tasks_finished++;
        tx.emit(run, { type: 'task:skipped', taskId: skipped.id, data: { because: taskId } });
        queue.push(child);
      }
    }
  }
}

/** Re-readies tasks blocked for lack of a capable agent. */
export async function unblockTx(tx: PgTx): Promise<void> {
  const rows = await tx.q<{ run_id: string; id: string; seq: number }>(
    `UPDATE tasks SET status = 'ready', ready_at = $1, blocked_reason = NULL WHERE status = 'blocked' AND (blocked_reason::json ->> 'kind') = 'no_capable_agent' RETURNING run_id, id, seq`,
    [tx.now],
  );
  await emitReady(tx, rows);
}

/** Emits `task:ready` for re-readied rows, locking their runs in id order first. */
export async function emitReady(tx: PgTx, rows: Array<{ run_id: string; id: string; seq: number }>): Promise<void> {
  if (rows.length === 0) return;
  rows.sort((a, b) => (a.run_id < b.run_id ? -1 : a.run_id > b.run_id ? 1 : a.seq - b.seq));
  await tx.lockRuns(rows.map((r) => r.run_id));
  for (const r of rows) {
    const run = await tx.run(r.run_id);
    if (run) tx.emit(run, { type: 'task:ready', taskId: r.id });
  }
}

// --- many successes at once ---------------------------------------------------------------------

/**
 * Successful finishes applied in one statement: the attempts (fenced by their tokens), their tasks,
 * and the dependants, each decremented once by the number of its parents in the batch.
 */
const FINISH_MANY_SQL = `WITH u AS (
  SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::int[], $5::bigint[], $6::bigint[], $7::int[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[])
    AS u(ord, run_id, task_id, n, token, finished_at, exit_code, error, output, output_ref, summary, usage, log_path)
),
a AS (
  UPDATE attempts a SET status = 'succeeded', finished_at = u.finished_at, exit_code = u.exit_code, error = u.error, output = u.output,
    output_ref = u.output_ref, summary = u.summary, usage = u.usage, log_path = u.log_path
  FROM u, tasks t
  WHERE t.run_id = u.run_id AND t.id = u.task_id AND a.run_id = t.run_id AND a.task_seq = t.seq AND a.n = u.n AND a.token = u.token AND a.status = 'running'
  RETURNING u.ord, a.run_id, a.started_at, t.seq, t.status
),
f AS (
  UPDATE tasks t SET status = 'succeeded', finished_at = $14 FROM a WHERE t.run_id = a.run_id AND t.seq = a.seq AND a.status = 'running' RETURNING t.run_id, t.seq
),
c AS (
  SELECT e.run_id, e.child, count(*)::int AS k, array_agg(e.parent) AS parents FROM task_edges e JOIN f ON e.run_id = f.run_id AND e.parent = f.seq GROUP BY e.run_id, e.child
),
d AS (
  UPDATE tasks t SET pending_deps = t.pending_deps - c.k,
    status = CASE WHEN t.pending_deps = c.k AND t.status = 'pending' THEN 'ready' ELSE t.status END,
    ready_at = CASE WHEN t.pending_deps = c.k AND t.status = 'pending' THEN $14 ELSE t.ready_at END
  FROM c WHERE t.run_id = c.run_id AND t.seq = c.child
  RETURNING t.run_id, t.seq, t.id, t.kind, t.status, t.pending_deps, t.spec, c.parents
)
SELECT (SELECT json_agg(a) FROM a) AS finished, (SELECT json_agg(d) FROM d) AS children`;

/**
 * Applies successful finishes of runs already locked and not ended, in one statement; events as
 * if applied one by one, in order (a dependant becomes ready after the last of its parents).
 */
export async function finishManySucceeded(tx: PgTx, all: readonly AttemptFinish[]): Promise<FinishOutcome[]> {
  // A repeated finish (same attempt, same token) applies once, the first time: later copies stay out of the statement.
  const seen = new Set<string>();
  const isRepeat = all.map((f) => {
    const key = `${f.ref.runId}\u0000${f.ref.taskId}\u0000${f.ref.n}\u0000${f.token}`;
    if (seen.has(key)) return true;
    seen.add(key);
    return false;
  });
  const finishes = all.filter((_, i) => !isRepeat[i]);
  const [res] = await tx.q<{
    finished: Array<{ ord: number; run_id: string; started_at: number; seq: number; status: string }> | null;
    children: Array<ChildRow & { run_id: string; parents: number[] }> | null;
  }>(FINISH_MANY_SQL, [
    finishes.map((_, i) => i),
    finishes.map((f) => f.ref.runId),
    finishes.map((f) => f.ref.taskId),
    finishes.map((f) => f.ref.n),
    finishes.map((f) => f.token),
    finishes.map((f) => f.finishedAt),
    finishes.map((f) => f.exitCode ?? null),
    finishes.map((f) => toJson(f.error)),
    finishes.map((f) => toJson(f.output)),
    finishes.map((f) => f.outputRef ?? null),
    finishes.map((f) => f.summary ?? null),
    finishes.map((f) => toJson(f.usage)),
    finishes.map((f) => f.logPath ?? null),
    tx.now,
  ]);
  const byOrd = new Map((res?.finished ?? []).map((r) => [r.ord, r]));
  // The order of each finished task, to place its dependants' `task:ready` after their last parent in the batch.
  const ordOf = new Map((res?.finished ?? []).map((r) => [`${r.run_id}\u0000${r.seq}`, r.ord]));
  const readyAfter = new Map<number, ChildRow[]>();
  for (const ch of res?.children ?? []) {
    if (ch.status !== 'ready' || ch.pending_deps !== 0) continue;
    const last = Math.max(...ch.parents.map((p) => ordOf.get(`${ch.run_id}\u0000${p}`) ?? -1));
    const list = readyAfter.get(last) ?? [];
    list.push(ch);
    readyAfter.set(last, list);
  }
  const out: FinishOutcome[] = [];
  for (let i = 0, k = -1; i < all.length; i++) {
    const f = all[i]!;
    const row = isRepeat[i] ? undefined : byOrd.get(++k);
    if (!row) {
      out.push({ ref: f.ref, applied: false });
      continue;
    }
    const run = (await tx.run(f.ref.runId))!;
    run.running = Math.max(0, run.running - 1);
    tx.emit(run, { type: 'attempt:succeeded', taskId: f.ref.taskId, attempt: f.ref.n, data: { ms: Math.max(0, f.finishedAt - row.started_at) } });
    if (row.status === 'running') await succeeded(tx, run, f.ref.taskId, readyAfter.get(k) ?? []);
    out.push({ ref: f.ref, applied: true });
  }
  return out;
}
