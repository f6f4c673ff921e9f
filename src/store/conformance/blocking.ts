/** Blocked tasks, concurrency limits and the loads the chooser sees. */
import { describe, expect } from 'vitest';
import type { Chooser } from '../../core/scheduler/select.js';
import type { SuiteContext } from './harness.js';
import { agent, brief, chooseAny, claim, finish, finishOf, newRun, recordingChooser, startedOf, T0, task, withAgents } from './fixtures.js';

export function blockingTests(ctx: SuiteContext): void {
  describe('blocking and limits', () => {
    ctx.it('a task no agent can run is blocked with the reason, and unblockTasks readies it', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('gpu', [], { agent: { capabilities: ['gpu'] } }), task('cpu')]));
      const res = await claim(store, T0 + 1);
      expect(res.started.map((s) => s.attempt.taskId)).toEqual(['cpu']);
      expect(brief(res.events)).toContain('task:blocked:gpu');
      const blocked = await store.getTask('r1', 'gpu');
      expect(blocked?.status).toBe('blocked');
      expect(blocked?.blockedReason).toMatchObject({ kind: 'no_capable_agent' });
      expect((blocked?.blockedReason as { message: string }).message).toContain('gpu');
      expect(res.events.find((e) => e.type === 'task:blocked')?.data).toEqual({ reason: blocked?.blockedReason });
      expect((await claim(store, T0 + 2)).started).toEqual([]);

      await store.upsertAgents([agent('g1', { capabilities: ['gpu'] })], T0 + 3);
      const events = await store.unblockTasks(T0 + 3);
      expect(brief(events)).toEqual(['task:ready:gpu']);
      expect(await store.getTask('r1', 'gpu')).toMatchObject({ status: 'ready', blockedReason: null });
      const next = await claim(store, T0 + 4);
      expect(next.started.map((s) => [s.attempt.taskId, s.attempt.agentId])).toEqual([['gpu', 'g1']]);
    });

    ctx.it('a chooser-blocked reason is stored as given; only no_capable_agent is unblocked', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b')]));
      const choose: Chooser = (input) => ({
        assignments: [],
        blocked: input.candidates.map((c) =>
          c.taskId === 'a' ? { runId: c.runId, taskId: c.taskId, reason: { kind: 'budget_exhausted', message: 'over $5' } } : { runId: c.runId, taskId: c.taskId, reason: { kind: 'no_capable_agent', message: 'none' } },
        ),
      });
      await claim(store, T0 + 1, { choose });
      expect(await store.getTask('r1', 'a')).toMatchObject({ status: 'blocked', blockedReason: { kind: 'budget_exhausted', message: 'over $5' } });
      expect((await store.stats()).blockedByReason).toEqual({ budget_exhausted: 1, no_capable_agent: 1 });
      expect(brief(await store.unblockTasks(T0 + 2))).toEqual(['task:ready:b']);
      expect((await store.getTask('r1', 'a'))?.status).toBe('blocked');
    });

    ctx.it('the per-run maxConcurrency holds and is passed to the chooser', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c'), task('d'), task('e')], { maxConcurrency: 3 }));
      const chooser = recordingChooser();
      const first = await claim(store, T0 + 1, { choose: chooser, limit: 2 });
      expect(first.started).toHaveLength(2);
      expect(chooser.inputs[0]!.runs.get('r1')).toEqual({ running: 0, maxConcurrency: 3 });
      const second = await claim(store, T0 + 2, { choose: chooser });
      expect(chooser.inputs[1]!.runs.get('r1')).toEqual({ running: 2, maxConcurrency: 3 });
      expect(second.started).toHaveLength(1);
      expect((await claim(store, T0 + 3, { choose: chooser })).started).toEqual([]);
      const next = await claim(store, T0 + 4, { choose: chooser, finishes: [finishOf(first.started[0]!, 'succeeded', T0 + 4)] });
      expect(next.started).toHaveLength(1);
      expect((await store.getRun('r1'))?.running).toBe(3);
      expect((await store.listRunningAttempts(['r1'])).length).toBe(3);
    });

    ctx.it('the chooser sees every agent with its running count and the slots left', async () => {
      const { store } = ctx;
      await withAgents(store, agent('a1', { maxConcurrency: 1 }), agent('a2', { maxConcurrency: 3, capabilities: ['x', 'y'] }));
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c')]));
      await claim(store, T0 + 1, { limit: 2 });
      await store.createRun(newRun('r2', [task('z')]));
      const chooser = recordingChooser();
      await claim(store, T0 + 2, { choose: chooser, limit: 5 });
      const input = chooser.inputs[0]!;
      expect(input.slots).toBe(5);
      expect(input.agents.map((a) => [a.id, a.running, a.maxConcurrency]).sort()).toEqual([
        ['a1', 1, 1],
        ['a2', 1, 3],
      ]);
      expect(input.agents.find((a) => a.id === 'a2')?.capabilities).toEqual(['x', 'y']);
    });

    ctx.it('agent capacity holds across claims', async () => {
      const { store } = ctx;
      await withAgents(store, agent('a1', { maxConcurrency: 2 }));
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c')]));
      const first = await claim(store, T0 + 1);
      expect(first.started).toHaveLength(2);
      expect((await claim(store, T0 + 2)).started).toEqual([]);
      await finish(store, T0 + 3, finishOf(startedOf(first, 'a'), 'succeeded', T0 + 3));
      expect((await claim(store, T0 + 4)).started.map((s) => s.attempt.taskId)).toEqual(['c']);
    });

    ctx.it('a run at its concurrency limit does not hold back other runs', async () => {
      const { store } = ctx;
      await withAgents(store);
      const many = Array.from({ length: 60 }, (_, i) => task(`t${i}`));
      await store.createRun(newRun('busy', many, { priority: 10, maxConcurrency: 1 }));
      await store.createRun(newRun('other', [task('x')], { createdAt: T0 + 1 }));
      expect((await claim(store, T0 + 2, { limit: 1 })).started.map((s) => s.attempt.runId)).toEqual(['busy']);
      const res = await claim(store, T0 + 3, { limit: 1, choose: chooseAny });
      expect(res.started.map((s) => `${s.attempt.runId}/${s.attempt.taskId}`)).toEqual(['other/x']);
    });
  });
}
