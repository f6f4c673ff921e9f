/** Seed 003's API reference: every request and response example, against tutti's server as it starts. */
import { describe, expect, it } from 'vitest';
import { seedResponses } from '../../src/server/routes/orchestrator.js';
import { createEngineOrchestratorBackend } from '../../src/server/index.js';
import { sseAnswer, startFakeLlm } from '../llm/server.js';
import { startServer, type TestServer } from '../server/helpers.js';

/** A server whose seed agents use a local OpenAI-compatible fake (what TUTTI_LLM_URL/TUTTI_LLM_MODEL configure for tutti serve). */
async function llmServer(answer: (prompt: string) => string): Promise<TestServer> {
  const fake = await startFakeLlm();
  fake.fallback = { respond: (req) => ({ body: sseAnswer(answer(req.body.messages?.map((m) => m.content).join('\n') ?? '')) }) };
  return startServer({ server: (engine) => ({ orchestrator: createEngineOrchestratorBackend(engine, { llm: { baseUrl: fake.url, model: 'fake-model' } }) }) });
}

describe('seed 003 API reference', () => {
  it('a fresh server answers the seed’s POST /api/orchestrator/orchestrate with its four agents', async () => {
    const s = await startServer();
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
    // No LLM endpoint and no driver: the steps fail, saying so — never "completed" for work not done.
    const view = await s.engine.waitForRun(res.json.sessionId, { timeoutMs: 20_000 });
    expect(view.status).toBe('failed');
    const status = await s.call('GET', `/api/orchestrator/sessions/${res.json.sessionId}`);
    expect(status.json.status).toBe('failed');
    expect(status.json.errors.join('\n')).toContain("no driver configured for agent 'planner-001'");
  });

  it('GET /api/orchestrator/sessions/:sessionId and /logs answer the documented shapes; with an LLM endpoint the agents do the work', async () => {
    const plan = {
      name: 'auth',
      tasks: [
        { id: 'step-1', title: 'Plan the work', prompt: 'Plan the work.', agent: { type: 'planner' } },
        { id: 'step-2', title: 'Research authentication methods', prompt: 'Research authentication methods.', agent: { type: 'researcher', capabilities: ['web_research'] }, dependsOn: ['step-1'] },
        { id: 'step-3', title: 'Implement login', prompt: 'Implement login.', agent: { type: 'coder' }, dependsOn: ['step-2'] },
        { id: 'step-4', title: 'Write tests', prompt: 'Write tests.', agent: { type: 'coder', capabilities: ['testing'] }, dependsOn: ['step-2'] },
        { id: 'step-5', title: 'Review', prompt: 'Review.', agent: { type: 'reviewer' }, dependsOn: ['step-3', 'step-4'] },
      ],
    };
    const s = await llmServer((prompt) => (prompt.includes('Answer with one JSON object') ? JSON.stringify(plan) : `done: ${prompt.split('\n')[0]!.slice(0, 60)}`));
    const started = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'Research and implement user authentication' } });
    const id = started.json.sessionId as string;
    await s.engine.waitForRun(id);
    const status = await s.call('GET', `/api/orchestrator/sessions/${id}`);
    expect(status.status).toBe(200);
    seedResponses.sessionStatus.parse(status.json);
    expect(status.json).toMatchObject({ sessionId: id, status: 'completed', completedTasks: 5, totalTasks: 5, errors: [], blocked: [] });
    expect(Object.keys(status.json.results)).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
    // Each result is the model's answer to that step.
    for (const r of Object.values(status.json.results)) expect(String(r)).toMatch(/^done: /);
    const logs = await s.call('GET', `/api/orchestrator/sessions/${id}/logs`);
    seedResponses.logs.parse(logs.json);
    expect(logs.json.sessionId).toBe(id);
    for (const l of logs.json.logs) expect(l).toMatchObject({ id: expect.stringMatching(/^log-/), timestamp: expect.any(String), level: expect.any(String), source: expect.any(String), sessionId: id });
    expect(logs.json.logs.some((l: { message: string; source: string }) => l.message === 'Starting orchestration' && l.source === 'orchestrator')).toBe(true);
  });

  it('GET and POST /api/orchestrator/agents, GET /api/orchestrator/stats: the seed registry only', async () => {
    const s = await startServer();
    // A fresh server lists exactly the seed's four agents, with the seed's /stats numbers.
    const fresh = await s.call('GET', '/api/orchestrator/agents');
    expect(fresh.json.count).toBe(4);
    expect(fresh.json.agents.map((a: { id: string }) => a.id).sort()).toEqual(['coder-001', 'planner-001', 'researcher-001', 'reviewer-001']);
    expect((await s.call('GET', '/api/orchestrator/stats')).json).toEqual({ totalAgents: 4, activeAgents: 4, busyAgents: 0, totalCapacity: 13, usedCapacity: 0, agentsByType: { planner: 1, researcher: 1, coder: 1, reviewer: 1 } });
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
    expect(stats.json.agentsByType).toEqual({ planner: 1, researcher: 1, coder: 1, reviewer: 1, specialist: 1 });
    // The seed's four agents bring 5 + 3 + 3 + 2 = 13 of capacity, as in its example; the custom one 3 (tutti's own shell agent is not the seed's).
    expect(stats.json.totalCapacity).toBe(13 + 3);
    expect(stats.json).toMatchObject({ totalAgents: 5, busyAgents: 0, usedCapacity: 0 });
    // A non-zero currentLoad is not taken silently: tutti counts the load.
    const loaded = await s.call('POST', '/api/orchestrator/agents', { body: { id: 'x-1', name: 'X', type: 'specialist', capabilities: [], currentLoad: 2 } });
    expect([loaded.status, loaded.json.error.code]).toEqual([400, 'ERR_INVALID_INPUT']);
    expect(loaded.json.error.message).toContain('currentLoad');
  });

  it('an agent registered over REST without a driver fails its tasks with "no driver configured"; with an LLM endpoint it does the work', async () => {
    const body = { id: 'custom-agent-001', name: 'Custom Specialist', type: 'specialist', capabilities: [{ name: 'custom_capability' }], status: 'active', currentLoad: 0, maxLoad: 3 };
    const steps = [{ title: 'Do the custom thing', agentType: 'specialist', requiredCapabilities: ['custom_capability'] }];
    const bare = await startServer();
    expect((await bare.call('POST', '/api/orchestrator/agents', { body })).status).toBe(201);
    const a = await bare.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'custom work', steps } });
    const failed = await bare.engine.waitForRun(a.json.sessionId, { timeoutMs: 20_000 });
    expect(failed.status).toBe('failed');
    expect(failed.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'non_retryable', message: expect.stringContaining("no driver configured for agent 'custom-agent-001'") });

    const llm = await llmServer(() => 'the custom thing, done');
    expect((await llm.call('POST', '/api/orchestrator/agents', { body })).status).toBe(201);
    const b = await llm.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'custom work', steps } });
    const done = await llm.engine.waitForRun(b.json.sessionId, { timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    expect(done.tasks[0]!.attempts[0]).toMatchObject({ agentId: 'custom-agent-001', output: 'the custom thing, done' });
  });

  it('a goal the registered agents cannot plan for answers 400 with the missing agent', async () => {
    const s = await startServer();
    await s.call('GET', '/api/orchestrator/agents'); // the defaults are registered on first use
    for (const id of ['planner-001', 'researcher-001', 'coder-001', 'reviewer-001']) await s.engine.removeAgent(id);
    const res = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'Build a REST API' } });
    expect([res.status, res.json.error.code]).toEqual([400, 'ERR_NO_CAPABLE_AGENT']);
    expect(res.json.error.message).toContain("no registered agent has type 'planner'");
  });
});
