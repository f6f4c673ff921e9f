/**
 * Many finishes in one claim: the PostgreSQL store applies consecutive successes in one statement.
 * Its events, statuses and counts must equal the SQLite store's (which applies them one by one).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agent, brief, chooseAny, finishOf, newRun, T0, task } from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { AttemptFinish, Store } from '../../src/store/types.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();

describe.skipIf(unavailable !== null)(`batched finishes on PostgreSQL match SQLite${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('tutti_batch');
  });
  afterAll(async () => {
    await db?.drop();
  });

  /** Runs the scenario on a store: everything ready is claimed, then finished in one claim (shuffled order), twice. */
  async function scenario(store: Store): Promise<{ events: string[]; statuses: Record<string, string>; run: unknown; pending: Record<string, number> }> {
    await store.upsertAgents([agent('a1')], T0);
    // A diamond, a fan-in of 5, an approval after two parents, a chain, and a task whose finish is stale.
    const tasks = [
      task('a'),
      task('b', ['a']),
      task('c', ['a']),
      task('d', ['b', 'c']),
      ...['f0', 'f1', 'f2', 'f3', 'f4'].map((id) => task(id)),
      task('join', ['f0', 'f1', 'f2', 'f3', 'f4']),
      task('g1'),
      task('g2'),
      task('gate', ['g1', 'g2'], { approval: { message: 'ok?' } }),
      task('s'),
    ];
    await store.createRun(newRun('r1', tasks));
    await store.createRun(newRun('r2', [task('x'), task('y', ['x'])], { createdAt: T0 + 1 }));
    const events: string[] = [];
    let now = T0 + 10;
    for (let round = 0; round < 4; round++) {
      const claimed = await store.claim({ workerId: 'w', now, limit: 100, choose: chooseAny, random: () => 0.5 });
      events.push(...brief(claimed.events));
      if (claimed.started.length === 0) break;
      now += 10;
      // Reverse order, with one stale token (not applied) and a duplicate (applied once).
      const finishes: AttemptFinish[] = claimed.started.map((s) => finishOf(s, 'succeeded', now - 1, { output: { t: s.attempt.taskId } })).reverse();
      const stale = claimed.started.find((s) => s.attempt.taskId === 's');
      if (stale) finishes.splice(1, 0, { ...finishOf(stale, 'succeeded', now - 1), token: stale.attempt.token + 1 });
      if (finishes.length > 2) finishes.push(finishes[0]!);
      const done = await store.claim({ workerId: 'w', now, limit: 0, finishes, choose: () => ({ assignments: [], blocked: [] }), random: () => 0.5 });
      events.push(...brief(done.events), ...done.finished.map((f) => `${f.ref.taskId}:${f.applied}`));
      now += 10;
    }
    const list = await store.listTasks('r1');
    const run = await store.getRun('r1');
    return {
      events,
      statuses: Object.fromEntries(list.map((t) => [t.id, t.status])),
      pending: Object.fromEntries(list.map((t) => [t.id, t.pendingDeps])),
      run: { status: run?.status, finished: run?.tasksFinished, running: run?.running, lastSeq: run?.lastSeq },
    };
  }

  it('event data with quotes, backslashes, dollars and non-ASCII text round-trips', async () => {
    const pg = new PostgresStore({ connectionString: db.url, schema: `e_${randomBytes(4).toString('hex')}` });
    await pg.migrate();
    try {
      await pg.upsertAgents([agent('a1')], T0);
      const nasty = `it's "quoted" \\ back\\slash $1 $22 {a,b} 'x' \n new line — ü 中文 😀`;
      await pg.createRun(newRun("r'1", [task('t"1')], { name: nasty }));
      const claimed = await pg.claim({ workerId: "w'$1", now: T0 + 1, limit: 1, choose: chooseAny });
      const s = claimed.started[0]!;
      const done = await pg.claim({
        workerId: 'w',
        now: T0 + 2,
        limit: 0,
        choose: () => ({ assignments: [], blocked: [] }),
        finishes: [{ ...finishOf(s, 'failed', T0 + 2), error: { kind: 'exit_code', message: nasty } }],
      });
      const logged = await pg.listEvents("r'1");
      expect(logged.find((e) => e.type === 'run:created')?.data).toEqual({ name: nasty, tasks: 1 });
      expect(logged.find((e) => e.type === 'attempt:failed')?.data).toMatchObject({ message: nasty });
      expect(logged.filter((e) => e.seq > claimed.events.at(-1)!.seq)).toEqual(done.events);
      expect((await pg.getRun("r'1"))?.error).toContain(nasty);
    } finally {
      await pg.close();
    }
  });

  it('same events, in the same order, and the same rows as one-by-one finishes', async () => {
    const sqlite = new SqliteStore({ path: ':memory:' });
    const pg = new PostgresStore({ connectionString: db.url, schema: `b_${randomBytes(4).toString('hex')}` });
    await pg.migrate();
    try {
      const want = await scenario(sqlite);
      const got = await scenario(pg);
      expect(want.events).toContain('task:ready:join');
      expect(want.events).toContain('approval:requested:gate');
      expect(got).toEqual(want);
    } finally {
      await sqlite.close();
      await pg.close();
    }
  });
});
