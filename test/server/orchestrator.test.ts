/** Seed 003's REST routes, held to the documented JSON shapes. */
import { describe, expect, it } from 'vitest';
import { seedResponses } from '../../src/server/routes/orchestrator.js';
import { startServer } from './helpers.js';

describe('seed 003 routes (/api/orchestrator)', () => {
  it('orchestrates a goal with steps, reports the session and its logs', async () => {
    const s = await startServer();
    const reg = await s.call('POST', '/api/orchestrator/agents', {
      body: {
        id: 'researcher-001',
        name: 'Research Agent',
        type: 'researcher',
        description: 'Finds things',
        capabilities: [{ name: 'web_research', description: 'Search the web', domains: ['research'], tools: ['search'] }],
        priority: 5,
        status: 'active',
        currentLoad: 0,
        maxLoad: 3,
        driver: 'test', // tutti extension: completes the steps at once (without it, no driver is configured here)
      },
    });
    expect(reg.status).toBe(201);
    seedResponses.agent.parse(reg.json);
    expect(reg.json.agent).toMatchObject({ id: 'researcher-001', type: 'researcher', maxLoad: 3, currentLoad: 0, capabilities: [{ name: 'web_research' }] });

    const started = await s.call('POST', '/api/orchestrator/orchestrate', {
      body: {
        goal: 'Research and implement user authentication',
        userId: 'user-123',
        chatId: 'chat-456',
        initialContext: { framework: 'express' },
        metadata: { priority: 'high' },
        steps: [
          { id: 'step-1', title: 'Research authentication methods', agentType: 'researcher', requiredCapabilities: ['web_research'] },
          { id: 'step-2', title: 'Compare JWT and sessions', agentType: 'researcher' },
          { id: 'step-3', title: 'Summarise', agentType: 'researcher', dependencies: ['step-1', 'step-2'] },
        ],
      },
    });
    expect(started.status).toBe(201);
    seedResponses.session.parse(started.json);
    expect(started.json).toMatchObject({
      status: expect.stringMatching(/^(planning|executing|completed)$/),
      jobIds: ['step-1', 'step-2', 'step-3'],
      totalTasks: 3,
      plan: {
        goal: 'Research and implement user authentication',
        steps: [
          { id: 'step-1', title: 'Research authentication methods', agentType: 'researcher', requiredCapabilities: ['web_research'], dependencies: [] },
          { id: 'step-2', agentType: 'researcher', requiredCapabilities: [], dependencies: [] },
          { id: 'step-3', dependencies: ['step-1', 'step-2'] },
        ],
        parallelizable: true,
      },
    });
    const id = started.json.sessionId;
    await s.engine.waitForRun(id);
    const status = await s.call('GET', `/api/orchestrator/sessions/${id}`);
    seedResponses.sessionStatus.parse(status.json);
    expect(status.json).toMatchObject({ sessionId: id, status: 'completed', completedTasks: 3, totalTasks: 3, errors: [] });
    expect(Object.keys(status.json.results)).toEqual(['step-1', 'step-2', 'step-3']);
    const run = await s.engine.getRun(id);
    expect(run!.metadata).toMatchObject({ userId: 'user-123', chatId: 'chat-456', initialContext: { framework: 'express' }, priority: 'high' });

    const logs = await s.call('GET', `/api/orchestrator/sessions/${id}/logs`);
    seedResponses.logs.parse(logs.json);
    expect(logs.json.sessionId).toBe(id);
    expect(logs.json.logs[0]).toMatchObject({ level: 'info', source: 'orchestrator', sessionId: id, message: 'run created' });
    expect(logs.json.logs.some((l: { source: string; taskId?: string }) => l.source === 'task' && l.taskId === 'step-3')).toBe(true);
  });

  it('lists agents and stats in the seed shapes', async () => {
    const s = await startServer();
    await s.call('POST', '/api/orchestrator/agents', { body: { id: 'coder-1', name: 'Coder', type: 'coder', capabilities: ['code_generation'], maxLoad: 2 } });
    const agents = await s.call('GET', '/api/orchestrator/agents');
    seedResponses.agents.parse(agents.json);
    expect(agents.json.count).toBe(agents.json.agents.length);
    expect(agents.json.agents.find((a: { id: string }) => a.id === 'coder-1')).toEqual({
      id: 'coder-1',
      name: 'Coder',
      type: 'coder',
      status: 'active',
      currentLoad: 0,
      maxLoad: 2,
      priority: 0,
      capabilities: [{ name: 'code_generation', description: '', domains: [] }],
    });
    const stats = await s.call('GET', '/api/orchestrator/stats');
    seedResponses.stats.parse(stats.json);
    // The seed registry: its four default agents and coder-1; never tutti's own shell/function/test agents.
    expect(stats.json).toMatchObject({ totalAgents: 5, activeAgents: 5, busyAgents: 0, usedCapacity: 0 });
    expect(stats.json.agentsByType).toEqual({ planner: 1, researcher: 1, coder: 2, reviewer: 1 });
    expect(stats.json.totalCapacity).toBe(13 + 2);
    expect(agents.json.agents.map((a: { id: string }) => a.id)).not.toContain('shell');
  });

  it('answers 404 for unknown sessions and 400 for an empty goal or a goal no agent can do', async () => {
    const s = await startServer();
    expect((await s.call('GET', '/api/orchestrator/sessions/nope')).status).toBe(404);
    expect((await s.call('GET', '/api/orchestrator/sessions/nope/logs')).status).toBe(404);
    const empty = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: '   ' } });
    expect([empty.status, empty.json.error.details.issues[0].path]).toEqual([400, 'body.goal']);
    const nobody = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'fly', agent: { capabilities: ['flight'] } } });
    expect([nobody.status, nobody.json.error.code]).toEqual([400, 'ERR_NO_CAPABLE_AGENT']);
  });
});
