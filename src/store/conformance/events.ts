/** The event log: per-run sequence numbers and the global id cursor. */
import { describe, expect } from 'vitest';
import type { EventRecord } from '../../core/model.js';
import type { Store } from '../types.js';
import type { SuiteContext } from './harness.js';
import { brief, claim, newRun, T0, task, withAgents } from './fixtures.js';

async function allEvents(store: Store, pageSize: number, afterId = 0): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for (let after = afterId; ; ) {
    const page = await store.listAllEvents({ afterId: after, limit: pageSize });
    out.push(...page);
    if (page.length < pageSize) return out;
    after = page.at(-1)!.id;
  }
}

function expectIncreasingIds(events: readonly EventRecord[]): void {
  for (let i = 1; i < events.length; i++) expect(events[i]!.id, `event ${i}`).toBeGreaterThan(events[i - 1]!.id);
}

export function eventTests(ctx: SuiteContext): void {
  describe('events', () => {
    ctx.it('listEvents pages a run’s events with afterSeq and limit', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('b'), task('c')]));
      await claim(store, T0 + 1);
      const all = await store.listEvents('r1');
      expect(all.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(brief(all)).toEqual(['run:created', 'task:ready:a', 'task:ready:b', 'task:ready:c', 'run:started', 'attempt:started:a', 'attempt:started:b', 'attempt:started:c']);
      expect((await store.listEvents('r1', { afterSeq: 2, limit: 3 })).map((e) => e.seq)).toEqual([3, 4, 5]);
      expect((await store.listEvents('r1', { afterSeq: 7 })).map((e) => e.seq)).toEqual([8]);
      expect(await store.listEvents('r1', { afterSeq: 8 })).toEqual([]);
      expect(await store.listEvents('nope')).toEqual([]);
    });

    ctx.it('listAllEvents returns every run’s events in commit order after an id', async () => {
      const { store } = ctx;
      await withAgents(store);
      const r1 = await store.createRun(newRun('r1', [task('a')]));
      const r2 = await store.createRun(newRun('r2', [task('a'), task('b')]));
      const c = await claim(store, T0 + 1, { runIds: ['r1'] });
      const all = await store.listAllEvents();
      expect(all).toEqual([...r1.events, ...r2.events, ...c.events]);
      expectIncreasingIds(all);
      const cut = r2.events[1]!.id;
      expect(await store.listAllEvents({ afterId: cut })).toEqual(all.filter((e) => e.id > cut));
      expect(await store.listAllEvents({ afterId: cut, limit: 2 })).toEqual(all.filter((e) => e.id > cut).slice(0, 2));
      expect(await allEvents(store, 2)).toEqual(all);
      // One at a time: a page must never come back empty while later events exist.
      expect(await allEvents(store, 1)).toEqual(all);
      expect(await store.listAllEvents({ afterId: all.at(-1)!.id })).toEqual([]);
    });

    ctx.it('a run of 2,500 tasks logs its events with increasing ids and gapless seq', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('small', [task('a')]));
      const tasks = Array.from({ length: 2500 }, (_, i) => task(`t${i}`));
      const big = await store.createRun(newRun('big', tasks, { createdAt: T0 + 1 }));
      await store.createRun(newRun('after', [task('a')], { createdAt: T0 + 2 }));
      expect(big.events).toHaveLength(2501);
      expect(big.events.map((e) => e.seq)).toEqual(Array.from({ length: 2501 }, (_, i) => i + 1));
      expectIncreasingIds(big.events);

      const all = await allEvents(store, 1000);
      expect(all).toHaveLength(2 + 2501 + 2);
      expectIncreasingIds(all);
      expect(all.filter((e) => e.runId === 'big')).toEqual(big.events);
      expect(all.map((e) => e.runId).slice(0, 2)).toEqual(['small', 'small']);
      expect(all.slice(-2).map((e) => e.runId)).toEqual(['after', 'after']);
      expect(await allEvents(store, 333, big.events[998]!.id)).toEqual(all.slice(2 + 999));

      const logged = await store.listEvents('big');
      expect(logged).toEqual(big.events);
      expect((await store.listEvents('big', { afterSeq: 999, limit: 3 })).map((e) => e.seq)).toEqual([1000, 1001, 1002]);
      expect((await store.getRun('big'))?.lastSeq).toBe(2501);
      expect((await claim(store, T0 + 3, { runIds: ['big'], limit: 1 })).events.map((e) => e.seq)).toEqual([2502, 2503]);
    });
  });
}
