/** Creating a run: the run row, its tasks and edges, and their first events, in one transaction. */
import { encodeSpec, toJsonList } from '../codec.js';
import { TuttiError } from '../../core/errors.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type { PlannedTask } from '../../core/plan/validate.js';
import type { NewRun } from '../types.js';
import type { SqliteStatement } from './driver.js';
import { EDGE_CHUNK, TASK_CHUNK } from './statements.js';
import type { Tx } from './tx.js';
import { becameReady } from './dag.js';

/** A create that made a run, found the run of its idempotency key, or hit a taken id. */
export type CreateOutcome = { id: string; created: boolean } | { id: string; error: string };

/** Creates the run unless its idempotency key already made one; a taken id is an error (nothing written). */
export function createOrFind(tx: Tx, run: NewRun): CreateOutcome {
  if (run.idempotencyKey) {
    const existing = tx.s.runIdByKey.pluck().get(run.idempotencyKey) as string | undefined;
    if (existing) return { id: existing, created: false };
  }
  if (tx.s.runStatus.pluck().get(run.id) !== undefined) return { id: run.id, error: `a run with id '${run.id}' already exists` };
  createRunTx(tx, run);
  return { id: run.id, created: true };
}

/** Inserts a run, its tasks and edges; tasks without dependencies start ready. */
export function createRunTx(tx: Tx, run: NewRun): void {
  const s = tx.s;
  s.insertRun.run({
    id: run.id,
    name: run.name,
    goal: run.goal,
    priority: run.priority,
    max_concurrency: run.maxConcurrency,
    created_at: run.createdAt,
    tasks_total: run.tasks.length,
    idempotency_key: run.idempotencyKey ?? null,
    work_dir: run.workDir,
    approval_ttl_ms: run.approvalTtlMs ?? null,
    metadata: Object.keys(run.metadata).length ? JSON.stringify(run.metadata) : null,
  });
  const row = tx.run(run.id)!;
  tx.emit(row, { type: 'run:created', data: { name: run.name, tasks: run.tasks.length } });
  const seqOf = new Map<string, number>();
  run.tasks.forEach((t, seq) => seqOf.set(t.id, seq));
  const tasks = new Inserter(s.insertTasks, s.insertTask, TASK_CHUNK, 11);
  const edges = new Inserter(s.insertEdges, s.insertEdge, EDGE_CHUNK, 3);
  run.tasks.forEach((t, seq) => {
    const ready = t.dependsOn.length === 0;
    const kind = t.spec.approval ? 'approval' : 'task';
    tasks.add(run.id, seq, t.id, kind, ready ? 'ready' : 'pending', t.priority, run.priority, t.dependsOn.length, ready ? run.createdAt : null, toJsonList(t.dependsOn), encodeSpec(t.spec, t.id));
    for (const d of t.dependsOn) edges.add(run.id, seqOf.get(d)!, seq);
  });
  tasks.end();
  edges.end();
  // Every row exists before the first one becomes ready (an approval updates its own row).
  run.tasks.forEach((t, seq) => {
    if (t.dependsOn.length === 0) becameReady(tx, row, seq, t.id, t.spec.approval ? 'approval' : 'task', t.spec.approval?.message);
  });
}

/** Collects rows and inserts them a chunk per statement call; the rest one by one. */
class Inserter {
  #values: unknown[] = [];
  constructor(
    private readonly chunk: SqliteStatement,
    private readonly single: SqliteStatement,
    private readonly rows: number,
    private readonly width: number,
  ) {}

  add(...values: unknown[]): void {
    for (const v of values) this.#values.push(v);
    if (this.#values.length === this.rows * this.width) {
      this.chunk.run(this.#values);
      this.#values = [];
    }
  }

  end(): void {
    for (let i = 0; i < this.#values.length; i += this.width) this.single.run(this.#values.slice(i, i + this.width));
    this.#values = [];
  }
}


/** Adds tasks to an unfinished run (see `Store.addTasks`). @throws TuttiError */
export function addTasksTx(tx: Tx, runId: string, tasks: PlannedTask[]): void {
  const s = tx.s;
  const run = tx.run(runId);
  if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${runId}'`, { details: { runId } });
  if (isTerminalRunStatus(run.status)) throw new TuttiError('ERR_INVALID_TRANSITION', `run ${runId} is ${run.status}: it cannot grow`, { details: { runId, status: run.status } });
  const first = (s.maxSeq.pluck().get(runId) as number) + 1;
  const seqOf = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (seqOf.has(t.id) || s.seqById.pluck().get(runId, t.id) !== undefined) throw new TuttiError('ERR_DUPLICATE_TASK', `run ${runId} already has a task '${t.id}'`, { details: { runId, taskId: t.id } });
    seqOf.set(t.id, first + i);
  });
  const statusOf = (id: string) => (s.taskById.get(runId, id) as { status: string } | undefined)?.status;
  for (const t of tasks) {
    for (const d of t.dependsOn) {
      if (!seqOf.has(d) && statusOf(d) === undefined) throw new TuttiError('ERR_UNKNOWN_DEPENDENCY', `task '${t.id}' depends on unknown task '${d}'`, { details: { runId, taskId: t.id, dependency: d } });
    }
  }
  run.tasks_total += tasks.length;
  tx.emit(run, { type: 'run:extended', data: { tasks: tasks.length } });
  tasks.forEach((t, i) => {
    const seq = first + i;
    // New tasks depend only on existing tasks (whose status is known) or on other new tasks (pending).
    const pending = t.dependsOn.filter((d) => seqOf.has(d) || statusOf(d) !== 'succeeded').length;
    const kind = t.spec.approval ? 'approval' : 'task';
    s.insertTask.run(runId, seq, t.id, kind, pending === 0 ? 'ready' : 'pending', t.priority, run.priority, pending, pending === 0 ? tx.now : null, toJsonList(t.dependsOn), encodeSpec(t.spec, t.id));
    for (const d of t.dependsOn) s.insertEdge.run(runId, seqOf.get(d) ?? (s.seqById.pluck().get(runId, d) as number), seq);
    if (pending === 0) becameReady(tx, run, seq, t.id, kind, t.spec.approval?.message);
  });
}
