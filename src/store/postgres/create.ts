/** Creating a run on PostgreSQL: the run row, its tasks and edges (bulk inserts), and their first events, in one transaction. */
import { encodeSpec, toJsonList } from '../codec.js';
import { TuttiError } from '../../core/errors.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type { PlannedTask } from '../../core/plan/validate.js';
import type { NewRun } from '../types.js';
import type { RunStateRow } from '../sqlite/rows.js';
import { becameReady } from './transitions.js';
import type { PgTx } from './tx.js';

export type CreateOutcome = { id: string; created: boolean } | { id: string; error: string };

export async function createOrFind(tx: PgTx, run: NewRun): Promise<CreateOutcome> {
  if (run.tasks.length <= CHUNK) {
    // One statement: the run, its tasks and edges (nothing when the id or the key is taken).
    if (await insertAll(tx, run)) {
      await afterInsert(tx, run);
      return { id: run.id, created: true };
    }
  }
  if (run.idempotencyKey) {
    const existing = await tx.one<{ id: string }>(`SELECT id FROM runs WHERE idempotency_key = $1`, [run.idempotencyKey]);
    if (existing) return { id: existing.id, created: false };
  }
  if (await tx.one(`SELECT 1 FROM runs WHERE id = $1`, [run.id])) return { id: run.id, error: `a run with id '${run.id}' already exists` };
  await createRunTx(tx, run);
  return { id: run.id, created: true };
}

const INSERT_TASKS = `INSERT INTO tasks (run_id, seq, id, kind, status, priority, run_priority, pending_deps, ready_at, depends_on, spec)
SELECT $1, u.seq, u.id, u.kind, u.status, u.priority, $2, u.pending, u.ready_at, u.deps, u.spec
FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::int[], $9::bigint[], $10::text[], $11::text[]) AS u(seq, id, kind, status, priority, pending, ready_at, deps, spec)`;

const INSERT_EDGES = `INSERT INTO task_edges (run_id, parent, child) SELECT $1, u.parent, u.child FROM unnest($2::int[], $3::int[]) AS u(parent, child)`;

interface TaskInsert {
  seq: number;
  task: PlannedTask;
  pending: number;
}

const CHUNK = 5000;

/** Inserts the run, its tasks and edges in one statement; false when a run with this id or key exists. */
const INSERT_ALL = `WITH r AS (
  INSERT INTO runs (id, status, name, goal, priority, max_concurrency, created_at, updated_at, tasks_total, idempotency_key, work_dir, metadata, approval_ttl_ms)
  VALUES ($1, 'queued', $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING RETURNING id
),
t AS (
  INSERT INTO tasks (run_id, seq, id, kind, status, priority, run_priority, pending_deps, ready_at, depends_on, spec)
  SELECT r.id, u.seq, u.id, u.kind, u.status, u.priority, $4, u.pending, u.ready_at, u.deps, u.spec
  FROM r, unnest($12::int[], $13::text[], $14::text[], $15::text[], $16::int[], $17::int[], $18::bigint[], $19::text[], $20::text[]) AS u(seq, id, kind, status, priority, pending, ready_at, deps, spec)
  RETURNING 1
),
e AS (
  INSERT INTO task_edges (run_id, parent, child) SELECT r.id, u.parent, u.child FROM r, unnest($21::int[], $22::int[]) AS u(parent, child) RETURNING 1
)
SELECT (SELECT count(*) FROM r) AS created, (SELECT count(*) FROM t) AS tasks, (SELECT count(*) FROM e) AS edges`;

/** The run row's parameters $1–$11, in the column order both inserts use. */
function runParams(run: NewRun): unknown[] {
  const metadata = Object.keys(run.metadata).length ? JSON.stringify(run.metadata) : null;
  return [run.id, run.name, run.goal, run.priority, run.maxConcurrency, run.createdAt, run.tasks.length, run.idempotencyKey ?? null, run.workDir, metadata, run.approvalTtlMs ?? null];
}

async function insertAll(tx: PgTx, run: NewRun): Promise<boolean> {
  const seqOf = new Map<string, number>();
  run.tasks.forEach((t, seq) => seqOf.set(t.id, seq));
  const edges: Array<[number, number]> = [];
  run.tasks.forEach((t, seq) => {
    for (const d of t.dependsOn) edges.push([seqOf.get(d)!, seq]);
  });
  const ts = run.tasks;
  const [row] = await tx.q<{ created: number }>(INSERT_ALL, [
    ...runParams(run),
    ts.map((_, seq) => seq),
    ts.map((t) => t.id),
    ts.map((t) => (t.spec.approval ? 'approval' : 'task')),
    ts.map((t) => (t.dependsOn.length === 0 ? 'ready' : 'pending')),
    ts.map((t) => t.priority),
    ts.map((t) => t.dependsOn.length),
    ts.map((t) => (t.dependsOn.length === 0 ? run.createdAt : null)),
    ts.map((t) => toJsonList(t.dependsOn)),
    ts.map((t) => encodeSpec(t.spec, t.id)),
    edges.map((e) => e[0]),
    edges.map((e) => e[1]),
  ]);
  return (row?.created ?? 0) > 0;
}

async function insertTasks(tx: PgTx, runId: string, runPriority: number, rows: TaskInsert[], readyAt: number, edges: Array<[number, number]>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) {
    const part = rows.slice(i, i + CHUNK);
    await tx.q(INSERT_TASKS, [
      runId,
      runPriority,
      part.map((r) => r.seq),
      part.map((r) => r.task.id),
      part.map((r) => (r.task.spec.approval ? 'approval' : 'task')),
      part.map((r) => (r.pending === 0 ? 'ready' : 'pending')),
      part.map((r) => r.task.priority),
      part.map((r) => r.pending),
      part.map((r) => (r.pending === 0 ? readyAt : null)),
      part.map((r) => toJsonList(r.task.dependsOn)),
      part.map((r) => encodeSpec(r.task.spec, r.task.id)),
    ]);
  }
  for (let i = 0; i < edges.length; i += CHUNK) {
    const part = edges.slice(i, i + CHUNK);
    await tx.q(INSERT_EDGES, [runId, part.map((e) => e[0]), part.map((e) => e[1])]);
  }
}

/** Inserts a run, its tasks and edges; tasks without dependencies start ready. */
export async function createRunTx(tx: PgTx, run: NewRun): Promise<void> {
  await insertRunRow(tx, run);
  const seqOf = new Map<string, number>();
  run.tasks.forEach((t, seq) => seqOf.set(t.id, seq));
  const edges: Array<[number, number]> = [];
  run.tasks.forEach((t, seq) => {
    for (const d of t.dependsOn) edges.push([seqOf.get(d)!, seq]);
  });
  await insertTasks(tx, run.id, run.priority, run.tasks.map((task, seq) => ({ seq, task, pending: task.dependsOn.length })), run.createdAt, edges);
  await afterInsert(tx, run);
}

async function insertRunRow(tx: PgTx, run: NewRun): Promise<void> {
  await tx.q(
    `INSERT INTO runs (id, status, name, goal, priority, max_concurrency, created_at, updated_at, tasks_total, idempotency_key, work_dir, metadata, approval_ttl_ms)
     VALUES ($1, 'queued', $2, $3, $4, $5, $6, $6, $7, $8, $9, $10, $11)`,
    runParams(run),
  );
}

/** The inserted run joins the transaction's working set; its first events, and its ready tasks'. */
async function afterInsert(tx: PgTx, run: NewRun): Promise<void> {
  const row: RunStateRow = {
    id: run.id,
    status: 'queued',
    priority: run.priority,
    max_concurrency: run.maxConcurrency,
    started_at: null,
    finished_at: null,
    error: null,
    tasks_total: run.tasks.length,
    tasks_finished: 0,
    tasks_failed: 0,
    running: 0,
    last_seq: 0,
    work_dir: run.workDir,
    approval_ttl_ms: run.approvalTtlMs ?? null,
    expires_at: null,
  };
  tx.adopt(row);
  tx.emit(row, { type: 'run:created', data: { name: run.name, tasks: run.tasks.length } });
  for (let seq = 0; seq < run.tasks.length; seq++) {
    const t = run.tasks[seq]!;
    if (t.dependsOn.length === 0) await becameReady(tx, row, seq, t.id, t.spec.approval ? 'approval' : 'task', t.spec.approval?.message);
  }
}

/** Adds tasks to an unfinished run (see `Store.addTasks`). @throws TuttiError */
export async function addTasksTx(tx: PgTx, runId: string, tasks: PlannedTask[]): Promise<void> {
  const run = await tx.run(runId);
  if (!run) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${runId}'`, { details: { runId } });
  if (isTerminalRunStatus(run.status)) throw new TuttiError('ERR_INVALID_TRANSITION', `run ${runId} is ${run.status}: it cannot grow`, { details: { runId, status: run.status } });
  const existing = new Map((await tx.q<{ id: string; seq: number; status: string }>(`SELECT id, seq, status FROM tasks WHERE run_id = $1`, [runId])).map((r) => [r.id, r]));
  const first = Math.max(-1, ...[...existing.values()].map((r) => r.seq)) + 1;
  const seqOf = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (seqOf.has(t.id) || existing.has(t.id)) throw new TuttiError('ERR_DUPLICATE_TASK', `run ${runId} already has a task '${t.id}'`, { details: { runId, taskId: t.id } });
    seqOf.set(t.id, first + i);
  });
  for (const t of tasks) {
    for (const d of t.dependsOn) {
      if (!seqOf.has(d) && !existing.has(d)) throw new TuttiError('ERR_UNKNOWN_DEPENDENCY', `task '${t.id}' depends on unknown task '${d}'`, { details: { runId, taskId: t.id, dependency: d } });
    }
  }
  run.tasks_total += tasks.length;
  tx.emit(run, { type: 'run:extended', data: { tasks: tasks.length } });
  const rows: TaskInsert[] = [];
  const edges: Array<[number, number]> = [];
  tasks.forEach((t, i) => {
    const seq = first + i;
    const pending = t.dependsOn.filter((d) => seqOf.has(d) || existing.get(d)?.status !== 'succeeded').length;
    rows.push({ seq, task: t, pending });
    for (const d of t.dependsOn) edges.push([seqOf.get(d) ?? existing.get(d)!.seq, seq]);
  });
  await insertTasks(tx, runId, run.priority, rows, tx.now, edges);
  for (const r of rows) if (r.pending === 0) await becameReady(tx, run, r.seq, r.task.id, r.task.spec.approval ? 'approval' : 'task', r.task.spec.approval?.message);
}
