/** migrate() and close(). */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { agent, claim, expectCode, newRun, task, withAgents } from './fixtures.js';

export function lifecycleTests(ctx: SuiteContext): void {
  describe('lifecycle', () => {
    ctx.it('migrate is idempotent and keeps data', async () => {
      const { store } = ctx;
      await store.createRun(newRun('r1', [task('a')]));
      await store.migrate();
      await store.migrate();
      expect((await store.getRun('r1'))?.status).toBe('queued');
      await store.createRun(newRun('r2', [task('a')]));
      expect((await store.listRuns()).map((r) => r.id)).toEqual(['r2', 'r1']);
    });

    ctx.it('close makes later calls reject with ERR_STORE_CLOSED', async () => {
      const { store } = ctx;
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a')]));
      await store.close();
      ctx.markClosed();
      await expectCode(store.getRun('r1'), 'ERR_STORE_CLOSED');
      await expectCode(store.listRuns(), 'ERR_STORE_CLOSED');
      await expectCode(store.createRun(newRun('r2', [task('a')])), 'ERR_STORE_CLOSED');
      await expectCode(claim(store, 1), 'ERR_STORE_CLOSED');
      await expectCode(store.upsertAgents([agent('a2')], 1), 'ERR_STORE_CLOSED');
      await expectCode(store.listAllEvents(), 'ERR_STORE_CLOSED');
      await expectCode(store.heartbeat('w1', 1), 'ERR_STORE_CLOSED');
    });
  });
}
