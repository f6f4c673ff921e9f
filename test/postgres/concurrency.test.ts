/**
 * Several stores (separate connection pools, as separate worker processes have) claiming and
 * finishing the same runs at once: every task runs once, every run completes, per-run event
 * sequences are gapless, and the global event log lists every event once, ids increasing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, chooseAny, finishOf, newRun, T0, task } from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import type { EventRecord } from '../../src/core/model.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();

describe.skipIf(unavailable !== null)(`concurrent workers on one PostgreSQL database${unavailable ? ` (skipped: ${unavailable})` : ''}`, { timeout: 120_000 }, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const stores: PostgresStore[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('tutti_conc');
    for (let i = 0; i < 4; i++) stores.push(new PostgresStore({ connectionString: db.url, poolSize: 2 }));
    await Promise.all(stores.map((s) => s.migrate()));
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await db?.drop();
  });

  it('four workers drain fans and chains of six runs: each task once, runs complete, logs consistent', async () => {
    const [first] = stores;
    await first!.upsertAgents([agent('a1'), agent('lim', { maxConcurrency: 3, capabilities: ['lim'] })], T0);
    const runs: string[] = [];
    for (let r = 0; r < 6; r++) {
      const fan = Array.from({ length: 40 }, (_, i) => task(`f${i}`, [], r === 0 && i < 10 ? { agent: { id: 'lim' } } : {}));
      const chain = Array.from({ length: 10 }, (_, i) => task(`c${i}`, i ? [`c${i - 1}`] : []));
      await first!.createRun(newRun(`run${r}`, [...fan, task('join', fan.map((t) => t.id)), ...chain], { createdAt: T0 + r }));
      runs.push(`run${r}`);
    }
    let now = T0 + 100;
    let peakLimited = 0;
    const worker = async (store: PostgresStore, id: string): Promise<number> => {
      let pending: ReturnType<typeof finishOf>[] = [];
      let idle = 0;
      let ran = 0;
      while (idle < 5) {
        const res = await store.claim({ workerId: id, now: ++now, limit: 7, finishes: pending, choose: chooseAny, random: () => 0.5 });
        expect(res.finished.every((f) => f.applied)).toBe(true);
        peakLimited = Math.max(peakLimited, (await store.listRunningAttempts()).filter((a) => a.agentId === 'lim').length);
        pending = res.started.map((s) => finishOf(s, 'succeeded', now));
        ran += res.started.length;
        idle = res.started.length === 0 && pending.length === 0 ? idle + 1 : 0;
        if (res.started.length === 0) await new Promise((r) => setTimeout(r, 5));
      }
      return ran;
    };
    const ran = await Promise.all(stores.map((s, i) => worker(s, `w${i}`)));
    expect(ran.reduce((a, b) => a + b, 0)).toBe(6 * 51);
    expect(ran.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(peakLimited).toBeLessThanOrEqual(3);
    const statuses = await first!.runStatuses(runs);
    expect([...statuses.values()]).toEqual(runs.map(() => 'completed'));
    const all: EventRecord[] = [];
    for (let after = 0; ; ) {
      const page = await first!.listAllEvents({ afterId: after, limit: 500 });
      all.push(...page);
      if (page.length < 500) break;
      after = page.at(-1)!.id;
    }
    for (let i = 1; i < all.length; i++) expect(all[i]!.id).toBeGreaterThan(all[i - 1]!.id);
    for (const id of runs) {
      const attempts = await first!.listAttempts(id);
      expect(attempts).toHaveLength(51);
      expect(new Set(attempts.map((a) => a.taskId)).size).toBe(51);
      const events = await first!.listEvents(id);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(all.filter((e) => e.runId === id)).toEqual(events);
      expect((await first!.getRun(id))?.lastSeq).toBe(events.length);
    }
  });
});
