/** Failed, retried and interrupted attempts. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { agent, brief, chooseOnly, claim, failureOf, finish, finishOf, mustGetRun, newRun, retryPolicy, startedOf, T0, task, taskStatuses, withAgents } from './fixtures.js';

export function failureTests(ctx: SuiteContext): void {
  describe('failures', () => {
    ctx.it('a failure with retries left makes the task ready after its backoff', async () => {
      const { store } = ctx;
      await withAgents(store, agent('a1', { priority: 1 }), agent('a2'));
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(3, 1000, 2) })]));
      const first = startedOf(await claim(store, T0 + 10), 'a');
      expect(first.attempt.agentId).toBe('a1');
      const t1 = T0 + 100;
      const failed = await claim(store, t1, { finishes: [failureOf(first, t1)] });
      expect(failed.started).toEqual([]);
      expect(brief(failed.events)).toEqual(['attempt:failed:a', 'task:retrying:a']);
      expect(failed.events[0]!.data).toMatchObject({ kind: 'exit_code', message: 'boom', exitCode: 1, ms: 90 });
      expect(failed.events[1]!.data).toEqual({ at: t1 + 1000, failures: 1 });
      expect(await store.getTask('r1', 'a')).toMatchObject({ status: 'ready', readyAt: t1 + 1000, failures: 1, attempts: 1, failedAgents: ['a1'] });
      expect((await store.getRun('r1'))?.tasksFailed).toBe(0);
      expect(await store.nextReadyAt(t1)).toBe(t1 + 1000);

      expect((await claim(store, t1 + 999)).started).toEqual([]);
      const second = startedOf(await claim(store, t1 + 1000), 'a');
      // The retry prefers the agent that has not failed the task, though it has a lower priority.
      expect(second.attempt).toMatchObject({ n: 2, agentId: 'a2' });
      expect(second.task.attempts).toBe(2);

      const t2 = t1 + 2000;
      await finish(store, t2, failureOf(second, t2));
      expect(await store.getTask('r1', 'a')).toMatchObject({ status: 'ready', readyAt: t2 + 2000, failures: 2, failedAgents: ['a1', 'a2'] });
      const third = startedOf(await claim(store, t2 + 2000), 'a');
      expect(third.attempt.n).toBe(3);
      const last = await finish(store, t2 + 2500, failureOf(third, t2 + 2500, 'still broken'));
      expect(brief(last.events)).toEqual(['attempt:failed:a', 'task:failed:a', 'run:failed']);
      expect(await store.getTask('r1', 'a')).toMatchObject({ status: 'failed', failures: 3, finishedAt: t2 + 2500 });
      expect((await store.listAttempts('r1', 'a')).map((x) => x.status)).toEqual(['failed', 'failed', 'failed']);
    });

    ctx.it('the next attempt gets feedback: the failure message and the end of its output', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(2, 0) })]));
      const first = startedOf(await claim(store, T0 + 1), 'a');
      expect(first.task.feedback).toBeNull();
      await finish(store, T0 + 2, finishOf(first, 'failed', T0 + 2, { error: { kind: 'exit_code', message: 'tests failed' }, output: 'FAIL test/x.test.ts' }));
      const second = startedOf(await claim(store, T0 + 3), 'a');
      expect(second.task.feedback).toContain('attempt 1 failed: tests failed');
      expect(second.task.feedback).toContain('FAIL test/x.test.ts');
      expect((await store.getTask('r1', 'a'))?.feedback).toBe(second.task.feedback);
    });

    ctx.it('a rate-limited attempt parks its task until the reset without spending an attempt', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(1) })]));
      const first = startedOf(await claim(store, T0 + 1), 'a');
      const res = await finish(store, T0 + 2, finishOf(first, 'failed', T0 + 2, { error: { kind: 'rate_limited', message: 'usage limit', retryAfterMs: 5000 } }));
      expect(brief(res.events)).toEqual(['attempt:failed:a', 'task:blocked:a']);
      const parked = await store.getTask('r1', 'a');
      expect(parked).toMatchObject({ status: 'blocked', failures: 0, blockedReason: { kind: 'rate_limited', until: T0 + 5002, agentId: 'a1' } });
      expect((await mustGetRun(store, 'r1')).status).toBe('running');
      expect((await claim(store, T0 + 5001)).started).toEqual([]);
      const resumed = await claim(store, T0 + 5002);
      expect(brief(resumed.events)).toEqual(['task:ready:a', 'attempt:started:a']);
      expect(startedOf(resumed, 'a').attempt.n).toBe(2);
    });

    ctx.it('a retry waits at least the retryAfterMs the error asks for', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(2, 10) })]));
      const a = startedOf(await claim(store, T0), 'a');
      await finish(store, T0 + 1, finishOf(a, 'failed', T0 + 1, { error: { kind: 'rate_limited', message: 'slow down', retryAfterMs: 30_000 } }));
      expect((await store.getTask('r1', 'a'))?.readyAt).toBe(T0 + 1 + 30_000);
    });

    ctx.it('a non-retryable error fails the task whatever the policy says', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { retry: retryPolicy(5) })]));
      const a = startedOf(await claim(store, T0), 'a');
      await finish(store, T0 + 1, finishOf(a, 'failed', T0 + 1, { error: { kind: 'non_retryable', message: 'bad input', retryable: false } }));
      expect((await store.getTask('r1', 'a'))?.status).toBe('failed');
      expect((await store.getRun('r1'))?.status).toBe('failed');
    });

    ctx.it('a failure without retries fails the run, skips dependants and cancels open tasks', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b', ['a']), task('c', ['b']), task('d'), task('e', ['d'])]));
      const a = startedOf(await claim(store, T0 + 1, { choose: chooseOnly(['a']) }), 'a');
      const res = await finish(store, T0 + 2, failureOf(a, T0 + 2, 'compile error'));
      const kinds = brief(res.events);
      expect(kinds.slice(0, 4)).toEqual(['attempt:failed:a', 'task:failed:a', 'task:skipped:b', 'task:skipped:c']);
      expect(kinds.slice(4, 6).sort()).toEqual(['task:cancelled:d', 'task:cancelled:e']);
      expect(kinds.slice(6)).toEqual(['run:failed']);
      expect(res.events[1]!.data).toEqual({ error: 'compile error' });
      expect(res.events[3]!.data).toEqual({ because: 'a' });
      expect(res.events[6]!.data).toMatchObject({ taskId: 'a' });
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'failed', b: 'skipped', c: 'skipped', d: 'cancelled', e: 'cancelled' });
      const run = await mustGetRun(store, 'r1');
      expect(run).toMatchObject({ status: 'failed', finishedAt: T0 + 2, tasksFinished: 5, tasksFailed: 1, running: 0 });
      expect(run.error).toContain("'a'");
      expect(run.error).toContain('compile error');
      expect((await claim(store, T0 + 3)).started).toEqual([]);
    });

    ctx.it('with continueOnFailure the run goes on and completes with the failure counted', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a', [], { continueOnFailure: true }), task('b', ['a']), task('c')]));
      const started = await claim(store, T0 + 1);
      const res = await finish(store, T0 + 2, failureOf(startedOf(started, 'a'), T0 + 2));
      expect(brief(res.events)).toEqual(['attempt:failed:a', 'task:failed:a', 'task:skipped:b']);
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'running', tasksFinished: 2, tasksFailed: 1 });
      const end = await finish(store, T0 + 3, finishOf(startedOf(started, 'c'), 'succeeded', T0 + 3));
      expect(brief(end.events)).toContain('run:completed');
      expect(end.events.at(-1)!.data).toEqual({ tasksFailed: 1 });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'completed', tasksFinished: 3, tasksFailed: 1, error: null });
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'failed', b: 'skipped', c: 'succeeded' });
    });

    ctx.it('a run whose every task failed or was skipped ends failed, never completed, even with continueOnFailure', async () => {
      const { store } = ctx;
      await withAgents(store);
      const optional = { continueOnFailure: true };
      await store.createRun(newRun('r1', [task('a', [], optional), task('b', [], optional), task('c', ['a'])]));
      const started = await claim(store, T0 + 1);
      await finish(store, T0 + 2, failureOf(startedOf(started, 'a'), T0 + 2));
      const end = await finish(store, T0 + 3, failureOf(startedOf(started, 'b'), T0 + 3));
      expect(brief(end.events)).toEqual(['attempt:failed:b', 'task:failed:b', 'run:failed']);
      expect(end.events.at(-1)!.data).toEqual({ error: 'every task failed or was skipped (2 failed)', tasksFailed: 2 });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'failed', finishedAt: T0 + 3, tasksFinished: 3, tasksFailed: 2, error: 'every task failed or was skipped (2 failed)' });
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'failed', b: 'failed', c: 'skipped' });
    });

    ctx.it('an interrupted attempt hands the task back without counting a failure', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      const a = startedOf(await claim(store, T0 + 1), 'a');
      const res = await finish(store, T0 + 5, finishOf(a, 'interrupted', T0 + 5, { error: { kind: 'crashed', message: 'worker w1 died' } }));
      expect(brief(res.events)).toEqual(['attempt:interrupted:a', 'task:ready:a']);
      expect(res.events[0]!.data).toEqual({ reason: 'worker w1 died' });
      expect(await store.getTask('r1', 'a')).toMatchObject({ status: 'ready', failures: 0, attempts: 1, failedAgents: [], readyAt: T0 + 5 });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'running', running: 0, tasksFinished: 0 });
      expect((await store.getAgent('a1'))?.running).toBe(0);
      const again = startedOf(await claim(store, T0 + 6), 'a');
      expect(again.attempt.n).toBe(2);
      expect((await store.listAttempts('r1', 'a')).map((x) => [x.n, x.status])).toEqual([
        [1, 'interrupted'],
        [2, 'running'],
      ]);
    });
  });
}
