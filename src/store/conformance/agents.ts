/** The agent registry and the store's counters. */
import { describe, expect } from 'vitest';
import type { SuiteContext } from './harness.js';
import { agent, chooseOnly, claim, newRun, T0, task, withAgents } from './fixtures.js';

export function agentTests(ctx: SuiteContext): void {
  describe('agents and stats', () => {
    ctx.it('upsertAgents inserts and updates agents, keeping their load', async () => {
      const { store } = ctx;
      const a1 = agent('a1', { capabilities: ['code', 'test'], maxConcurrency: 2, priority: 3, config: { command: ['run'] } });
      await store.upsertAgents([a1, agent('a2')], T0);
      expect(await store.getAgent('a1')).toEqual({ ...a1, running: 0, createdAt: T0, updatedAt: T0 });
      expect((await store.listAgents()).map((a) => a.id).sort()).toEqual(['a1', 'a2']);
      expect(await store.getAgent('nope')).toBeNull();

      await store.createRun(newRun('r1', [task('a')]));
      await claim(store, T0 + 1, { choose: chooseOnly(['a'], 'a1') });
      await store.upsertAgents([{ ...a1, name: 'Renamed', capabilities: ['code'] }], T0 + 5);
      expect(await store.getAgent('a1')).toMatchObject({ name: 'Renamed', capabilities: ['code'], running: 1, createdAt: T0, updatedAt: T0 + 5 });
    });

    ctx.it('setAgentStatus and removeAgent', async () => {
      const { store } = ctx;
      await withAgents(store, agent('a1'), agent('a2'));
      expect(await store.setAgentStatus('a1', 'paused', T0 + 1)).toMatchObject({ id: 'a1', status: 'paused', updatedAt: T0 + 1 });
      expect((await store.getAgent('a1'))?.status).toBe('paused');
      expect(await store.setAgentStatus('nope', 'paused', T0 + 1)).toBeNull();
      await store.createRun(newRun('r1', [task('a')]));
      expect((await claim(store, T0 + 2)).started.map((s) => s.attempt.agentId)).toEqual(['a2']);
      expect(await store.removeAgent('a2')).toBe(true);
      expect(await store.removeAgent('a2')).toBe(false);
      expect((await store.listAgents()).map((a) => a.id)).toEqual(['a1']);
    });

    ctx.it('stats counts runs and tasks by status, blocked tasks by reason and ready tasks', async () => {
      const { store } = ctx;
      expect(await store.stats()).toEqual({ runsByStatus: {}, tasksByStatus: {}, blockedByReason: {}, readyTasks: 0, runsByTemplate: {}, decisions: { approved: 0, rejected: 0 } });
      await withAgents(store);
      await store.createRun(newRun('r1', [task('a'), task('c', ['a']), task('gpu', [], { agent: { capabilities: ['gpu'] } })]));
      await store.createRun(newRun('r2', [task('a')]));
      await store.createRun(newRun('r3', [task('x'), task('y')]));
      await claim(store, T0 + 1, { runIds: ['r1'] });
      await store.cancelRun('r2', T0 + 2, 'x');
      expect(await store.stats()).toEqual({
        runsByStatus: { running: 1, cancelled: 1, queued: 1 },
        tasksByStatus: { running: 1, pending: 1, blocked: 1, cancelled: 1, ready: 2 },
        blockedByReason: { no_capable_agent: 1 },
        readyTasks: 2,
        runsByTemplate: {},
        decisions: { approved: 0, rejected: 0 },
      });
    });
  });
}
