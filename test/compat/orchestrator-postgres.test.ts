/**
 * The seed 003 orchestrator over the PostgreSQL store: sessions, shared context and the
 * orchestration log live in PostgreSQL, and a second orchestrator on the same database reads them.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrchestrator } from '../../src/compat/orchestrator/index.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { tempDir } from '../helpers/cli.js';
import { createTestDatabase, pgUnavailable } from '../postgres/pg-test-db.js';

const unavailable = await pgUnavailable();

describe('seed 003 orchestrator on PostgreSQL', () => {
  if (unavailable) {
    it.skip(`skipped: ${unavailable}`, () => undefined);
    return;
  }
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    db = await createTestDatabase('tutti_orch');
  });
  afterAll(async () => {
    await db?.drop();
  });

  it('runs a goal, and another orchestrator on the database sees its status, context and logs', async () => {
    const schema = `s_${randomBytes(5).toString('hex')}`;
    const dir = tempDir('tutti-orch-pg-');
    const store = new PostgresStore({ connectionString: db.url, schema, poolSize: 4 });
    await store.migrate();
    const o = createOrchestrator({ store, dataDir: dir, engineOptions: { workDir: dir, pollMs: 20 } });
    try {
      const r = await o.orchestrate('Research and write a report about rivers', { initialContext: { region: 'alps' } });
      const done = await o.waitForSession(r.sessionId, { timeoutMs: 60_000 });
      expect(done).toMatchObject({ status: 'completed', completedTasks: 4, totalTasks: 4, errors: [] });
      await o.logger.flush();

      const store2 = new PostgresStore({ connectionString: db.url, schema, poolSize: 2 });
      const o2 = createOrchestrator({ store: store2, dataDir: dir, defaultAgents: false, engineOptions: { workDir: dir } });
      try {
        expect(await o2.getOrchestrationStatus(r.sessionId)).toMatchObject({ status: 'completed', completedTasks: 4 });
        expect(await o2.getContext(r.sessionId)).toMatchObject({ region: 'alps', findings: ['notes: Research: Research and write a report about rivers'] });
        const logs = await o2.getSessionLogs(r.sessionId);
        expect(logs[0]).toMatchObject({ message: 'Starting orchestration', sessionId: r.sessionId });
        expect((await o2.logger.getStatistics(r.sessionId)).errorRate).toBe(0);
      } finally {
        await o2.close();
        await store2.close();
      }
    } finally {
      await o.close();
      await store.close();
    }
  }, 90_000);
});
