/**
 * `tutti/farm` against the public API of the reference implementation (`mai-orchestration-framework`
 * and the `mai-orchestration-core` names it re-exports): code written for it runs with only its
 * import changed. Each test uses the reference's calls and reads the reference's fields.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  AgentDispatcher,
  AgentRegistry,
  OrchestrationEventEmitter,
  Orchestrator,
  ResultAggregator,
  aggregateResults,
  calculateAgentDuration,
  createAgentStatus,
  createFarmResult,
  createFarmTask,
  createTaskCompletedEvent,
  createTaskFailedEvent,
  createTaskQueuedEvent,
  formatResultsMarkdown,
  isOverallSuccess,
  isSuccessResult,
  markAgentComplete,
  markAgentRunning,
  sortByPriority,
  type OrchestrationEvent,
} from '../../src/compat/farm/index.js';
import { closeAfterEach, open, sleep, tempDir } from './farm-helpers.js';

closeAfterEach();

/** A reference-style orchestrator (`new Orchestrator(outputDir)`), closed after the test. */
function refOrchestrator(outputDir = tempDir()): Orchestrator {
  const o = new Orchestrator(outputDir);
  open.push(o);
  return o;
}

describe('core names', () => {
  test('tasks and results', () => {
    const task = createFarmTask('test', 'Run tests', 'All pass', { context: ['/src/index.ts'], constraints: ['No mocking'], priority: 'high', timeout: 5000 });
    expect(task.taskId.startsWith('task-')).toBe(true);
    expect(task).toMatchObject({ type: 'test', description: 'Run tests', successCriteria: 'All pass', context: ['/src/index.ts'], constraints: ['No mocking'], priority: 'high', timeout: 5000 });
    const r = createFarmResult('task-1', 'agent-1', 'success', 'Done', { artifacts: ['/src/new.ts'], duration: 1000 });
    expect(r).toMatchObject({ taskId: 'task-1', agentId: 'agent-1', status: 'success', output: 'Done', artifacts: ['/src/new.ts'], duration: 1000 });
    expect(isSuccessResult(r)).toBe(true);
    expect(isSuccessResult(createFarmResult('t', 'a', 'failure', 'Error'))).toBe(false);
    const sorted = sortByPriority([createFarmTask('test', 'Low', 'x', { priority: 'low' }), createFarmTask('test', 'High', 'x', { priority: 'high' }), createFarmTask('test', 'Normal', 'x')]);
    expect(sorted.map((t) => t.description)).toEqual(['High', 'Normal', 'Low']);
  });

  test('a mistyped option or value is refused, naming it', () => {
    expect(() => createFarmTask('test', 'x', 'y', { priorty: 'high' } as never)).toThrow(/unknown option 'priorty'/);
    expect(() => createFarmTask('test', 'x', 'y', { timeout: -1 })).toThrow(/timeout/);
    expect(() => new Orchestrator({ outputDirectory: '/tmp' } as never)).toThrow(/unknown option 'outputDirectory'/);
    expect(() => refOrchestrator().queueTask({ taskId: 'task-1', type: 'test', description: 'x', sucessCriteria: 'y' } as never)).toThrow(/sucessCriteria/);
  });

  test('agent registry and statuses', () => {
    const registry = new AgentRegistry();
    registry.set('a1', { ...createAgentStatus('a1', 't1', '/tmp/1'), status: 'running' });
    registry.set('a2', { ...createAgentStatus('a2', 't2', '/tmp/2'), status: 'complete' });
    registry.set('a3', createAgentStatus('a3', 't3', '/tmp/3'));
    expect(registry.size).toBe(3);
    expect(registry.getActive().map((a) => a.agentId)).toEqual(['a1', 'a3']);
    expect(registry.getByTask('t2')?.agentId).toBe('a2');
    registry.update('a1', { progress: 50 });
    expect(registry.get('a1')?.progress).toBe(50);
    const done = markAgentComplete(markAgentRunning(createAgentStatus('a', 't', '/tmp/o')));
    expect(done).toMatchObject({ status: 'complete', progress: 100 });
    expect(calculateAgentDuration(done)).toBeGreaterThanOrEqual(0);
    expect(calculateAgentDuration(createAgentStatus('a', 't', '/tmp/o'))).toBeUndefined();
  });

  test('aggregation and markdown', () => {
    const agg = new ResultAggregator();
    agg.add(createFarmResult('t1', 'a1', 'success', 'OK', { duration: 100, artifacts: ['/src/new.ts'] }));
    agg.add(createFarmResult('t2', 'a2', 'failure', 'Error', { issues: ['Bug'] }));
    agg.add(createFarmResult('t3', 'a3', 'blocked', 'Waiting'));
    const results = agg.aggregate();
    expect(results).toMatchObject({ successCount: 1, failureCount: 1, blockedCount: 1, issues: ['Bug'], artifacts: ['/src/new.ts'], totalDuration: 100, summary: '3 tasks: 1 succeeded, 1 failed, 1 blocked' });
    expect(results.nextSteps.length).toBe(2);
    expect(isOverallSuccess(results)).toBe(false);
    expect(isOverallSuccess(aggregateResults([createFarmResult('t1', 'a1', 'success', 'OK')]))).toBe(true);
    const md = formatResultsMarkdown(results);
    expect(md).toContain('## Orchestration Results');
    expect(md).toContain('| Success | 1 |');
    expect(md).toContain('- /src/new.ts');
  });

  test('event emitter', () => {
    const emitter = new OrchestrationEventEmitter();
    const seen: string[] = [];
    const handler = {
      onEvent: (event: OrchestrationEvent) => {
        if (event.type === 'task_queued') seen.push(event.task.taskId);
        else seen.push(event.type);
      },
    };
    emitter.on(handler);
    const task = createFarmTask('test', 'Test', 'Pass');
    emitter.emit(createTaskQueuedEvent(task));
    emitter.emit(createTaskCompletedEvent(createFarmResult('t', 'a', 'success', 'OK')));
    emitter.emit(createTaskFailedEvent('t', 'boom'));
    emitter.off(handler);
    emitter.emit(createTaskCompletedEvent(createFarmResult('t', 'a', 'success', 'OK')));
    expect(seen).toEqual([task.taskId, 'task_completed', 'task_failed']);
    expect(emitter.handlerCount).toBe(0);
  });
});

describe('AgentDispatcher', () => {
  test('dispatch gives an agent and an output file named after the task; release gives the slot back', () => {
    const dispatcher = new AgentDispatcher('/tmp/test');
    const task = createFarmTask('implementation', 'Build feature', 'Done');
    const initial = dispatcher.getTotalCapacity();
    const result = dispatcher.dispatch(task);
    expect(result?.agentId).toBeTruthy();
    expect(result?.outputFile).toContain(task.taskId);
    expect(dispatcher.getTotalCapacity().used).toBe(initial.used + 1);
    dispatcher.release(result!.agentId);
    expect(dispatcher.getTotalCapacity().used).toBe(initial.used);
    expect(new AgentDispatcher().selectAgent('research')?.capabilities).toContain('research');
    expect(new AgentDispatcher().selectAgent('implementation')?.capabilities).toContain('implementation');
  });

  test('dispatch answers undefined once every agent taking the type is full', () => {
    const dispatcher = new AgentDispatcher();
    const slots = dispatcher.getAllAgents().reduce((sum, a) => sum + a.maxConcurrent, 0);
    // `test` is taken by bash (3) and general-purpose (5): 8 slots.
    const given = Array.from({ length: slots }, (_, i) => dispatcher.dispatch(createFarmTask('test', `Task ${i}`, 'Pass')));
    expect(given.filter(Boolean)).toHaveLength(8);
    expect(dispatcher.dispatch(createFarmTask('test', 'Overflow', 'Pass'))).toBeUndefined();
    expect(dispatcher.isAgentAvailable('bash')).toBe(false);
    expect(dispatcher.getAvailableAgents().map((a) => a.id)).toEqual(['explore']);
  });

  test('registerAgent and unregisterAgent', () => {
    const dispatcher = new AgentDispatcher();
    dispatcher.registerAgent({ id: 'custom', name: 'Custom Agent', capabilities: ['review'], maxConcurrent: 10, currentLoad: 0 });
    expect(dispatcher.getAllAgents().find((a) => a.id === 'custom')?.capabilities).toContain('review');
    expect(dispatcher.unregisterAgent('custom')).toBe(true);
    expect(dispatcher.unregisterAgent('custom')).toBe(false);
  });
});

describe('Orchestrator', () => {
  test('queues and executes a task: the output names it and is written to its output file', async () => {
    const dir = tempDir();
    const orchestrator = refOrchestrator(dir);
    const task = createFarmTask('implementation', 'Build feature', 'Done');
    orchestrator.queueTask(task);
    const result = await orchestrator.executeTask(task.taskId);
    expect(result.taskId).toBe(task.taskId);
    expect(result.status).toBe('success');
    expect(result.output).toContain('Build feature');
    const file = join(dir, `${task.taskId}.output`);
    expect(existsSync(file) && readFileSync(file, 'utf8')).toBe(result.output);
    expect(orchestrator.getStatus(task.taskId)).toMatchObject({ agentId: result.agentId, status: 'complete', outputFile: file, progress: 100 });
    expect(orchestrator.getResults()).toEqual([result]);
  });

  test('executeBatch answers successCount and failureCount, with parallel', async () => {
    const orchestrator = refOrchestrator();
    const ids = orchestrator.queueBatch(Array.from({ length: 6 }, (_, i) => createFarmTask('test', `Task ${i}`, 'Pass')));
    const results = await orchestrator.executeBatch(ids, { parallel: 2 });
    expect(results.successCount).toBe(6);
    expect(results.failureCount).toBe(0);
    expect(isOverallSuccess(results)).toBe(true);
  });

  test('events during execution', async () => {
    const orchestrator = refOrchestrator();
    const events: string[] = [];
    orchestrator.on({ onEvent: (event) => events.push(event.type) });
    const task = createFarmTask('test', 'Test', 'Pass');
    orchestrator.queueTask(task);
    await orchestrator.executeTask(task.taskId);
    expect(events).toEqual(['task_queued', 'task_started', 'task_completed']);
  });

  test('getState in the reference shape, restoreState on a new orchestrator, and a JSON round trip', async () => {
    const orchestrator = refOrchestrator();
    const task = createFarmTask('test', 'Test', 'Pass');
    orchestrator.queueTask(task);
    const state = orchestrator.getState();
    expect(state.activeTasks.has(task.taskId)).toBe(true);
    expect(state.agentStatus.size).toBe(0);
    expect(state.pendingResults).toEqual([]);

    const restored = refOrchestrator();
    restored.restoreState(state);
    expect(restored.getPendingTasks()).toHaveLength(1);

    const fromText = refOrchestrator();
    fromText.restoreState(JSON.parse(JSON.stringify(state)));
    expect(fromText.getPendingTasks().map((t) => t.taskId)).toEqual([task.taskId]);
    expect((await fromText.executeTask(task.taskId)).status).toBe('success');
    expect(fromText.getPendingTasks()).toEqual([]);
  });

  test('an unknown id fails with the message in output', async () => {
    const result = await refOrchestrator().executeTask('nonexistent');
    expect(result.status).toBe('failure');
    expect(result.output).toContain('not found');
  });

  test('a failed task stays pending and its message is its output', async () => {
    const o = new Orchestrator({
      executor: () => {
        throw new Error('compile error');
      },
    });
    open.push(o);
    const task = createFarmTask('implementation', 'Broken', 'Builds');
    o.queueTask(task);
    const result = await o.executeTask(task.taskId);
    expect(result).toMatchObject({ status: 'failure', output: 'compile error', issues: ['compile error'] });
    expect(o.getPendingTasks().map((t) => t.taskId)).toEqual([task.taskId]);
    expect(o.getStatus(task.taskId)?.status).toBe('failed');
  });

  test('slots taken by dispatch() are slots the engine does not use: a fully reserved type is blocked', async () => {
    const o = new Orchestrator({ agents: [{ id: 'solo', name: 'Solo', capabilities: ['review'], maxConcurrent: 1 }] });
    open.push(o);
    const held = o.dispatcher.dispatch(createFarmTask('review', 'Held elsewhere', 'x'));
    expect(held?.agentId).toBe('solo');
    const task = createFarmTask('review', 'Review', 'Approved');
    o.queueTask(task);
    const blocked = await o.executeTask(task.taskId);
    expect(blocked.status).toBe('blocked');
    expect(blocked.output).toMatch(/No agent available for a 'review' task/);
    o.dispatcher.release('solo');
    expect((await o.executeTask(task.taskId)).status).toBe('success');
  });

  test('a task timeout bounds each attempt', async () => {
    const o = new Orchestrator({ executor: (_t, _a, { signal }) => sleep(60_000, signal) });
    open.push(o);
    const task = createFarmTask('test', 'Hangs', 'Ends', { timeout: 200 });
    o.queueTask(task);
    const result = await o.executeTask(task.taskId);
    expect(result.status).toBe('failure');
    expect(result.output).toMatch(/tim/i);
  });

  test('constraints reach the agent prompt', async () => {
    const o = refOrchestrator();
    const task = createFarmTask('review', 'Review the PR', 'Approved', { constraints: ['Do not push'] });
    o.queueTask(task);
    const result = await o.executeTask(task.taskId);
    const run = await (await o.getEngine()).getRun(result.runId!);
    const stored = await (await o.getEngine()).store.listTasks(run!.id);
    expect(stored[0]?.spec.prompt).toContain('- Do not push');
  });
});
