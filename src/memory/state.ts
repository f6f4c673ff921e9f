/**
 * The state manager: per-run key/value state over the store's `StateStore` part, with the
 * visibility rules of the three state types, compare-and-set, atomic transactions, leased locks
 * and expiry cleanup (ARCHITECTURE.md §10; seed 003's state manager).
 *
 * Visibility: without an agent, reads see shared and temporary entries; with `agentId`, the
 * agent's own private entry of a key shadows the shared one, and listings show both (never another
 * agent's private entries).
 */
import { z } from 'zod';
import { TuttiError } from '../core/errors.js';
import { assertValueLimits } from '../core/limits.js';
import type { StateEntry, StateLock, StateLockGuard, StateOp, StateStore, StateType } from '../store/state-types.js';

/** One write. */
export interface SetStateInput {
  key: string;
  /** Any JSON value (`undefined` is stored as null). */
  value: unknown;
  /** @default 'shared' */
  type?: StateType;
  /** Required for `private` entries: the owning agent. */
  agentId?: string;
  /** Time to live, ms. `temporary` entries get {@link StateManagerOptions.defaultTtlMs} when omitted; other types never expire unless given one. */
  ttlMs?: number;
  /** Compare-and-set: the version the entry must have now (0: must not exist). */
  expectedVersion?: number;
}

export interface DeleteStateInput {
  key: string;
  /** Deletes the agent's private entry instead of the shared one. */
  agentId?: string;
  expectedVersion?: number;
}

export interface StateManagerOptions {
  /** Epoch ms source. @default Date.now */
  now?: () => number;
  /** TTL of `temporary` entries written without one, ms. @default 3600000 (1 hour) */
  defaultTtlMs?: number;
}

export interface LockOptions {
  /** Lease length, ms. @default 30000 */
  ttlMs?: number;
  /** Keep trying this long before giving up with `ERR_LOCK_HELD`, ms. @default 0 (one try) */
  waitMs?: number;
  /** Pause between tries, ms. @default 50 */
  retryMs?: number;
}

const keySchema = z.string().min(1, 'a state key must not be empty').max(512);
const idSchema = z.string().min(1).max(256);
const setSchema = z.object({
  key: keySchema,
  value: z.unknown(),
  type: z.enum(['shared', 'private', 'temporary']).optional(),
  agentId: idSchema.optional(),
  ttlMs: z.number().int().positive().max(10 * 365 * 24 * 3600 * 1000).optional(),
  expectedVersion: z.number().int().min(0).optional(),
});

function invalid(message: string): TuttiError {
  return new TuttiError('ERR_INVALID_INPUT', message);
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  assertValueLimits(value, what);
  const r = schema.safeParse(value);
  if (!r.success) throw invalid(`${what}: ${r.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ')}`);
  return r.data;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A batch of writes applied atomically by {@link StateTransaction.commit}. */
export class StateTransaction {
  readonly #ops: StateOp[] = [];
  #done = false;

  constructor(
    private readonly manager: StateManager,
    readonly runId: string,
  ) {}

  /** Queues a write (validated now). */
  set(input: SetStateInput): this {
    this.#open();
    this.#ops.push(this.manager.toSetOp(input));
    return this;
  }

  /** Queues a delete. */
  delete(input: DeleteStateInput | string): this {
    this.#open();
    const d = typeof input === 'string' ? { key: input } : input;
    const op: StateOp = { op: 'delete', key: parse(keySchema, d.key, 'state key'), owner: d.agentId ?? '' };
    if (d.expectedVersion !== undefined) op.expectedVersion = d.expectedVersion;
    this.#ops.push(op);
    return this;
  }

  /** Writes queued so far. */
  get size(): number {
    return this.#ops.length;
  }

  /**
   * Applies every queued write or none.
   * @param guard a lock the writer must hold, checked in the same store transaction.
   * @throws TuttiError `ERR_VERSION_CONFLICT` or `ERR_LOCK_HELD` (nothing written), `ERR_INVALID_INPUT` when committed twice.
   */
  async commit(guard?: StateLockGuard): Promise<Array<StateEntry | null>> {
    this.#open();
    this.#done = true;
    return this.manager.store.applyState(this.runId, this.#ops, this.manager.now(), guard);
  }

  /** Drops the queued writes. */
  rollback(): void {
    this.#done = true;
    this.#ops.length = 0;
  }

  #open(): void {
    if (this.#done) throw invalid(`this state transaction of ${this.runId} was already committed or rolled back`);
  }
}

/**
 * Per-run state. All reads and writes go to the store: two managers over one store (or two
 * processes over one SQLite file) see the same state.
 * @example
 * const state = new StateManager(store);
 * await state.set('run-1', { key: 'plan', value: ['a', 'b'] });
 * const e = await state.get('run-1', 'plan'); // { value: ['a','b'], version: 1, ... }
 * await state.set('run-1', { key: 'plan', value: ['a'], expectedVersion: e!.version });
 */
export class StateManager {
  readonly store: StateStore;
  readonly now: () => number;
  readonly #defaultTtlMs: number;

  constructor(store: StateStore, options: StateManagerOptions = {}) {
    this.store = store;
    this.now = options.now ?? Date.now;
    this.#defaultTtlMs = options.defaultTtlMs ?? 3_600_000;
  }

  /** @internal validates a write and turns it into a store op. */
  toSetOp(input: SetStateInput): StateOp {
    const s = parse(setSchema, input, 'invalid state write');
    const type = s.type ?? 'shared';
    if (type === 'private' && !s.agentId) throw invalid(`state '${s.key}': a private entry needs an agentId`);
    if (type !== 'private' && s.agentId) throw invalid(`state '${s.key}': agentId is only for private entries (type is '${type}')`);
    const ttl = s.ttlMs ?? (type === 'temporary' ? this.#defaultTtlMs : undefined);
    const op: StateOp = { op: 'set', key: s.key, owner: s.agentId ?? '', type, value: s.value ?? null, expiresAt: ttl === undefined ? null : this.now() + ttl };
    if (s.expectedVersion !== undefined) op.expectedVersion = s.expectedVersion;
    return op;
  }

  /**
   * Writes one entry. @returns the entry as written.
   * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_VERSION_CONFLICT`
   */
  async set(runId: string, input: SetStateInput): Promise<StateEntry> {
    const [entry] = await this.store.applyState(parse(idSchema, runId, 'run id'), [this.toSetOp(input)], this.now());
    return entry!;
  }

  /** The entry visible under `key` (the agent's private one first, when `agentId` is given), or null. */
  async get(runId: string, key: string, options: { agentId?: string } = {}): Promise<StateEntry | null> {
    parse(keySchema, key, 'state key');
    const now = this.now();
    if (options.agentId) {
      const own = await this.store.getState(runId, key, options.agentId, now);
      if (own) return own;
    }
    return this.store.getState(runId, key, '', now);
  }

  /** The visible value of `key`, or undefined. */
  async getValue<T = unknown>(runId: string, key: string, options: { agentId?: string } = {}): Promise<T | undefined> {
    const e = await this.get(runId, key, options);
    return e ? (e.value as T) : undefined;
  }

  /** Visible entries (shared and temporary, plus the agent's private ones), by key. */
  async list(runId: string, options: { agentId?: string; prefix?: string; limit?: number } = {}): Promise<StateEntry[]> {
    const now = this.now();
    const filter = { ...(options.prefix !== undefined ? { prefix: options.prefix } : {}), ...(options.limit !== undefined ? { limit: options.limit } : {}) };
    const shared = await this.store.listState(runId, now, { ...filter, owner: '' });
    if (!options.agentId) return shared;
    const own = await this.store.listState(runId, now, { ...filter, owner: options.agentId });
    const ownKeys = new Set(own.map((e) => e.key));
    return [...own, ...shared.filter((e) => !ownKeys.has(e.key))].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** Deletes an entry. @returns the deleted entry, or null. @throws TuttiError `ERR_VERSION_CONFLICT` */
  async delete(runId: string, input: DeleteStateInput | string): Promise<StateEntry | null> {
    const tx = this.transaction(runId).delete(input);
    const [out] = await tx.commit();
    return out ?? null;
  }

  /** A transaction: queue writes, then `commit()` applies them atomically. */
  transaction(runId: string): StateTransaction {
    return new StateTransaction(this, parse(idSchema, runId, 'run id'));
  }

  /**
   * Read-modify-write with compare-and-set, retried on conflicts.
   * @param fn receives the current value (undefined when absent) and returns the new one.
   * @throws TuttiError `ERR_VERSION_CONFLICT` after `retries` lost races.
   */
  async update<T>(runId: string, key: string, fn: (current: T | undefined) => T, options: Omit<SetStateInput, 'key' | 'value' | 'expectedVersion'> & { retries?: number } = {}): Promise<StateEntry> {
    const { retries = 10, ...rest } = options;
    for (let i = 0; ; i++) {
      const owner = rest.type === 'private' ? rest.agentId : undefined;
      const current = await this.store.getState(runId, key, owner ?? '', this.now());
      try {
        return await this.set(runId, { ...rest, key, value: fn(current?.value as T | undefined), expectedVersion: current?.version ?? 0 });
      } catch (e) {
        if (!(e instanceof TuttiError && e.code === 'ERR_VERSION_CONFLICT') || i >= retries) throw e;
      }
    }
  }

  /**
   * Takes (or renews) a lock for `owner`.
   * @throws TuttiError `ERR_LOCK_HELD` (details: holder) when another owner keeps it past `waitMs`.
   */
  async lock(runId: string, name: string, owner: string, options: LockOptions = {}): Promise<StateLock> {
    const ttlMs = options.ttlMs ?? 30_000;
    if (!Number.isInteger(ttlMs) || ttlMs <= 0) throw invalid(`lock ttlMs must be a positive integer, got ${ttlMs}`);
    const deadline = this.now() + (options.waitMs ?? 0);
    for (;;) {
      const lock = await this.store.acquireStateLock(runId, parse(keySchema, name, 'lock name'), parse(idSchema, owner, 'lock owner'), ttlMs, this.now());
      if (lock) return lock;
      if (this.now() >= deadline) {
        const holder = await this.store.getStateLock(runId, name, this.now());
        throw new TuttiError('ERR_LOCK_HELD', `lock '${name}' of ${runId} is held by ${holder?.owner ?? 'another owner'}${holder ? ` until ${new Date(holder.expiresAt).toISOString()}` : ''}`, {
          details: { runId, lock: name, owner, holder: holder?.owner ?? null, expiresAt: holder?.expiresAt ?? null },
        });
      }
      await sleep(options.retryMs ?? 50);
    }
  }

  /** Releases a lock. @returns false when `owner` did not hold it. */
  async unlock(runId: string, name: string, owner: string): Promise<boolean> {
    return this.store.releaseStateLock(runId, name, owner, this.now());
  }

  /** Runs `fn` holding the lock, releasing it afterwards (also on throw). */
  async withLock<T>(runId: string, name: string, owner: string, fn: (lock: StateLock) => Promise<T> | T, options: LockOptions = {}): Promise<T> {
    const lock = await this.lock(runId, name, owner, options);
    try {
      return await fn(lock);
    } finally {
      await this.unlock(runId, name, owner);
    }
  }

  /** Deletes expired entries (of one run, or all). @returns how many. */
  async cleanup(runId?: string): Promise<number> {
    return this.store.deleteExpiredState(this.now(), runId);
  }

  /** Deletes every entry and lock of a run. @returns entries deleted. */
  async clear(runId: string): Promise<number> {
    return this.store.clearState(runId);
  }
}
