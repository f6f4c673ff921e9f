/**
 * Run state: the three types, compare-and-set, transactions, locks, expiry — over a real SQLite
 * file shared by two managers — and seed 003's state manager example through the facade.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateSessions } from '../../src/memory/state-sessions.js';
import { StateManager } from '../../src/memory/state.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';

const stores: SqliteStore[] = [];
afterEach(async () => {
  while (stores.length) await stores.pop()!.close();
});

function sharedFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'tutti-state-')), 'tutti.db');
}

function open(path: string): SqliteStore {
  const s = new SqliteStore({ path });
  stores.push(s);
  return s;
}

describe('state manager', () => {
  it('shared, private (one agent) and temporary (TTL) entries, seen through two stores on one file', async () => {
    let now = 1_000_000;
    const path = sharedFile();
    const a = new StateManager(open(path), { now: () => now });
    const b = new StateManager(open(path), { now: () => now });
    await a.set('run-1', { key: 'plan', value: ['a', 'b'] });
    await a.set('run-1', { key: 'plan', value: 'mine only', type: 'private', agentId: 'coder' });
    await a.set('run-1', { key: 'scratch', value: 42, type: 'temporary', ttlMs: 1000 });
    expect(await b.getValue('run-1', 'plan')).toEqual(['a', 'b']);
    expect(await b.getValue('run-1', 'plan', { agentId: 'coder' })).toBe('mine only');
    expect(await b.getValue('run-1', 'plan', { agentId: 'reviewer' })).toEqual(['a', 'b']);
    expect((await b.list('run-1', { agentId: 'reviewer' })).map((e) => e.key)).toEqual(['plan', 'scratch']);
    expect(await b.getValue('run-2', 'plan')).toBeUndefined(); // per run
    await expect(a.set('run-1', { key: 'x', value: 1, type: 'private' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });

    now += 1001;
    expect(await b.getValue('run-1', 'scratch')).toBeUndefined();
    expect(await a.cleanup()).toBe(1);
  });

  it('compare-and-set: a stale version is refused; update() retries lost races', async () => {
    const path = sharedFile();
    const a = new StateManager(open(path));
    const b = new StateManager(open(path));
    const e = await a.set('r', { key: 'n', value: 1, expectedVersion: 0 });
    expect(e.version).toBe(1);
    await b.set('r', { key: 'n', value: 2, expectedVersion: 1 });
    await expect(a.set('r', { key: 'n', value: 3, expectedVersion: 1 })).rejects.toMatchObject({ code: 'ERR_VERSION_CONFLICT' });
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).update<number>('r', 'n', (v) => (v ?? 0) + 1)));
    expect(await a.getValue('r', 'n')).toBe(12);
  });

  it('transactions apply every write or none; locks exclude other owners until released or expired', async () => {
    let now = 5_000;
    const m = new StateManager(open(sharedFile()), { now: () => now });
    await m.set('r', { key: 'a', value: 1 });
    const bad = m.transaction('r').set({ key: 'b', value: 2 }).set({ key: 'a', value: 9, expectedVersion: 7 });
    await expect(bad.commit()).rejects.toMatchObject({ code: 'ERR_VERSION_CONFLICT' });
    expect(await m.getValue('r', 'b')).toBeUndefined();
    await m.transaction('r').set({ key: 'b', value: 2 }).delete('a').commit();
    expect((await m.list('r')).map((e) => [e.key, e.value])).toEqual([['b', 2]]);

    await m.lock('r', 'deploy', 'w1', { ttlMs: 1000 });
    await expect(m.lock('r', 'deploy', 'w2')).rejects.toMatchObject({ code: 'ERR_LOCK_HELD', details: { holder: 'w1' } });
    // A transaction guarded by a lock its writer does not hold writes nothing.
    await expect(m.transaction('r').set({ key: 'c', value: 3 }).commit({ name: 'deploy', owner: 'w2' })).rejects.toMatchObject({ code: 'ERR_LOCK_HELD' });
    now += 1001;
    expect((await m.lock('r', 'deploy', 'w2')).owner).toBe('w2');
    expect(await m.unlock('r', 'deploy', 'w2')).toBe(true);
  });
});

describe('seed 003: the state manager example', () => {
  it('createSession with initial state, setState, getState, a transaction, cleanup — durable in the store', async () => {
    const path = sharedFile();
    const stateManager = createStateSessions(new StateManager(open(path)));
    const session = await stateManager.createSession('session-123', {
      userId: 'user-123',
      initialState: { targetLanguage: 'python', testFramework: 'pytest' },
    });
    expect(session).toMatchObject({ id: 'session-123', userId: 'user-123' });

    await stateManager.setState('session-123', { key: 'generated_code', value: "def hello(): print('Hello')", type: 'shared' });
    const code = await stateManager.getState('session-123', 'generated_code');
    expect(code).toBe("def hello(): print('Hello')");

    const txId = stateManager.beginTransaction('session-123');
    stateManager.addToTransaction(txId, { key: 'test_results', value: { passed: 10, failed: 0 } });
    expect(await stateManager.getState('session-123', 'test_results')).toBeUndefined(); // not before commit
    await stateManager.commitTransaction(txId);
    expect(() => stateManager.addToTransaction(txId, { key: 'late', value: 1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));

    // Another process (a second store on the file) sees the same session and state.
    const other = createStateSessions(new StateManager(open(path)));
    expect(await other.getSession('session-123')).toMatchObject({ userId: 'user-123' });
    expect(await other.getAllState('session-123')).toEqual({
      generated_code: "def hello(): print('Hello')",
      targetLanguage: 'python',
      testFramework: 'pytest',
      test_results: { passed: 10, failed: 0 },
    });
    expect((await other.createSession('session-123', { userId: 'someone-else' })).userId).toBe('user-123');

    await other.setState('session-123', { key: 'tmp', value: 1, type: 'temporary', ttl: 1 });
    await new Promise((r) => setTimeout(r, 5));
    expect(await other.cleanupExpired()).toBe(1);
    expect(await other.deleteSession('session-123')).toBe(true);
    expect(await stateManager.getSession('session-123')).toBeNull();
  });
});
