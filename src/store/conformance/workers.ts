/** Workers, running attempts, attempt processes and readiness times. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { claim, expectCode, failureOf, finish, finishOf, newRun, retryPolicy, startedOf, T0, task, withAgents } from './fixtures.js';

export function workerTests(ctx: SuiteContext): void {
  describe('workers and attempts', () => {
    ctx.it('workers register, heartbeat and are removed', async () => {
      const { store } = ctx;
      const w = { id: 'w1', host: 'box', pid: 42, leaseMs: 30_000, startedAt: T0, heartbeatAt: T0 };
      await store.registerWorker(w);
      await store.registerWorker({ ...w, id: 'w2', startedAt: T0 + 1, heartbeatAt: T0 + 1 });
      expect(await store.listWorkers()).toEqual([w, { ...w, id: 'w2', startedAt: T0 + 1, heartbeatAt: T0 + 1 }]);
      expect(await store.heartbeat('w1', T0 + 500)).toBe(true);
      expect((await store.listWorkers()).find((x) => x.id === 'w1')?.heartbeatAt).toBe(T0 + 500);
      await store.removeWorker('w1');
      expect(await store.heartbeat('w1', T0 + 600)).toBe(false);
      expect((await store.listWorkers()).map((x) => x.id)).toEqual(['w2']);
      expect(await store.heartbeat('never', T0)).toBe(false);
    });

    ctx.it('listRunningAttempts lists running attempts of every run or of some', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b')]));
      await store.createRun(newRun('r2', [task('a')]));
      const started = await claim(store, T0 + 1);
      expect(await store.listRunningAttempts()).toHaveLength(3);
      const ofR2 = await store.listRunningAttempts(['r2']);
      expect(ofR2).toEqual(started.started.filter((s) => s.attempt.runId === 'r2').map((s) => s.attempt));
      await finish(store, T0 + 2, ...started.started.filter((s) => s.attempt.runId === 'r1').map((s) => finishOf(s, 'succeeded', T0 + 2)));
      expect(await store.listRunningAttempts(['r1'])).toEqual([]);
      expect((await store.listRunningAttempts()).map((x) => x.runId)).toEqual(['r2']);
      expect(await store.listRunningAttempts([])).toEqual([]);
    });

    ctx.it('setAttemptProcess records the pid and rejects a stale token', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      const a = startedOf(await claim(store, T0 + 1), 'a');
      const ref = { runId: 'r1', taskId: 'a', n: 1 };
      await store.setAttemptProcess(ref, a.attempt.token, 4242);
      expect((await store.listAttempts('r1', 'a'))[0]?.pid).toBe(4242);
      await expectCode(store.setAttemptProcess(ref, a.attempt.token + 1, 1), 'ERR_STALE_LEASE');
      expect((await store.listAttempts('r1', 'a'))[0]?.pid).toBe(4242);
      const err = await store.setAttemptProcess(ref, a.attempt.token + 1, 1).catch((e: unknown) => e);
      expect((err as Error).name).toBe('StaleLeaseError');
      await finish(store, T0 + 2, finishOf(a, 'succeeded', T0 + 2));
      await expectCode(store.setAttemptProcess(ref, a.attempt.token, 7), 'ERR_STALE_LEASE');
    });

    ctx.it('a claim records process ids before its finishes; stale ones are ignored', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b')]));
      const res = await claim(store, T0 + 1);
      const a = startedOf(res, 'a');
      const b = startedOf(res, 'b');
      await claim(store, T0 + 2, {
        limit: 0,
        processes: [
          { ref: { runId: 'r1', taskId: 'a', n: 1 }, token: a.attempt.token, pid: 111 },
          { ref: { runId: 'r1', taskId: 'b', n: 1 }, token: b.attempt.token + 1, pid: 222 },
        ],
      });
      const pids = Object.fromEntries((await store.listAttempts('r1')).map((x) => [x.taskId, x.pid]));
      expect(pids).toEqual({ a: 111, b: null });
    });

    ctx.it('nextReadyAt gives the earliest retry time after now', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(3, 5000) }), task('b', [], { retry: retryPolicy(3, 1000) })]));
      await store.createRun(newRun('r2', [task('c')]));
      expect(await store.nextReadyAt(T0)).toBeNull();
      const started = await claim(store, T0 + 1, { runIds: ['r1'] });
      await finish(store, T0 + 10, failureOf(startedOf(started, 'a'), T0 + 10), failureOf(startedOf(started, 'b'), T0 + 10));
      expect(await store.nextReadyAt(T0 + 10)).toBe(T0 + 1010);
      expect(await store.nextReadyAt(T0 + 1010)).toBe(T0 + 5010);
      expect(await store.nextReadyAt(T0 + 5010)).toBeNull();
      expect(await store.nextReadyAt(T0 + 10, ['r1'])).toBe(T0 + 1010);
      expect(await store.nextReadyAt(T0 + 10, ['r2'])).toBeNull();
    });
  });
}
