/**
 * The state part of the Store contract: per-run key/value state with optimistic versions,
 * atomic batches and leased locks (ARCHITECTURE.md §10). The memory plane's state manager
 * (`src/memory/state.ts`) adds visibility rules and defaults on top; backends only keep rows.
 *
 * A state entry is identified by (run id, owner, key). The owner is `''` for `shared` and
 * `temporary` entries and the agent id for `private` ones, so an agent's private `plan` and the
 * run's shared `plan` are two entries. "Run id" is any scope id: an engine run, or a seed 003
 * session that is not a run.
 */

/** `shared`: every agent of the run; `private`: one agent (the owner); `temporary`: shared, expires after its TTL. */
export type StateType = 'shared' | 'private' | 'temporary';

export const STATE_TYPES: readonly StateType[] = ['shared', 'private', 'temporary'];

/** One stored state entry. */
export interface StateEntry {
  runId: string;
  key: string;
  type: StateType;
  /** `''` for shared and temporary entries; the agent id for private ones. */
  owner: string;
  /** Any JSON value. */
  value: unknown;
  /** 1 on creation, +1 on every write (also across expiry, so a version is never reused). */
  version: number;
  /** Epoch ms after which the entry reads as absent; null: never. */
  expiresAt: number | null;
  createdAt: number;
  updatedAt: number;
}

/**
 * One write of an atomic batch. `expectedVersion` makes it a compare-and-set: the current version
 * must equal it (`0`: the entry must be absent or expired); omitted, the write is unconditional.
 */
export type StateOp =
  | { op: 'set'; key: string; owner: string; type: StateType; value: unknown; expiresAt: number | null; expectedVersion?: number }
  | { op: 'delete'; key: string; owner: string; expectedVersion?: number };

/** A lock the writer must hold for a batch to apply (checked in the batch's transaction). */
export interface StateLockGuard {
  name: string;
  owner: string;
}

/** A leased lock on a name within a run. */
export interface StateLock {
  runId: string;
  name: string;
  owner: string;
  /** Fencing token: grows by one with every new holder of this name. */
  token: number;
  acquiredAt: number;
  /** Epoch ms; after it the lock is free for anyone. */
  expiresAt: number;
}

export interface StateListFilter {
  /** Only this owner (`''`: shared and temporary entries). @default every owner */
  owner?: string;
  /** Only keys starting with this prefix. */
  prefix?: string;
  /** @default 1000 */
  limit?: number;
}

/** What a backend stores for the state manager. Every method is one transaction. */
export interface StateStore {
  /**
   * Applies the ops in order, all or none. Expired entries read as absent.
   * @returns the entries as written (deletes: the removed entry, or null when there was none).
   * @throws TuttiError `ERR_VERSION_CONFLICT` (details: runId, key, owner, expected, actual) when a
   *   compare-and-set fails; `ERR_LOCK_HELD` when `guard` names a lock the owner does not hold.
   *   Nothing is written then.
   */
  applyState(runId: string, ops: readonly StateOp[], now: number, guard?: StateLockGuard): Promise<Array<StateEntry | null>>;
  /** The entry, or null when absent or expired at `now`. */
  getState(runId: string, key: string, owner: string, now: number): Promise<StateEntry | null>;
  /** Unexpired entries of a run by (owner, key). */
  listState(runId: string, now: number, filter?: StateListFilter): Promise<StateEntry[]>;
  /**
   * Deletes entries expired at `now`, of one run or of all. Lock rows stay (their fencing tokens
   * must keep growing); an expired lock is free anyway.
   * @returns how many entries were deleted.
   */
  deleteExpiredState(now: number, runId?: string): Promise<number>;
  /** Deletes every entry and lock of a run. @returns entries deleted. */
  clearState(runId: string): Promise<number>;
  /**
   * Takes the lock, or renews it when `owner` already holds it. Free when absent or expired.
   * @param ttlMs lease length, ms.
   * @returns the lock, or null when another owner holds it.
   */
  acquireStateLock(runId: string, name: string, owner: string, ttlMs: number, now: number): Promise<StateLock | null>;
  /** Releases a lock held by `owner`. @returns false when `owner` did not hold it (or it had expired at `now`). */
  releaseStateLock(runId: string, name: string, owner: string, now: number): Promise<boolean>;
  /** The current holder, or null when free (absent or expired). */
  getStateLock(runId: string, name: string, now: number): Promise<StateLock | null>;
}
