/**
 * Seed 003 (orchestration layer): every example of the document, run against tutti. The seed's
 * synchronous reads (`getSessionLogs`, `getErrors`, `getStatistics`) return promises here: they
 * read the store.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_AGENTS, isParallelizable, type AgentInfo } from '../../src/compat/orchestrator/index.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

describe('seed 003: basic orchestration', () => {
  it('initializes the default agents, orchestrates a goal, reports progress and logs', async () => {
    const orchestrator = makeOrchestrator();
    // Initialize with default agents
    await orchestrator.initialize();
    const agents = await orchestrator.listAgents();
    expect(DEFAULT_AGENTS.map((a) => a.id).every((id) => agents.some((a) => a.id === id))).toBe(true);
    expect(agents.find((a) => a.id === 'planner-001')).toMatchObject({
      name: 'Planning Agent',
      type: 'planner',
      status: 'active',
      currentLoad: 0,
      maxLoad: 5,
      capabilities: expect.arrayContaining([{ name: 'task_decomposition', description: 'Break down complex goals into actionable subtasks', domains: ['planning', 'strategy'], tools: [] }]),
    });

    // Start orchestrated task
    const result = await orchestrator.orchestrate('Research and write a blog post about quantum computing', {
      userId: 'user-123',
      chatId: 'chat-456',
      initialContext: { targetAudience: 'technical', wordCount: 1000 },
    });
    expect(result.sessionId).toMatch(/^orch-\d+-[0-9a-f]+$/);
    expect(result).toMatchObject({ status: expect.stringMatching(/^(planning|executing)$/), completedTasks: 0, errors: [], results: {} });
    expect(Date.parse(result.startTime)).not.toBeNaN();
    expect(result.plan.goal).toBe('Research and write a blog post about quantum computing');
    expect(result.plan.steps.map((s) => [s.agentType, s.requiredCapabilities])).toEqual([
      ['planner', ['task_decomposition']],
      ['researcher', ['web_research']],
      ['coder', ['document_creation']],
      ['reviewer', []],
    ]);
    expect(result.plan.steps[2]!.title).toBe('Write blog post');
    expect(result.jobIds).toEqual(result.plan.steps.map((s) => s.id));
    expect(result.totalTasks).toBe(4);
    expect(result.plan.parallelizable).toBe(false);

    // Monitor progress
    const status = await orchestrator.getOrchestrationStatus(result.sessionId);
    expect(status!.totalTasks).toBe(4);
    expect(`Progress: ${status!.completedTasks}/${status!.totalTasks}`).toMatch(/^Progress: \d\/4$/);
    const done = await orchestrator.waitForSession(result.sessionId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'completed', completedTasks: 4, totalTasks: 4, errors: [], blocked: [] });

    // Get logs
    const logs = await orchestrator.getSessionLogs(result.sessionId);
    expect(logs[0]).toMatchObject({ level: 'info', source: 'orchestrator', message: 'Starting orchestration', sessionId: result.sessionId });
    expect(logs.map((l) => l.message)).toEqual(expect.arrayContaining(['Task plan created', 'Session completed']));
    expect(logs.filter((l) => l.source === 'agent' && l.agentId === 'researcher-001' && l.taskId === 'step-2').length).toBeGreaterThan(0);
  });

  it('goes from goal to plan through the planner run (a durable planning run drafted by planner-001)', async () => {
    const orchestrator = makeOrchestrator();
    const r = await orchestrator.orchestrate('Research and implement user authentication');
    // The seed's REST example: 5 steps, parallelizable.
    expect(r.totalTasks).toBe(5);
    expect(r.plan.parallelizable).toBe(true);
    expect(r.plan.steps.map((s) => s.agentType)).toEqual(['planner', 'researcher', 'coder', 'coder', 'reviewer']);
    const runs = await orchestrator.engine.listRuns();
    const planning = runs.find((x) => x.name.startsWith('plan: Research and implement user authentication'));
    expect(planning?.status).toBe('completed');
    const view = await orchestrator.engine.getRun(planning!.id);
    expect(view!.tasks.find((t) => t.id === 'draft')!.attempts[0]!.agentId).toBe('planner-001');
    const run = await orchestrator.engine.getRun(r.sessionId);
    expect(run!.metadata).toMatchObject({ orchestration: 'seed-003' });
  });

  it('propagates context: each step receives the initial context and what earlier steps added', async () => {
    const orchestrator = makeOrchestrator();
    const r = await orchestrator.orchestrate('Build a REST API', { initialContext: { language: 'python', framework: 'fastapi' } });
    const done = await orchestrator.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    const received = (id: string) => (done.results[id] as { receivedContext: string[] }).receivedContext;
    // Step 1: the planner sees the initial context and adds the task plan.
    expect(received('step-1')).toEqual(['framework', 'language']);
    // Step 2: the researcher sees the plan too.
    expect(received('step-2')).toEqual(expect.arrayContaining(['language', 'framework', 'taskPlan', 'steps']));
    expect(received('step-2')).not.toContain('findings');
    // Steps 3 and 4: the coder uses the accumulated context (findings from step 2).
    expect(received('step-3')).toEqual(expect.arrayContaining(['taskPlan', 'findings']));
    // Step 5: the reviewer sees the coder's artifacts.
    expect(received('step-5')).toEqual(expect.arrayContaining(['artifacts', 'findings', 'taskPlan']));
    const context = await orchestrator.getContext(r.sessionId);
    expect(context).toMatchObject({ language: 'python', framework: 'fastapi', findings: ['notes: Research best practices for Build a REST API'], review: { approved: true } });
    expect(context.taskPlan).toEqual(r.plan.steps.map((s) => s.title));
    expect(Object.keys(context.steps as object).sort()).toEqual(['step-1', 'step-2', 'step-3', 'step-4', 'step-5']);
  });
});

describe('seed 003: custom agent registration and selection', () => {
  it('registers the security scanner of the seed and selects it for security_analysis', async () => {
    const orchestrator = makeOrchestrator();
    await orchestrator.initialize();
    // Register a specialized agent
    const info = await orchestrator.registerAgent({
      id: 'security-scanner-001',
      name: 'Security Scanner',
      type: 'specialist',
      description: 'Scans code for security vulnerabilities',
      capabilities: [{ name: 'security_analysis', description: 'Analyze code for security issues', domains: ['security', 'code'], tools: ['file_get', 'github_code_search'] }],
      priority: 10,
      status: 'active',
      currentLoad: 0,
      maxLoad: 2,
      metadata: { supportedLanguages: ['javascript', 'python', 'go'] },
    });
    expect(info).toMatchObject({ id: 'security-scanner-001', type: 'specialist', maxLoad: 2, priority: 10, metadata: { supportedLanguages: ['javascript', 'python', 'go'] } });
    expect(info.capabilities).toEqual([{ name: 'security_analysis', description: 'Analyze code for security issues', domains: ['security', 'code'], tools: ['file_get', 'github_code_search'] }]);
    expect((await orchestrator.selectAgent(['security_analysis']))?.id).toBe('security-scanner-001');
    expect((await orchestrator.selectAgent(['security_analysis'], 'specialist'))?.id).toBe('security-scanner-001');
    expect(await orchestrator.selectAgent(['security_analysis'], 'coder')).toBeUndefined();
    expect(await orchestrator.selectAgent(['teleportation'])).toBeUndefined();
    // A step needing it runs on it.
    const r = await orchestrator.orchestrate('Audit the code', { steps: [{ title: 'Scan for vulnerabilities', requiredCapabilities: ['security_analysis'] }] });
    const done = await orchestrator.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done.status).toBe('completed');
    expect((done.results['step-1'] as { agent: string }).agent).toBe('security-scanner-001');
  });

  it('the default policy prefers the least loaded, then priority, then the fewest capabilities', async () => {
    const orchestrator = makeOrchestrator({ defaultAgents: false });
    await orchestrator.initialize();
    const cap = (n: number) => Array.from({ length: n }, (_, i) => (i === 0 ? 'code_generation' : `extra_${i}`));
    await orchestrator.registerAgent({ id: 'wide', name: 'Wide', type: 'coder', capabilities: cap(3), priority: 5 });
    await orchestrator.registerAgent({ id: 'narrow', name: 'Narrow', type: 'coder', capabilities: cap(1), priority: 5 });
    expect((await orchestrator.selectAgent(['code_generation']))?.id).toBe('narrow');
    await orchestrator.registerAgent({ id: 'important', name: 'Important', type: 'coder', capabilities: cap(4), priority: 9 });
    expect((await orchestrator.selectAgent(['code_generation']))?.id).toBe('important');
    // Load comes first: a busy agent loses to an idle one (loads are the engine's).
    const r = await orchestrator.orchestrate('hold', { steps: [{ title: 'hold', requiredCapabilities: ['code_generation'] }] });
    expect(r.totalTasks).toBe(1);
  });

  it('a custom scheduling policy ranks the candidates and the step is pinned to its choice', async () => {
    const orchestrator = makeOrchestrator({ defaultAgents: false });
    await orchestrator.initialize();
    await orchestrator.registerAgent({ id: 'a-low', name: 'A', type: 'coder', capabilities: ['code_generation'], priority: 1 });
    await orchestrator.registerAgent({ id: 'b-high', name: 'B', type: 'coder', capabilities: ['code_generation'], priority: 9 });
    // Seed example: custom scoring; here a policy preferring alphabetical order.
    orchestrator.setPolicy((candidates: readonly AgentInfo[]) => [...candidates].sort((a, b) => a.id.localeCompare(b.id)));
    expect((await orchestrator.selectAgent(['code_generation'], 'coder'))?.id).toBe('a-low');
    const r = await orchestrator.orchestrate('code it', { steps: [{ title: 'code', agentType: 'coder', requiredCapabilities: ['code_generation'] }] });
    const done = await orchestrator.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect((done.results['step-1'] as { agent: string }).agent).toBe('a-low');
  });
});

describe('seed 003: plans', () => {
  it('parallelizable is true only when some dependency level holds two steps', () => {
    expect(isParallelizable([{ id: 'a' }, { id: 'b', dependencies: ['a'] }])).toBe(false);
    expect(isParallelizable([{ id: 'a' }, { id: 'b', dependencies: ['a'] }, { id: 'c', dependencies: ['a'] }])).toBe(true);
  });

  it('an empty goal is refused with ERR_INVALID_INPUT', async () => {
    const orchestrator = makeOrchestrator();
    await expect(orchestrator.orchestrate('   ')).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('a custom planner supplies the steps', async () => {
    const orchestrator = makeOrchestrator({
      planner: async (goal) => [
        { id: 'design', title: `Design ${goal}`, agentType: 'planner', requiredCapabilities: ['workflow_design'] },
        { id: 'build', title: 'Build it', agentType: 'coder', dependencies: ['design'] },
      ],
    });
    const r = await orchestrator.orchestrate('a CLI');
    expect(r.plan.steps).toEqual([
      { id: 'design', title: 'Design a CLI', agentType: 'planner', requiredCapabilities: ['workflow_design'], dependencies: [] },
      { id: 'build', title: 'Build it', agentType: 'coder', requiredCapabilities: [], dependencies: ['design'] },
    ]);
    expect((await orchestrator.waitForSession(r.sessionId, { timeoutMs: 30_000 })).status).toBe('completed');
  });
});
