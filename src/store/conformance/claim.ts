/** claim: starting attempts, finishing them, readying dependants, completing runs, fencing. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { agent, brief, chooseOnly, claim, finish, finishOf, mustGetRun, newRun, recordingChooser, startedOf, T0, task, taskStatuses, withAgents } from './fixtures.js';

export function claimTests(ctx: SuiteContext): void {
  describe('claim', () => {
    ctx.it('starts at most limit attempts and marks the run running', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c')], { workDir: '/w' }));
      const res = await claim(store, T0 + 100, { limit: 2, workerId: 'w7' });
      expect(res.started.map((s) => s.attempt.taskId)).toEqual(['a', 'b']);
      const s = res.started[0]!;
      expect(s.attempt).toMatchObject({ runId: 'r1', taskId: 'a', n: 1, status: 'running', agentId: 'a1', workerId: 'w7', startedAt: T0 + 100, finishedAt: null, pid: null });
      expect(typeof s.attempt.token).toBe('number');
      expect(s.attempt.token).not.toBe(res.started[1]!.attempt.token);
      expect(s.task).toMatchObject({ runId: 'r1', id: 'a', attempts: 1, spec: { title: 'a' } });
      expect(s.agent.id).toBe('a1');
      expect(s.workDir).toBe('/w');
      expect(brief(res.events)).toEqual(['run:started', 'attempt:started:a', 'attempt:started:b']);
      expect(res.events.map((e) => e.seq)).toEqual([5, 6, 7]);
      expect(res.events[1]).toMatchObject({ attempt: 1, data: { agentId: 'a1' }, ts: T0 + 100 });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'running', startedAt: T0 + 100, running: 2, lastSeq: 7 });
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'running', b: 'running', c: 'ready' });
      expect((await store.getAgent('a1'))?.running).toBe(2);
      expect(await store.listAttempts('r1')).toEqual(res.started.map((x) => x.attempt));
    });

    ctx.it('limit 0 starts nothing', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      const res = await claim(store, T0 + 1, { limit: 0 });
      expect(res).toEqual({ started: [], finished: [], events: [] });
      expect((await store.getTask('r1', 'a'))?.status).toBe('ready');
    });

    ctx.it('starts only what the chooser assigns, with the agent it picks', async () => {
      const { store } = ctx;
      await withAgents(store, agent('a1'), agent('a2'));
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c')]));
      const res = await claim(store, T0 + 1, { choose: chooseOnly(['c'], 'a2') });
      expect(res.started.map((s) => [s.attempt.taskId, s.attempt.agentId])).toEqual([['c', 'a2']]);
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'ready', b: 'ready', c: 'running' });
      expect((await store.getAgent('a1'))?.running).toBe(0);
      expect((await store.getAgent('a2'))?.running).toBe(1);
    });

    ctx.it('offers candidates by run priority, task priority, then age', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('low', [task('x', [], {}, 9)], { priority: 0, createdAt: T0 }));
      await store.createRun(newRun('high', [task('old', [], {}, 0), task('top', [], {}, 1)], { priority: 5, createdAt: T0 + 1 }));
      await store.createRun(newRun('high2', [task('new', [], {}, 0)], { priority: 5, createdAt: T0 + 2 }));
      const chooser = recordingChooser();
      const res = await claim(store, T0 + 10, { choose: chooser, limit: 10 });
      expect(chooser.inputs[0]!.candidates.map((c) => `${c.runId}/${c.taskId}`)).toEqual(['high/top', 'high/old', 'high2/new', 'low/x']);
      expect(res.started.map((s) => s.attempt.taskId)).toEqual(['top', 'old', 'new', 'x']);
    });

    ctx.it('claims only tasks of the given runIds', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      await store.createRun(newRun('r2', [task('a')]));
      const res = await claim(store, T0 + 1, { runIds: ['r2'] });
      expect(res.started.map((s) => s.attempt.runId)).toEqual(['r2']);
      expect((await store.getRun('r1'))?.status).toBe('queued');
    });

    ctx.it('finishing a task readies its dependants in the same transaction and starts them', async () => {
      const { store } = ctx;
      // One slot: the dependant can start only if the finish released the agent within the claim.
      await withAgents(store, agent('a1', { maxConcurrency: 1 }));
      await store.createRun(newRun('r1', [task('a'), task('b', ['a']), task('c', ['a'])]));
      const first = await claim(store, T0 + 1);
      const a = startedOf(first, 'a');
      const second = await claim(store, T0 + 50, { finishes: [finishOf(a, 'succeeded', T0 + 50, { output: { ok: 1 }, summary: 'done', exitCode: 0 })] });
      expect(second.finished).toEqual([{ ref: { runId: 'r1', taskId: 'a', n: 1 }, applied: true }]);
      expect(brief(second.events)).toEqual(['attempt:succeeded:a', 'task:succeeded:a', 'task:ready:b', 'task:ready:c', 'attempt:started:b']);
      expect(second.events[0]!.data).toEqual({ ms: 49 });
      expect(second.started.map((s) => s.attempt.taskId)).toEqual(['b']);
      expect(await taskStatuses(store, 'r1')).toEqual({ a: 'succeeded', b: 'running', c: 'ready' });
      expect(await store.getTask('r1', 'c')).toMatchObject({ pendingDeps: 0, readyAt: T0 + 50 });
      const [attempt] = await store.listAttempts('r1', 'a');
      expect(attempt).toMatchObject({ status: 'succeeded', finishedAt: T0 + 50, output: { ok: 1 }, summary: 'done', exitCode: 0 });
      expect((await store.getAgent('a1'))?.running).toBe(1);
    });

    ctx.it('a task waits until every dependency succeeded', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c', ['a', 'b'])]));
      const started = await claim(store, T0 + 1);
      const res = await finish(store, T0 + 2, finishOf(startedOf(started, 'a'), 'succeeded', T0 + 2));
      expect(brief(res.events)).not.toContain('task:ready:c');
      expect(await store.getTask('r1', 'c')).toMatchObject({ status: 'pending', pendingDeps: 1 });
      const res2 = await finish(store, T0 + 3, finishOf(startedOf(started, 'b'), 'succeeded', T0 + 3));
      expect(brief(res2.events)).toContain('task:ready:c');
    });

    ctx.it('the run completes when every task finished', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b', ['a'])]));
      const a = startedOf(await claim(store, T0 + 1), 'a');
      const mid = await claim(store, T0 + 2, { finishes: [finishOf(a, 'succeeded', T0 + 2)] });
      expect((await mustGetRun(store, 'r1')).status).toBe('running');
      const end = await finish(store, T0 + 3, finishOf(startedOf(mid, 'b'), 'succeeded', T0 + 3));
      expect(brief(end.events)).toEqual(['attempt:succeeded:b', 'task:succeeded:b', 'run:completed']);
      expect(end.events[2]!.data).toEqual({ tasksFailed: 0 });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'completed', finishedAt: T0 + 3, tasksFinished: 2, tasksFailed: 0, running: 0, error: null });
      expect((await store.getAgent('a1'))?.running).toBe(0);
      expect(await store.listRunningAttempts()).toEqual([]);
    });

    ctx.it('a finish with a wrong token is not applied and changes nothing', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      const a = startedOf(await claim(store, T0 + 1), 'a');
      const before = await mustGetRun(store, 'r1');
      const res = await finish(store, T0 + 2, { ...finishOf(a, 'succeeded', T0 + 2), token: a.attempt.token + 1 });
      expect(res.finished).toEqual([{ ref: { runId: 'r1', taskId: 'a', n: 1 }, applied: false }]);
      expect(res.events).toEqual([]);
      expect(await mustGetRun(store, 'r1')).toEqual(before);
      expect((await store.listAttempts('r1'))[0]!.status).toBe('running');
      expect((await store.getAgent('a1'))?.running).toBe(1);
    });

    ctx.it('finishing an attempt twice applies only the first finish', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b')]));
      const a = startedOf(await claim(store, T0 + 1, { limit: 1 }), 'a');
      await finish(store, T0 + 2, finishOf(a, 'succeeded', T0 + 2));
      const after = await mustGetRun(store, 'r1');
      const again = await finish(store, T0 + 3, { ...finishOf(a, 'failed', T0 + 3), error: { kind: 'crashed', message: 'late' } });
      expect(again.finished[0]!.applied).toBe(false);
      expect(again.events).toEqual([]);
      expect(await mustGetRun(store, 'r1')).toEqual(after);
      expect((await store.listAttempts('r1', 'a'))[0]).toMatchObject({ status: 'succeeded', error: null });
      const unknown = await finish(store, T0 + 4, { ref: { runId: 'r1', taskId: 'zz', n: 1 }, token: 1, status: 'succeeded', finishedAt: T0 + 4 });
      expect(unknown.finished[0]!.applied).toBe(false);
    });

    ctx.it('a backlog pinned to a busy agent does not starve tasks other agents can run', async () => {
      const { store } = ctx;
      await withAgents(store, agent('x', { maxConcurrency: 1 }), agent('y'));
      const pinned = Array.from({ length: 3000 }, (_, i) => task(`x${i}`, [], { agent: { id: 'x' } }, 10));
      await store.createRun(newRun('r1', [...pinned, task('free', [], { agent: { id: 'y' } }, 0)]));
      const first = await claim(store, T0 + 1, { limit: 5 });
      expect(first.started.map((s) => s.attempt.taskId).sort()).toEqual(['free', 'x0']);
    });
  });
}
