/**
 * Seed 003's troubleshooting section as tests: a task needing a capability no agent has, a cyclic
 * plan, and tasks stuck in pending — each reported with its reason by the facade, the CLI
 * (`tutti status`, `tutti plan validate`) and the REST API (`/api/orchestrator/*`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Orchestrator, OrchestrationStatus } from '../../src/compat/orchestrator/index.js';
import { runCli } from '../helpers/cli.js';
import { startServer } from '../server/helpers.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

/** Polls until `check` holds (bounded: 15 s), returning the last value. */
async function until<T>(read: () => Promise<T>, check: (v: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const v = await read();
    if (check(v) || i > 750) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The status once a step is marked blocked by the scheduler (not just found unassignable while ready). */
const status = (o: Orchestrator, id: string) => until(() => o.getOrchestrationStatus(id) as Promise<OrchestrationStatus>, (s) => s.blocked.some((b) => b.reason.startsWith(`${b.taskId} is blocked:`)));

describe('seed 003 troubleshooting: no agent found for a task', () => {
  it('orchestrate refuses a step whose capability no agent has, naming it; the error is logged', async () => {
    const o = makeOrchestrator();
    const err = await o.orchestrate('Teleport the data', { steps: [{ title: 'Teleport', requiredCapabilities: ['quantum_teleportation'] }] }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ERR_NO_CAPABLE_AGENT' });
    expect((err as Error).message).toContain('no registered agent has capabilities [quantum_teleportation]');
    const errors = await o.logger.getErrors();
    expect(errors.at(-1)).toMatchObject({ level: 'error', source: 'orchestrator', message: expect.stringContaining('quantum_teleportation'), sessionId: expect.stringMatching(/^orch-/) });
    expect(await o.selectAgent(['quantum_teleportation'])).toBeUndefined();
  });

  it('a step whose only capable agent is not active is blocked with the reason, and runs once one is registered', async () => {
    const o = makeOrchestrator();
    await o.registerAgent({ id: 'translator-001', name: 'Translator', type: 'specialist', capabilities: ['translation'], status: 'paused' });
    const r = await o.orchestrate('Translate the docs', {
      steps: [
        { id: 'translate', title: 'Translate', requiredCapabilities: ['translation'] },
        { id: 'publish', title: 'Publish', agentType: 'coder', dependencies: ['translate'] },
      ],
    });
    const s = await status(o, r.sessionId);
    expect(s.blocked).toEqual([
      { taskId: 'translate', kind: 'no_capable_agent', reason: "translate is blocked: no capable agent: agent 'translator-001' is paused" },
      { taskId: 'publish', kind: 'dependencies', reason: "publish waits on translate, which is blocked: no capable agent: agent 'translator-001' is paused" },
    ]);
    expect(s.errors).toEqual([`translate: blocked: ${s.blocked[0]!.reason}`, `publish: blocked: ${s.blocked[1]!.reason}`]);
    const logs = await until(() => o.getSessionLogs(r.sessionId), (l) => l.some((x) => x.message.startsWith('Task blocked')));
    expect(logs.find((x) => x.message.startsWith('Task blocked'))).toMatchObject({ level: 'error', source: 'task', taskId: 'translate', message: "Task blocked: agent 'translator-001' is paused" });
    // The fix of the seed: register an active agent with the capability.
    await o.registerAgent({ id: 'translator-002', name: 'Translator 2', type: 'specialist', capabilities: ['translation'] });
    expect((await o.waitForSession(r.sessionId, { timeoutMs: 30_000 })).status).toBe('completed');
  });
});

describe('seed 003 troubleshooting: circular dependencies', () => {
  it('a cyclic plan is refused with ERR_CYCLE naming the cycle, from given steps or a custom planner', async () => {
    const cyclic = [
      { id: 'a', title: 'A', agentType: 'coder', dependencies: ['c'] },
      { id: 'b', title: 'B', agentType: 'coder', dependencies: ['a'] },
      { id: 'c', title: 'C', agentType: 'coder', dependencies: ['b'] },
    ];
    const o = makeOrchestrator({ planner: async () => cyclic });
    const fromSteps = await o.orchestrate('Loop', { steps: cyclic }).catch((e: unknown) => e);
    expect(fromSteps).toMatchObject({ code: 'ERR_CYCLE' });
    expect((fromSteps as Error).message).toMatch(/dependency cycle: ([abc]) → (?!\1)[abc] → (?!\1)[abc] → \1$/);
    const fromPlanner = await o.orchestrate('Loop again').catch((e: unknown) => e);
    expect(fromPlanner).toMatchObject({ code: 'ERR_CYCLE' });
    expect((await o.logger.getErrors()).filter((e) => e.message.includes('dependency cycle'))).toHaveLength(2);
    expect((await o.engine.listRuns()).filter((r) => r.name.startsWith('Loop'))).toEqual([]);
  });
});

describe('seed 003 troubleshooting: tasks stuck in pending', () => {
  it('a pending step is traced to the step holding it up', async () => {
    const o = makeOrchestrator();
    // A gate agent that holds its task (the test driver's `hang` script).
    await o.registerAgent({ id: 'gate-001', name: 'Gate', type: 'gate', capabilities: ['hold'], driver: 'test' });
    const r = await o.orchestrate('Wait for the gate', {
      steps: [
        { id: 'gate', title: 'Gate', agentType: 'gate', input: { hang: true } },
        { id: 'build', title: 'Build', agentType: 'coder', dependencies: ['gate'] },
        { id: 'ship', title: 'Ship', agentType: 'coder', dependencies: ['build'] },
      ],
    });
    const s = await until(() => o.getOrchestrationStatus(r.sessionId) as Promise<OrchestrationStatus>, (x) => x.blocked.length === 2);
    expect(s.status).toBe('executing');
    expect(s.blocked).toEqual([
      { taskId: 'build', kind: 'dependencies', reason: 'build waits on gate, which is running' },
      { taskId: 'ship', kind: 'dependencies', reason: 'ship waits on build (pending behind gate, which is running)' },
    ]);
    // Waiting is not an error.
    expect(s.errors).toEqual([]);

    // The CLI says the same (another process reading the same store).
    await o.logger.flush();
    const cli = await runCli(['status', r.sessionId], { dataDir: o.dataDir });
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/build\s+pending\s+waiting on gate/);
    expect(cli.stdout).toContain('why pending:\n  ship waits on build (pending behind gate, which is running)');
    await o.cancelSession(r.sessionId);
  });

  it('the CLI prints a blocked step and what waits behind it', async () => {
    const o = makeOrchestrator();
    await o.registerAgent({ id: 'translator-001', name: 'Translator', type: 'specialist', capabilities: ['translation'], status: 'paused' });
    const r = await o.orchestrate('Translate', {
      steps: [
        { id: 'translate', title: 'Translate', requiredCapabilities: ['translation'] },
        { id: 'review', title: 'Review', agentType: 'reviewer', dependencies: ['translate'] },
        { id: 'publish', title: 'Publish', agentType: 'coder', dependencies: ['review'] },
      ],
    });
    await status(o, r.sessionId);
    const cli = await runCli(['status', r.sessionId], { dataDir: o.dataDir });
    expect(cli.stdout).toMatch(/translate\s+blocked\s+no capable agent: agent 'translator-001' is paused/);
    expect(cli.stdout).toContain("publish waits on review (pending behind translate, which is blocked: no capable agent: agent 'translator-001' is paused)");
  });

  it('tutti plan validate names the cycle of a plan file', async () => {
    const o = makeOrchestrator();
    const file = join(o.dataDir, 'cyclic.json');
    writeFileSync(file, JSON.stringify({ tasks: [{ id: 'a', command: ['true'], dependsOn: ['b'] }, { id: 'b', command: ['true'], dependsOn: ['a'] }] }));
    const cli = await runCli(['plan', 'validate', file], { dataDir: o.dataDir });
    expect(cli.code).not.toBe(0);
    expect(cli.stdout + cli.stderr).toMatch(/dependency cycle: (a → b → a|b → a → b)/);
  });
});

describe('seed 003 troubleshooting through the REST API', () => {
  it('reports a missing capability, a cycle and a stuck step with their reasons', async () => {
    const s = await startServer();
    const nobody = await s.call('POST', '/api/orchestrator/orchestrate', { body: { goal: 'Teleport', steps: [{ title: 'Teleport', requiredCapabilities: ['quantum_teleportation'] }] } });
    expect([nobody.status, nobody.json.error.code]).toEqual([400, 'ERR_NO_CAPABLE_AGENT']);
    expect(nobody.json.error.message).toContain('no registered agent has capabilities [quantum_teleportation]');

    const cycle = await s.call('POST', '/api/orchestrator/orchestrate', {
      body: { goal: 'Loop', steps: [{ id: 'a', title: 'A', agentType: 'test', dependencies: ['b'] }, { id: 'b', title: 'B', agentType: 'test', dependencies: ['a'] }] },
    });
    expect([cycle.status, cycle.json.error.code]).toEqual([400, 'ERR_CYCLE']);
    expect(cycle.json.error.message).toMatch(/dependency cycle: (a → b → a|b → a → b)/);

    // The seed's first check: GET /api/orchestrator/agents shows the agent is not active.
    await s.call('POST', '/api/orchestrator/agents', { body: { id: 'translator-001', name: 'Translator', type: 'translator', capabilities: ['translation'], status: 'paused' } });
    const agents = await s.call('GET', '/api/orchestrator/agents');
    expect(agents.json.agents.find((a: { id: string }) => a.id === 'translator-001').status).toBe('paused');
    const started = await s.call('POST', '/api/orchestrator/orchestrate', {
      body: { goal: 'Translate', steps: [{ id: 'translate', title: 'Translate', agentType: 'translator' }, { id: 'publish', title: 'Publish', agentType: 'test', dependencies: ['translate'] }] },
    });
    expect(started.status).toBe(201);
    const id = started.json.sessionId as string;
    const got = await until(
      () => s.call('GET', `/api/orchestrator/sessions/${id}`),
      (r) => r.json.blocked.some((b: { taskId: string; reason: string }) => b.reason.startsWith(`${b.taskId} is blocked:`)),
    );
    expect(got.json.blocked).toEqual([
      { taskId: 'translate', kind: 'no_capable_agent', reason: "translate is blocked: no capable agent: agent 'translator-001' is paused" },
      { taskId: 'publish', kind: 'dependencies', reason: "publish waits on translate, which is blocked: no capable agent: agent 'translator-001' is paused" },
    ]);
    expect(got.json.errors).toContain("translate: blocked: translate is blocked: no capable agent: agent 'translator-001' is paused");
    const logs = await s.call('GET', `/api/orchestrator/sessions/${id}/logs`);
    expect(logs.json.logs.some((l: { level: string; taskId?: string; message: string }) => l.level === 'warn' && l.taskId === 'translate' && l.message.includes('blocked'))).toBe(true);
  });
});

describe('blocked reasons of a large plan', () => {
  it('traces 5000 chained pending steps to their root in one pass', async () => {
    const { blockedSteps } = await import('../../src/compat/orchestrator/index.js');
    const n = 5000;
    const tasks = Array.from({ length: n }, (_, i) => ({
      id: `t${i}`,
      title: `t${i}`,
      status: i === 0 ? ('running' as const) : ('pending' as const),
      dependsOn: i === 0 ? [] : [`t${i - 1}`],
      priority: 0,
      blockedReason: i === 0 ? null : { kind: 'dependencies' as const, waitingOn: [`t${i - 1}`] },
      startedAt: null,
      finishedAt: null,
      attempts: [],
    }));
    const out = blockedSteps(tasks);
    expect(out).toHaveLength(n - 1);
    expect(out[0]!.reason).toBe('t1 waits on t0, which is running');
    expect(out[n - 2]!.reason).toBe(`t${n - 1} waits on t${n - 2} (pending behind t0, which is running)`);
  });
});
