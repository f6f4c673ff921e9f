/** The merge queue and the quota ledger (`coordination-types.ts`). */
import { describe, expect } from 'vitest';
import type { QuotaRecord } from '../coordination-types.js';
import type { SuiteContext } from './harness.js';
import { agent, brief, claim, expectCode, finish, finishOf, newRun, startedOf, T0, task, withAgents } from './fixtures.js';
import type { Store } from '../types.js';

const REPO = '/repos/app/.git';

/** A run `r` with tasks a, b, c all started (each one's attempt 1 running). */
async function threeRunning(store: Store, runId = 'r1') {
  await withAgents(store, agent('a1'));
  await store.createRun(newRun(runId, [task('a'), task('b'), task('c')]));
  const started = await claim(store, T0 + 1);
  return { a: startedOf(started, 'a'), b: startedOf(started, 'b'), c: startedOf(started, 'c') };
}

function merge(runId: string, taskId: string, now: number, target = 'main') {
  return { repo: REPO, target, runId, taskId, owner: { taskId, n: 1 }, branch: `tutti/${runId}/${taskId}`, head: `${taskId}`.padEnd(40, '0'), now };
}

export function coordinationTests(ctx: SuiteContext): void {
  describe('merge queue', () => {
    ctx.it('entries of one target merge one at a time, in the order they were queued', async () => {
      const { store } = ctx;
      await threeRunning(store);
      const qa = await store.enqueueMerge(merge('r1', 'a', T0 + 2));
      const qb = await store.enqueueMerge(merge('r1', 'b', T0 + 3));
      const qc = await store.enqueueMerge(merge('r1', 'c', T0 + 4, 'release'));
      expect(qa.entry).toMatchObject({ status: 'queued', taskId: 'a', ownerTaskId: 'a', ownerAttempt: 1, target: 'main', enqueuedAt: T0 + 2 });
      expect(brief(qa.events)).toEqual(['merge:queued:a']);
      expect(qa.events[0]!.data).toMatchObject({ entry: qa.entry.id, target: 'main', branch: 'tutti/r1/a', by: { taskId: 'a', attempt: 1 } });
      expect(qb.entry.id).toBeGreaterThan(qa.entry.id);

      // b waits behind a; another target's queue is independent.
      const waiting = await store.acquireMerge(qb.entry.id, T0 + 5);
      expect(waiting).toMatchObject({ position: 1, ahead: { id: qa.entry.id }, entry: { status: 'queued' }, events: [] });
      const other = await store.acquireMerge(qc.entry.id, T0 + 5);
      expect(other).toMatchObject({ position: 0, entry: { status: 'merging', startedAt: T0 + 5 } });
      expect(brief(other.events)).toEqual(['merge:started:c']);

      const turnA = await store.acquireMerge(qa.entry.id, T0 + 6);
      expect(turnA.position).toBe(0);
      expect(turnA.entry.status).toBe('merging');
      // Asking again while merging is a no-op.
      expect(await store.acquireMerge(qa.entry.id, T0 + 7)).toMatchObject({ position: 0, events: [] });
      // b still waits while a merges.
      expect((await store.acquireMerge(qb.entry.id, T0 + 7)).position).toBe(1);

      const done = await store.finishMerge(qa.entry.id, { status: 'merged', message: 'merged', mergedSha: 'f'.repeat(40) }, T0 + 8);
      expect(done.entry).toMatchObject({ status: 'merged', finishedAt: T0 + 8, mergedSha: 'f'.repeat(40), message: 'merged' });
      expect(done.events[0]).toMatchObject({ type: 'merge:finished', taskId: 'a', data: { entry: qa.entry.id, status: 'merged', sha: 'f'.repeat(40) } });
      // Finishing again changes nothing.
      expect((await store.finishMerge(qa.entry.id, { status: 'failed', message: 'late' }, T0 + 9)).entry.status).toBe('merged');

      expect((await store.acquireMerge(qb.entry.id, T0 + 10)).position).toBe(0);
      await expectCode(store.acquireMerge(qa.entry.id, T0 + 11), 'ERR_INVALID_TRANSITION');
      await expectCode(store.acquireMerge(999_999, T0 + 11), 'ERR_INVALID_INPUT');
      await expectCode(store.finishMerge(999_999, { status: 'failed', message: 'x' }, T0 + 11), 'ERR_INVALID_INPUT');

      const all = await store.listMerges({ runId: 'r1' });
      expect(all.map((e) => [e.taskId, e.status])).toEqual([
        ['a', 'merged'],
        ['b', 'merging'],
        ['c', 'merging'],
      ]);
      expect((await store.listMerges({ open: true, target: 'main' })).map((e) => e.taskId)).toEqual(['b']);
      expect((await store.listMerges({ limit: 1 })).map((e) => e.taskId)).toEqual(['c']);
      expect(await store.listMerges({ runId: 'other' })).toEqual([]);
    });

    ctx.it('queuing is idempotent per owner attempt', async () => {
      const { store } = ctx;
      await threeRunning(store);
      const first = await store.enqueueMerge(merge('r1', 'a', T0 + 2));
      const again = await store.enqueueMerge({ ...merge('r1', 'a', T0 + 3), head: 'other' });
      expect(again.entry).toEqual(first.entry);
      expect(again.events).toEqual([]);
      expect(await store.listMerges()).toHaveLength(1);
    });

    ctx.it('an entry whose attempt ended or died no longer blocks the queue: it is abandoned', async () => {
      const { store } = ctx;
      const { a } = await threeRunning(store);
      const qa = await store.enqueueMerge(merge('r1', 'a', T0 + 2));
      const qb = await store.enqueueMerge(merge('r1', 'b', T0 + 3));
      expect((await store.acquireMerge(qa.entry.id, T0 + 4)).position).toBe(0);
      // a's attempt ends (its worker died: interrupted) without finishing its merge.
      await finish(store, T0 + 5, finishOf(a, 'interrupted', T0 + 5));
      const turn = await store.acquireMerge(qb.entry.id, T0 + 6);
      expect(turn.position).toBe(0);
      expect(brief(turn.events)).toEqual(['merge:finished:a', 'merge:started:b']);
      expect(turn.events[0]!.data).toMatchObject({ status: 'abandoned' });
      expect((await store.listMerges()).map((e) => e.status)).toEqual(['abandoned', 'merging']);
    });
  });

  describe('quota ledger', () => {
    ctx.it('records, replaces, lists and clears what a CLI said about its limits', async () => {
      const { store } = ctx;
      expect(await store.listQuotas()).toEqual([]);
      const q: QuotaRecord = { cli: 'claude', account: 'default', state: 'rate_limited', until: T0 + 3_600_000, known: true, message: "You've hit your limit · resets 4pm", strikes: 1, updatedAt: T0 };
      await store.recordQuota(q);
      await store.recordQuota({ ...q, cli: 'codex', state: 'capacity', known: false, until: T0 + 60_000 });
      expect(await store.listQuotas()).toEqual([q, { ...q, cli: 'codex', state: 'capacity', known: false, until: T0 + 60_000 }]);
      await store.recordQuota({ ...q, state: 'out_of_credits', strikes: 2, updatedAt: T0 + 5 });
      expect((await store.listQuotas())[0]).toEqual({ ...q, state: 'out_of_credits', strikes: 2, updatedAt: T0 + 5 });
      expect(await store.clearQuota('claude', 'default')).toBe(true);
      expect(await store.clearQuota('claude', 'default')).toBe(false);
      expect((await store.listQuotas()).map((r) => r.cli)).toEqual(['codex']);
    });
  });

  describe('run-scoped agents', () => {
    ctx.it('agents of a run are kept while it runs and pruned once it ended', async () => {
      const { store } = ctx;
      await store.upsertAgents([agent('shared'), agent('mine', { runId: 'r1' }), agent('theirs', { runId: 'r2' })], T0);
      expect((await store.getAgent('mine'))?.runId).toBe('r1');
      expect((await store.getAgent('shared'))?.runId ?? null).toBeNull();
      await store.createRun(newRun('r1', [task('a')]));
      // r2 does not exist (ended and gone): its agent goes; r1 runs: its agent stays.
      expect(await store.pruneRunAgents()).toBe(1);
      expect((await store.listAgents()).map((a) => a.id)).toEqual(['mine', 'shared']);
      await store.cancelRun('r1', T0 + 1, 'done');
      expect(await store.pruneRunAgents()).toBe(1);
      expect((await store.listAgents()).map((a) => a.id)).toEqual(['shared']);
    });
  });
}
