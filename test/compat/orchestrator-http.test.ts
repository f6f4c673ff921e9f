/** Seed 003's API reference: every request and response example, against tutti's server. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENTS } from '../../src/compat/orchestrator/index.js';
import { seedResponses } from '../../src/server/routes/orchestrator.js';
import { startServer, type TestServer } from '../server/helpers.js';

/** Registers the seed's four default agents through POST /agents (test driver: they complete at once). */
async function withDefaultAgents(s: TestServer): Promise<void> {
  for (const a of DEFAULT_AGENTS) {
    const r = await s.call('POST', '/api/orchestrator/agents', { body: { ...a, status: 'active', currentLoad: 0 } });
    expect(r.status).toBe(201);
  }
}

describe('seed 003 API reference', () => {
  it('POST /api/orchestrator/orchestrate with the seed body plans the goal and answers the documented shape', async () => {
    const s = await startServer();
    await withDefaultAgents(s);
    const res = await s.call('POST', '/api/orchestrator/orchestrate', {
      body: {
        goal: 'Research and implement user authentication',
        userId: 'user-123',
        chatId: 'chat-456',
        initialContext: { framework: 'express', database: 'postgresql' },
        metadata: { priority: 'high' },
      },
    });
    expect(res.status).toBe(201);
    seedResponses.session.parse(res.json);
    expect(res.json).toMatchObject({
      sessionId: expect.stringMatching(/^orch-\d+-[0-9a-f]+$/),
      status: expect.stringMatching(/^(planning|executing|completed)$/),
      plan: { goal: 'Research and implement user authentication', parallelizable: true },
      totalTasks: 5,
      errors: [],
    });
    expect(res.json.plan.steps[1]).toEqual({ id: 'step-2', title: 'Research: Research and implement user authentication', agentType: 'researcher', requiredCapabilities: ['web_research'], dependencies: ['step-1'] });
    expect(res.json.jobIds).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
    expect(Date.parse(res.json.startTime)).not.toBeNaN();
    const run = await s.engine.getRun(res.json.sessionId);
    expect(run!.metadata).toMatchObject({ userId: 'user-123', chatId: 'chat-456', initialContext: { framework: 'express', database: 'postgresql' }, priority: 'high' });
    // Without the context hooks on this engine, the initial context is in every step's prompt.
    const step = await s.engine.store.getTask(res.json.sessionId, 'step-3');
    expect(step!.spec.prompt).toContain('Context:\n{\n  "framework": "express",\n  "database": "postgresql"\n}');
  });

  it('GET /api/orchestrator/sessions/:sessionId and /logs answer the documented shapes', async () => {
    const s = await startServer();
    await withDefaultAgents(s);
    const started = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'Research and implement user authentication' } });
    const id = started.json.sessionId as string;
    await s.engine.waitForRun(id);
    const status = await s.call('GET', `/api/orchestrator/sessions/${id}`);
    expect(status.status).toBe(200);
    seedResponses.sessionStatus.parse(status.json);
    expect(status.json).toMatchObject({ sessionId: id, status: 'completed', completedTasks: 5, totalTasks: 5, errors: [], blocked: [] });
    expect(Object.keys(status.json.results)).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
    const logs = await s.call('GET', `/api/orchestrator/sessions/${id}/logs`);
    seedResponses.logs.parse(logs.json);
    expect(logs.json.sessionId).toBe(id);
    for (const l of logs.json.logs) expect(l).toMatchObject({ id: expect.stringMatching(/^log-/), timestamp: expect.any(String), level: expect.any(String), source: expect.any(String), sessionId: id });
    expect(logs.json.logs.some((l: { message: string; source: string }) => l.message === 'Starting orchestration' && l.source === 'orchestrator')).toBe(true);
  });

  it('GET and POST /api/orchestrator/agents, GET /api/orchestrator/stats', async () => {
    const s = await startServer();
    await withDefaultAgents(s);
    const custom = await s.call('POST', '/api/orchestrator/agents', {
      body: {
        id: 'custom-agent-001',
        name: 'Custom Specialist',
        type: 'specialist',
        description: 'Custom specialized agent',
        capabilities: [{ name: 'custom_capability', description: 'Perform custom operations', domains: ['custom'], tools: ['custom_tool'] }],
        priority: 5,
        status: 'active',
        currentLoad: 0,
        maxLoad: 3,
      },
    });
    expect(custom.status).toBe(201);
    expect(custom.json.agent).toEqual({
      id: 'custom-agent-001',
      name: 'Custom Specialist',
      type: 'specialist',
      status: 'active',
      currentLoad: 0,
      maxLoad: 3,
      priority: 5,
      capabilities: [{ name: 'custom_capability', description: 'Perform custom operations', domains: ['custom'] }],
    });
    const list = await s.call('GET', '/api/orchestrator/agents');
    seedResponses.agents.parse(list.json);
    expect(list.json.count).toBe(list.json.agents.length);
    expect(list.json.agents.find((a: { id: string }) => a.id === 'planner-001')).toEqual({
      id: 'planner-001',
      name: 'Planning Agent',
      type: 'planner',
      status: 'active',
      currentLoad: 0,
      maxLoad: 5,
      priority: 10,
      capabilities: [
        { name: 'task_decomposition', description: 'Break down complex goals into actionable subtasks', domains: ['planning', 'strategy'] },
        { name: 'dependency_analysis', description: 'Find the order steps must run in', domains: ['planning'] },
        { name: 'workflow_design', description: 'Design multi-step workflows', domains: ['planning', 'process'] },
      ],
    });
    const stats = await s.call('GET', '/api/orchestrator/stats');
    seedResponses.stats.parse(stats.json);
    expect(stats.json.agentsByType).toMatchObject({ planner: 1, researcher: 1, coder: 1, reviewer: 1, specialist: 1 });
    // The seed's four agents bring 5 + 3 + 3 + 2 = 13 of capacity, as in its example; the custom one 3; shell 4.
    expect(stats.json.totalCapacity).toBe(13 + 3 + 4);
    expect(stats.json).toMatchObject({ busyAgents: 0, usedCapacity: 0 });
  });

  it('a goal the registered agents cannot plan for answers 400 with the missing agent', async () => {
    const s = await startServer();
    const res = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'Build a REST API' } });
    expect([res.status, res.json.error.code]).toEqual([400, 'ERR_NO_CAPABLE_AGENT']);
    expect(res.json.error.message).toContain("no registered agent has type 'planner'");
  });
});
