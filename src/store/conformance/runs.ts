/** createRun, idempotency, listRuns, runStatuses, getTask. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { brief, chooseOnly, claim, expectCode, finish, finishOf, newRun, retryPolicy, startedOf, T0, task, taskStatuses, withAgents } from './fixtures.js';

export function runTests(ctx: SuiteContext): void {
  describe('runs', () => {
    ctx.it('createRun makes tasks without dependencies ready and the others pending', async () => {
      const { store } = ctx;
      const spec = { agent: { capabilities: ['code'] }, command: ['make', 'test'], env: { A: '1' }, retry: retryPolicy(3), timeoutMs: 5000 };
      const res = await store.createRun(
        newRun('r1', [task('a', [], spec, 5), task('b', ['a']), task('c'), task('d', ['a', 'c'])], { goal: 'ship it', priority: 3, maxConcurrency: 2, workDir: '/tmp/w', metadata: { by: 'me' } }),
      );
      expect(res.created).toBe(true);
      expect(res.run).toMatchObject({ id: 'r1', status: 'queued', name: 'plan r1', goal: 'ship it', priority: 3, maxConcurrency: 2, tasksTotal: 4, tasksFinished: 0, tasksFailed: 0 });
      expect(res.run).toMatchObject({ running: 0, createdAt: T0, startedAt: null, finishedAt: null, error: null, workDir: '/tmp/w', metadata: { by: 'me' }, lastSeq: 3 });
      const tasks = await store.listTasks('r1');
      expect(tasks.map((t) => [t.id, t.status, t.pendingDeps, t.seq])).toEqual([
        ['a', 'ready', 0, 0],
        ['b', 'pending', 1, 1],
        ['c', 'ready', 0, 2],
        ['d', 'pending', 2, 3],
      ]);
      expect(tasks[0]).toMatchObject({ priority: 5, attempts: 0, failures: 0, readyAt: T0, failedAgents: [], blockedReason: null, dependsOn: [] });
      expect(tasks[0]!.spec).toEqual({ title: 'a', continueOnFailure: false, ...spec });
      expect(tasks[3]).toMatchObject({ readyAt: null, dependsOn: ['a', 'c'] });
      expect(await store.getTask('r1', 'd')).toEqual(tasks[3]);
      expect(await store.getTask('r1', 'zz')).toBeNull();
      expect(await store.getTask('nope', 'a')).toBeNull();
    });

    ctx.it('createRun appends run:created then task:ready with gapless seq', async () => {
      const { store } = ctx;
      const res = await store.createRun(newRun('r1', [task('a'), task('b', ['a']), task('c')]));
      expect(brief(res.events)).toEqual(['run:created', 'task:ready:a', 'task:ready:c']);
      expect(res.events.map((e) => e.seq)).toEqual([1, 2, 3]);
      expect(res.events.every((e) => e.runId === 'r1' && e.ts === T0)).toBe(true);
      expect(res.events[0]!.data).toEqual({ name: 'plan r1', tasks: 3 });
      expect(await store.listEvents('r1')).toEqual(res.events);
    });

    ctx.it('createRun with a used idempotencyKey returns the first run', async () => {
      const { store } = ctx;
      const first = await store.createRun(newRun('r1', [task('a')], { idempotencyKey: 'k' }));
      const again = await store.createRun(newRun('r2', [task('x'), task('y')], { idempotencyKey: 'k', createdAt: T0 + 5 }));
      expect(first.run.idempotencyKey).toBe('k');
      expect(again.created).toBe(false);
      expect(again.run.id).toBe('r1');
      expect(again.run.tasksTotal).toBe(1);
      expect(again.events).toEqual([]);
      expect(await store.getRun('r2')).toBeNull();
      const other = await store.createRun(newRun('r3', [task('a')], { idempotencyKey: 'k2' }));
      expect(other.created).toBe(true);
    });

    ctx.it('getRun and runStatuses ignore unknown ids', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      await store.createRun(newRun('r2', [task('a')]));
      await claim(store, T0 + 1, { runIds: ['r2'] });
      expect(await store.getRun('nope')).toBeNull();
      const statuses = await store.runStatuses(['r1', 'nope', 'r2']);
      expect([...statuses].sort()).toEqual([
        ['r1', 'queued'],
        ['r2', 'running'],
      ]);
      expect((await store.runStatuses([])).size).toBe(0);
    });

    ctx.it('listRuns filters by status, newest first, with a before cursor and a limit', async () => {
      const { store } = ctx;
      await withAgents(store);
      for (let i = 1; i <= 5; i++) await store.createRun(newRun(`r${i}`, [task('a')], { createdAt: T0 + i }));
      await claim(store, T0 + 10, { runIds: ['r2', 'r4'], choose: chooseOnly(['a']) });
      await store.cancelRun('r5', T0 + 11, 'no longer needed');
      const ids = async (filter?: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(filter)).map((r) => r.id);
      expect(await ids()).toEqual(['r5', 'r4', 'r3', 'r2', 'r1']);
      expect(await ids({ status: 'running' })).toEqual(['r4', 'r2']);
      expect(await ids({ status: ['queued', 'cancelled'] })).toEqual(['r5', 'r3', 'r1']);
      expect(await ids({ status: 'completed' })).toEqual([]);
      expect(await ids({ limit: 2 })).toEqual(['r5', 'r4']);
      expect(await ids({ before: 'r4', limit: 2 })).toEqual(['r3', 'r2']);
      expect(await ids({ before: 'r2' })).toEqual(['r1']);
      expect(await ids({ before: 'r4', status: 'queued' })).toEqual(['r3', 'r1']);
    });

    ctx.it('listRuns orders by creation time, not by id, with ties broken by id and a stable cursor', async () => {
      const { store } = ctx;
      // Ids chosen by users (--run-id) sort apart from their creation order.
      const made: Array<[string, number]> = [['zz-custom', 1], ['aa-custom', 2], ['m1', 3], ['m2', 3], ['m0', 3], ['b-old', 0]];
      for (const [id, at] of made) await store.createRun(newRun(id, [task('a')], { createdAt: T0 + at }));
      const ids = async (filter?: Parameters<typeof store.listRuns>[0]) => (await store.listRuns(filter)).map((r) => r.id);
      const all = ['m2', 'm1', 'm0', 'aa-custom', 'zz-custom', 'b-old'];
      expect(await ids()).toEqual(all);
      // Pages of two, each starting after the last id of the one before, cover every run once.
      const pages: string[] = [];
      let before: string | undefined;
      for (;;) {
        const page = await ids({ limit: 2, ...(before ? { before } : {}) });
        pages.push(...page);
        if (page.length < 2) break;
        before = page[page.length - 1];
      }
      expect(pages).toEqual(all);
      expect(await ids({ before: 'm1' })).toEqual(['m0', 'aa-custom', 'zz-custom', 'b-old']);
      expect(await ids({ before: 'no-such-run' })).toEqual([]);
    });

    ctx.it('countTasksOfRuns counts the tasks of several runs by status', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b', ['a']), task('c')]));
      await store.createRun(newRun('r2', [task('x')], { createdAt: T0 + 1 }));
      await claim(store, T0 + 2, { runIds: ['r1'], choose: chooseOnly(['a']) });
      await store.cancelRun('r2', T0 + 3, 'stop');
      const counts = await store.countTasksOfRuns(['r1', 'r2', 'nope', 'r1']);
      expect([...counts.keys()].sort()).toEqual(['r1', 'r2']);
      expect(counts.get('r1')).toEqual({ running: 1, pending: 1, ready: 1 });
      expect(counts.get('r2')).toEqual({ cancelled: 1 });
      expect((await store.countTasksOfRuns([])).size).toBe(0);
    });

    ctx.it('countTasks counts a run’s tasks by status', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b', ['a']), task('c'), task('d')]));
      await claim(store, T0 + 1, { choose: chooseOnly(['a']) });
      expect(await store.countTasks('r1')).toEqual({ running: 1, pending: 1, ready: 2 });
      expect(await store.countTasks('nope')).toEqual({});
    });

    ctx.it('addTasks grows an unfinished run: new tasks wait for their dependencies, the run completes only with them', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('plan')]));
      const plan = startedOf(await claim(store, T0 + 1), 'plan');
      const grown = await store.addTasks('r1', [task('build', ['plan']), task('test', ['build']), task('docs')], T0 + 2);
      expect(brief(grown.events)).toEqual(['run:extended', 'task:ready:docs']);
      expect(grown.run.tasksTotal).toBe(4);
      expect(await taskStatuses(store, 'r1')).toEqual({ plan: 'running', build: 'pending', test: 'pending', docs: 'ready' });
      const after = await claim(store, T0 + 3, { finishes: [finishOf(plan, 'succeeded', T0 + 3)] });
      expect(after.started.map((s) => s.attempt.taskId).sort()).toEqual(['build', 'docs']);
      await expectCode(store.addTasks('r1', [task('docs')], T0 + 4), 'ERR_DUPLICATE_TASK');
      await expectCode(store.addTasks('r1', [task('x', ['ghost'])], T0 + 4), 'ERR_UNKNOWN_DEPENDENCY');
      await expectCode(store.addTasks('nope', [task('x')], T0 + 4), 'ERR_RUN_NOT_FOUND');
      expect((await store.getRun('r1'))?.tasksTotal).toBe(4);
      const rest = await claim(store, T0 + 5, { finishes: after.started.map((s) => finishOf(s, 'succeeded', T0 + 5)) });
      await finish(store, T0 + 6, finishOf(startedOf(rest, 'test'), 'succeeded', T0 + 6));
      expect((await store.getRun('r1'))?.status).toBe('completed');
      await expectCode(store.addTasks('r1', [task('late')], T0 + 7), 'ERR_INVALID_TRANSITION');
    });
  });
}
