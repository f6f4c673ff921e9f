/**
 * Seed 003's state manager facade (`createSession`, `setState`, `getState`, `beginTransaction`,
 * `addToTransaction`, `commitTransaction`, locks, cleanup) over the {@link StateManager}: a
 * session's state is the state of the run with that id, durable in the store. The seed's methods
 * are synchronous over a process-local map; here they return promises, because every write is
 * committed to the store before it resolves.
 */
import { randomBytes } from 'node:crypto';
import { TuttiError } from '../core/errors.js';
import type { StateEntry, StateLock, StateType } from '../store/state-types.js';
import type { StateManager, StateTransaction } from './state.js';

/** The reserved owner under which a session's own record is kept (never listed as state). */
const SESSION_OWNER = 'tutti:session';
const SESSION_KEY = 'session';

/** A session of the state manager (seed 003). */
export interface StateSession {
  id: string;
  userId: string | null;
  chatId: string | null;
  metadata: Record<string, unknown>;
  /** Epoch ms. */
  createdAt: number;
}

/** A state write (seed 003): `ttl` is in ms; `agentId` is required for `private` entries. */
export interface StateWrite {
  key: string;
  value: unknown;
  /** @default 'shared' */
  type?: StateType;
  agentId?: string;
  /** Time to live, ms (`temporary` entries default to the manager's default TTL). */
  ttl?: number;
  /** Compare-and-set: the version the entry must have now (0: must not exist). */
  expectedVersion?: number;
}

/** The facade. */
export interface StateSessions {
  /** Creates (or returns, when it exists) a session and writes its initial state as shared entries. @throws TuttiError `ERR_INVALID_INPUT` */
  createSession(sessionId: string, options?: { userId?: string; chatId?: string; initialState?: Record<string, unknown>; metadata?: Record<string, unknown> }): Promise<StateSession>;
  getSession(sessionId: string): Promise<StateSession | null>;
  /** @throws TuttiError `ERR_INVALID_INPUT`, `ERR_VERSION_CONFLICT` */
  setState(sessionId: string, write: StateWrite): Promise<StateEntry>;
  /** The value visible under `key` (an agent's private entry first), or undefined. */
  getState<T = unknown>(sessionId: string, key: string, agentId?: string): Promise<T | undefined>;
  /** Every visible entry as `{ key: value }`. */
  getAllState(sessionId: string, agentId?: string): Promise<Record<string, unknown>>;
  deleteState(sessionId: string, key: string, agentId?: string): Promise<boolean>;
  /** Opens a transaction: writes queue until `commitTransaction` applies them all or none. @returns its id */
  beginTransaction(sessionId: string): string;
  /** @throws TuttiError `ERR_INVALID_INPUT` for an unknown or finished transaction */
  addToTransaction(txId: string, write: StateWrite): void;
  /** @throws TuttiError `ERR_VERSION_CONFLICT` (nothing written), `ERR_INVALID_INPUT` for an unknown transaction */
  commitTransaction(txId: string): Promise<void>;
  rollbackTransaction(txId: string): void;
  /** @throws TuttiError `ERR_LOCK_HELD` */
  acquireLock(sessionId: string, name: string, owner: string, options?: { ttlMs?: number; waitMs?: number }): Promise<StateLock>;
  releaseLock(sessionId: string, name: string, owner: string): Promise<boolean>;
  /** Deletes expired state of every session. @returns entries deleted */
  cleanupExpired(): Promise<number>;
  /** Deletes a session and all its state. */
  deleteSession(sessionId: string): Promise<boolean>;
}

const WRITE_KEYS = new Set(['key', 'value', 'type', 'agentId', 'ttl', 'expectedVersion']);
const SESSION_OPTION_KEYS = new Set(['userId', 'chatId', 'initialState', 'metadata']);

/** A misspelt field (`ttlMs`, `agentID`…) is refused, never dropped. @throws TuttiError `ERR_INVALID_INPUT` */
function knownOnly(value: object, known: ReadonlySet<string>, where: string): void {
  const bad = Object.keys(value).filter((k) => !known.has(k));
  if (bad.length) throw new TuttiError('ERR_INVALID_INPUT', `${where}: unknown field${bad.length > 1 ? 's' : ''} ${bad.map((k) => `'${k}'`).join(', ')} (known: ${[...known].join(', ')})`);
}

function toWrite(w: StateWrite) {
  if (!w || typeof w !== 'object') throw new TuttiError('ERR_INVALID_INPUT', 'a state write is { key, value, type?, agentId?, ttl? }');
  knownOnly(w, WRITE_KEYS, 'state write');
  return {
    key: w.key,
    value: w.value,
    ...(w.type ? { type: w.type } : {}),
    ...(w.agentId ? { agentId: w.agentId } : {}),
    ...(w.ttl !== undefined ? { ttlMs: w.ttl } : {}),
    ...(w.expectedVersion !== undefined ? { expectedVersion: w.expectedVersion } : {}),
  };
}

/**
 * The seed 003 state manager over a {@link StateManager}.
 * @example
 * const stateManager = createStateSessions(new StateManager(store));
 * await stateManager.createSession('session-123', { userId: 'user-123', initialState: { targetLanguage: 'python' } });
 * await stateManager.setState('session-123', { key: 'generated_code', value: "def hello(): print('Hello')", type: 'shared' });
 * const code = await stateManager.getState('session-123', 'generated_code');
 */
export function createStateSessions(state: StateManager): StateSessions {
  const open = new Map<string, StateTransaction>();

  async function getSession(sessionId: string): Promise<StateSession | null> {
    const e = await state.get(sessionId, SESSION_KEY, { agentId: SESSION_OWNER });
    return e && e.owner === SESSION_OWNER ? (e.value as StateSession) : null;
  }

  function tx(txId: string): StateTransaction {
    const t = open.get(txId);
    if (!t) throw new TuttiError('ERR_INVALID_INPUT', `no open state transaction '${txId}' (committed, rolled back, or never begun)`);
    return t;
  }

  return {
    async createSession(sessionId, options = {}) {
      knownOnly(options ?? {}, SESSION_OPTION_KEYS, 'createSession options');
      const existing = await getSession(sessionId);
      if (existing) return existing;
      const session: StateSession = { id: sessionId, userId: options.userId ?? null, chatId: options.chatId ?? null, metadata: options.metadata ?? {}, createdAt: state.now() };
      const t = state.transaction(sessionId).set({ key: SESSION_KEY, value: session, type: 'private', agentId: SESSION_OWNER, expectedVersion: 0 });
      for (const [key, value] of Object.entries(options.initialState ?? {})) t.set({ key, value, type: 'shared' });
      try {
        await t.commit();
      } catch (e) {
        // Created meanwhile by another caller: theirs wins.
        if (e instanceof TuttiError && e.code === 'ERR_VERSION_CONFLICT') return (await getSession(sessionId))!;
        throw e;
      }
      return session;
    },
    getSession,
    setState: async (sessionId, write) => state.set(sessionId, toWrite(write)),
    getState: (sessionId, key, agentId) => state.getValue(sessionId, key, agentId ? { agentId } : {}),
    async getAllState(sessionId, agentId) {
      const list = await state.list(sessionId, agentId ? { agentId } : {});
      return Object.fromEntries(list.map((e) => [e.key, e.value]));
    },
    async deleteState(sessionId, key, agentId) {
      return (await state.delete(sessionId, { key, ...(agentId ? { agentId } : {}) })) !== null;
    },
    beginTransaction(sessionId) {
      const id = `tx_${randomBytes(8).toString('hex')}`;
      open.set(id, state.transaction(sessionId));
      return id;
    },
    addToTransaction(txId, write) {
      tx(txId).set(toWrite(write));
    },
    async commitTransaction(txId) {
      const t = tx(txId);
      open.delete(txId);
      await t.commit();
    },
    rollbackTransaction(txId) {
      tx(txId).rollback();
      open.delete(txId);
    },
    acquireLock: (sessionId, name, owner, options = {}) => state.lock(sessionId, name, owner, options),
    releaseLock: (sessionId, name, owner) => state.unlock(sessionId, name, owner),
    cleanupExpired: () => state.cleanup(),
    async deleteSession(sessionId) {
      const had = (await getSession(sessionId)) !== null;
      const n = await state.clear(sessionId);
      return had || n > 0;
    },
  };
}
