/**
 * `tutti/farm` on a supplied engine: farm batches are engine runs, and agent capacity and task
 * types hold across orchestrators sharing that engine.
 */
import { describe, expect, test } from 'vitest';
import { AgentDispatcher, createFarmTask, type FarmExecutor } from '../../src/compat/farm/index.js';
import { createEngine } from '../../src/create-engine.js';
import { closeAfterEach, closeAll, orchestrator, sleep, tempDir } from './farm-helpers.js';

closeAfterEach();

describe('one engine', () => {
  test('farm tasks are tasks of runs of a supplied engine, which close() leaves running', async () => {
    const dir = tempDir();
    const engine = createEngine({ dataDir: dir, workDir: dir, store: { sqlite: ':memory:' } });
    try {
      const orch = orchestrator({ engine, agents: new AgentDispatcher(dir) });
      const ids = orch.queueBatch([createFarmTask('research', 'Look around', 'Notes', { priority: 'low' }), createFarmTask('implementation', 'Build', 'Works', { priority: 'high' })]);
      const { results } = await orch.executeBatch(ids);
      const run = await engine.getRun(results[0]!.runId!);
      expect(run?.status).toBe('completed');
      expect(run?.tasks.map((t) => [t.id, t.priority, t.status, t.attempts[0]?.agentId])).toEqual([
        [ids[0], -1, 'succeeded', 'explore'],
        [ids[1], 1, 'succeeded', 'bash'],
      ]);
      expect(run?.tasks[1]?.attempts[0]?.output).toBe(results[1]!.output);
      await orch.close();
      expect(engine.state).toBe('running');
    } finally {
      await engine.stop();
    }
  });
  test('agent capacity holds across orchestrators sharing an engine and a dispatcher', async () => {
    const dir = tempDir();
    const engine = createEngine({ dataDir: dir, workDir: dir, store: { sqlite: ':memory:' } });
    const dispatcher = new AgentDispatcher(dir, { agents: [{ id: 'solo', name: 'Solo', capabilities: ['*'], maxConcurrent: 1 }] });
    let now = 0;
    let max = 0;
    let maxUsed = 0;
    const executor: FarmExecutor = async (_task, _agent, { signal }) => {
      max = Math.max(max, ++now);
      maxUsed = Math.max(maxUsed, dispatcher.getTotalCapacity().used);
      await sleep(20, signal);
      now--;
    };
    try {
      const a = orchestrator({ engine, agents: dispatcher, executor });
      const b = orchestrator({ engine, agents: dispatcher, executor });
      const idsA = a.queueBatch([createFarmTask('test', 'a1', 'x'), createFarmTask('review', 'a2', 'x')]);
      const idsB = b.queueBatch([createFarmTask('docs', 'b1', 'x'), createFarmTask('test', 'b2', 'x')]);
      const [ra, rb] = await Promise.all([a.executeBatch(idsA, { parallel: 5 }), b.executeBatch(idsB, { parallel: 5 })]);
      expect([...ra.results, ...rb.results].every((r) => r.status === 'success' && r.agentId === 'solo')).toBe(true);
      expect(max).toBe(1);
      expect(maxUsed).toBe(1);
    } finally {
      await closeAll();
      await engine.stop();
    }
  });
  test('orchestrators with their own dispatchers on one engine never take a task type from each other', async () => {
    const dir = tempDir();
    const engine = createEngine({ dataDir: dir, workDir: dir, store: { sqlite: ':memory:' } });
    try {
      let firstStarted!: () => void;
      const started = new Promise<void>((r) => (firstStarted = r));
      const a = orchestrator({ engine, agents: new AgentDispatcher(dir), executor: (_t, _a, { signal }) => (firstStarted(), sleep(100, signal)) });
      const b = orchestrator({ engine, agents: new AgentDispatcher(dir) });
      // Both `docs` tasks need general-purpose; the second is still queued on the engine when b registers its agents.
      const idsA = a.queueBatch([createFarmTask('docs', 'd1', 'x'), createFarmTask('docs', 'd2', 'x')]);
      const batchA = a.executeBatch(idsA, { parallel: 1, timeout: 10_000 });
      await started;
      const rb = await b.executeBatch([b.queueTask(createFarmTask('ops', 'o1', 'x'))], { timeout: 10_000 });
      const ra = await batchA;
      expect([...ra.results, ...rb.results].map((r) => [r.status, r.agentId])).toEqual([
        ['success', 'general-purpose'],
        ['success', 'general-purpose'],
        ['success', 'general-purpose'],
      ]);
    } finally {
      await closeAll();
      await engine.stop();
    }
  });
});
