/** State: versions, compare-and-set, atomic batches, expiry, owners, locks (StateStore). */
import { describe, expect } from 'vitest';
import { isTuttiError } from '../../core/errors.js';
import type { StateOp } from '../state-types.js';
import type { SuiteContext } from './harness.js';
import { T0 } from './fixtures.js';

const set = (key: string, value: unknown, extra: Partial<Extract<StateOp, { op: 'set' }>> = {}): StateOp => ({ op: 'set', key, owner: '', type: 'shared', value, expiresAt: null, ...extra });

async function rejects(p: Promise<unknown>, code: string): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    if (!isTuttiError(e) || e.code !== code) throw e;
    return e.details ?? {};
  }
  throw new Error(`expected ${code}`);
}

export function stateTests(ctx: SuiteContext): void {
  describe('state', () => {
    ctx.it('set creates version 1, each write adds one, values round-trip as JSON', async () => {
      const { store } = ctx;
      const [a] = await store.applyState('r1', [set('k', { n: 1, list: ['x'] })], T0);
      expect(a).toMatchObject({ runId: 'r1', key: 'k', owner: '', type: 'shared', value: { n: 1, list: ['x'] }, version: 1, expiresAt: null, createdAt: T0, updatedAt: T0 });
      const [b] = await store.applyState('r1', [set('k', 'two')], T0 + 5);
      expect(b).toMatchObject({ value: 'two', version: 2, createdAt: T0, updatedAt: T0 + 5 });
      expect(await store.getState('r1', 'k', '', T0 + 6)).toEqual(b);
      expect(await store.getState('r2', 'k', '', T0 + 6)).toBeNull();
      expect(await store.getState('r1', 'other', '', T0 + 6)).toBeNull();
    });

    ctx.it('compare-and-set with a stale version fails with ERR_VERSION_CONFLICT and writes nothing', async () => {
      const { store } = ctx;
      await store.applyState('r1', [set('k', 1)], T0);
      await store.applyState('r1', [set('k', 2, { expectedVersion: 1 })], T0 + 1);
      const details = await rejects(store.applyState('r1', [set('k', 3, { expectedVersion: 1 })], T0 + 2), 'ERR_VERSION_CONFLICT');
      expect(details).toMatchObject({ runId: 'r1', key: 'k', expected: 1, actual: 2 });
      expect(await store.getState('r1', 'k', '', T0 + 3)).toMatchObject({ value: 2, version: 2 });
      // 0 means "must not exist".
      await rejects(store.applyState('r1', [set('k', 4, { expectedVersion: 0 })], T0 + 4), 'ERR_VERSION_CONFLICT');
      const [created] = await store.applyState('r1', [set('fresh', 'x', { expectedVersion: 0 })], T0 + 5);
      expect(created).toMatchObject({ version: 1 });
    });

    ctx.it('a batch applies all its ops or none', async () => {
      const { store } = ctx;
      await store.applyState('r1', [set('a', 1), set('b', 1)], T0);
      await rejects(store.applyState('r1', [set('a', 2), set('c', 2), set('b', 2, { expectedVersion: 7 })], T0 + 1), 'ERR_VERSION_CONFLICT');
      expect((await store.listState('r1', T0 + 2)).map((e) => [e.key, e.value, e.version])).toEqual([
        ['a', 1, 1],
        ['b', 1, 1],
      ]);
      const out = await store.applyState('r1', [set('a', 3, { expectedVersion: 1 }), { op: 'delete', key: 'b', owner: '' }, set('c', 3)], T0 + 3);
      expect(out.map((e) => e && [e.key, e.value, e.version])).toEqual([
        ['a', 3, 2],
        ['b', 1, 1],
        ['c', 3, 1],
      ]);
      expect((await store.listState('r1', T0 + 4)).map((e) => e.key)).toEqual(['a', 'c']);
      expect(await store.applyState('r1', [{ op: 'delete', key: 'nope', owner: '' }], T0 + 5)).toEqual([null]);
    });

    ctx.it('private entries belong to their owner and do not collide with shared ones', async () => {
      const { store } = ctx;
      await store.applyState('r1', [set('plan', 'shared plan'), set('plan', 'mine', { owner: 'coder', type: 'private' }), set('plan', 'theirs', { owner: 'qa', type: 'private' })], T0);
      expect(await store.getState('r1', 'plan', '', T0)).toMatchObject({ value: 'shared plan', owner: '', type: 'shared' });
      expect(await store.getState('r1', 'plan', 'coder', T0)).toMatchObject({ value: 'mine', owner: 'coder', type: 'private' });
      expect((await store.listState('r1', T0, { owner: 'qa' })).map((e) => e.value)).toEqual(['theirs']);
      expect((await store.listState('r1', T0)).map((e) => `${e.owner}:${e.value}`)).toEqual([':shared plan', 'coder:mine', 'qa:theirs']);
    });

    ctx.it('expired entries read as absent, keep counting versions, and are removed by deleteExpiredState', async () => {
      const { store } = ctx;
      await store.applyState('r1', [set('tmp', 'soon gone', { type: 'temporary', expiresAt: T0 + 100 }), set('keep', 1)], T0);
      await store.applyState('r2', [set('tmp', 'other run', { type: 'temporary', expiresAt: T0 + 100 })], T0);
      expect(await store.getState('r1', 'tmp', '', T0 + 99)).toMatchObject({ value: 'soon gone', type: 'temporary', expiresAt: T0 + 100 });
      expect(await store.getState('r1', 'tmp', '', T0 + 100)).toBeNull();
      expect((await store.listState('r1', T0 + 100)).map((e) => e.key)).toEqual(['keep']);
      // Absent for compare-and-set too, but the next version continues from the expired one.
      const [again] = await store.applyState('r1', [set('tmp', 'back', { expectedVersion: 0 })], T0 + 101);
      expect(again).toMatchObject({ version: 2, createdAt: T0 + 101 });
      expect(await store.deleteExpiredState(T0 + 200, 'r1')).toBe(0);
      expect(await store.deleteExpiredState(T0 + 200)).toBe(1);
      expect(await store.getState('r2', 'tmp', '', T0)).toBeNull();
    });

    ctx.it('listState filters by prefix literally and clearState removes a run', async () => {
      const { store } = ctx;
      await store.applyState('r1', [set('task:a', 1), set('task:b', 2), set('task%', 3), set('other', 4)], T0);
      expect((await store.listState('r1', T0, { prefix: 'task:' })).map((e) => e.key)).toEqual(['task:a', 'task:b']);
      expect((await store.listState('r1', T0, { prefix: 'task%' })).map((e) => e.key)).toEqual(['task%']);
      expect((await store.listState('r1', T0, { limit: 2 })).length).toBe(2);
      await store.applyState('r2', [set('x', 1)], T0);
      expect(await store.clearState('r1')).toBe(4);
      expect(await store.listState('r1', T0)).toEqual([]);
      expect(await store.getState('r2', 'x', '', T0)).not.toBeNull();
    });

    ctx.it('locks: one owner at a time, renewal keeps the token, expiry frees, tokens grow', async () => {
      const { store } = ctx;
      const a = await store.acquireStateLock('r1', 'deploy', 'alice', 1000, T0);
      expect(a).toMatchObject({ runId: 'r1', name: 'deploy', owner: 'alice', token: 1, acquiredAt: T0, expiresAt: T0 + 1000 });
      expect(await store.acquireStateLock('r1', 'deploy', 'bob', 1000, T0 + 10)).toBeNull();
      expect(await store.acquireStateLock('r1', 'other', 'bob', 1000, T0 + 10)).toMatchObject({ owner: 'bob', token: 1 });
      const renewed = await store.acquireStateLock('r1', 'deploy', 'alice', 1000, T0 + 500);
      expect(renewed).toMatchObject({ token: 1, acquiredAt: T0, expiresAt: T0 + 1500 });
      expect(await store.getStateLock('r1', 'deploy', T0 + 1499)).toMatchObject({ owner: 'alice' });
      expect(await store.getStateLock('r1', 'deploy', T0 + 1500)).toBeNull();
      const bob = await store.acquireStateLock('r1', 'deploy', 'bob', 1000, T0 + 1500);
      expect(bob).toMatchObject({ owner: 'bob', token: 2 });
      expect(await store.releaseStateLock('r1', 'deploy', 'alice', T0 + 1600)).toBe(false);
      expect(await store.releaseStateLock('r1', 'deploy', 'bob', T0 + 1600)).toBe(true);
      expect(await store.getStateLock('r1', 'deploy', T0 + 1600)).toBeNull();
      expect(await store.acquireStateLock('r1', 'deploy', 'carol', 1000, T0 + 1700)).toMatchObject({ owner: 'carol', token: 3 });
    });

    ctx.it('a batch guarded by a lock applies only for its holder', async () => {
      const { store } = ctx;
      await rejects(store.applyState('r1', [set('k', 1)], T0, { name: 'w', owner: 'alice' }), 'ERR_LOCK_HELD');
      await store.acquireStateLock('r1', 'w', 'alice', 100, T0);
      const details = await rejects(store.applyState('r1', [set('k', 1)], T0 + 1, { name: 'w', owner: 'bob' }), 'ERR_LOCK_HELD');
      expect(details).toMatchObject({ holder: 'alice' });
      expect(await store.applyState('r1', [set('k', 1)], T0 + 2, { name: 'w', owner: 'alice' })).toHaveLength(1);
      await rejects(store.applyState('r1', [set('k', 2)], T0 + 100, { name: 'w', owner: 'alice' }), 'ERR_LOCK_HELD');
      expect(await store.getState('r1', 'k', '', T0 + 100)).toMatchObject({ value: 1 });
    });
  });
}
