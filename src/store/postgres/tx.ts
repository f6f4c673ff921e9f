/**
 * One write transaction of the PostgreSQL store: the connection it runs on, the runs it touched
 * (locked `FOR UPDATE` when first read, written back once at the end), and the events it appends —
 * one event row per run. {@link PgTx.flush} writes events and runs in one statement, holding the
 * events advisory lock to the commit so event ids grow in commit order across workers.
 */
import type { PoolClient } from 'pg';
import type { AgentRecord } from '../../agents/types.js';
import type { NewEvent } from '../../core/events.js';
import type { EventRecord } from '../../core/model.js';
import type { TaskSpec } from '../../core/plan/schema.js';
import { decodeSpec } from '../codec.js';
import { EVENT_ID_STRIDE, toAgent, type AgentRow, type EncodedEvent, type RunStateRow } from '../sqlite/rows.js';
import { EVENTS_LOCK, LOCK_NAMESPACE } from './migrations.js';

/** Columns of a run a transaction works with. */
export const RUN_STATE = `id, status, priority, max_concurrency, started_at, finished_at, error, tasks_total, tasks_finished, tasks_failed, running, last_seq, work_dir, approval_ttl_ms, expires_at`;

const SPEC_CACHE_MAX = 50_000;

/** Query names by text: every statement is prepared once per connection. */
const names = new Map<string, string>();

function nameOf(text: string): string {
  let n = names.get(text);
  if (!n) {
    n = `tutti_${names.size}`;
    names.set(text, n);
  }
  return n;
}

/** Runs a parameterised statement as a named prepared statement. */
export async function query<T>(c: Pick<PoolClient, 'query'>, text: string, values: unknown[] = []): Promise<T[]> {
  const res = await c.query({ name: nameOf(text), text, values });
  return res.rows as T[];
}

/** An attempt started by this transaction, written by the flush. */
export interface PendingStart {
  runId: string;
  seq: number;
  n: number;
  taskId: string;
  token: number;
  agentId: string;
  workerId: string;
}

/** A value as an SQL literal (strings, numbers, null, and flat arrays of those). */
function literal(c: Pick<PoolClient, 'escapeLiteral'>, v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) {
    const items = v.map((x) => (x === null || x === undefined ? 'NULL' : `"${String(x).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`));
    return c.escapeLiteral(`{${items.join(',')}}`);
  }
  return c.escapeLiteral(String(v));
}

/** The statement with its parameters inlined as literals (for the simple protocol, which sends several statements at once). */
export function inlineParams(c: Pick<PoolClient, 'escapeLiteral'>, text: string, values: readonly unknown[]): string {
  return text.replace(/\$(\d+)/g, (_, i: string) => literal(c, values[Number(i) - 1]));
}

interface PendingEvents {
  run: RunStateRow;
  firstSeq: number;
  list: EncodedEvent[];
  order: number[];
}

/** The channel on which transactions that make tasks ready notify (payload: JSON `{ w: workerId, r: runId }`). */
export const NOTIFY_CHANNEL = 'tutti_ready';

const FLUSH_SQL = `WITH lock AS (SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${EVENTS_LOCK}) AS l),
ev AS (
  INSERT INTO events (run_id, seq, n, ts, body)
  SELECT u.run_id, u.seq, u.n, $5, u.body FROM unnest($1::text[], $2::int[], $3::int[], $4::text[]) WITH ORDINALITY AS u(run_id, seq, n, body, ord), lock
  ORDER BY u.ord
  RETURNING id, run_id, seq
),
up AS (
  UPDATE runs r SET status = u.status, started_at = u.started_at, finished_at = u.finished_at, updated_at = $5, error = u.error,
    tasks_total = u.tasks_total, tasks_finished = u.tasks_finished, tasks_failed = u.tasks_failed, running = u.running, last_seq = u.last_seq, expires_at = u.expires_at
  FROM unnest($6::text[], $7::text[], $8::bigint[], $9::bigint[], $10::text[], $11::int[], $12::int[], $13::int[], $14::int[], $15::int[], $16::bigint[])
    AS u(id, status, started_at, finished_at, error, tasks_total, tasks_finished, tasks_failed, running, last_seq, expires_at)
  WHERE r.id = u.id
  RETURNING r.id
),
-- Wakes listening workers (delivered at commit): tasks became ready.
ins AS (
  INSERT INTO attempts (run_id, task_seq, n, task_id, token, status, agent_id, worker_id, started_at)
  SELECT u.run_id, u.seq, u.n, u.id, u.token, 'running', u.agent_id, u.worker_id, $5
  FROM unnest($18::text[], $19::int[], $20::int[], $21::text[], $22::bigint[], $23::text[], $24::text[]) AS u(run_id, seq, n, id, token, agent_id, worker_id)
  RETURNING 1
),
st AS (
  UPDATE tasks t SET status = 'running', attempts = u.n, started_at = COALESCE(t.started_at, $5), blocked_reason = NULL
  FROM unnest($18::text[], $19::int[], $20::int[]) AS u(run_id, seq, n)
  WHERE t.run_id = u.run_id AND t.seq = u.seq
  RETURNING 1
),
notify AS (SELECT pg_notify('${NOTIFY_CHANNEL}', $17::text) WHERE $17::text IS NOT NULL)
SELECT id, run_id, seq, (SELECT count(*) FROM up) AS updated, (SELECT count(*) FROM notify) AS notified FROM ev`;

export class PgTx {
  readonly #runs = new Map<string, { row: RunStateRow; original: RunStateRow }>();
  readonly #events = new Map<string, PendingEvents>();
  #emitted = 0;
  readonly #starts: PendingStart[] = [];

  /** Records a started attempt (its row and its task's status are written by {@link flush}). */
  start(s: PendingStart): void {
    this.#starts.push(s);
  }

  /** Runs loaded (and locked) by this transaction, with their state as of now. */
  loadedRuns(): RunStateRow[] {
    return [...this.#runs.values()].map((e) => e.row);
  }

  /** Registers runs locked by a statement sent with BEGIN. */
  adoptLocked(rows: RunStateRow[]): void {
    for (const row of rows) if (!this.#runs.has(row.id)) this.#runs.set(row.id, { row, original: { ...row } });
  }

  /** Agents this transaction locked (their loads are exact until it commits). */
  readonly lockedAgents = new Set<string>();

  constructor(
    readonly c: PoolClient,
    readonly now: number,
    readonly agentCache: Map<string, { version: number; agent: AgentRecord }>,
    readonly specCache: Map<string, TaskSpec>,
    /** Who commits (a worker id, or '' for other writers): listeners ignore their own notifications. */
    readonly writer: string = '',
  ) {}

  q<T>(text: string, values: unknown[] = []): Promise<T[]> {
    return query<T>(this.c, text, values);
  }

  async one<T>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await query<T>(this.c, text, values))[0];
  }

  spec(runId: string, seq: number, id: string, json: string): TaskSpec {
    const key = `${runId}\u0000${seq}`;
    let spec = this.specCache.get(key);
    if (!spec) {
      if (this.specCache.size >= SPEC_CACHE_MAX) this.specCache.clear();
      spec = decodeSpec(json, id);
      this.specCache.set(key, spec);
    }
    return spec;
  }

  /** Every agent with its load (running attempts, this transaction's changes included); `loads` when already read. */
  async agents(loads?: Array<{ id: string; version: number; running: number }>): Promise<AgentRecord[]> {
    const rows =
      loads ??
      (await this.q<{ id: string; version: number; running: number }>(
        `SELECT a.id, a.version, (SELECT count(*) FROM attempts t WHERE t.agent_id = a.id AND t.status = 'running') AS running FROM agents a ORDER BY a.id`,
      ));
    const out: AgentRecord[] = [];
    for (const r of rows) {
      let cached = this.agentCache.get(r.id);
      if (!cached || cached.version !== r.version) {
        const row = await this.one<AgentRow>(`SELECT *, 0 AS running FROM agents WHERE id = $1`, [r.id]);
        if (!row) continue;
        cached = { version: r.version, agent: toAgent(row) };
        this.agentCache.set(r.id, cached);
      }
      out.push({ ...cached.agent, running: r.running });
    }
    return out;
  }

  /** Locks and loads these runs in id order (avoids deadlocks between transactions touching several runs). */
  async lockRuns(ids: readonly string[]): Promise<void> {
    const missing = [...new Set(ids)].filter((id) => !this.#runs.has(id)).sort();
    if (missing.length === 0) return;
    const rows = await this.q<RunStateRow>(`SELECT ${RUN_STATE} FROM runs WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`, [missing]);
    for (const row of rows) this.#runs.set(row.id, { row, original: { ...row } });
  }

  /** The run's state, locked and loaded once per transaction; {@link flush} writes it back. */
  async run(id: string): Promise<RunStateRow | undefined> {
    let entry = this.#runs.get(id);
    if (!entry) {
      const row = await this.one<RunStateRow>(`SELECT ${RUN_STATE} FROM runs WHERE id = $1 FOR UPDATE`, [id]);
      if (!row) return undefined;
      entry = { row, original: { ...row } };
      this.#runs.set(id, entry);
    }
    return entry.row;
  }

  /** A run already loaded by this transaction. */
  loaded(id: string): RunStateRow | undefined {
    return this.#runs.get(id)?.row;
  }

  /** Registers a run this transaction inserted (state as inserted). */
  adopt(row: RunStateRow): void {
    this.#runs.set(row.id, { row, original: { ...row, last_seq: -1 } });
  }

  emit(run: RunStateRow, ev: NewEvent): void {
    const seq = ++run.last_seq;
    let pending = this.#events.get(run.id);
    if (!pending || pending.list.length >= EVENT_ID_STRIDE) {
      if (pending) this.#full.push(pending);
      pending = { run, firstSeq: seq, list: [], order: [] };
      this.#events.set(run.id, pending);
    }
    const data = ev.data === undefined || Object.keys(ev.data).length === 0 ? null : (ev.data as Record<string, unknown>);
    pending.list.push([ev.type, ev.taskId ?? null, ev.attempt ?? null, data]);
    pending.order.push(this.#emitted++);
  }

  #full: PendingEvents[] = [];

  /** Whether anything was emitted or changed. */
  get dirty(): boolean {
    return this.#events.size > 0 || [...this.#runs.values()].some(({ row, original }) => changed(row, original));
  }

  #notifyPayload(groups: PendingEvents[]): string | null {
    for (const g of groups) if (g.list.some((e) => e[0] === 'task:ready')) return JSON.stringify({ w: this.writer, r: g.run.id });
    return null;
  }

  /**
   * Writes events and changed runs in one statement and commits in the same round trip (simple
   * protocol: the statement's parameters are inlined as literals).
   * @returns the events appended, in emission order.
   */
  async flushAndCommit(): Promise<EventRecord[]> {
    return this.flush(true);
  }

  /** Writes events and changed runs in one statement (and commits when `commit`). @returns the events appended, in emission order. */
  async flush(commit = false): Promise<EventRecord[]> {
    const groups = [...this.#full, ...this.#events.values()];
    this.#full = [];
    this.#events.clear();
    const runs = [...this.#runs.values()].filter(({ row, original }) => changed(row, original)).map((e) => e.row);
    const starts = this.#starts.splice(0);
    if (groups.length === 0 && runs.length === 0 && starts.length === 0) {
      if (commit) await this.c.query('COMMIT');
      return [];
    }
    const sc = <K extends keyof PendingStart>(k: K) => starts.map((x) => x[k]);
    const col = <K extends keyof RunStateRow>(k: K) => runs.map((r) => r[k]);
    const params = [
      groups.map((g) => g.run.id),
      groups.map((g) => g.firstSeq),
      groups.map((g) => g.list.length),
      groups.map((g) => JSON.stringify(g.list)),
      this.now,
      col('id'),
      col('status'),
      col('started_at'),
      col('finished_at'),
      col('error'),
      col('tasks_total'),
      col('tasks_finished'),
      col('tasks_failed'),
      col('running'),
      col('last_seq'),
      col('expires_at'),
      this.#notifyPayload(groups),
      sc('runId'),
      sc('seq'),
      sc('n'),
      sc('taskId'),
      sc('token'),
      sc('agentId'),
      sc('workerId'),
    ];
    let rows: Array<{ id: number; run_id: string; seq: number }>;
    if (commit) {
      const results = (await this.c.query(`${inlineParams(this.c, FLUSH_SQL, params)}; COMMIT`)) as unknown as Array<{ rows: Array<{ id: number; run_id: string; seq: number }> }>;
      rows = results[0]!.rows;
    } else rows = await this.q<{ id: number; run_id: string; seq: number }>(FLUSH_SQL, params);
    const idOf = new Map(rows.map((r) => [`${r.run_id}\u0000${r.seq}`, r.id]));
    const written: Array<{ order: number; event: EventRecord }> = [];
    for (const g of groups) {
      const id = idOf.get(`${g.run.id}\u0000${g.firstSeq}`)!;
      g.list.forEach(([type, taskId, attempt, data], i) => {
        written.push({ order: g.order[i]!, event: { id: id * EVENT_ID_STRIDE + i, runId: g.run.id, seq: g.firstSeq + i, ts: this.now, type, taskId, attempt, data } });
      });
    }
    for (const entry of this.#runs.values()) entry.original = { ...entry.row };
    return written.sort((a, b) => a.order - b.order).map((w) => w.event);
  }
}

function changed(a: RunStateRow, b: RunStateRow): boolean {
  return (
    a.last_seq !== b.last_seq ||
    a.status !== b.status ||
    a.running !== b.running ||
    a.tasks_total !== b.tasks_total ||
    a.tasks_finished !== b.tasks_finished ||
    a.tasks_failed !== b.tasks_failed ||
    a.started_at !== b.started_at ||
    a.finished_at !== b.finished_at ||
    a.error !== b.error ||
    a.expires_at !== b.expires_at
  );
}
