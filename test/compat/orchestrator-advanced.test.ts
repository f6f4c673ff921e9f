/**
 * Seed 003's remaining examples: state management, hierarchical task decomposition, agent
 * specialisation, dynamic agent registration from detected tools, fault tolerance.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KNOWN_TOOLS, agentsForTools, decomposeGoal, detectInstalledTools, pathLookup } from '../../src/compat/orchestrator/index.js';
import { tempDir } from '../helpers/cli.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

describe('seed 003: state management', () => {
  it('runs the seed example: session, shared state, transactions', async () => {
    const o = makeOrchestrator();
    const stateManager = o.stateManager;
    // Create session
    const session = await stateManager.createSession('session-123', { userId: 'user-123', initialState: { targetLanguage: 'python', testFramework: 'pytest' } });
    expect(session).toMatchObject({ id: 'session-123', userId: 'user-123' });
    // Set state
    await stateManager.setState('session-123', { key: 'generated_code', value: "def hello(): print('Hello')", type: 'shared' });
    // Get state
    const code = await stateManager.getState('session-123', 'generated_code');
    expect(code).toBe("def hello(): print('Hello')");
    // Transactional updates
    const txId = stateManager.beginTransaction('session-123');
    stateManager.addToTransaction(txId, { key: 'test_results', value: { passed: 10, failed: 0 } });
    await stateManager.commitTransaction(txId);
    expect(await stateManager.getState('session-123', 'test_results')).toEqual({ passed: 10, failed: 0 });
    expect(await stateManager.getState('session-123', 'targetLanguage')).toBe('python');
  });

  it('shared state of a session is part of the context its steps receive', async () => {
    const o = makeOrchestrator();
    // The state session exists first (the seed's explicit sharing), then the goal runs in it.
    await o.stateManager.createSession('session-review', { initialState: { generated_code: 'print(1)' } });
    await o.stateManager.setState('session-review', { key: 'draft', value: 'mine', type: 'private', agentId: 'coder-001' });
    const r = await o.orchestrate('Review the code', { sessionId: 'session-review', initialContext: { repo: 'tutti' }, steps: [{ id: 'review', title: 'Review', agentType: 'reviewer' }] });
    expect(r.sessionId).toBe('session-review');
    const done = await o.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    const received = (done.results.review as { receivedContext: string[] }).receivedContext;
    expect(received).toEqual(['generated_code', 'repo']);
    // A session id is used once.
    await expect(o.orchestrate('Again', { sessionId: 'session-review', steps: [{ title: 'x', agentType: 'reviewer' }] })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });
});

describe('seed 003: hierarchical task decomposition', () => {
  it('splits "Build a REST API" as the seed tree: design, research, implement and tests, review', () => {
    const steps = decomposeGoal('Build a REST API');
    expect(steps.map((s) => [s.id, s.agentType, s.requiredCapabilities, s.dependencies])).toEqual([
      ['step-1', 'planner', ['task_decomposition'], []],
      ['step-2', 'researcher', ['web_research'], ['step-1']],
      ['step-3', 'coder', ['code_generation'], ['step-2']],
      ['step-4', 'coder', ['testing'], ['step-2']],
      ['step-5', 'reviewer', ['code_review'], ['step-3', 'step-4']],
    ]);
    expect(steps[1]!.title).toBe('Research best practices for Build a REST API');
    // Deterministic.
    expect(decomposeGoal('Build a REST API')).toEqual(steps);
  });

  it('uses only what the registered agents offer', () => {
    const steps = decomposeGoal('Write a blog post about tea', [{ type: 'writer', capabilities: ['document_creation'] }]);
    const write = steps.find((s) => s.title === 'Write blog post')!;
    expect([write.agentType, write.requiredCapabilities]).toEqual([null, ['document_creation']]);
  });
});

describe('seed 003: agent specialisation', () => {
  it('agents are selected by capability, the most specialised first', async () => {
    const o = makeOrchestrator({ defaultAgents: false });
    await o.registerAgent({ id: 'planner', name: 'Planner', type: 'planner', capabilities: ['task_decomposition', 'dependency_analysis'] });
    await o.registerAgent({ id: 'researcher', name: 'Researcher', type: 'researcher', capabilities: ['web_research', 'document_analysis'] });
    await o.registerAgent({ id: 'all-purpose', name: 'All-purpose', type: 'all-purpose', capabilities: ['task_decomposition', 'dependency_analysis', 'web_research', 'document_analysis'] });
    expect((await o.selectAgent(['web_research']))?.id).toBe('researcher');
    expect((await o.selectAgent(['dependency_analysis']))?.id).toBe('planner');
    expect((await o.selectAgent(['dependency_analysis', 'web_research']))?.id).toBe('all-purpose');
  });
});

describe('seed 003: dynamic agent registration', () => {
  it('detects tools by PATH lookup and registers their agents on initialize', async () => {
    const bin = tempDir('tutti-path-');
    for (const tool of ['docker', 'gh']) {
      writeFileSync(join(bin, tool), '#!/bin/sh\n');
      chmodSync(join(bin, tool), 0o755);
    }
    // Not executable: not found.
    mkdirSync(join(bin, 'sub'));
    writeFileSync(join(bin, 'git'), 'not a program');
    const lookup = pathLookup(`${join(bin, 'sub')}:${bin}`, ['']);
    expect(detectInstalledTools(lookup)).toEqual(['docker', 'gh']);

    const o = makeOrchestrator({ toolLookup: lookup });
    await o.initialize();
    const agents = await o.listAgents();
    const container = agents.find((a) => a.id === 'container-specialist');
    expect(container).toMatchObject({ name: 'Container Specialist', type: 'specialist', capabilities: [{ name: 'container_management', domains: ['devops', 'containers'], tools: ['docker'] }] });
    expect(agents.some((a) => a.id === 'github-specialist')).toBe(true);
    expect(agents.some((a) => a.id === 'git-specialist')).toBe(false);
    expect((await o.selectAgent(['container_management']))?.id).toBe('container-specialist');
    const logs = await o.logger.query({ source: 'orchestrator' });
    expect(logs.some((l) => l.message === 'Detected tools: docker, gh')).toBe(true);
  });

  it('an injected lookup decides; every known tool maps to one agent', () => {
    const all = detectInstalledTools(() => true);
    expect(all).toEqual(KNOWN_TOOLS.map((t) => t.tool));
    expect(all).toEqual(expect.arrayContaining(['docker', 'git', 'gh', 'claude', 'codex', 'gemini', 'cursor-agent']));
    expect(agentsForTools(['codex']).map((a) => [a.id, a.type])).toEqual([['codex-agent', 'coder']]);
    expect(detectInstalledTools(() => false)).toEqual([]);
  });
});

describe('seed 003: fault tolerance', () => {
  it('a failed step is retried on a different capable agent', async () => {
    const o = makeOrchestrator({ defaultAgents: false, retry: { maxAttempts: 2, initialBackoffMs: 0 } });
    await o.registerAgent({ id: 'primary', name: 'Primary', type: 'worker', capabilities: ['work'], priority: 10, driver: 'test' });
    await o.registerAgent({ id: 'fallback', name: 'Fallback', type: 'worker', capabilities: ['work'], priority: 1, driver: 'test' });
    const r = await o.orchestrate('Do the work', { steps: [{ title: 'Work', agentType: 'worker', input: { failAgents: ['primary'], output: { done: true } } }] });
    const done = await o.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'completed', results: { 'step-1': { done: true } } });
    const run = await o.engine.getRun(r.sessionId);
    expect(run!.tasks[0]!.attempts.map((a) => [a.agentId, a.status])).toEqual([
      ['primary', 'failed'],
      ['fallback', 'succeeded'],
    ]);
    const errors = await o.logger.getErrors(r.sessionId);
    expect(errors.map((e) => [e.source, e.agentId, e.message])).toEqual([['agent', 'primary', expect.stringContaining('Agent execution failed: scripted failure')]]);
  });

  it('with no fallback agent the session fails and says why', async () => {
    const o = makeOrchestrator({ defaultAgents: false, retry: { maxAttempts: 2, initialBackoffMs: 0 } });
    await o.registerAgent({ id: 'only', name: 'Only', type: 'worker', capabilities: ['work'], driver: 'test' });
    const r = await o.orchestrate('Do the work', { steps: [{ title: 'Work', agentType: 'worker', input: { outcome: 'fail', message: 'tool exploded' } }] });
    const done = await o.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done.status).toBe('failed');
    expect(done.errors).toEqual(['step-1: tool exploded (attempt 2)']);
    const stats = await o.logger.getStatistics(r.sessionId);
    expect(stats.byLevel.critical).toBe(1);
    expect(stats.errorRate).toBeGreaterThan(0);
  });
});
