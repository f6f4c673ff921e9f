/**
 * The embedded default store: one SQLite file (WAL), through better-sqlite3 under Node and
 * bun:sqlite under Bun (`driver.ts`). Every state change is one
 * `BEGIN IMMEDIATE` transaction, so several processes may share the file (one writer at a time,
 * readers never blocked).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase, type SqliteDatabase, type SqliteStatement, type SqliteTransaction } from './driver.js';
import { byTemplate, decisionCounts } from '../stats.js';
import type { AgentRecord, AgentStatus } from '../../agents/types.js';
import type { TaskSpec } from '../../core/plan/schema.js';
import { StaleLeaseError, TuttiError } from '../../core/errors.js';
import type { AttemptRecord, AttemptRef, EventRecord, RunRecord, RunStatus, TaskRecord, TaskStatus } from '../../core/model.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type {
  AgentUpsert,
  ApprovalDecision,
  ApprovalOutcome,
  CancelResult,
  ClaimRequest,
  ClaimResult,
  LogCounts,
  LogEntry,
  LogFilter,
  LogQuery,
  LogRetention,
  NewLogEntry,
  NewRun,
  RunFilter,
  Store,
  StoreStats,
  WorkerRecord,
} from '../types.js';
import { guardSqliteMethods, sqliteFault, type StoreHealth } from '../health.js';
import { MIGRATIONS, type Migration } from './migrations.js';
import { attemptFromRaw, EVENT_ID_STRIDE, taskFromRaw, toAgent, toAttempt, eventsAfter, toRun, toTask, toWorker, type AgentRow, type AttemptRow, type EventRow, type RunRow, type TaskRow, type WorkerRow } from './rows.js';
import { prepareStatements, type Statements } from './statements.js';
import { claimTx } from './claim.js';
import { addTasksTx, createOrFind, type CreateOutcome } from './create.js';
import type { PlannedTask } from '../../core/plan/validate.js';
import { decideTx, expireTx } from './approvals.js';
import { endRun, finishTx, runningAttempts, unblockTx } from './transitions.js';
import { Tx } from './tx.js';
import type { MemoryHit, MemoryListFilter, MemoryModelInfo, MemoryRecord, MemoryScope, MemoryWriteResult, NewMemory } from '../memory-types.js';
import type { StateEntry, StateListFilter, StateLock, StateLockGuard, StateOp } from '../state-types.js';
import * as memory from './memory.js';
import { maintainIndex } from './memory-index.js';
import * as state from './state.js';
import * as logs from './logs.js';
import * as coordination from './coordination.js';
import type { MergeEnd, MergeEntry, MergeFilter, MergeTurn, NewMerge, QuotaRecord } from '../coordination-types.js';

export interface SqliteStoreOptions {
  /** Database file, or `:memory:`. Parent directories are created. */
  path: string;
  /**
   * `NORMAL` survives a process crash (the default); `FULL` also survives power loss, at about a
   * third of the commit rate.
   * @default 'NORMAL'
   */
  synchronous?: 'NORMAL' | 'FULL';
  /** How long a writer waits for another process's write lock, ms. @default 10000 */
  busyTimeoutMs?: number;
  /** Open without applying migrations (then call `migrate()`). @default false */
  skipMigrations?: boolean;
}

/** Opens (creating if needed) a SQLite store and applies pending migrations. */
export function openSqliteStore(options: SqliteStoreOptions | string): SqliteStore {
  return new SqliteStore(typeof options === 'string' ? { path: options } : options);
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite';
  readonly path: string;
  #db: SqliteDatabase | null = null;
  #s: Statements | null = null;
  readonly #listRunsCache = new Map<string, SqliteStatement>();
  readonly #agentCache = new Map<string, { version: number; agent: AgentRecord }>();
  readonly #specCache = new Map<string, TaskSpec>();

  /** The first damaged-database error (`ERR_STORE_CORRUPT`) a call met: the store is then unhealthy (`/readyz` answers 503); null while none. */
  fault: TuttiError | null = null;

  /**
   * @throws TuttiError `ERR_STORE_CORRUPT` (damaged, or not a database), `ERR_STORE_UNREADABLE`
   *   (permissions, I/O), `ERR_STORE_MIGRATION` — one line naming the file.
   */
  constructor(options: SqliteStoreOptions) {
    this.path = options.path;
    try {
      this.#db = this.#open(options);
    } catch (e) {
      try {
        this.#db?.close();
      } catch {
        // closing a handle that failed to open
      }
      this.#db = null;
      throw sqliteFault(e, options.path) ?? e;
    }
    // Damage is sticky (the file stays damaged); an I/O error or a full disk may pass, so it is not.
    guardSqliteMethods(this, this.path, (f) => {
      if (f.code === 'ERR_STORE_CORRUPT') this.fault ??= f;
    });
  }

  #open(options: SqliteStoreOptions): SqliteDatabase {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    const db = openDatabase(options.path, { timeoutMs: options.busyTimeoutMs ?? 10_000 });
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous ?? 'NORMAL'}`);
    // Checkpoint less often than the default 1000 pages: each checkpoint syncs the database file.
    db.pragma('wal_autocheckpoint = 4000');
    db.pragma('journal_size_limit = 67108864');
    db.pragma('foreign_keys = OFF');
    db.pragma('temp_store = MEMORY');
    db.pragma('cache_size = -32000');
    // Reads (memory vector scans above all) go through the OS page cache instead of copies into
    // SQLite's: mapped, not allocated, so it costs address space only. 256 MiB.
    if (options.path !== ':memory:') db.pragma('mmap_size = 268435456');
    if (!options.skipMigrations) this.#migrateSync();
    return db;
  }

  /** `PRAGMA quick_check` (every page and index, in O(size)) and the schema level. Never throws. */
  async checkHealth(): Promise<StoreHealth> {
    const required = Math.max(...MIGRATIONS.map((m) => m.version));
    const base = { kind: this.kind, location: this.path };
    try {
      const db = this.#database;
      const found = db.pragma('quick_check(20)', { simple: false }) as Array<{ quick_check: string }>;
      const problems = found.map((r) => r.quick_check).filter((r) => r !== 'ok');
      const hasTable = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'tutti_migrations'`).get() !== undefined;
      const applied = hasTable ? ((db.prepare(`SELECT max(version) FROM tutti_migrations`).pluck().get() as number | null) ?? 0) : 0;
      // Behind is fine (migrations apply on the next open); ahead means an older tutti reads a newer store.
      const detail = problems.length
        ? `quick_check: ${problems.join('; ').slice(0, 500)}`
        : applied > required
          ? `schema ${applied} is newer than this tutti (${required}): upgrade tutti`
          : applied < required
            ? `ok; schema ${applied}, migrations to ${required} apply on next use (or tutti migrate)`
            : 'ok';
      return { ...base, ok: problems.length === 0 && applied <= required, detail, schema: { applied, required } };
    } catch (e) {
      const fault = sqliteFault(e, this.path);
      return { ...base, ok: false, detail: (fault ?? (e as Error)).message.split('\n')[0]!, schema: { applied: 0, required } };
    }
  }

  /**
   * Writes a consistent copy of the live database to `destination` with SQLite's online backup
   * (writers may go on meanwhile; the copy is one point in time, WAL content included).
   * @returns the pages copied. @throws TuttiError `ERR_STORE_UNREADABLE` when the destination cannot be written.
   */
  async backup(destination: string): Promise<{ pages: number }> {
    try {
      const r = await this.#database.backup(destination);
      return { pages: r.totalPages };
    } catch (e) {
      throw sqliteFault(e, destination) ?? e;
    }
  }

  get #database(): SqliteDatabase {
    if (!this.#db) throw new TuttiError('ERR_STORE_CLOSED', 'the store is closed');
    return this.#db;
  }

  get #stmts(): Statements {
    if (!this.#s) {
      const db = this.#database;
      const pending = this.#pendingMigrations(db);
      if (pending.length) {
        throw new TuttiError('ERR_STORE_MIGRATION', `database ${this.path} lacks migration ${pending.map((m) => m.version).join(', ')}; run tutti migrate`);
      }
      this.#s = prepareStatements(db);
    }
    return this.#s;
  }

  /** Migrations not yet applied to this database, in order. @throws TuttiError `ERR_STORE_MIGRATION` when the database is newer than this code. */
  #pendingMigrations(db: SqliteDatabase): Migration[] {
    db.exec(`CREATE TABLE IF NOT EXISTS tutti_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set(db.prepare(`SELECT version FROM tutti_migrations`).pluck().all() as number[]);
    const latest = Math.max(...MIGRATIONS.map((m) => m.version));
    const newest = Math.max(0, ...applied);
    if (newest > latest) throw new TuttiError('ERR_STORE_MIGRATION', `database ${this.path} has schema ${newest}, newer than this tutti (${latest}); upgrade tutti`);
    return MIGRATIONS.filter((m) => !applied.has(m.version)).sort((a, b) => a.version - b.version);
  }

  #migrateSync(): void {
    const db = this.#database;
    const apply = db.transaction(() => {
      for (const m of this.#pendingMigrations(db)) {
        db.exec(m.sql);
        db.prepare(`INSERT INTO tutti_migrations (version, name, applied_at) VALUES (?, ?, ?)`).run(m.version, m.name, Date.now());
      }
    });
    apply.immediate();
  }

  async migrate(): Promise<void> {
    this.#migrateSync();
  }

  async close(): Promise<void> {
    if (!this.#db) return;
    this.#db.close();
    this.#db = null;
    this.#s = null;
    this.#txFn = null;
  }

  #txFn: SqliteTransaction<(fn: () => unknown) => unknown> | null = null;

  /** Runs `fn` in one immediate write transaction with a fresh working set, flushed before commit. */
  #write<T>(now: number, fn: (tx: Tx) => T): { result: T; events: EventRecord[] } {
    const s = this.#stmts;
    this.#txFn ??= this.#database.transaction((body: () => unknown) => body());
    return this.#txFn.immediate(() => {
      const tx = new Tx(s, now, this.#agentCache, this.#specCache);
      const result = fn(tx);
      return { result, events: tx.flush() };
    }) as { result: T; events: EventRecord[] };
  }

  // --- runs ---------------------------------------------------------------------------------

  async createRun(run: NewRun): Promise<{ run: RunRecord; created: boolean; events: EventRecord[] }> {
    const { result, events } = this.#write(run.createdAt, (tx) => createOrFind(tx, run));
    return { run: this.#createdRun(result), created: 'created' in result && result.created, events };
  }

  /** The run a create produced or found. @throws TuttiError `ERR_INVALID_INPUT` when the id was taken. */
  #createdRun(outcome: CreateOutcome): RunRecord {
    if ('error' in outcome) throw new TuttiError('ERR_INVALID_INPUT', outcome.error, { details: { runId: outcome.id } });
    return toRun(this.#stmts.runById.get(outcome.id) as RunRow);
  }

  async getRun(id: string): Promise<RunRecord | null> {
    const row = this.#stmts.runById.get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const statuses = filter.status === undefined ? [] : typeof filter.status === 'string' ? [filter.status] : [...filter.status];
    const key = `${filter.before === undefined ? '' : 'before:'}${statuses.join(',')}`;
    void this.#stmts; // checks the schema version first
    let stmt = this.#listRunsCache.get(key);
    if (!stmt) {
      // Newest first by creation time; the cursor run's (created_at, id) bounds the page (a row-value comparison).
      const conditions = [
        ...(filter.before === undefined ? [] : ['(created_at, id) < (SELECT created_at, id FROM runs WHERE id = ?)']),
        ...(statuses.length ? [`status IN (${statuses.map(() => '?').join(', ')})`] : []),
      ];
      stmt = this.#database.prepare(`SELECT * FROM runs ${conditions.length ? `WHERE ${conditions.join(' AND ')}` : ''} ORDER BY created_at DESC, id DESC LIMIT ?`);
      this.#listRunsCache.set(key, stmt);
    }
    const args = [...(filter.before === undefined ? [] : [filter.before]), ...statuses, Math.max(1, Math.min(filter.limit ?? 50, 10_000))];
    return (stmt.all(...args) as RunRow[]).map(toRun);
  }

  async listTasks(runId: string): Promise<TaskRecord[]> {
    return (this.#stmts.tasksOfRun.raw(true).all(runId) as unknown[][]).map(taskFromRaw);
  }

  async getTask(runId: string, taskId: string): Promise<TaskRecord | null> {
    const row = this.#stmts.taskById.get(runId, taskId) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  async countTasks(runId: string): Promise<Partial<Record<TaskStatus, number>>> {
    const rows = this.#stmts.taskCounts.all(runId) as Array<{ status: TaskStatus; n: number }>;
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countTasksOfRuns(runIds: readonly string[]): Promise<Map<string, Partial<Record<TaskStatus, number>>>> {
    const out = new Map<string, Partial<Record<TaskStatus, number>>>();
    const exists = this.#stmts.runById;
    for (const id of new Set(runIds)) if (exists.get(id) !== undefined) out.set(id, await this.countTasks(id));
    return out;
  }

  async listAttempts(runId: string, taskId?: string): Promise<AttemptRecord[]> {
    const s = this.#stmts;
    const rows = (taskId === undefined ? s.attemptsOfRun.raw(true).all(runId) : s.attemptsOfTask.raw(true).all(runId, runId, taskId)) as unknown[][];
    return rows.map(attemptFromRaw);
  }

  async listEvents(runId: string, options: { afterSeq?: number; limit?: number } = {}): Promise<EventRecord[]> {
    const after = options.afterSeq ?? 0;
    const limit = options.limit ?? 1_000_000;
    return eventsAfter(this.#stmts.eventsOfRun.iterate(runId, after, limit) as Iterable<EventRow>, 'seq', after, limit);
  }

  async listAllEvents(options: { afterId?: number; limit?: number } = {}): Promise<EventRecord[]> {
    const after = options.afterId ?? 0;
    const limit = options.limit ?? 1000;
    return eventsAfter(this.#stmts.eventsAll.iterate(Math.floor(after / EVENT_ID_STRIDE), after, limit) as Iterable<EventRow>, 'id', after, limit);
  }

  async cancelRun(id: string, now: number, reason: string): Promise<CancelResult> {
    const s = this.#stmts;
    const { result, events } = this.#write(now, (tx) => {
      const run = tx.run(id);
      if (!run) return { found: false, changed: false, running: [] as AttemptRecord[] };
      if (isTerminalRunStatus(run.status)) return { found: true, changed: false, running: [] };
      endRun(tx, run, 'cancelled', reason);
      return { found: true, changed: true, running: runningAttempts(tx, id) };
    });
    const row = s.runById.get(id) as RunRow | undefined;
    return { run: row ? toRun(row) : null, changed: result.changed, events, running: result.running };
  }

  async decideApproval(decision: ApprovalDecision): Promise<ApprovalOutcome> {
    const { result, events } = this.#write(decision.now, (tx) => decideTx(tx, decision));
    const run = toRun(this.#stmts.runById.get(decision.runId) as RunRow);
    return { run, taskId: result.taskId, events, stopAttempts: result.stopAttempts };
  }

  async addTasks(runId: string, tasks: PlannedTask[], now: number): Promise<{ run: RunRecord; events: EventRecord[] }> {
    const { events } = this.#write(now, (tx) => addTasksTx(tx, runId, tasks));
    return { run: toRun(this.#stmts.runById.get(runId) as RunRow), events };
  }

  async expireRuns(now: number): Promise<EventRecord[]> {
    return this.#write(now, (tx) => expireTx(tx)).events;
  }

  // --- scheduling ---------------------------------------------------------------------------

  async claim(req: ClaimRequest): Promise<ClaimResult> {
    const random = req.random ?? Math.random;
    const { result, events } = this.#write(req.now, (tx) => {
      tx.deferReady = true;
      const creates = (req.newRuns ?? []).map((r) => createOrFind(tx, r));
      for (const p of req.processes ?? []) tx.s.setPid.run({ pid: p.pid, run_id: p.ref.runId, task_id: p.ref.taskId, n: p.ref.n, token: p.token });
      const finished = (req.finishes ?? []).map((f) => finishTx(tx, f, random));
      const started = req.limit > 0 ? claimTx(tx, req) : [];
      return { creates, finished, started };
    });
    const out: ClaimResult = { started: result.started, finished: result.finished, events };
    if (req.newRuns) {
      out.created = result.creates.map((c) => {
        try {
          return { run: this.#createdRun(c), created: 'created' in c && c.created };
        } catch (error) {
          return { error: error as TuttiError };
        }
      });
    }
    return out;
  }

  async listRunningAttempts(runIds?: readonly string[]): Promise<AttemptRecord[]> {
    const s = this.#stmts;
    const ids = runIds ?? (s.runsWithRunning.pluck().all() as string[]);
    return ids.flatMap((id) => (s.runningOfRun.all(id) as AttemptRow[]).map(toAttempt));
  }

  async heartbeat(workerId: string, now: number): Promise<boolean> {
    return this.#stmts.workerBeat.run(now, workerId).changes > 0;
  }

  async setAttemptProcess(ref: AttemptRef, token: number, pid: number): Promise<void> {
    const changes = this.#stmts.setPid.run({ pid, run_id: ref.runId, task_id: ref.taskId, n: ref.n, token }).changes;
    if (changes === 0) throw new StaleLeaseError(`attempt ${ref.runId}/${ref.taskId}/${ref.n} is no longer held with token ${token}`, { ...ref, token });
  }

  async unblockTasks(now: number): Promise<EventRecord[]> {
    return this.#write(now, (tx) => unblockTx(tx)).events;
  }

  async nextReadyAt(now: number, runIds?: readonly string[]): Promise<number | null> {
    const s = this.#stmts;
    const times = runIds ? runIds.map((id) => (s.nextReadyOfRun.get(id, now) as { t: number | null }).t) : [(s.nextReadyAll.get(now) as { t: number | null }).t];
    const valid = times.filter((t): t is number => t !== null);
    return valid.length ? Math.min(...valid) : null;
  }

  async runStatuses(ids: readonly string[]): Promise<Map<string, RunStatus>> {
    const s = this.#stmts;
    const out = new Map<string, RunStatus>();
    for (const id of ids) {
      const status = s.runStatus.pluck().get(id) as RunStatus | undefined;
      if (status) out.set(id, status);
    }
    return out;
  }

  // --- workers ------------------------------------------------------------------------------

  async registerWorker(worker: WorkerRecord): Promise<void> {
    this.#stmts.upsertWorker.run(worker);
  }

  async listWorkers(): Promise<WorkerRecord[]> {
    return (this.#stmts.allWorkers.all() as WorkerRow[]).map(toWorker);
  }

  async removeWorker(id: string): Promise<void> {
    this.#stmts.deleteWorker.run(id);
  }

  // --- agents -------------------------------------------------------------------------------

  async upsertAgents(agents: readonly AgentUpsert[], now: number): Promise<void> {
    const s = this.#stmts;
    this.#database
      .transaction(() => {
        for (const a of agents) {
          s.upsertAgent.run({
            id: a.id,
            name: a.name,
            type: a.type,
            driver: a.driver,
            capabilities: JSON.stringify(a.capabilities),
            max_concurrency: a.maxConcurrency,
            priority: a.priority,
            status: a.status,
            config: JSON.stringify(a.config),
            run_id: a.runId ?? null,
            now,
          });
        }
      })
      .immediate();
  }

  async listAgents(): Promise<AgentRecord[]> {
    return (this.#stmts.allAgents.all() as AgentRow[]).map(toAgent);
  }

  async getAgent(id: string): Promise<AgentRecord | null> {
    const row = this.#stmts.agentById.get(id) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async setAgentStatus(id: string, status: AgentStatus, now: number): Promise<AgentRecord | null> {
    const s = this.#stmts;
    s.agentStatus.run(status, now, id);
    const row = s.agentById.get(id) as AgentRow | undefined;
    return row ? toAgent(row) : null;
  }

  async removeAgent(id: string): Promise<boolean> {
    return this.#stmts.deleteAgent.run(id).changes > 0;
  }

  async pruneRunAgents(): Promise<number> {
    return this.#stmts.pruneRunAgents.run().changes;
  }

  async stats(): Promise<StoreStats> {
    const s = this.#stmts;
    const group = (rows: Array<{ status?: string; reason?: string; n: number }>, key: 'status' | 'reason') =>
      Object.fromEntries(rows.map((r) => [r[key] ?? 'unknown', r.n]));
    return {
      runsByStatus: group(s.runsByStatus.all() as Array<{ status: string; n: number }>, 'status'),
      tasksByStatus: group(s.tasksByStatus.all() as Array<{ status: string; n: number }>, 'status'),
      blockedByReason: group(s.blockedByReason.all() as Array<{ reason: string; n: number }>, 'reason'),
      readyTasks: (s.readyCount.get() as { n: number }).n,
      runsByTemplate: byTemplate(s.runsByTemplate.all() as Array<{ template: unknown; status: RunStatus; n: number }>),
      decisions: decisionCounts(s.decisionsByStatus.all() as Array<{ status: string; n: number }>),
    };
  }

  // --- state and memory (memory plane; see state.ts, memory.ts, memory-index.ts) -----------
  // The schema check of #stmts runs first, so a database lacking migration 2 fails clearly.

  get #memoryDb(): SqliteDatabase {
    void this.#stmts;
    return this.#database;
  }

  async applyState(runId: string, ops: readonly StateOp[], now: number, guard?: StateLockGuard): Promise<Array<StateEntry | null>> {
    return state.applyState(this.#memoryDb, runId, ops, now, guard);
  }

  async getState(runId: string, key: string, owner: string, now: number): Promise<StateEntry | null> {
    return state.getState(this.#memoryDb, runId, key, owner, now);
  }

  async listState(runId: string, now: number, filter?: StateListFilter): Promise<StateEntry[]> {
    return state.listState(this.#memoryDb, runId, now, filter);
  }

  async deleteExpiredState(now: number, runId?: string): Promise<number> {
    return state.deleteExpiredState(this.#memoryDb, now, runId);
  }

  async clearState(runId: string): Promise<number> {
    return state.clearState(this.#memoryDb, runId);
  }

  async acquireStateLock(runId: string, name: string, owner: string, ttlMs: number, now: number): Promise<StateLock | null> {
    return state.acquireStateLock(this.#memoryDb, runId, name, owner, ttlMs, now);
  }

  async releaseStateLock(runId: string, name: string, owner: string, now: number): Promise<boolean> {
    return state.releaseStateLock(this.#memoryDb, runId, name, owner, now);
  }

  async getStateLock(runId: string, name: string, now: number): Promise<StateLock | null> {
    return state.getStateLock(this.#memoryDb, runId, name, now);
  }

  async addMemories(items: readonly NewMemory[]): Promise<MemoryWriteResult[]> {
    return memory.addMemories(this.#memoryDb, items);
  }

  async getMemories(ids: readonly string[]): Promise<MemoryRecord[]> {
    return memory.getMemories(this.#memoryDb, ids);
  }

  async listMemories(filter?: MemoryListFilter): Promise<MemoryRecord[]> {
    return memory.listMemories(this.#memoryDb, filter);
  }

  async deleteMemories(target: { runId: string } | { ids: readonly string[] }): Promise<number> {
    return memory.deleteMemories(this.#memoryDb, target);
  }

  async searchMemoryText(scope: MemoryScope, query: string, limit: number): Promise<MemoryHit[]> {
    return memory.searchMemoryText(this.#memoryDb, scope, query, limit);
  }

  async searchMemoryVectors(scope: MemoryScope, model: string, vector: Float32Array, limit: number): Promise<MemoryHit[]> {
    return memory.searchMemoryVectors(this.#memoryDb, scope, model, vector, limit);
  }

  async memoryModels(): Promise<MemoryModelInfo[]> {
    return memory.memoryModels(this.#memoryDb);
  }

  async maintainMemoryIndex(): Promise<void> {
    await maintainIndex(this.#memoryDb);
  }

  // --- coordination: merge queue and quota ledger (see coordination.ts) ----------------------

  async enqueueMerge(merge: NewMerge): Promise<{ entry: MergeEntry; events: EventRecord[] }> {
    const { result, events } = this.#write(merge.now, (tx) => coordination.enqueueMergeTx(this.#database, tx, merge));
    return { entry: result, events };
  }

  async acquireMerge(id: number, now: number): Promise<MergeTurn> {
    const { result, events } = this.#write(now, (tx) => coordination.acquireMergeTx(this.#database, tx, id));
    return { ...result, events };
  }

  async finishMerge(id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }, now: number): Promise<{ entry: MergeEntry; events: EventRecord[] }> {
    const { result, events } = this.#write(now, (tx) => coordination.finishMergeTx(this.#database, tx, id, end));
    return { entry: result, events };
  }

  async listMerges(filter?: MergeFilter): Promise<MergeEntry[]> {
    return coordination.listMerges(this.#memoryDb, filter);
  }

  async listQuotas(): Promise<QuotaRecord[]> {
    return coordination.listQuotas(this.#memoryDb);
  }

  async recordQuota(record: QuotaRecord): Promise<void> {
    coordination.recordQuota(this.#memoryDb, record);
  }

  async clearQuota(cli: string, account: string): Promise<boolean> {
    return coordination.clearQuota(this.#memoryDb, cli, account);
  }

  // --- logs (seed 003's orchestration logger; see logs.ts) ----------------------------------

  async appendLogs(entries: readonly NewLogEntry[]): Promise<number> {
    return logs.appendLogs(this.#memoryDb, entries);
  }

  async queryLogs(query?: LogQuery): Promise<LogEntry[]> {
    return logs.queryLogs(this.#memoryDb, query);
  }

  async countLogs(filter?: LogFilter): Promise<LogCounts> {
    return logs.countLogs(this.#memoryDb, filter);
  }

  async pruneLogs(retention: LogRetention): Promise<number> {
    return logs.pruneLogs(this.#memoryDb, retention);
  }
}
