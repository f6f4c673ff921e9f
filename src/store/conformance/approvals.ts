/** approvals: gates that wait for a person, decisions, rewinds, loops, expiry. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { brief, claim, expectCode, finish, finishOf, mustGetRun, newRun, retryPolicy, startedOf, T0, task, taskStatuses, withAgents } from './fixtures.js';

const gate = (id: string, deps: string[], message = `approve ${id}?`) => task(id, deps, { approval: { message } });

export function approvalTests(ctx: SuiteContext): void {
  describe('approvals', () => {
    ctx.it('a ready approval task waits for a person and puts the run in awaiting_approval', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('spec'), gate('review', ['spec']), task('build', ['review'])], { approvalTtlMs: 60_000 }));
      const spec = startedOf(await claim(store, T0 + 1), 'spec');
      const res = await finish(store, T0 + 2, finishOf(spec, 'succeeded', T0 + 2));
      expect(brief(res.events)).toEqual(['attempt:succeeded:spec', 'task:succeeded:spec', 'approval:requested:review']);
      expect(res.events[2]!.data).toEqual({ message: 'approve review?', reason: 'gate' });
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'awaiting_approval', expiresAt: T0 + 2 + 60_000 });
      expect(await taskStatuses(store, 'r1')).toEqual({ spec: 'succeeded', review: 'awaiting_approval', build: 'pending' });
      // Nothing is claimable while the gate waits.
      expect((await claim(store, T0 + 3)).started).toEqual([]);
    });

    ctx.it('approve: the gate succeeds (a decision attempt by a person), its dependants become ready', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [gate('go', []), task('after', ['go'])]));
      expect((await mustGetRun(store, 'r1')).status).toBe('awaiting_approval');
      const out = await store.decideApproval({ runId: 'r1', approve: true, by: 'ana', comment: 'looks good', now: T0 + 10 });
      expect(out.taskId).toBe('go');
      expect(brief(out.events)).toEqual(['approval:granted:go', 'task:succeeded:go', 'task:ready:after']);
      expect(out.events[0]!.data).toEqual({ by: 'ana', comment: 'looks good' });
      expect(out.run).toMatchObject({ status: 'running', expiresAt: null, tasksFinished: 1 });
      const [decision] = await store.listAttempts('r1', 'go');
      expect(decision).toMatchObject({ n: 1, status: 'succeeded', agentId: 'human', workerId: 'ana', summary: 'looks good', finishedAt: T0 + 10 });
      const after = startedOf(await claim(store, T0 + 11), 'after');
      await finish(store, T0 + 12, finishOf(after, 'succeeded', T0 + 12));
      expect((await mustGetRun(store, 'r1')).status).toBe('completed');
    });

    ctx.it('reject: the rewound task runs again with the feedback; downstream tasks reset; earlier attempts kept', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('pm'), task('architect', ['pm']), gate('review', ['architect']), task('engineer', ['review'])]));
      const pm = startedOf(await claim(store, T0 + 1), 'pm');
      const arch = startedOf(await claim(store, T0 + 2, { finishes: [finishOf(pm, 'succeeded', T0 + 2)] }), 'architect');
      await finish(store, T0 + 3, finishOf(arch, 'succeeded', T0 + 3, { output: 'spec v1' }));
      expect((await mustGetRun(store, 'r1')).tasksFinished).toBe(2);

      const out = await store.decideApproval({ runId: 'r1', approve: false, by: 'ana', feedback: 'needs an auth section', rewindTo: 'architect', now: T0 + 4 });
      expect(brief(out.events)).toEqual(['approval:rejected:review', 'task:rewound:architect', 'task:reset:review', 'task:ready:architect']);
      expect(out.events[0]!.data).toEqual({ by: 'ana', feedback: 'needs an auth section', rewindTo: 'architect' });
      expect(out.run).toMatchObject({ status: 'running', tasksFinished: 1 });
      expect(await taskStatuses(store, 'r1')).toEqual({ pm: 'succeeded', architect: 'ready', review: 'pending', engineer: 'pending' });

      const again = startedOf(await claim(store, T0 + 5), 'architect');
      expect(again.attempt.n).toBe(2);
      expect(again.task.feedback).toContain('needs an auth section');
      const arch2 = await finish(store, T0 + 6, finishOf(again, 'succeeded', T0 + 6, { output: 'spec v2' }));
      expect(brief(arch2.events)).toContain('approval:requested:review');
      expect((await store.listAttempts('r1', 'architect')).map((a) => [a.n, a.status, a.output])).toEqual([
        [1, 'succeeded', 'spec v1'],
        [2, 'succeeded', 'spec v2'],
      ]);
      expect((await store.listAttempts('r1', 'review')).map((a) => [a.n, a.status, a.agentId])).toEqual([[1, 'failed', 'human']]);
      await store.decideApproval({ runId: 'r1', approve: true, by: 'ana', now: T0 + 7 });
      const eng = startedOf(await claim(store, T0 + 8), 'engineer');
      await finish(store, T0 + 9, finishOf(eng, 'succeeded', T0 + 9));
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'completed', tasksFinished: 4 });
    });

    ctx.it('stats count every decision and the runs of each template', async () => {
      const { store } = ctx;
      await withAgents(store);
      expect((await store.stats()).decisions).toEqual({ approved: 0, rejected: 0 });
      await store.createRun(newRun('r1', [task('spec'), gate('review', ['spec'])], { metadata: { template: 'dev-team' } }));
      await store.createRun(newRun('r2', [gate('go', [])], { metadata: { template: 'dev-team' } }));
      await store.createRun(newRun('r3', [gate('ok', [])]));
      const spec = startedOf(await claim(store, T0 + 1), 'spec');
      await finish(store, T0 + 2, finishOf(spec, 'succeeded', T0 + 2));
      await store.decideApproval({ runId: 'r1', approve: false, by: 'ana', feedback: 'redo', rewindTo: 'spec', now: T0 + 3 });
      await store.decideApproval({ runId: 'r2', approve: true, by: 'ana', now: T0 + 4 });
      await store.decideApproval({ runId: 'r3', approve: true, by: 'bo', now: T0 + 5 });
      const stats = await store.stats();
      expect(stats.decisions).toEqual({ approved: 2, rejected: 1 });
      expect(stats.runsByTemplate).toEqual({ 'dev-team': { running: 1, completed: 1 } });
    });

    ctx.it('decisions on a run that is not waiting, unknown targets, and non-upstream targets are refused without change', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), gate('g', ['a']), task('side')]));
      await expectCode(store.decideApproval({ runId: 'r1', approve: true, by: 'x', now: T0 + 1 }), 'ERR_NOT_AWAITING_APPROVAL');
      await expectCode(store.decideApproval({ runId: 'nope', approve: true, by: 'x', now: T0 + 1 }), 'ERR_RUN_NOT_FOUND');
      const a = startedOf(await claim(store, T0 + 1, { limit: 1 }), 'a');
      await finish(store, T0 + 2, finishOf(a, 'succeeded', T0 + 2));
      await expectCode(store.decideApproval({ runId: 'r1', approve: false, by: 'x', feedback: 'no', rewindTo: 'ghost', now: T0 + 3 }), 'ERR_TASK_NOT_FOUND');
      await expectCode(store.decideApproval({ runId: 'r1', approve: false, by: 'x', feedback: 'no', rewindTo: 'side', now: T0 + 3 }), 'ERR_INVALID_INPUT');
      expect((await taskStatuses(store, 'r1')).g).toBe('awaiting_approval');
      expect(await store.listAttempts('r1', 'g')).toEqual([]);
    });

    ctx.it('a loop rewinds to an earlier task with the failure as feedback, then waits for a person when exhausted', async () => {
      const { store } = ctx;
      await withAgents(store);
      const qaSpec = { retry: retryPolicy(1), loop: { rewindTo: 'engineer', maxIterations: 2, onExhausted: 'approval' as const } };
      await store.createRun(newRun('r1', [task('engineer'), task('qa', ['engineer'], qaSpec)]));
      let eng = startedOf(await claim(store, T0 + 1), 'engineer');
      for (let i = 1; i <= 2; i++) {
        const qa = startedOf(await claim(store, T0 + 10 * i, { finishes: [finishOf(eng, 'succeeded', T0 + 10 * i)] }), 'qa');
        const looped = await finish(store, T0 + 10 * i + 1, finishOf(qa, 'failed', T0 + 10 * i + 1, { error: { kind: 'exit_code', message: `bug ${i}` } }));
        expect(brief(looped.events)).toEqual(['attempt:failed:qa', 'task:looped:qa', 'task:rewound:engineer', 'task:reset:qa', 'task:ready:engineer']);
        eng = startedOf(await claim(store, T0 + 10 * i + 2), 'engineer');
        expect(eng.task.feedback).toContain(`bug ${i}`);
      }
      const qa3 = startedOf(await claim(store, T0 + 40, { finishes: [finishOf(eng, 'succeeded', T0 + 40)] }), 'qa');
      const exhausted = await finish(store, T0 + 41, finishOf(qa3, 'failed', T0 + 41, { error: { kind: 'exit_code', message: 'bug 3' } }));
      expect(brief(exhausted.events)).toEqual(['attempt:failed:qa', 'approval:requested:qa']);
      expect(exhausted.events[1]!.data).toMatchObject({ reason: 'loop_exhausted' });
      expect((await store.getTask('r1', 'qa'))).toMatchObject({ status: 'awaiting_approval', iterations: 2 });
      expect((await mustGetRun(store, 'r1')).status).toBe('awaiting_approval');
      // A person sends it round once more with guidance (default target: the loop's).
      const out = await store.decideApproval({ runId: 'r1', approve: false, by: 'lead', feedback: 'use a mutex', now: T0 + 42 });
      expect(brief(out.events)).toEqual(['approval:rejected:qa', 'task:rewound:engineer', 'task:reset:qa', 'task:ready:engineer']);
      expect(startedOf(await claim(store, T0 + 43), 'engineer').task.feedback).toContain('use a mutex');
    });

    ctx.it('a run waiting past its approval TTL expires; open tasks are cancelled', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [gate('g', []), task('after', ['g'])], { approvalTtlMs: 1000 }));
      expect(await store.expireRuns(T0 + 999)).toEqual([]);
      const events = await store.expireRuns(T0 + 1000);
      expect(brief(events).sort()).toEqual(['run:expired', 'task:cancelled:after', 'task:cancelled:g'].sort());
      expect(await mustGetRun(store, 'r1')).toMatchObject({ status: 'expired', expiresAt: null, tasksFinished: 2 });
      await expectCode(store.decideApproval({ runId: 'r1', approve: true, by: 'x', now: T0 + 1001 }), 'ERR_NOT_AWAITING_APPROVAL');
    });
  });
}
