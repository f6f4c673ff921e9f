/**
 * SQLite side of the state contract (`store/state-types.ts`): table `state` keyed by
 * (run, owner, key) and `state_locks` keyed by (run, name), both from migration 2. Every call is
 * one immediate transaction, so concurrent processes sharing the file serialise their writes and
 * a compare-and-set cannot interleave with another writer.
 */
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { checkLockGuard, live, toEntry, toLock, versionConflict, type LockRow, type StateRow } from '../state-rows.js';
import type { StateEntry, StateListFilter, StateLock, StateLockGuard, StateOp } from '../state-types.js';

function prepare(db: SqliteDatabase) {
  return {
    get: db.prepare(`SELECT * FROM state WHERE run_id = ? AND owner = ? AND key = ?`),
    upsert: db.prepare(
      `INSERT INTO state (run_id, owner, key, type, value, version, expires_at, created_at, updated_at)
       VALUES (@run_id, @owner, @key, @type, @value, @version, @expires_at, @now, @now)
       ON CONFLICT (run_id, owner, key) DO UPDATE SET type = excluded.type, value = excluded.value, version = excluded.version,
         expires_at = excluded.expires_at, created_at = CASE WHEN @fresh THEN excluded.created_at ELSE state.created_at END, updated_at = excluded.updated_at`,
    ),
    delete: db.prepare(`DELETE FROM state WHERE run_id = ? AND owner = ? AND key = ?`),
    deleteExpiredAll: db.prepare(`DELETE FROM state WHERE expires_at IS NOT NULL AND expires_at <= ?`),
    deleteExpiredRun: db.prepare(`DELETE FROM state WHERE run_id = ? AND expires_at IS NOT NULL AND expires_at <= ?`),
    clear: db.prepare(`DELETE FROM state WHERE run_id = ?`),
    clearLocks: db.prepare(`DELETE FROM state_locks WHERE run_id = ?`),
    lock: db.prepare(`SELECT * FROM state_locks WHERE run_id = ? AND name = ?`),
    upsertLock: db.prepare(
      `INSERT INTO state_locks (run_id, name, owner, token, acquired_at, expires_at) VALUES (@run_id, @name, @owner, @token, @acquired_at, @expires_at)
       ON CONFLICT (run_id, name) DO UPDATE SET owner = excluded.owner, token = excluded.token, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
    ),
    // Released locks keep their row (expired at 0) so the next holder's token still grows.
    releaseLock: db.prepare(`UPDATE state_locks SET expires_at = 0 WHERE run_id = ? AND name = ? AND owner = ? AND expires_at > ?`),
  };
}

type StateStatements = ReturnType<typeof prepare>;
const cache = new WeakMap<SqliteDatabase, StateStatements>();

function stmts(db: SqliteDatabase): StateStatements {
  let s = cache.get(db);
  if (!s) {
    s = prepare(db);
    cache.set(db, s);
  }
  return s;
}

/** See `StateStore.applyState`. */
export function applyState(db: SqliteDatabase, runId: string, ops: readonly StateOp[], now: number, guard?: StateLockGuard): Array<StateEntry | null> {
  const s = stmts(db);
  return db
    .transaction(() => {
      if (guard) {
        const lock = s.lock.get(runId, guard.name) as LockRow | undefined;
        checkLockGuard(runId, guard, lock, now);
      }
      return ops.map((op): StateEntry | null => {
        const row = s.get.get(runId, op.owner, op.key) as StateRow | undefined;
        const present = live(row, now);
        const current = present ? row!.version : 0;
        if (op.expectedVersion !== undefined && op.expectedVersion !== current) throw versionConflict(runId, op, current);
        if (op.op === 'delete') {
          if (!row) return null;
          s.delete.run(runId, op.owner, op.key);
          return present ? toEntry(row) : null;
        }
        // Versions keep growing across expiry and deletion-by-expiry, so a stale reader never matches.
        const version = (row?.version ?? 0) + 1;
        const value = op.value === undefined ? null : JSON.stringify(op.value);
        s.upsert.run({ run_id: runId, owner: op.owner, key: op.key, type: op.type, value, version, expires_at: op.expiresAt, now, fresh: present ? 0 : 1 });
        return {
          runId,
          key: op.key,
          type: op.type,
          owner: op.owner,
          value: value === null ? null : (JSON.parse(value) as unknown),
          version,
          expiresAt: op.expiresAt,
          createdAt: present ? row!.created_at : now,
          updatedAt: now,
        };
      });
    })
    .immediate();
}

export function getState(db: SqliteDatabase, runId: string, key: string, owner: string, now: number): StateEntry | null {
  const row = stmts(db).get.get(runId, owner, key) as StateRow | undefined;
  return live(row, now) ? toEntry(row!) : null;
}

const listCache = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

export function listState(db: SqliteDatabase, runId: string, now: number, filter: StateListFilter = {}): StateEntry[] {
  let byShape = listCache.get(db);
  if (!byShape) listCache.set(db, (byShape = new Map()));
  const shape = `${filter.owner !== undefined ? 'o' : ''}${filter.prefix !== undefined ? 'p' : ''}`;
  let stmt = byShape.get(shape);
  if (!stmt) {
    const where = ['run_id = @run_id', '(expires_at IS NULL OR expires_at > @now)'];
    if (filter.owner !== undefined) where.push('owner = @owner');
    // substr() rather than LIKE: keys may contain % and _.
    if (filter.prefix !== undefined) where.push('substr(key, 1, length(@prefix)) = @prefix');
    stmt = db.prepare(`SELECT * FROM state WHERE ${where.join(' AND ')} ORDER BY owner, key LIMIT @limit`);
    byShape.set(shape, stmt);
  }
  const params: Record<string, unknown> = { run_id: runId, now, limit: Math.max(1, Math.min(filter.limit ?? 1000, 100_000)) };
  if (filter.owner !== undefined) params.owner = filter.owner;
  if (filter.prefix !== undefined) params.prefix = filter.prefix;
  return (stmt.all(params) as StateRow[]).map(toEntry);
}

export function deleteExpiredState(db: SqliteDatabase, now: number, runId?: string): number {
  const s = stmts(db);
  return runId === undefined ? s.deleteExpiredAll.run(now).changes : s.deleteExpiredRun.run(runId, now).changes;
}

export function clearState(db: SqliteDatabase, runId: string): number {
  const s = stmts(db);
  return db
    .transaction(() => {
      s.clearLocks.run(runId);
      return s.clear.run(runId).changes;
    })
    .immediate();
}

export function acquireStateLock(db: SqliteDatabase, runId: string, name: string, owner: string, ttlMs: number, now: number): StateLock | null {
  const s = stmts(db);
  return db
    .transaction(() => {
      const row = s.lock.get(runId, name) as LockRow | undefined;
      const held = row !== undefined && row.expires_at > now;
      if (held && row.owner !== owner) return null;
      // A renewal keeps the token; a new holder gets the next one (fencing).
      const renew = held && row.owner === owner;
      const lock: LockRow = { run_id: runId, name, owner, token: renew ? row.token : (row?.token ?? 0) + 1, acquired_at: renew ? row.acquired_at : now, expires_at: now + ttlMs };
      s.upsertLock.run(lock);
      return toLock(lock);
    })
    .immediate();
}

export function releaseStateLock(db: SqliteDatabase, runId: string, name: string, owner: string, now: number): boolean {
  return stmts(db).releaseLock.run(runId, name, owner, now).changes > 0;
}

export function getStateLock(db: SqliteDatabase, runId: string, name: string, now: number): StateLock | null {
  const row = stmts(db).lock.get(runId, name) as LockRow | undefined;
  return row && row.expires_at > now ? toLock(row) : null;
}
