/**
 * The PostgreSQL store (`pg`): the same Store contract as SQLite, shared by worker processes on
 * many machines (ARCHITECTURE.md §11; docs/scale-out.md). Every state change is one transaction;
 * workers claim ready tasks with `FOR UPDATE SKIP LOCKED`, every attempt write is fenced by the
 * attempt's token, and any worker advances a run's DAG inside the transaction that completes a
 * task. Transactions that make tasks ready `NOTIFY tutti_ready` ({@link PostgresStore.listen}).
 *
 * Follows graphile-worker and pg-boss (SKIP LOCKED claims, LISTEN/NOTIFY wake-ups) and Hatchet
 * (one database as the only coordinator).
 */
import type { StoreHealth } from '../health.js';
import pg from 'pg';
import { byTemplate, decisionCounts } from '../stats.js';
import type { AgentRecord, AgentStatus } from '../../agents/types.js';
import type { TaskSpec } from '../../core/plan/schema.js';
import type { PlannedTask } from '../../core/plan/validate.js';
import { StaleLeaseError, TuttiError, errorMessage } from '../../core/errors.js';
import type { AttemptRecord, AttemptRef, EventRecord, RunRecord, RunStatus, TaskRecord, TaskStatus } from '../../core/model.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type { MemoryHit, MemoryListFilter, MemoryModelInfo, MemoryRecord, MemoryScope, MemoryWriteResult, NewMemory } from '../memory-types.js';
import type { StateEntry, StateListFilter, StateLock, StateLockGuard, StateOp } from '../state-types.js';
import type { MergeEnd, MergeEntry, MergeFilter, MergeTurn, NewMerge, QuotaRecord } from '../coordination-types.js';
import type { AgentUpsert, ApprovalDecision, ApprovalOutcome, CancelResult, ClaimRequest, ClaimResult, FinishOutcome, NewRun, RunFilter, Store, StoreStats, WorkerRecord } from '../types.js';
import { EVENT_ID_STRIDE, toAgent, toAttempt, eventsAfter, toRun, toTask, toWorker, type AgentRow, type AttemptRow, type EventRow, type RunRow, type TaskRow, type WorkerRow } from '../sqlite/rows.js';
import { decideTx, expireTx } from './approvals.js';
import { claimTx, prepareInline, type ClaimPrep } from './claim.js';
import { addTasksTx, createOrFind, type CreateOutcome } from './create.js';
import * as coordination from './coordination.js';
import * as logs from './logs.js';
import * as memory from './memory.js';
import { LOCK_NAMESPACE, MIGRATION_LOCK, PG_MIGRATIONS } from './migrations.js';
import * as state from './state.js';
import { endRun, finishManySucceeded, finishSucceedInline, finishTx, runningAttempts, unblockTx, type FinishRow } from './transitions.js';
import { NOTIFY_CHANNEL, PgTx, RUN_STATE, query } from './tx.js';
import type { RunStateRow } from '../sqlite/rows.js';

export { NOTIFY_CHANNEL };

export interface PostgresStoreOptions {
  /** `postgres://user@host:port/database` (libpq URL; `PG*` environment variables fill the gaps). */
  connectionString: string;
  /** Connections in the pool. @default 10 */
  poolSize?: number;
  /** Open without checking the schema: call `migrate()` before use (as `tutti migrate` does). @default false */
  skipMigrations?: boolean;
  /** Transactions retried after a deadlock or serialization failure. @default 8 */
  maxRetries?: number;
  /** Schema holding tutti's tables (created by `migrate()`; letters, digits and `_`). @default the connection's search_path (`public`) */
  schema?: string;
}

/** Opens a PostgreSQL store and applies pending migrations (under an advisory lock). @throws TuttiError `ERR_STORE_MIGRATION` */
export async function openPostgresStore(options: PostgresStoreOptions | string): Promise<PostgresStore> {
  const store = new PostgresStore(typeof options === 'string' ? { connectionString: options } : options);
  if (!(typeof options !== 'string' && options.skipMigrations)) {
    try {
      await store.migrate();
    } catch (e) {
      await store.close();
      throw e;
    }
  }
  return store;
}

/** int8 as a JS number: epoch ms, 48-bit tokens and counts all fit. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === 20) return (v: string) => Number(v);
    return format === undefined ? pg.types.getTypeParser(oid) : pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

const RETRYABLE = new Set(['40P01', '40001']);

/** Redacts the password of a connection string (for messages). */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

export class PostgresStore implements Store {
  readonly kind = 'postgres';
  readonly url: string;
  #pool: pg.Pool | null;
  readonly #maxRetries: number;
  #schema: Promise<{ pgvector: boolean }> | null = null;
  readonly #agentCache = new Map<string, { version: number; agent: AgentRecord }>();
  readonly #specCache = new Map<string, TaskSpec>();

  readonly schema: string | null;

  /** @throws TuttiError `ERR_INVALID_OPTIONS` for a bad schema name. */
  constructor(options: PostgresStoreOptions) {
    this.url = options.connectionString;
    this.#maxRetries = options.maxRetries ?? 8;
    if (options.schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(options.schema)) {
      throw new TuttiError('ERR_INVALID_OPTIONS', `invalid schema name '${options.schema}': use letters, digits and _`);
    }
    this.schema = options.schema ?? null;
    this.#pool = new pg.Pool({ ...this.#clientConfig(), max: options.poolSize ?? 10 });
    // An idle client losing its connection (server restart) must not crash the process.
    this.#pool.on('error', () => undefined);
  }

  #clientConfig(): pg.ClientConfig {
    return { connectionString: this.url, types: TYPES, ...(this.schema ? { options: `-c search_path=${this.schema}` } : {}) };
  }

  get #p(): pg.Pool {
    if (!this.#pool) throw new TuttiError('ERR_STORE_CLOSED', 'the store is closed');
    return this.#pool;
  }

  /** Checks (once) that every migration is applied and whether pgvector is in use. */
  #ready(): Promise<{ pgvector: boolean }> {
    const pool = this.#p;
    this.#schema ??= (async () => {
      const latest = Math.max(...PG_MIGRATIONS.map((m) => m.version));
      let version = 0;
      let pgvector = false;
      try {
        const [row] = await query<{ v: number | null; vec: boolean }>(
          pool,
          `SELECT (SELECT max(version) FROM tutti_migrations) AS v, EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'memories' AND column_name = 'embedding') AS vec`,
        );
        version = row?.v ?? 0;
        pgvector = row?.vec ?? false;
      } catch (e) {
        if ((e as { code?: string }).code !== '42P01') throw this.#connectError(e);
      }
      if (version < latest) throw new TuttiError('ERR_STORE_MIGRATION', `database ${redactUrl(this.url)} has schema ${version}, this tutti needs ${latest}; run tutti migrate --database-url …`);
      if (version > latest) throw new TuttiError('ERR_STORE_MIGRATION', `database ${redactUrl(this.url)} has schema ${version}, newer than this tutti (${latest}); upgrade tutti`);
      return { pgvector };
    })();
    this.#schema.catch(() => {
      this.#schema = null;
    });
    return this.#schema;
  }

  /** A failure to reach the database as a TuttiError naming it (password redacted); other errors unchanged. */
  #connectError(e: unknown): unknown {
    const code = (e as { code?: unknown }).code;
    const connecting = typeof code === 'string' && (/^(08|28|3D)/.test(code) || ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET'].includes(code));
    if (!connecting && !(e instanceof TypeError)) return e;
    return new TuttiError('ERR_INVALID_OPTIONS', `cannot connect to PostgreSQL at ${redactUrl(this.url)}: ${errorMessage(e)}`, { cause: e });
  }

  async migrate(): Promise<void> {
    const c = await this.#p.connect().catch((e: unknown) => {
      throw this.#connectError(e);
    });
    try {
      await c.query('BEGIN');
      await c.query(`SELECT pg_advisory_xact_lock(${LOCK_NAMESPACE}, ${MIGRATION_LOCK})`);
      if (this.schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
      await c.query(`CREATE TABLE IF NOT EXISTS tutti_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
      const applied = new Set((await c.query<{ version: number }>(`SELECT version FROM tutti_migrations`)).rows.map((r) => r.version));
      const latest = Math.max(...PG_MIGRATIONS.map((m) => m.version));
      const newest = Math.max(0, ...applied);
      if (newest > latest) throw new TuttiError('ERR_STORE_MIGRATION', `database ${redactUrl(this.url)} has schema ${newest}, newer than this tutti (${latest}); upgrade tutti`);
      const pending = PG_MIGRATIONS.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
      for (const m of pending) {
        await c.query(m.sql);
        await c.query(`INSERT INTO tutti_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [m.version, m.name, Date.now()]);
      }
      if (pending.some((m) => m.version === 1)) {
        // pgvector when the server has it: vectors are then also ranked in the database.
        await c.query('SAVEPOINT pgvector');
        try {
          await c.query('CREATE EXTENSION IF NOT EXISTS vector');
          await c.query('ALTER TABLE memories ADD COLUMN IF NOT EXISTS embedding vector');
          await c.query('RELEASE SAVEPOINT pgvector');
        } catch {
          await c.query('ROLLBACK TO SAVEPOINT pgvector');
        }
      }
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw isTuttiErrorLike(e) ? e : new TuttiError('ERR_STORE_MIGRATION', `migrating ${redactUrl(this.url)} failed: ${errorMessage(e)}`, { cause: e });
    } finally {
      c.release();
    }
    this.#schema = null;
  }

  /** The connection and the migration level (for `tutti doctor`). Never throws. */
  async checkHealth(): Promise<StoreHealth> {
    const required = Math.max(...PG_MIGRATIONS.map((m) => m.version));
    const base = { kind: this.kind, location: redactUrl(this.url) };
    try {
      const [row] = await query<{ v: number | null }>(this.#p, `SELECT (SELECT max(version) FROM tutti_migrations) AS v`);
      const applied = row?.v ?? 0;
      return { ...base, ok: applied === required, detail: applied === required ? 'ok' : `schema ${applied}, this tutti needs ${required} (tutti migrate --database-url …)`, schema: { applied, required } };
    } catch (e) {
      const missing = (e as { code?: string }).code === '42P01';
      return { ...base, ok: false, detail: missing ? `no tutti schema (tutti migrate --database-url …)` : String((this.#connectError(e) as Error).message ?? e).split('\n')[0]!, schema: { applied: 0, required } };
    }
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    this.#pool = null;
    for (const l of this.#listeners) await l.stop();
    this.#listeners.clear();
    await pool.end();
  }

  /**
   * Runs `fn` in one transaction (retried on deadlock or serialization failure).
   * @param begin statements sent with BEGIN in the same round trip (no parameters).
   */
  async #txn<T>(fn: (c: pg.PoolClient, begun: Array<Array<Record<string, unknown>>>) => Promise<T>, begin?: (c: pg.PoolClient) => string | null, commitsItself = false): Promise<T> {
    await this.#ready();
    for (let attempt = 0; ; attempt++) {
      const c = await this.#p.connect();
      try {
        const first = begin?.(c) ?? null;
        let begun: Array<Array<Record<string, unknown>>> = [];
        if (first) {
          // Simple protocol: BEGIN and the first statements in one round trip.
          const results = (await c.query(`BEGIN; ${first}`)) as unknown as pg.QueryResult[];
          begun = results.slice(1).map((r) => r.rows as Array<Record<string, unknown>>);
        } else await c.query('BEGIN');
        const result = await fn(c, begun);
        if (!commitsItself) await c.query('COMMIT');
        c.release();
        return result;
      } catch (e) {
        // A connection that cannot even roll back is broken: destroy it rather than pool it.
        const rolledBack = await c.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        c.release(rolledBack ? undefined : true);
        if (attempt < this.#maxRetries && RETRYABLE.has((e as { code?: string }).code ?? '')) {
          await new Promise((r) => setTimeout(r, Math.random() * 5 * (attempt + 1)));
          continue;
        }
        throw e;
      }
    }
  }

  /** A scheduling transaction with a fresh working set, flushed (events, runs) before commit. */
  #write<T>(
    now: number,
    fn: (tx: PgTx, prefetched: Array<Array<Record<string, unknown>>>) => Promise<T>,
    options: { writer?: string; lockRuns?: readonly string[]; then?: (c: pg.PoolClient) => string } = {},
  ): Promise<{ result: T; events: EventRecord[] }> {
    const ids = [...new Set(options.lockRuns ?? [])].sort();
    // The runs known up front are locked (in id order) by a statement sent with BEGIN, and
    // `then` (a statement with inlined parameters) follows in the same round trip.
    const begin = ids.length
      ? (c: pg.PoolClient) => `SELECT ${RUN_STATE} FROM runs WHERE id IN (${ids.map((id) => c.escapeLiteral(id)).join(', ')}) ORDER BY id FOR UPDATE${options.then ? `; ${options.then(c)}` : ''}`
      : undefined;
    return this.#txn(async (c, begun) => {
      const tx = new PgTx(c, now, this.#agentCache, this.#specCache, options.writer ?? '');
      if (ids.length) tx.adoptLocked(begun[0]!.map(simpleRunRow));
      const result = await fn(tx, begun.slice(1));
      // The flush statement and COMMIT go in one round trip.
      return { result, events: await tx.flushAndCommit() };
    }, begin, true);
  }

  async #read<T>(text: string, values: unknown[] = []): Promise<T[]> {
    await this.#ready();
    return query<T>(this.#p, text, values);
  }

  // --- notifications ------------------------------------------------------------------------

  readonly #listeners = new Set<{ stop: () => Promise<void> }>();

  /**
   * Calls `onReady` when a transaction of any process made tasks ready (LISTEN on a dedicated
   * connection, re-established after a drop; notifications sent meanwhile are lost, so callers
   * keep a slow poll). @returns a function that stops listening.
   */
  async listen(onReady: (payload: { writer: string; runId: string }) => void, onError?: (e: unknown) => void): Promise<() => Promise<void>> {
    void this.#p;
    let stopped = false;
    let client: pg.Client | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const connect = async (): Promise<void> => {
      const c = new pg.Client(this.#clientConfig());
      c.on('notification', (msg) => {
        if (msg.channel !== NOTIFY_CHANNEL) return;
        let p: { w?: string; r?: string } = {};
        try {
          p = JSON.parse(msg.payload ?? '{}') as { w?: string; r?: string };
        } catch {
          // A foreign payload: still a hint that work may be ready.
        }
        onReady({ writer: p.w ?? '', runId: p.r ?? '' });
      });
      c.on('error', (e) => onError?.(e));
      c.on('end', () => {
        if (client === c) client = null;
        if (!stopped) later();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${NOTIFY_CHANNEL}`);
      } catch (e) {
        await c.end().catch(() => undefined);
        throw e;
      }
      if (stopped) await c.end().catch(() => undefined);
      else client = c;
    };
    const later = (): void => {
      if (stopped || retry) return;
      retry = setTimeout(() => {
        retry = null;
        connect().catch((e: unknown) => {
          onError?.(e);
          later();
        });
      }, 1000);
      retry.unref?.();
    };
    await connect();
    const handle = {
      stop: async () => {
        stopped = true;
        if (retry) clearTimeout(retry);
        retry = null;
        const c = client;
        client = null;
        await c?.end().catch(() => undefined);
      },
    };
    this.#listeners.add(handle);
    return async () => {
      if (!this.#listeners.delete(handle)) return;
      await handle.stop();
    };
  }

  // --- runs ---------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean; events: EventRecord[] }> {
    const { result, events } = await this.#write(run.createdAt, (tx) => createOrFind(tx, run));
    return { run: await this.#createdRun(result), created: 'created' in result && result.created, events };
  }

  async #createdRun(outcome: CreateOutcome): Promise<RunRecord> {
    if ('error' in outcome) throw new TuttiError('ERR_INVALID_INPUT', outcome.error, { details: { runId: outcome.id } });
    return (await this.getRun(outcome.id))!;
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const [row] = await this.#read<RunRow>(`SELECT * FROM runs WHERE id = $1`, [id]);
    return row ? toRun(row) : null;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const statuses = filter.status === undefined ? null : typeof filter.status === 'string' ? [filter.status] : [...filter.status];
    // Newest first by creation time; the cursor run's (created_at, id) bounds the page (a row comparison).
    const rows = await this.#read<RunRow>(
      `SELECT * FROM runs WHERE ($1::text IS NULL OR (created_at, id) < (SELECT created_at, id FROM runs WHERE id = $1)) AND ($2::text[] IS NULL OR status = ANY($2::text[])) ORDER BY created_at DESC, id DESC LIMIT $3`,
      [filter.before ?? null, statuses, Math.max(1, Math.min(filter.limit ?? 50, 10_000))],
    );
    return rows.map(toRun);
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    return (await this.#read<TaskRow>(`SELECT * FROM tasks WHERE run_id = $1 ORDER BY seq`, [runId])).map(toTask);
  }

  async getTask(runId: string, taskId: string): Promise<TaskRecord | null> {
    const [row] = await this.#read<TaskRow>(`SELECT * FROM tasks WHERE run_id = $1 AND id = $2`, [runId, taskId]);
    return row ? toTask(row) : null;
  }

  async countTasks(runId: string): Promise<Partial<Record<TaskStatus, number>>> {
    const rows = await this.#read<{ status: TaskStatus; n: number }>(`SELECT status, count(*) AS n FROM tasks WHERE run_id = $1 GROUP BY status`, [runId]);
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countTasksOfRuns(runIds: readonly string[]): Promise<Map<string, Partial<Record<TaskStatus, number>>>> {
    const ids = [...new Set(runIds)];
    const out = new Map<string, Partial<Record<TaskStatus, number>>>();
    if (!ids.length) return out;
    const known = await this.#read<{ id: string }>(`SELECT id FROM runs WHERE id = ANY($1::text[])`, [ids]);
    for (const { id } of known) out.set(id, {});
    const rows = await this.#read<{ run_id: string; status: TaskStatus; n: number }>(
      `SELECT run_id, status, count(*)::int AS n FROM tasks WHERE run_id = ANY($1::text[]) GROUP BY run_id, status`,
      [ids],
    );
    for (const r of rows) out.get(r.run_id)![r.status] = Number(r.n);
    return out;
  }

  async listAttempts(runId: string, taskId?: string): Promise<AttemptRecord[]> {
    const rows =
      taskId === undefined
        ? await this.#read<AttemptRow>(`SELECT * FROM attempts WHERE run_id = $1 ORDER BY task_seq, n`, [runId])
        : await this.#read<AttemptRow>(`SELECT * FROM attempts WHERE run_id = $1 AND task_id = $2 ORDER BY n`, [runId, taskId]);
    return rows.map(toAttempt);
  }

  async listEvents(runId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<EventRecord[]> {
    const after = options.afterSeq ?? 0;
    const limit = options.limit ?? 1_000_000;
    return eventsAfter(await this.#read<EventRow>(`SELECT * FROM events WHERE run_id = $1 AND seq + n > $2 ORDER BY seq LIMIT $3`, [runId, after, limit]), 'seq', after, limit);
  }

  async listAllEvents(options: { afterId?: number; limit?: number } = {}): Promise<EventRecord[]> {
    const after = options.afterId ?? 0;
    const limit = options.limit ?? 1000;
    return eventsAfter(await this.#read<EventRow>(`SELECT * FROM events WHERE id >= $1 AND id * ${EVENT_ID_STRIDE} + n - 1 > $2 ORDER BY id LIMIT $3`, [Math.floor(after / EVENT_ID_STRIDE), after, limit]), 'id', after, limit);
  }

  async cancelRun(id: string, now: number, reason: string): Promise<CancelResult> {
    const { result, events } = await this.#write(now, async (tx) => {
      const run = await tx.run(id);
      if (!run) return { changed: false, running: [] as AttemptRecord[] };
      if (isTerminalRunStatus(run.status)) return { changed: false, running: [] };
      await endRun(tx, run, 'cancelled', reason);
      return { changed: true, running: await runningAttempts(tx, id) };
    });
    return { run: await this.getRun(id), changed: result.changed, events, running: result.running };
  }

  async decideApproval(decision: ApprovalDecision): Promise<ApprovalOutcome> {
    const { result, events } = await this.#write(decision.now, (tx) => decideTx(tx, decision));
    return { run: (await this.getRun(decision.runId))!, taskId: result.taskId, events, stopAttempts: result.stopAttempts };
  }

  async addTasks(runId: string, tasks: PlannedTask[], now: number): Promise<{ run: RunRecord; events: EventRecord[] }> {
    const { events } = await this.#write(now, (tx) => addTasksTx(tx, runId, tasks));
    return { run: (await this.getRun(runId))!, events };
  }

  async expireRuns(now: number): Promise<EventRecord[]> {
    return (await this.#write(now, (tx) => expireTx(tx))).events;
  }

  // --- scheduling ---------------------------------------------------------------------------

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const random = req.random ?? Math.random;
    // One successful finish and nothing else to do first (no new runs, no pids): the chain step.
    const single = req.finishes?.length === 1 && req.finishes[0]!.status === 'succeeded' && !req.newRuns?.length && !req.processes?.length;
    // ...and a claim over every run: its first page is read in the same round trip.
    const withPage = single && req.limit > 0 && req.runIds === undefined;
    const { result, events } = await this.#write(
      req.now,
      async (tx, prefetched) => {
        const creates: CreateOutcome[] = [];
        for (const r of req.newRuns ?? []) creates.push(await createOrFind(tx, r));
        const procs = req.processes ?? [];
        if (procs.length) {
          await tx.q(
            `UPDATE attempts a SET pid = u.pid FROM unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::int[]) AS u(run_id, task_id, n, token, pid), tasks t
             WHERE t.run_id = u.run_id AND t.id = u.task_id AND a.run_id = u.run_id AND a.task_seq = t.seq AND a.n = u.n AND a.token = u.token AND a.status = 'running'`,
            [procs.map((p) => p.ref.runId), procs.map((p) => p.ref.taskId), procs.map((p) => p.ref.n), procs.map((p) => p.token), procs.map((p) => p.pid)],
          );
        }
        const finishes = req.finishes ?? [];
        const finished: FinishOutcome[] = [];
        if (single) {
          // A chain step: the finish, then the agents and the first page, came with BEGIN and the run lock.
          finished.push(await finishTx(tx, finishes[0]!, random, { row: prefetched[0]?.[0] as FinishRow | undefined }));
          const prep = withPage ? (prefetched[1]?.[0] as ClaimPrep | undefined) : undefined;
          const started = req.limit > 0 ? await claimTx(tx, req, prep) : [];
          return { creates, finished, started };
        }
        // Consecutive successes of runs still going are applied in one statement.
        for (let i = 0; i < finishes.length; ) {
          let j = i;
          while (j < finishes.length && finishes[j]!.status === 'succeeded') {
            const run = await tx.run(finishes[j]!.ref.runId);
            if (!run || isTerminalRunStatus(run.status)) break;
            j++;
          }
          if (j - i >= 2) {
            finished.push(...(await finishManySucceeded(tx, finishes.slice(i, j))));
            i = j;
          } else finished.push(await finishTx(tx, finishes[i++]!, random));
        }
        const started = req.limit > 0 ? await claimTx(tx, req) : [];
        return { creates, finished, started };
      },
      // Runs of the finishes locked in id order: two workers finishing in the same runs cannot deadlock.
      {
        writer: req.workerId,
        lockRuns: (req.finishes ?? []).map((f) => f.ref.runId),
        ...(single
          ? { then: (c: pg.PoolClient) => finishSucceedInline(c, req.finishes![0]!, req.now) + (withPage ? `; ${prepareInline(c, req.now, req.limit, req.finishes![0]!.ref.runId)}` : '') }
          : {}),
      },
    );
    const out: ClaimResult = { started: result.started, finished: result.finished, events };
    if (req.newRuns) {
      out.created = [];
      for (const c of result.creates) {
        try {
          out.created.push({ run: await this.#createdRun(c), created: 'created' in c && c.created });
        } catch (error) {
          out.created.push({ error: error as TuttiError });
        }
      }
    }
    return out;
  }

  async listRunningAttempts(runIds?: readonly string[]): Promise<AttemptRecord[]> {
    if (runIds === undefined) return (await this.#read<AttemptRow>(`SELECT * FROM attempts WHERE status = 'running' ORDER BY run_id, task_seq, n`)).map(toAttempt);
    if (runIds.length === 0) return [];
    const rows = await this.#read<AttemptRow>(`SELECT * FROM attempts WHERE status = 'running' AND run_id = ANY($1::text[]) ORDER BY task_seq, n`, [runIds]);
    const order = new Map(runIds.map((id, i) => [id, i]));
    return rows.map(toAttempt).sort((a, b) => order.get(a.runId)! - order.get(b.runId)!);
  }

  async heartbeat(workerId: string, now: number): Promise<boolean> {
    return (await this.#read(`UPDATE workers SET heartbeat_at = $1 WHERE id = $2 RETURNING 1`, [now, workerId])).length > 0;
  }

  async setAttemptProcess(ref: AttemptRef, token: number, pid: number): Promise<void> {
    const rows = await this.#read(
      `UPDATE attempts SET pid = $1 WHERE run_id = $2 AND task_seq = (SELECT seq FROM tasks WHERE run_id = $2 AND id = $3) AND n = $4 AND token = $5 AND status = 'running' RETURNING 1`,
      [pid, ref.runId, ref.taskId, ref.n, token],
    );
    if (rows.length === 0) throw new StaleLeaseError(`attempt ${ref.runId}/${ref.taskId}/${ref.n} is no longer held with token ${token}`, { ...ref, token });
  }

  async unblockTasks(now: number): Promise<EventRecord[]> {
    return (await this.#write(now, (tx) => unblockTx(tx))).events;
  }

  async nextReadyAt(now: number, runIds?: readonly string[]): Promise<number | null> {
    if (runIds !== undefined && runIds.length === 0) return null;
    const [row] = await this.#read<{ t: number | null }>(`SELECT min(ready_at) AS t FROM tasks WHERE status = 'ready' AND ready_at > $1 AND ($2::text[] IS NULL OR run_id = ANY($2::text[]))`, [
      now,
      runIds ?? null,
    ]);
    return row?.t ?? null;
  }

  async runStatuses(ids: readonly string[]): Promise<Map<string, RunStatus>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#read<{ id: string; status: RunStatus }>(`SELECT id, status FROM runs WHERE id = ANY($1::text[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r.status]));
  }

  // --- workers ------------------------------------------------------------------------------

  async registerWorker(w: WorkerRecord): Promise<void> {
    await this.#read(
      `INSERT INTO workers (id, host, pid, lease_ms, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, lease_ms = excluded.lease_ms`,
      [w.id, w.host, w.pid, w.leaseMs, w.startedAt, w.heartbeatAt],
    );
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (await this.#read<WorkerRow>(`SELECT * FROM workers ORDER BY started_at, id`)).map(toWorker);
  }

  async removeWorker(id: string): Promise<void> {
    await this.#read(`DELETE FROM workers WHERE id = $1`, [id]);
  }

  // --- agents -------------------------------------------------------------------------------

  async upsertAgents(agents: readonly AgentUpsert[], now: number): Promise<void> {
    await this.#txn(async (c) => {
      for (const a of agents) {
        await query(
          c,
          `INSERT INTO agents (id, name, type, driver, capabilities, max_concurrency, priority, status, config, run_id, created_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10, $10)
           ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type, driver = excluded.driver, capabilities = excluded.capabilities,
             max_concurrency = excluded.max_concurrency, priority = excluded.priority, status = excluded.status, config = excluded.config,
             run_id = excluded.run_id, updated_at = excluded.updated_at, version = agents.version + 1`,
          [a.id, a.name, a.type, a.driver, JSON.stringify(a.capabilities), a.maxConcurrency, a.priority, a.status, JSON.stringify(a.config), now, a.runId ?? null],
        );
      }
    });
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (await this.#read<AgentRow>(`SELECT a.*, ${RUNNING_OF_AGENT} AS running FROM agents a ORDER BY a.id`)).map(toAgent);
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const [row] = await this.#read<AgentRow>(`SELECT a.*, ${RUNNING_OF_AGENT} AS running FROM agents a WHERE a.id = $1`, [id]);
    return row ? toAgent(row) : null;
  }

  async setAgentStatus(id: string, status: AgentStatus, now: number): Promise<AgentRecord | null> {
    await this.#read(`UPDATE agents SET status = $1, updated_at = $2, version = version + 1 WHERE id = $3`, [status, now, id]);
    return this.getAgent(id);
  }

  async removeAgent(id: string): Promise<boolean> {
    return (await this.#read(`DELETE FROM agents WHERE id = $1 RETURNING 1`, [id])).length > 0;
  }

  async pruneRunAgents(): Promise<number> {
    const rows = await this.#read(
      `DELETE FROM agents a WHERE a.run_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM attempts t WHERE t.agent_id = a.id AND t.status = 'running')
         AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.id = a.run_id AND r.status IN ('queued', 'running', 'awaiting_approval')) RETURNING 1`,
    );
    return rows.length;
  }

  // --- coordination: merge queue and quota ledger (see coordination.ts) ----------------------

  async enqueueMerge(merge: NewMerge): Promise<{ entry: MergeEntry; events: EventRecord[] }> {
    const { result, events } = await this.#write(merge.now, (tx) => coordination.enqueueMergeTx(tx, merge));
    return { entry: result, events };
  }

  async acquireMerge(id: number, now: number): Promise<MergeTurn> {
    const { result, events } = await this.#write(now, (tx) => coordination.acquireMergeTx(tx, id));
    return { ...result, events };
  }

  async finishMerge(id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }, now: number): Promise<{ entry: MergeEntry; events: EventRecord[] }> {
    const { result, events } = await this.#write(now, (tx) => coordination.finishMergeTx(tx, id, end));
    return { entry: result, events };
  }

  async listMerges(filter?: MergeFilter): Promise<MergeEntry[]> {
    await this.#ready();
    return coordination.listMerges(this.#p, filter);
  }

  async listQuotas(): Promise<QuotaRecord[]> {
    await this.#ready();
    return coordination.listQuotas(this.#p);
  }

  async recordQuota(record: QuotaRecord): Promise<void> {
    await this.#ready();
    await coordination.recordQuota(this.#p, record);
  }

  async clearQuota(cli: string, account: string): Promise<boolean> {
    await this.#ready();
    return coordination.clearQuota(this.#p, cli, account);
  }

  async stats(): Promise<StoreStats> {
    const [runs, tasks, blocked, ready, templates, decisions] = await Promise.all([
      this.#read<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM runs GROUP BY status`),
      this.#read<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM tasks GROUP BY status`),
      this.#read<{ reason: string | null; n: number }>(`SELECT (blocked_reason::json ->> 'kind') AS reason, count(*) AS n FROM tasks WHERE status = 'blocked' GROUP BY reason`),
      this.#read<{ n: number }>(`SELECT count(*) AS n FROM tasks WHERE status = 'ready'`),
      this.#read<{ template: string; status: RunStatus; n: number }>(
        `SELECT (metadata::json ->> 'template') AS template, status, count(*) AS n FROM runs WHERE (metadata::json ->> 'template') IS NOT NULL GROUP BY 1, status`,
      ),
      this.#read<{ status: string; n: number }>(`SELECT status, count(*) AS n FROM attempts WHERE agent_id = 'human' GROUP BY status`),
    ]);
    return {
      runsByStatus: Object.fromEntries(runs.map((r) => [r.status, r.n])),
      tasksByStatus: Object.fromEntries(tasks.map((r) => [r.status, r.n])),
      blockedByReason: Object.fromEntries(blocked.map((r) => [r.reason ?? 'unknown', r.n])),
      readyTasks: ready[0]?.n ?? 0,
      runsByTemplate: byTemplate(templates),
      decisions: decisionCounts(decisions),
    };
  }

  // --- state --------------------------------------------------------------------------------

  async applyState(runId: string, ops: readonly StateOp[], now: number, guard?: StateLockGuard): Promise<Array<StateEntry | null>> {
    return this.#txn((c) => state.applyState(c, runId, ops, now, guard));
  }

  async getState(runId: string, key: string, owner: string, now: number): Promise<StateEntry | null> {
    await this.#ready();
    return state.getState(this.#p, runId, key, owner, now);
  }

  async listState(runId: string, now: number, filter?: StateListFilter): Promise<StateEntry[]> {
    await this.#ready();
    return state.listState(this.#p, runId, now, filter);
  }

  async deleteExpiredState(now: number, runId?: string): Promise<number> {
    await this.#ready();
    return state.deleteExpiredState(this.#p, now, runId);
  }

  async clearState(runId: string): Promise<number> {
    return this.#txn((c) => state.clearState(c, runId));
  }

  async acquireStateLock(runId: string, name: string, owner: string, ttlMs: number, now: number): Promise<StateLock | null> {
    return this.#txn((c) => state.acquireStateLock(c, runId, name, owner, ttlMs, now));
  }

  async releaseStateLock(runId: string, name: string, owner: string, now: number): Promise<boolean> {
    await this.#ready();
    return state.releaseStateLock(this.#p, runId, name, owner, now);
  }

  async getStateLock(runId: string, name: string, now: number): Promise<StateLock | null> {
    await this.#ready();
    return state.getStateLock(this.#p, runId, name, now);
  }

  // --- memory -------------------------------------------------------------------------------

  async addMemories(items: readonly NewMemory[]): Promise<MemoryWriteResult[]> {
    const { pgvector } = await this.#ready();
    return this.#txn((c) => memory.addMemories(c, items, pgvector));
  }

  async getMemories(ids: readonly string[]): Promise<MemoryRecord[]> {
    await this.#ready();
    return memory.getMemories(this.#p, ids);
  }

  async listMemories(filter?: MemoryListFilter): Promise<MemoryRecord[]> {
    await this.#ready();
    return memory.listMemories(this.#p, filter);
  }

  async deleteMemories(target: { runId: string } | { ids: readonly string[] }): Promise<number> {
    await this.#ready();
    return memory.deleteMemories(this.#p, target);
  }

  async searchMemoryText(scope: MemoryScope, q: string, limit: number): Promise<MemoryHit[]> {
    await this.#ready();
    return memory.searchMemoryText(this.#p, scope, q, limit);
  }

  async searchMemoryVectors(scope: MemoryScope, model: string, vector: Float32Array, limit: number): Promise<MemoryHit[]> {
    const { pgvector } = await this.#ready();
    return memory.searchMemoryVectors(this.#p, scope, model, vector, limit, pgvector);
  }

  async memoryModels(): Promise<MemoryModelInfo[]> {
    await this.#ready();
    return memory.memoryModels(this.#p);
  }

  // --- logs ---------------------------------------------------------------------------------

  async appendLogs(entries: Parameters<typeof logs.appendLogs>[1]): Promise<number> {
    return this.#txn((c) => logs.appendLogs(c, entries));
  }

  async queryLogs(q?: Parameters<typeof logs.queryLogs>[1]): ReturnType<typeof logs.queryLogs> {
    await this.#ready();
    return logs.queryLogs(this.#p, q);
  }

  async countLogs(filter?: Parameters<typeof logs.countLogs>[1]): ReturnType<typeof logs.countLogs> {
    await this.#ready();
    return logs.countLogs(this.#p, filter);
  }

  async pruneLogs(retention: Parameters<typeof logs.pruneLogs>[1]): Promise<number> {
    return this.#txn((c) => logs.pruneLogs(c, retention));
  }

  /** Search is exact (in process, or pgvector): no index to maintain. */
  async maintainMemoryIndex(): Promise<void> {
    await this.#ready();
  }
}

/** A run row read by the simple protocol (every value is text). */
function simpleRunRow(r: Record<string, unknown>): RunStateRow {
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    id: r.id as string,
    status: r.status as RunStateRow['status'],
    priority: Number(r.priority),
    max_concurrency: num(r.max_concurrency),
    started_at: num(r.started_at),
    finished_at: num(r.finished_at),
    error: (r.error as string | null) ?? null,
    tasks_total: Number(r.tasks_total),
    tasks_finished: Number(r.tasks_finished),
    tasks_failed: Number(r.tasks_failed),
    running: Number(r.running),
    last_seq: Number(r.last_seq),
    work_dir: (r.work_dir as string | null) ?? null,
    approval_ttl_ms: num(r.approval_ttl_ms),
    expires_at: num(r.expires_at),
  };
}

const RUNNING_OF_AGENT = `(SELECT count(*) FROM attempts t WHERE t.agent_id = a.id AND t.status = 'running')`;

function isTuttiErrorLike(e: unknown): e is TuttiError {
  return e instanceof TuttiError;
}
