/**
 * The merge queue and the quota ledger on PostgreSQL (contract and semantics:
 * `../coordination-types.ts`). Acquiring a turn holds a transaction-scoped advisory lock on the
 * queue (repo, target), so two workers never both find themselves at its head.
 */
import type { PoolClient } from 'pg';
import { TuttiError } from '../../core/errors.js';
import { toMergeEntry, toQuotaRecord, type MergeRow, type QuotaRow } from '../coordination-rows.js';
import type { MergeEnd, MergeEntry, MergeFilter, NewMerge, QuotaRecord } from '../coordination-types.js';
import { MERGE_QUEUE_LOCK_NAMESPACE } from './migrations.js';
import { query, type PgTx } from './tx.js';

type Conn = Pick<PoolClient, 'query'>;

async function entryOf(tx: PgTx, id: number): Promise<MergeEntry> {
  const row = await tx.one<MergeRow>(`SELECT * FROM merge_queue WHERE id = $1`, [id]);
  if (!row) throw new TuttiError('ERR_INVALID_INPUT', `no merge queue entry ${id}`, { details: { id } });
  return toMergeEntry(row);
}

/** Queues a merge (idempotent per owner attempt). */
export async function enqueueMergeTx(tx: PgTx, m: NewMerge): Promise<MergeEntry> {
  const row = await tx.one<MergeRow>(
    `INSERT INTO merge_queue (repo, target, run_id, task_id, owner_task_id, owner_attempt, branch, head, status, enqueued_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9)
     ON CONFLICT (run_id, owner_task_id, owner_attempt) DO NOTHING RETURNING *`,
    [m.repo, m.target, m.runId, m.taskId, m.owner.taskId, m.owner.n, m.branch, m.head, m.now],
  );
  if (!row) {
    const existing = await tx.one<MergeRow>(`SELECT * FROM merge_queue WHERE run_id = $1 AND owner_task_id = $2 AND owner_attempt = $3`, [m.runId, m.owner.taskId, m.owner.n]);
    return toMergeEntry(existing!);
  }
  const entry = toMergeEntry(row);
  const run = await tx.run(m.runId);
  if (run) tx.emit(run, { type: 'merge:queued', taskId: m.taskId, data: { entry: entry.id, target: m.target, branch: m.branch, head: m.head, by: { taskId: m.owner.taskId, attempt: m.owner.n } } });
  return entry;
}

async function endTx(tx: PgTx, e: MergeEntry, status: MergeEnd, message: string, sha: string | null): Promise<MergeEntry> {
  const done = await tx.q(`UPDATE merge_queue SET status = $1, finished_at = $2, message = $3, merged_sha = $4 WHERE id = $5 AND status IN ('queued', 'merging') RETURNING 1`, [status, tx.now, message.slice(0, 4000), sha, e.id]);
  if (done.length) {
    const run = await tx.run(e.runId);
    if (run) tx.emit(run, { type: 'merge:finished', taskId: e.taskId, data: { entry: e.id, target: e.target, status, ...(sha ? { sha } : {}), message: message.slice(0, 1000) } });
  }
  return entryOf(tx, e.id);
}

/** Asks for an entry's turn (see `CoordinationStore.acquireMerge`). */
export async function acquireMergeTx(tx: PgTx, id: number): Promise<{ entry: MergeEntry; position: number; ahead: MergeEntry | null }> {
  const me = await entryOf(tx, id);
  if (me.status === 'merging') return { entry: me, position: 0, ahead: null };
  if (me.status !== 'queued') throw new TuttiError('ERR_INVALID_TRANSITION', `merge queue entry ${id} already ended (${me.status})`, { details: { id, status: me.status } });
  await tx.q(`SELECT pg_advisory_xact_lock(${MERGE_QUEUE_LOCK_NAMESPACE}, hashtext($1))`, [`${me.repo}\n${me.target}`]);
  // Ahead: entries queued before it, and any entry merging (an id taken earlier may commit later).
  const rows = await tx.q<MergeRow & { alive: boolean }>(
    `SELECT q.*, EXISTS (SELECT 1 FROM attempts a JOIN tasks t ON t.run_id = a.run_id AND t.seq = a.task_seq
                         WHERE a.run_id = q.run_id AND t.id = q.owner_task_id AND a.n = q.owner_attempt AND a.status = 'running') AS alive
     FROM merge_queue q WHERE q.repo = $1 AND q.target = $2 AND q.id <> $3 AND (q.status = 'merging' OR (q.status = 'queued' AND q.id < $3)) ORDER BY q.id`,
    [me.repo, me.target, id],
  );
  const alive: MergeEntry[] = [];
  for (const r of rows) {
    const e = toMergeEntry(r);
    if (r.alive) alive.push(e);
    else await endTx(tx, e, 'abandoned', `its attempt ${e.runId}/${e.ownerTaskId}/${e.ownerAttempt} ended before the merge finished`, null);
  }
  if (alive.length) return { entry: me, position: alive.length, ahead: alive[0]! };
  await tx.q(`UPDATE merge_queue SET status = 'merging', started_at = $1 WHERE id = $2`, [tx.now, id]);
  const run = await tx.run(me.runId);
  if (run) tx.emit(run, { type: 'merge:started', taskId: me.taskId, data: { entry: id, target: me.target } });
  return { entry: await entryOf(tx, id), position: 0, ahead: null };
}

/** Ends an entry. */
export async function finishMergeTx(tx: PgTx, id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }): Promise<MergeEntry> {
  return endTx(tx, await entryOf(tx, id), end.status, end.message, end.mergedSha ?? null);
}

/** Entries, oldest first. */
export async function listMerges(c: Conn, f: MergeFilter = {}): Promise<MergeEntry[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    args.push(v);
    where.push(sql.replace('?', `$${args.length}`));
  };
  if (f.runId !== undefined) add('run_id = ?', f.runId);
  if (f.taskId !== undefined) add('task_id = ?', f.taskId);
  if (f.repo !== undefined) add('repo = ?', f.repo);
  if (f.target !== undefined) add('target = ?', f.target);
  if (f.open) where.push(`status IN ('queued', 'merging')`);
  args.push(Math.max(1, Math.min(f.limit ?? 500, 10_000)));
  const rows = await query<MergeRow>(c, `SELECT * FROM (SELECT * FROM merge_queue ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}) q ORDER BY id`, args);
  return rows.map(toMergeEntry);
}

export async function listQuotas(c: Conn): Promise<QuotaRecord[]> {
  return (await query<QuotaRow>(c, `SELECT * FROM cli_quotas ORDER BY cli, account`)).map(toQuotaRecord);
}

export async function recordQuota(c: Conn, q: QuotaRecord): Promise<void> {
  await query(
    c,
    `INSERT INTO cli_quotas (cli, account, state, until, known, message, strikes, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (cli, account) DO UPDATE SET state = excluded.state, until = excluded.until, known = excluded.known,
       message = excluded.message, strikes = excluded.strikes, updated_at = excluded.updated_at`,
    [q.cli, q.account, q.state, q.until, q.known, q.message.slice(0, 1000), q.strikes, q.updatedAt],
  );
}

export async function clearQuota(c: Conn, cli: string, account: string): Promise<boolean> {
  return (await query(c, `DELETE FROM cli_quotas WHERE cli = $1 AND account = $2 RETURNING 1`, [cli, account])).length > 0;
}
