/** LISTEN/NOTIFY: a transaction that makes tasks ready wakes listeners, also after their connection drops. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newRun, task } from '../../src/store/conformance/fixtures.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { createTestDatabase, pgUnavailable } from './pg-test-db.js';

const unavailable = await pgUnavailable();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== null)(`PostgresStore.listen${unavailable ? ` (skipped: ${unavailable})` : ''}`, () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  let store: PostgresStore;
  beforeAll(async () => {
    db = await createTestDatabase('tutti_listen');
    store = new PostgresStore({ connectionString: db.url });
    await store.migrate();
  });
  afterAll(async () => {
    await store?.close();
    await db?.drop();
  });

  it('notifies with the run id and writer; survives a dropped connection', async () => {
    const got: Array<{ writer: string; runId: string }> = [];
    const errors: unknown[] = [];
    const stop = await store.listen((p) => got.push(p), (e) => errors.push(e));
    await store.createRun(newRun('n1', [task('a')]));
    for (let i = 0; i < 200 && got.length === 0; i++) await sleep(10);
    expect(got).toEqual([{ writer: '', runId: 'n1' }]);

    // The server drops the listening connection (a restart, a proxy timeout…).
    const admin = new pg.Client({ connectionString: db.url });
    await admin.connect();
    const killed = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'`);
    await admin.end();
    expect(killed.rowCount).toBe(1);

    // Re-established in the background: runs created from now on are heard again.
    let n = 0;
    while (!got.some((p) => p.runId.startsWith('after-')) && n < 100) {
      await store.createRun(newRun(`after-${n++}`, [task('a')]));
      await sleep(100);
    }
    expect(got.some((p) => p.runId.startsWith('after-'))).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    await stop();
  });
});
