/**
 * The merge queue and the quota ledger on SQLite (contract and semantics: `../coordination-types.ts`).
 * Merge queue changes run inside the store's write transaction so their events commit with them.
 */
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { TuttiError } from '../../core/errors.js';
import type { MergeEnd, MergeEntry, MergeFilter, NewMerge, QuotaRecord } from '../coordination-types.js';
import { toMergeEntry, toQuotaRecord, type MergeRow, type QuotaRow } from '../coordination-rows.js';
import type { Tx } from './tx.js';

const SQL = {
  insert: `INSERT INTO merge_queue (repo, target, run_id, task_id, owner_task_id, owner_attempt, branch, head, status, enqueued_at)
           VALUES (@repo, @target, @run_id, @task_id, @owner_task_id, @owner_attempt, @branch, @head, 'queued', @now)
           ON CONFLICT (run_id, owner_task_id, owner_attempt) DO NOTHING RETURNING *`,
  byOwner: `SELECT * FROM merge_queue WHERE run_id = ? AND owner_task_id = ? AND owner_attempt = ?`,
  byId: `SELECT * FROM merge_queue WHERE id = ?`,
  ahead: `SELECT * FROM merge_queue WHERE repo = ? AND target = ? AND id <> ? AND (status = 'merging' OR (status = 'queued' AND id < ?)) ORDER BY id`,
  ownerRunning: `SELECT 1 FROM attempts a JOIN tasks t ON t.run_id = a.run_id AND t.seq = a.task_seq
                 WHERE a.run_id = ? AND t.id = ? AND a.n = ? AND a.status = 'running'`,
  start: `UPDATE merge_queue SET status = 'merging', started_at = ? WHERE id = ?`,
  end: `UPDATE merge_queue SET status = ?, finished_at = ?, message = ?, merged_sha = ? WHERE id = ? AND status IN ('queued', 'merging')`,
  quotas: `SELECT * FROM cli_quotas ORDER BY cli, account`,
  upsertQuota: `INSERT INTO cli_quotas (cli, account, state, until, known, message, strikes, updated_at)
                VALUES (@cli, @account, @state, @until, @known, @message, @strikes, @updated_at)
                ON CONFLICT (cli, account) DO UPDATE SET state = excluded.state, until = excluded.until, known = excluded.known,
                  message = excluded.message, strikes = excluded.strikes, updated_at = excluded.updated_at`,
  clearQuota: `DELETE FROM cli_quotas WHERE cli = ? AND account = ?`,
} as const;

type Prepared = { [K in keyof typeof SQL]: SqliteStatement };
const prepared = new WeakMap<SqliteDatabase, Prepared>();

function stmts(db: SqliteDatabase): Prepared {
  let p = prepared.get(db);
  if (!p) {
    p = Object.fromEntries(Object.entries(SQL).map(([k, sql]) => [k, db.prepare(sql)])) as Prepared;
    prepared.set(db, p);
  }
  return p;
}

function entryOf(db: SqliteDatabase, id: number): MergeEntry {
  const row = stmts(db).byId.get(id) as MergeRow | undefined;
  if (!row) throw new TuttiError('ERR_INVALID_INPUT', `no merge queue entry ${id}`, { details: { id } });
  return toMergeEntry(row);
}

/** Queues a merge (idempotent per owner attempt). Runs inside a write transaction. */
export function enqueueMergeTx(db: SqliteDatabase, tx: Tx, m: NewMerge): MergeEntry {
  const s = stmts(db);
  const row = s.insert.get({ repo: m.repo, target: m.target, run_id: m.runId, task_id: m.taskId, owner_task_id: m.owner.taskId, owner_attempt: m.owner.n, branch: m.branch, head: m.head, now: m.now }) as MergeRow | undefined;
  if (!row) return toMergeEntry(s.byOwner.get(m.runId, m.owner.taskId, m.owner.n) as MergeRow);
  const entry = toMergeEntry(row);
  const run = tx.run(m.runId);
  if (run) tx.emit(run, { type: 'merge:queued', taskId: m.taskId, data: { entry: entry.id, target: m.target, branch: m.branch, head: m.head, by: { taskId: m.owner.taskId, attempt: m.owner.n } } });
  return entry;
}

/** Ends an open entry and appends `merge:finished`; an entry already ended is left as it is. */
function endTx(db: SqliteDatabase, tx: Tx, e: MergeEntry, status: MergeEnd, message: string, sha: string | null): MergeEntry {
  if (stmts(db).end.run(status, tx.now, message.slice(0, 4000), sha, e.id).changes === 0) return entryOf(db, e.id);
  const run = tx.run(e.runId);
  if (run) tx.emit(run, { type: 'merge:finished', taskId: e.taskId, data: { entry: e.id, target: e.target, status, ...(sha ? { sha } : {}), message: message.slice(0, 1000) } });
  return entryOf(db, e.id);
}

/** Asks for an entry's turn (see `CoordinationStore.acquireMerge`). Runs inside a write transaction. */
export function acquireMergeTx(db: SqliteDatabase, tx: Tx, id: number): { entry: MergeEntry; position: number; ahead: MergeEntry | null } {
  const s = stmts(db);
  const me = entryOf(db, id);
  if (me.status === 'merging') return { entry: me, position: 0, ahead: null };
  if (me.status !== 'queued') throw new TuttiError('ERR_INVALID_TRANSITION', `merge queue entry ${id} already ended (${me.status})`, { details: { id, status: me.status } });
  // Ahead: entries queued before it, and any entry merging.
  const ahead = (s.ahead.all(me.repo, me.target, id, id) as MergeRow[]).map(toMergeEntry);
  const alive: MergeEntry[] = [];
  for (const e of ahead) {
    if (s.ownerRunning.get(e.runId, e.ownerTaskId, e.ownerAttempt)) alive.push(e);
    else endTx(db, tx, e, 'abandoned', `its attempt ${e.runId}/${e.ownerTaskId}/${e.ownerAttempt} ended before the merge finished`, null);
  }
  if (alive.length) return { entry: me, position: alive.length, ahead: alive[0]! };
  s.start.run(tx.now, id);
  const run = tx.run(me.runId);
  if (run) tx.emit(run, { type: 'merge:started', taskId: me.taskId, data: { entry: id, target: me.target } });
  return { entry: entryOf(db, id), position: 0, ahead: null };
}

/** Ends an entry. Runs inside a write transaction. */
export function finishMergeTx(db: SqliteDatabase, tx: Tx, id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }): MergeEntry {
  return endTx(db, tx, entryOf(db, id), end.status, end.message, end.mergedSha ?? null);
}

/** Entries, oldest first. */
export function listMerges(db: SqliteDatabase, f: MergeFilter = {}): MergeEntry[] {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    where.push(sql);
    args.push(v);
  };
  if (f.runId !== undefined) add('run_id = ?', f.runId);
  if (f.taskId !== undefined) add('task_id = ?', f.taskId);
  if (f.repo !== undefined) add('repo = ?', f.repo);
  if (f.target !== undefined) add('target = ?', f.target);
  if (f.open) where.push(`status IN ('queued', 'merging')`);
  const limit = Math.max(1, Math.min(f.limit ?? 500, 10_000));
  const rows = db.prepare(`SELECT * FROM (SELECT * FROM merge_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?) ORDER BY id`).all(...args, limit) as MergeRow[];
  return rows.map(toMergeEntry);
}

export function listQuotas(db: SqliteDatabase): QuotaRecord[] {
  return (stmts(db).quotas.all() as QuotaRow[]).map(toQuotaRecord);
}

export function recordQuota(db: SqliteDatabase, q: QuotaRecord): void {
  stmts(db).upsertQuota.run({ cli: q.cli, account: q.account, state: q.state, until: q.until, known: q.known ? 1 : 0, message: q.message.slice(0, 1000), strikes: q.strikes, updated_at: q.updatedAt });
}

export function clearQuota(db: SqliteDatabase, cli: string, account: string): boolean {
  return stmts(db).clearQuota.run(cli, account).changes > 0;
}
