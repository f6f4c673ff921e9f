/**
 * The state tables' rows and their mapping to `StateEntry` / `StateLock`, with the checks every
 * backend makes the same way (version conflict, lock guard). Shared by `sqlite/state.ts` and
 * `postgres/state.ts`, which own only their SQL and transactions.
 */
import { TuttiError } from '../core/errors.js';
import type { StateEntry, StateLock, StateLockGuard, StateOp, StateType } from './state-types.js';

/** A row of `state`, keyed by (run_id, owner, key). Times in ms since the epoch. */
export interface StateRow {
  run_id: string;
  owner: string;
  key: string;
  type: StateType;
  /** JSON text; null for an entry holding no value. */
  value: string | null;
  version: number;
  expires_at: number | null;
  created_at: number;
  updated_at: number;
}

/** A row of `state_locks`, keyed by (run_id, name). A released lock keeps its row, expired at 0. */
export interface LockRow {
  run_id: string;
  name: string;
  owner: string;
  token: number;
  acquired_at: number;
  expires_at: number;
}

export const toEntry = (r: StateRow): StateEntry => ({
  runId: r.run_id,
  key: r.key,
  type: r.type,
  owner: r.owner,
  value: r.value === null ? null : (JSON.parse(r.value) as unknown),
  version: r.version,
  expiresAt: r.expires_at,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

export const toLock = (r: LockRow): StateLock => ({ runId: r.run_id, name: r.name, owner: r.owner, token: r.token, acquiredAt: r.acquired_at, expiresAt: r.expires_at });

/** Whether a row exists and has not expired at `now` (ms). */
export const live = (r: { expires_at: number | null } | undefined, now: number): boolean => r !== undefined && (r.expires_at === null || r.expires_at > now);

/** `ERR_VERSION_CONFLICT`: a compare-and-set expected another version. */
export function versionConflict(runId: string, op: StateOp, actual: number): TuttiError {
  const who = op.owner ? ` (private to ${op.owner})` : '';
  return new TuttiError('ERR_VERSION_CONFLICT', `state '${op.key}'${who} of ${runId} is at version ${actual}, not ${op.expectedVersion}: read it again and retry`, {
    details: { runId, key: op.key, owner: op.owner, expected: op.expectedVersion, actual },
  });
}

/** @throws TuttiError `ERR_LOCK_HELD` unless `guard.owner` holds the lock (row `lock`) at `now`. */
export function checkLockGuard(runId: string, guard: StateLockGuard, lock: LockRow | undefined, now: number): void {
  if (lock && lock.expires_at > now && lock.owner === guard.owner) return;
  const holder = lock && lock.expires_at > now ? `held by ${lock.owner}` : 'not held';
  throw new TuttiError('ERR_LOCK_HELD', `lock '${guard.name}' of ${runId} is ${holder}, not by ${guard.owner}: acquire it first`, {
    details: { runId, lock: guard.name, owner: guard.owner, holder: lock && lock.expires_at > now ? lock.owner : null },
  });
}
