/**
 * PostgreSQL side of the state contract (`store/state-types.ts`), a port of `sqlite/state.ts`.
 * Writes of one run's state serialise on a transaction-level advisory lock keyed by the run, so
 * a compare-and-set cannot interleave with another writer (also for entries that do not exist yet).
 */
import type { PoolClient } from 'pg';
import { checkLockGuard, live, toEntry, toLock, versionConflict, type LockRow, type StateRow } from '../state-rows.js';
import type { StateEntry, StateListFilter, StateLock, StateLockGuard, StateOp } from '../state-types.js';
import { query } from './tx.js';

type Conn = Pick<PoolClient, 'query'>;

/** Serialises state writes of one run (until the transaction ends). */
async function lockRun(c: Conn, runId: string): Promise<void> {
  await query(c, `SELECT pg_advisory_xact_lock(hashtext('tutti-state'), hashtext($1))`, [runId]);
}

const GET = `SELECT * FROM state WHERE run_id = $1 AND owner = $2 AND key = $3`;
const LOCK = `SELECT * FROM state_locks WHERE run_id = $1 AND name = $2`;

/** See `StateStore.applyState` (inside the caller's transaction). */
export async function applyState(c: Conn, runId: string, ops: readonly StateOp[], now: number, guard?: StateLockGuard): Promise<Array<StateEntry | null>> {
  await lockRun(c, runId);
  if (guard) {
    const [lock] = await query<LockRow>(c, LOCK, [runId, guard.name]);
    checkLockGuard(runId, guard, lock, now);
  }
  const out: Array<StateEntry | null> = [];
  for (const op of ops) {
    const [row] = await query<StateRow>(c, GET, [runId, op.owner, op.key]);
    const present = live(row, now);
    const current = present ? row!.version : 0;
    if (op.expectedVersion !== undefined && op.expectedVersion !== current) throw versionConflict(runId, op, current);
    if (op.op === 'delete') {
      if (!row) {
        out.push(null);
        continue;
      }
      await query(c, `DELETE FROM state WHERE run_id = $1 AND owner = $2 AND key = $3`, [runId, op.owner, op.key]);
      out.push(present ? toEntry(row) : null);
      continue;
    }
    const version = (row?.version ?? 0) + 1;
    const value = op.value === undefined ? null : JSON.stringify(op.value);
    await query(
      c,
      `INSERT INTO state (run_id, owner, key, type, value, version, expires_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)
       ON CONFLICT (run_id, owner, key) DO UPDATE SET type = excluded.type, value = excluded.value, version = excluded.version, expires_at = excluded.expires_at,
         created_at = CASE WHEN $9 THEN excluded.created_at ELSE state.created_at END, updated_at = excluded.updated_at`,
      [runId, op.owner, op.key, op.type, value, version, op.expiresAt, now, !present],
    );
    out.push({
      runId,
      key: op.key,
      type: op.type,
      owner: op.owner,
      value: value === null ? null : (JSON.parse(value) as unknown),
      version,
      expiresAt: op.expiresAt,
      createdAt: present ? row!.created_at : now,
      updatedAt: now,
    });
  }
  return out;
}

export async function getState(c: Conn, runId: string, key: string, owner: string, now: number): Promise<StateEntry | null> {
  const [row] = await query<StateRow>(c, GET, [runId, owner, key]);
  return live(row, now) ? toEntry(row!) : null;
}

export async function listState(c: Conn, runId: string, now: number, filter: StateListFilter = {}): Promise<StateEntry[]> {
  const where = ['run_id = $1', '(expires_at IS NULL OR expires_at > $2)'];
  const params: unknown[] = [runId, now];
  if (filter.owner !== undefined) {
    params.push(filter.owner);
    where.push(`owner = $${params.length}`);
  }
  if (filter.prefix !== undefined) {
    params.push(filter.prefix);
    // left() rather than LIKE: keys may contain % and _.
    where.push(`left(key, length($${params.length})) = $${params.length}`);
  }
  params.push(Math.max(1, Math.min(filter.limit ?? 1000, 100_000)));
  const rows = await query<StateRow>(c, `SELECT * FROM state WHERE ${where.join(' AND ')} ORDER BY owner COLLATE "C", key COLLATE "C" LIMIT $${params.length}`, params);
  return rows.map(toEntry);
}

export async function deleteExpiredState(c: Conn, now: number, runId?: string): Promise<number> {
  const rows =
    runId === undefined
      ? await query(c, `DELETE FROM state WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING 1`, [now])
      : await query(c, `DELETE FROM state WHERE run_id = $1 AND expires_at IS NOT NULL AND expires_at <= $2 RETURNING 1`, [runId, now]);
  return rows.length;
}

export async function clearState(c: Conn, runId: string): Promise<number> {
  await lockRun(c, runId);
  await query(c, `DELETE FROM state_locks WHERE run_id = $1`, [runId]);
  return (await query(c, `DELETE FROM state WHERE run_id = $1 RETURNING 1`, [runId])).length;
}

export async function acquireStateLock(c: Conn, runId: string, name: string, owner: string, ttlMs: number, now: number): Promise<StateLock | null> {
  await lockRun(c, runId);
  const [row] = await query<LockRow>(c, LOCK, [runId, name]);
  const held = row !== undefined && row.expires_at > now;
  if (held && row.owner !== owner) return null;
  const renew = held && row.owner === owner;
  const lock: LockRow = { run_id: runId, name, owner, token: renew ? row.token : (row?.token ?? 0) + 1, acquired_at: renew ? row.acquired_at : now, expires_at: now + ttlMs };
  await query(
    c,
    `INSERT INTO state_locks (run_id, name, owner, token, acquired_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (run_id, name) DO UPDATE SET owner = excluded.owner, token = excluded.token, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
    [lock.run_id, lock.name, lock.owner, lock.token, lock.acquired_at, lock.expires_at],
  );
  return toLock(lock);
}

export async function releaseStateLock(c: Conn, runId: string, name: string, owner: string, now: number): Promise<boolean> {
  return (await query(c, `UPDATE state_locks SET expires_at = 0 WHERE run_id = $1 AND name = $2 AND owner = $3 AND expires_at > $4 RETURNING 1`, [runId, name, owner, now])).length > 0;
}

export async function getStateLock(c: Conn, runId: string, name: string, now: number): Promise<StateLock | null> {
  const [row] = await query<LockRow>(c, LOCK, [runId, name]);
  return row && row.expires_at > now ? toLock(row) : null;
}
