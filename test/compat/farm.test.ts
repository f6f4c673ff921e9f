/**
 * `tutti/farm` (seed 002): every example of the seed document, translated to TypeScript, plus the
 * behaviours the farm takes from the engine (priority, parallelism, capacity, failFast, timeout).
 */
import { describe, expect, test } from 'vitest';
import { AgentDispatcher, LoggingEventHandler, createFarmTask, isOverallSuccess, type FarmEvent, type FarmExecutor } from '../../src/compat/farm/index.js';
import { closeAfterEach, orchestrator, sleep } from './farm-helpers.js';

closeAfterEach();

describe('seed examples', () => {
  test('basic task execution', async () => {
    const orch = orchestrator();
    const task = createFarmTask('implementation', 'Build authentication', 'Users can log in', {
      context: ['/src/auth.ts'],
      priority: 'high',
    });
    expect(task.taskId).toMatch(/^task-/);
    expect(task).toMatchObject({ type: 'implementation', description: 'Build authentication', successCriteria: 'Users can log in', title: 'Build authentication', acceptance: 'Users can log in', context: ['/src/auth.ts'], constraints: [], priority: 'high' });
    expect(Number.isNaN(Date.parse(task.createdAt))).toBe(false);

    orch.queueTask(task);
    expect(orch.getQueuedTasks().map((t) => t.taskId)).toEqual([task.taskId]);

    const result = await orch.executeTask(task.taskId);
    expect(result.status).toBe('success');
    expect(result.taskId).toBe(task.taskId);
    // The engine chose the most specialised free agent taking `implementation`.
    expect(result.agentId).toBe('bash');
    expect(result.output).toContain('Build authentication');
    expect(result.error).toBeUndefined();
    expect(Date.parse(result.completedAt)).toBeGreaterThanOrEqual(Date.parse(result.startedAt!));
    expect(result.durationMs).toBe(Date.parse(result.completedAt) - Date.parse(result.startedAt!));
    expect(result.duration).toBe(result.durationMs);
    expect(orch.getQueuedTasks()).toEqual([]);
    expect(orch.getResult(task.taskId)).toEqual(result);
  });

  test('batch execution', async () => {
    const orch = orchestrator();
    const tasks = [createFarmTask('test', 'Unit tests', 'All pass'), createFarmTask('test', 'Integration tests', 'All pass'), createFarmTask('review', 'Code review', 'Approved')];
    const taskIds = orch.queueBatch(tasks);
    expect(taskIds).toEqual(tasks.map((t) => t.taskId));

    const batch = await orch.executeBatch(taskIds, { parallel: 3, failFast: false, timeout: 60_000 });
    const results = batch.results;
    expect(results.map((r) => r.taskId)).toEqual(taskIds);
    expect(results.map((r) => r.status)).toEqual(['success', 'success', 'success']);
    expect(isOverallSuccess(batch)).toBe(true);
    expect(isOverallSuccess(results)).toBe(true);
    expect(batch).toMatchObject({ summary: 'All 3 tasks completed successfully', successCount: 3, failureCount: 0, blockedCount: 0, issues: [] });
    // Review goes to the reviewing specialist; the two tests to agents taking `test`.
    expect(results[2]!.agentId).toBe('explore');
    for (const r of results.slice(0, 2)) expect(['bash', 'general-purpose']).toContain(r.agentId);
    // One batch is one engine run.
    expect(new Set(results.map((r) => r.runId)).size).toBe(1);
  });

  test('event monitoring: LoggingEventHandler and a custom handler', async () => {
    const orch = orchestrator();
    const lines: string[] = [];
    orch.on(new LoggingEventHandler((l) => lines.push(l)));
    const seen: string[] = [];
    const events: FarmEvent[] = [];
    const custom = {
      onEvent: (event: FarmEvent) => {
        events.push(event);
        switch (event.type) {
          case 'task_started':
            seen.push(`Task ${event.taskId} started by ${event.agentId}`);
            break;
          case 'task_completed':
            seen.push(`Task ${event.result.taskId} completed: ${event.result.status}`);
            break;
          case 'batch_completed':
            seen.push(`Batch done: ${event.results.summary}`);
            break;
        }
      },
    };
    orch.on(custom);

    const ids = orch.queueBatch([createFarmTask('test', 'Unit tests', 'All pass'), createFarmTask('research', 'Prior art', 'Three sources')]);
    const batch = await orch.executeBatch(ids);
    const results = batch.results;

    for (const [i, id] of ids.entries()) {
      const mine = events.filter((e) => 'taskId' in e && e.taskId === id).map((e) => e.type);
      expect(mine).toEqual(['task_queued', 'task_started', 'task_completed']);
      const started = events.find((e) => e.type === 'task_started' && e.taskId === id);
      expect(started && 'agentId' in started && started.agentId).toBe(results[i]!.agentId);
      const completed = events.find((e) => e.type === 'task_completed' && e.taskId === id);
      // The event carries the same result the batch returns.
      expect(completed && 'result' in completed && completed.result).toEqual(results[i]);
    }
    const last = events[events.length - 1]!;
    expect(last.type).toBe('batch_completed');
    expect(last.type === 'batch_completed' && last.results).toBe(batch);
    expect(seen).toContain(`Task ${ids[0]} started by ${results[0]!.agentId}`);
    expect(seen).toContain(`Task ${ids[1]} completed: success`);
    expect(seen[seen.length - 1]).toBe('Batch done: All 2 tasks completed successfully');

    expect(lines).toHaveLength(events.length);
    expect(lines[0]).toMatch(/^\[farm\] task_queued task-\S+ \(test, normal\): Unit tests$/);
    expect(lines[lines.length - 1]).toBe('[farm] batch_completed All 2 tasks completed successfully');

    orch.off(custom);
    const before = events.length;
    const id = orch.queueTask(createFarmTask('test', 'Again', 'Pass'));
    await orch.executeTask(id);
    expect(events.length).toBe(before);
    expect(lines.length).toBeGreaterThan(before);
  });

  test('agent dispatcher', () => {
    const dispatcher = new AgentDispatcher('/tmp/outputs');
    expect(dispatcher.outputDir).toBe('/tmp/outputs');
    expect(dispatcher.getAgents().map((a) => [a.id, a.maxConcurrent])).toEqual([
      ['general-purpose', 5],
      ['bash', 3],
      ['explore', 5],
    ]);

    // Specialists first; general-purpose takes every other type.
    expect(dispatcher.selectAgent('implementation')?.id).toBe('bash');
    expect(dispatcher.selectAgent('research')?.id).toBe('explore');
    expect(dispatcher.selectAgent('documentation')?.id).toBe('general-purpose');

    const { total, used, available } = dispatcher.getTotalCapacity();
    expect({ total, used, available }).toEqual({ total: 13, used: 0, available: 13 });

    dispatcher.registerAgent({ id: 'specialized', name: 'Specialized Agent', capabilities: ['review'], maxConcurrent: 5, currentLoad: 0 });
    expect(dispatcher.selectAgent('review')?.id).toBe('specialized');
    expect(dispatcher.getTotalCapacity()).toEqual({ total: 18, used: 0, available: 18 });

    // Least loaded first: a busy specialist loses to a free generalist; a full one is never chosen.
    dispatcher.registerAgent({ id: 'bash', name: 'Bash', capabilities: ['implementation', 'test'], maxConcurrent: 3, currentLoad: 3 });
    expect(dispatcher.selectAgent('implementation')?.id).toBe('general-purpose');
    expect(dispatcher.getTotalCapacity()).toEqual({ total: 18, used: 3, available: 15 });
    expect(() => dispatcher.registerAgent({ id: 'bad', name: 'Bad', capabilities: [], maxConcurrent: 0 })).toThrow(/maxConcurrent/);
    expect(new AgentDispatcher('/tmp/x', { agents: [] }).selectAgent('test')).toBeUndefined();
  });

  test('state persistence: restoreState on a new orchestrator brings back pending tasks', async () => {
    const first = orchestrator();
    const done = first.queueTask(createFarmTask('test', 'Already done', 'Pass'));
    await first.executeTask(done);
    const pending = first.queueBatch([createFarmTask('implementation', 'Pending one', 'Works', { priority: 'high', context: ['a.ts'] }), createFarmTask('docs', 'Pending two', 'Written')]);

    const state = first.getState();
    const saved = JSON.stringify(state); // e.g. into CLAUDE.local.md
    expect([...state.activeTasks.keys()]).toEqual(pending);
    expect(state.activeTasks.has(pending[0]!)).toBe(true);
    expect(state.pendingResults.map((r) => r.taskId)).toEqual([done]);
    expect([...state.agentStatus.values()].map((s) => [s.taskId, s.status])).toEqual([[done, 'complete']]);
    expect(state.agents.map((a) => a.id)).toEqual(['general-purpose', 'bash', 'explore']);

    const restored = orchestrator();
    restored.restoreState(JSON.parse(saved));
    expect(restored.getQueuedTasks()).toEqual([...state.activeTasks.values()]);
    expect(restored.getPendingTasks()).toHaveLength(2);
    expect(restored.getResult(done)?.status).toBe('success');
    expect(restored.getStatus(done)?.startTime).toBeInstanceOf(Date);

    const results = (await restored.executeBatch(pending)).results;
    expect(results.map((r) => r.status)).toEqual(['success', 'success']);
    expect(results[1]!.agentId).toBe('general-purpose');
    expect(restored.getQueuedTasks()).toEqual([]);
    expect(() => restored.restoreState({ queued: [{ taskId: 'task-x' }] })).toThrow(/invalid farm state/);
  });
});

describe('scheduling comes from the engine', () => {
  test('priority order high, normal, low with parallel 1', async () => {
    const order: string[] = [];
    const orch = orchestrator({ executor: (task) => void order.push(task.title) });
    const ids = orch.queueBatch([
      createFarmTask('test', 'low', 'x', { priority: 'low' }),
      createFarmTask('test', 'normal 1', 'x'),
      createFarmTask('test', 'high', 'x', { priority: 'high' }),
      createFarmTask('test', 'normal 2', 'x', { priority: 'normal' }),
    ]);
    const results = (await orch.executeBatch(ids, { parallel: 1 })).results;
    expect(order).toEqual(['high', 'normal 1', 'normal 2', 'low']);
    // Results follow the given ids, not the dispatch order.
    expect(results.map((r) => r.taskId)).toEqual(ids);
    const start = (title: string) => Date.parse(results.find((r) => orch.getTask(r.taskId)!.title === title)!.startedAt!);
    expect(start('high')).toBeLessThanOrEqual(start('normal 1'));
    expect(start('normal 2')).toBeLessThanOrEqual(start('low'));
  });

  test('at most `parallel` tasks run at once', async () => {
    let now = 0;
    let max = 0;
    const executor: FarmExecutor = async (_task, _agent, { signal }) => {
      max = Math.max(max, ++now);
      await sleep(30, signal);
      now--;
    };
    const orch = orchestrator({ executor });
    const ids = orch.queueBatch(Array.from({ length: 7 }, (_, i) => createFarmTask('implementation', `t${i}`, 'x')));
    const results = (await orch.executeBatch(ids, { parallel: 2 })).results;
    expect(isOverallSuccess(results)).toBe(true);
    expect(max).toBe(2);
  });

  test('agent capacity bounds a batch whose parallel is higher', async () => {
    // `test` tasks: bash (3) + general-purpose (5) = 8 slots; explore does not take them.
    const perAgent = new Map<string, { now: number; max: number }>();
    let now = 0;
    let max = 0;
    let maxUsed = 0;
    const executor: FarmExecutor = async (_task, agent, { signal }) => {
      await sleep(10, signal);
      maxUsed = Math.max(maxUsed, orch.dispatcher.getTotalCapacity().used);
      const a = perAgent.get(agent.id) ?? { now: 0, max: 0 };
      perAgent.set(agent.id, a);
      a.max = Math.max(a.max, ++a.now);
      max = Math.max(max, ++now);
      await sleep(150, signal);
      a.now--;
      now--;
    };
    const orch = orchestrator({ executor });
    const ids = orch.queueBatch(Array.from({ length: 12 }, (_, i) => createFarmTask('test', `t${i}`, 'x')));
    const results = (await orch.executeBatch(ids, { parallel: 20 })).results;
    expect(isOverallSuccess(results)).toBe(true);
    expect(max).toBe(8);
    expect(perAgent.get('bash')!.max).toBe(3);
    expect(perAgent.get('general-purpose')!.max).toBe(5);
    expect(perAgent.has('explore')).toBe(false);
    // The dispatcher mirrors the engine's agent loads.
    expect(maxUsed).toBe(8);
    expect(orch.dispatcher.getTotalCapacity()).toEqual({ total: 13, used: 0, available: 13 });
  });

  test('a custom agent registered on the dispatcher takes its type', async () => {
    const agents: string[] = [];
    const orch = orchestrator({ executor: (task, agent) => void agents.push(`${task.type}:${agent.id}:${agent.name}`) });
    orch.dispatcher.registerAgent({ id: 'specialized', name: 'Specialized Agent', capabilities: ['review'], maxConcurrent: 5, currentLoad: 0 });
    const id = orch.queueTask(createFarmTask('review', 'Review', 'Approved'));
    const result = await orch.executeTask(id);
    expect(result.agentId).toBe('specialized');
    expect(agents).toEqual(['review:specialized:Specialized Agent']);
  });
});

describe('failures', () => {
  const failOn =
    (title: string): FarmExecutor =>
    (task) => {
      if (task.title === title) throw new Error(`${title} broke`);
      return `${task.title} ok`;
    };

  test('without failFast a failure does not stop the others', async () => {
    const orch = orchestrator({ executor: failOn('bad') });
    const ids = orch.queueBatch([createFarmTask('test', 'bad', 'x', { priority: 'high' }), createFarmTask('test', 'a', 'x'), createFarmTask('test', 'b', 'x')]);
    const batch = await orch.executeBatch(ids, { parallel: 1 });
    const results = batch.results;
    expect(results.map((r) => r.status)).toEqual(['failure', 'success', 'success']);
    expect(results[0]!.error).toBe('bad broke');
    // The reference puts the message in output and issues.
    expect(results[0]!.output).toBe('bad broke');
    expect(batch).toMatchObject({ summary: '3 tasks: 2 succeeded, 1 failed', successCount: 2, failureCount: 1, blockedCount: 0, issues: ['bad broke'] });
    expect(isOverallSuccess(batch)).toBe(false);
    expect(results[1]!.output).toBe('a ok');
    expect(isOverallSuccess(results)).toBe(false);
    expect((await orch.executeBatch([])).summary).toBe('No tasks completed');
  });

  test('failFast stops dispatching after the first failure: the rest are blocked', async () => {
    const calls: string[] = [];
    const orch = orchestrator({ executor: (task, agent, ctx) => (calls.push(task.title), failOn('bad')(task, agent, ctx)) });
    const ids = orch.queueBatch([createFarmTask('test', 'a', 'x'), createFarmTask('test', 'bad', 'x', { priority: 'high' }), createFarmTask('test', 'b', 'x', { priority: 'low' })]);
    const batch = await orch.executeBatch(ids, { parallel: 1, failFast: true });
    const results = batch.results;
    expect(batch.summary).toBe('3 tasks: 1 failed, 2 blocked');
    expect(calls).toEqual(['bad']);
    expect(results.map((r) => r.status)).toEqual(['blocked', 'failure', 'blocked']);
    expect(results[0]!.error).toMatch(/^not started: failFast stopped the batch after task 'task-\S+' failed$/);
    expect(results[0]!.agentId).toBe('unknown');
    
    // The engine run failed: that is what stopped dispatch.
    const run = await (await orch.getEngine()).getRun(results[1]!.runId!);
    expect(run?.status).toBe('failed');
  });

  test('failFast cancels a task that was running: it fails', async () => {
    const orch = orchestrator({
      executor: async (task, _agent, { signal }) => {
        if (task.title === 'bad') throw new Error('boom');
        await sleep(60_000, signal);
      },
    });
    const ids = orch.queueBatch([createFarmTask('test', 'slow', 'x', { priority: 'high' }), createFarmTask('test', 'bad', 'x'), createFarmTask('test', 'never', 'x', { priority: 'low' })]);
    const t0 = Date.now();
    const results = (await orch.executeBatch(ids, { parallel: 2, failFast: true })).results;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(results.map((r) => r.status)).toEqual(['failure', 'failure', 'blocked']);
    expect(results[0]!.error).toMatch(/^cancelled: failFast stopped the batch/);
    expect(results[0]!.agentId).not.toBe('unknown');
    expect(results[1]!.error).toBe('boom');
  });

  test('timeout bounds the whole batch: unfinished tasks fail with a timeout error', async () => {
    const orch = orchestrator({ executor: (_task, _agent, { signal }) => sleep(60_000, signal) });
    const ids = orch.queueBatch([createFarmTask('test', 'hangs', 'x', { priority: 'high' }), createFarmTask('test', 'waits', 'x')]);
    const t0 = Date.now();
    const results = (await orch.executeBatch(ids, { parallel: 1, timeout: 300 })).results;
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(results.map((r) => r.status)).toEqual(['failure', 'failure']);
    for (const r of results) expect(r.error).toBe('timed out: the batch did not finish within 300 ms');
    expect(results[0]!.agentId).not.toBe('unknown');
    expect(results[1]!.agentId).toBe('unknown');
    const run = await (await orch.getEngine()).getRun(results[0]!.runId!);
    expect(run?.status).toBe('cancelled');
  });

  test('an unknown task id gives a failure result saying not found, without throwing', async () => {
    const orch = orchestrator();
    const events: FarmEvent[] = [];
    orch.on({ onEvent: (e) => events.push(e) });
    const result = await orch.executeTask('task-does-not-exist');
    expect(result).toMatchObject({ taskId: 'task-does-not-exist', status: 'failure', agentId: 'unknown', startedAt: null, durationMs: 0 });
    expect(result.error).toMatch(/not found/);
    expect(result.output).toMatch(/not found/);
    expect(events.map((e) => e.type)).toEqual(['task_failed']);

    const id = orch.queueTask(createFarmTask('test', 'real', 'x'));
    const results = (await orch.executeBatch(['task-nope', id])).results;
    expect(results.map((r) => r.status)).toEqual(['failure', 'success']);
    
  });

  test('an executor may report a failure with its output', async () => {
    const orch = orchestrator({ executor: () => ({ status: 'failure', output: '2 of 40 tests failed', error: 'tests are red' }) });
    const result = await orch.executeTask(orch.queueTask(createFarmTask('test', 'Run tests', 'All pass')));
    expect(result).toMatchObject({ status: 'failure', output: '2 of 40 tests failed', error: 'tests are red' });
  });

  test('no agent taking the type: failure, not a hang', async () => {
    const orch = orchestrator({ agents: [{ id: 'only-review', name: 'Reviewer', capabilities: ['review'], maxConcurrent: 1 }] });
    const ids = orch.queueBatch([createFarmTask('implementation', 'Build', 'x'), createFarmTask('review', 'Review', 'x')]);
    const results = (await orch.executeBatch(ids)).results;
    expect(results.map((r) => r.status)).toEqual(['blocked', 'success']);
    expect(results[0]!.error).toMatch(/No agent available for a 'implementation' task/);
    expect(results[0]!.output).toBe(results[0]!.error);
    await expect(orch.executeBatch(ids, { parallel: 0 })).rejects.toThrow(RangeError);
  });
});
