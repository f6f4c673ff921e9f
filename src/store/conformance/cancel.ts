/** cancelRun and attempts that finish after their run ended. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { brief, chooseOnly, claim, failureOf, finish, finishOf, mustGetRun, newRun, startedOf, T0, task, taskStatuses, withAgents } from './fixtures.js';

export function cancelTests(ctx: SuiteContext): void {
  describe('cancel', () => {
    ctx.it('cancelRun cancels open tasks and returns the running attempts', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c', ['a'])]));
      const a = startedOf(await claim(store, T0 + 1, { choose: chooseOnly(['a']) }), 'a');
      const res = await store.cancelRun('r1', T0 + 10, 'user asked');
      expect(res.changed).toBe(true);
      expect(res.run).toMatchObject({ id: 'r1', status: 'cancelled', finishedAt: T0 + 10, running: 1 });
      expect(res.running).toEqual([a.attempt]);
      expect(brief(res.events).slice(0, 2).sort()).toEqual(['task:cancelled:b', 'task:cancelled:c']);
      expect(brief(res.events).slice(2)).toEqual(['run:cancelled']);
      expect(res.events[2]!.data).toEqual({ reason: 'user asked' });
      expect(await store.listEvents('r1', { afterSeq: res.events[0]!.seq - 1 })).toEqual(res.events);
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'running', b: 'cancelled', c: 'cancelled' });
      expect((await claim(store, T0 + 11)).started).toEqual([]);
    });

    ctx.it('an attempt stopped after its run was cancelled records the task cancelled', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b')]));
      const started = await claim(store, T0 + 1);
      await store.cancelRun('r1', T0 + 10, 'stop');
      const res = await finish(store, T0 + 12, finishOf(startedOf(started, 'a'), 'cancelled', T0 + 12), failureOf(startedOf(started, 'b'), T0 + 12));
      expect(res.finished.map((f) => f.applied)).toEqual([true, true]);
      expect(brief(res.events)).toEqual(['attempt:cancelled:a', 'task:cancelled:a', 'attempt:failed:b', 'task:cancelled:b']);
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'cancelled', b: 'cancelled' });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'cancelled', running: 0, tasksFinished: 2, tasksFailed: 0 });
      expect((await store.getAgent('a1'))?.running).toBe(0);
    });

    ctx.it('an attempt that succeeded after its run was cancelled records the task succeeded', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b', ['a'])]));
      const a = startedOf(await claim(store, T0 + 1), 'a');
      await store.cancelRun('r1', T0 + 10, 'stop');
      const res = await finish(store, T0 + 12, finishOf(a, 'succeeded', T0 + 12));
      expect(brief(res.events)).toEqual(['attempt:succeeded:a', 'task:succeeded:a']);
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'succeeded', b: 'cancelled' });
      expect((await mustGetRun(store, 'r1')).status).toBe('cancelled');
    });

    ctx.it('cancelRun on a finished run changes nothing; on an unknown run returns null', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      await finish(store, T0 + 2, finishOf(startedOf(await claim(store, T0 + 1), 'a'), 'succeeded', T0 + 2));
      const before = await mustGetRun(store, 'r1');
      const res = await store.cancelRun('r1', T0 + 3, 'too late');
      expect(res).toEqual({ run: before, changed: false, events: [], running: [] });
      await store.createRun(newRun('r2', [task('a')]));
      await store.cancelRun('r2', T0 + 4, 'first');
      const twice = await store.cancelRun('r2', T0 + 5, 'second');
      expect(twice.changed).toBe(false);
      expect(twice.run?.error).toBe('first');
      expect(await store.cancelRun('nope', T0 + 6, 'x')).toEqual({ run: null, changed: false, events: [], running: [] });
    });
  });
}
