/** Scheduling as users see it: priorities, limits, agent choice, retries, blocked reasons. */
import type { AgentInput } from '../../src/core/plan/schema.js';
import { describe, expect, it } from 'vitest';
import { concurrencyProbe, startEngine } from './helpers.js';

describe('dispatch order and limits', () => {
  it('ready tasks start by priority, then age', async () => {
    const probe = concurrencyProbe();
    const engine = await startEngine({ concurrency: 1, functions: { probe: probe.fn } });
    const view = await engine.run({
      tasks: [
        { id: 'first', function: 'probe', input: { ms: 5 } },
        { id: 'low', function: 'probe', priority: -1, input: { ms: 1 }, dependsOn: ['first'] },
        { id: 'mid-a', function: 'probe', input: { ms: 1 }, dependsOn: ['first'] },
        { id: 'high', function: 'probe', priority: 10, input: { ms: 1 }, dependsOn: ['first'] },
        { id: 'mid-b', function: 'probe', input: { ms: 1 }, dependsOn: ['first'] },
      ],
    });
    expect(view.status).toBe('completed');
    expect(probe.order).toEqual(['first', 'high', 'mid-a', 'mid-b', 'low']);
  });

  it('the global limit holds', async () => {
    const probe = concurrencyProbe();
    const engine = await startEngine({ concurrency: 3, functions: { probe: probe.fn } });
    await engine.run({ tasks: Array.from({ length: 12 }, (_, i) => ({ id: `t${i}`, function: 'probe' })) });
    expect(probe.max).toBe(3);
  });

  it('the per-run limit holds', async () => {
    const probe = concurrencyProbe();
    const engine = await startEngine({ functions: { probe: probe.fn } });
    await engine.run({ concurrency: 2, tasks: Array.from({ length: 8 }, (_, i) => ({ id: `t${i}`, function: 'probe' })) });
    expect(probe.max).toBe(2);
  });

  it('the per-agent limit holds across runs', async () => {
    const probe = concurrencyProbe();
    const engine = await startEngine({ functions: { probe: probe.fn }, agents: [{ id: 'narrow', driver: 'function', maxConcurrency: 2, config: { function: 'probe' } }] });
    const plan = { tasks: Array.from({ length: 5 }, (_, i) => ({ id: `t${i}`, agent: 'narrow' })) };
    const [a, b] = await Promise.all([engine.run(plan), engine.run(plan)]);
    expect([a.status, b.status]).toEqual(['completed', 'completed']);
    expect(probe.max).toBe(2);
  });
});

describe('agent selection', () => {
  const agents = (extra: AgentInput[] = []): AgentInput[] => [
    { id: 'generalist', driver: 'function', capabilities: ['code', 'review', 'test'], maxConcurrency: 4, config: { function: 'who' } },
    { id: 'reviewer', driver: 'function', capabilities: ['review'], maxConcurrency: 4, config: { function: 'who' } },
    ...extra,
  ];

  it('prefers the most specialised idle agent, then spreads load', async () => {
    const engine = await startEngine({
      agents: agents(),
      functions: { who: async ({ agent }) => new Promise((r) => setTimeout(() => r(agent.id), 40)) },
    });
    const one = await engine.run({ tasks: [{ id: 'r', agent: { capabilities: ['review'] } }] });
    expect(one.tasks[0]!.attempts[0]!.agentId).toBe('reviewer');
    const many = await engine.run({ tasks: Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, agent: { capabilities: ['review'] } })) });
    const used = many.tasks.map((t) => t.attempts[0]!.agentId);
    expect(used.filter((a) => a === 'reviewer').length).toBeGreaterThan(0);
    expect(used.filter((a) => a === 'generalist').length).toBeGreaterThan(0);
  });

  it('priority breaks ties between equally loaded agents', async () => {
    const engine = await startEngine({
      agents: agents([{ id: 'senior', driver: 'function', capabilities: ['review'], priority: 5, config: { function: 'who' } }]),
      functions: { who: ({ agent }) => agent.id },
    });
    const v = await engine.run({ tasks: [{ id: 'r', agent: { capabilities: ['review'] } }] });
    expect(v.tasks[0]!.attempts[0]!.agentId).toBe('senior');
  });

  it('a retry goes to a different capable agent (fallback)', async () => {
    const engine = await startEngine({
      agents: agents(),
      functions: {
        who: ({ agent }) => {
          if (agent.id === 'reviewer') throw new Error('reviewer is broken');
          return agent.id;
        },
      },
    });
    const v = await engine.run({ tasks: [{ id: 'r', agent: { capabilities: ['review'] }, retry: { maxAttempts: 2, backoff: { initialMs: 1, jitter: 0 } } }] });
    expect(v.status).toBe('completed');
    expect(v.tasks[0]!.attempts.map((a) => [a.agentId, a.status])).toEqual([
      ['reviewer', 'failed'],
      ['generalist', 'succeeded'],
    ]);
  });
});

describe('retries', () => {
  it('waits the backoff between attempts and stops at maxAttempts', async () => {
    const engine = await startEngine();
    const v = await engine.run({ tasks: [{ id: 'flaky', agent: 'test', input: { failTimes: 5 }, retry: { maxAttempts: 3, backoff: { initialMs: 60, factor: 2, jitter: 0 } } }] });
    expect(v.status).toBe('failed');
    const [a1, a2, a3] = v.tasks[0]!.attempts;
    expect(v.tasks[0]!.attempts).toHaveLength(3);
    // Lower bounds the engine guarantees (not performance assertions): 60 ms, then 120 ms.
    expect(Date.parse(a2!.startedAt) - Date.parse(a1!.finishedAt!)).toBeGreaterThanOrEqual(59);
    expect(Date.parse(a3!.startedAt) - Date.parse(a2!.finishedAt!)).toBeGreaterThanOrEqual(119);
  });

  it('NonRetryableError stops retrying; RetryAfterError delays the next attempt', async () => {
    const { NonRetryableError, RetryAfterError } = await import('../../src/core/errors.js');
    let calls = 0;
    const engine = await startEngine({
      functions: {
        permanent: () => {
          throw new NonRetryableError('bad input');
        },
        later: () => {
          calls++;
          if (calls === 1) throw new RetryAfterError('quota', 150);
          return 'ok';
        },
      },
    });
    const v = await engine.run({
      tasks: [
        { id: 'p', function: 'permanent', retry: { maxAttempts: 5 }, continueOnFailure: true },
        { id: 'l', function: 'later', retry: { maxAttempts: 2, backoff: { initialMs: 1, jitter: 0 } } },
      ],
    });
    expect(v.tasks[0]!.attempts).toHaveLength(1);
    expect(v.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'non_retryable', retryable: false });
    const [l1, l2] = v.tasks[1]!.attempts;
    expect(l2!.status).toBe('succeeded');
    expect(Date.parse(l2!.startedAt) - Date.parse(l1!.finishedAt!)).toBeGreaterThanOrEqual(149);
  });
});

describe('blocked reasons', () => {
  it('every waiting task says why it waits', async () => {
    const engine = await startEngine({
      agents: [{ id: 'solo', driver: 'test', maxConcurrency: 1 }],
    });
    const run = await engine.createRun({
      concurrency: 5,
      tasks: [
        { id: 'busy', agent: 'solo', input: { hang: true } },
        { id: 'queued-on-solo', agent: 'solo' },
        { id: 'after', agent: 'test', dependsOn: ['busy'] },
        { id: 'backoff', agent: 'test', input: { failTimes: 1 }, retry: { maxAttempts: 2, backoff: { initialMs: 60_000, jitter: 0 } } },
      ],
    });
    let v = await engine.getRun(run.id);
    for (let i = 0; i < 100 && (v!.tasks[0]!.status !== 'running' || v!.tasks[3]!.status !== 'ready'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      v = await engine.getRun(run.id);
    }
    const reason = (id: string) => v!.tasks.find((t) => t.id === id)!.blockedReason;
    expect(reason('busy')).toBeNull();
    expect(reason('queued-on-solo')).toEqual({ kind: 'agent_capacity', agents: ['solo'] });
    expect(reason('after')).toEqual({ kind: 'dependencies', waitingOn: ['busy'] });
    expect(reason('backoff')).toMatchObject({ kind: 'retry_backoff' });
    await engine.cancelRun(run.id);
  });

  it('a task whose only agent is disabled becomes blocked, and runs when the agent returns', async () => {
    const engine = await startEngine({ agents: [{ id: 'gate', driver: 'test' }] });
    const run = await engine.createRun({ tasks: [{ id: 'wait', agent: 'test', input: { sleepMs: 100 } }, { id: 'x', agent: 'gate', dependsOn: ['wait'] }] });
    await engine.setAgentStatus('gate', 'disabled');
    for (let i = 0; i < 200; i++) {
      const v = await engine.getRun(run.id);
      if (v!.tasks[1]!.status === 'blocked') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const blocked = await engine.getRun(run.id);
    expect(blocked!.tasks[1]).toMatchObject({ status: 'blocked', blockedReason: { kind: 'no_capable_agent' } });
    expect(blocked!.status).toBe('running');
    await engine.setAgentStatus('gate', 'active');
    const done = await engine.waitForRun(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe('completed');
  });
});

describe('rate limits', () => {
  it('a rate-limited task is parked until the reset, then runs on another agent without spending a retry', async () => {
    const engine = await startEngine({
      agents: [
        { id: 'quota-bound', driver: 'test', capabilities: ['llm'], priority: 5 },
        { id: 'spare', driver: 'test', capabilities: ['llm'] },
      ],
    });
    const seen: string[] = [];
    engine.on('task:blocked', (e) => seen.push(e.data.reason.kind));
    const v = await engine.run({
      tasks: [
        {
          id: 'ask',
          agent: { type: 'test', capabilities: ['llm'] },
          input: { failAgents: ['quota-bound'], kind: 'rate_limited', retryAfterMs: 150, message: 'usage limit reached' },
          retry: { maxAttempts: 1 },
        },
      ],
    });
    expect(v.status).toBe('completed');
    const [a1, a2] = v.tasks[0]!.attempts;
    expect([a1!.agentId, a1!.status, a1!.error?.kind]).toEqual(['quota-bound', 'failed', 'rate_limited']);
    expect([a2!.agentId, a2!.status]).toEqual(['spare', 'succeeded']);
    expect(seen).toEqual(['rate_limited']);
    // Parked until the reset: a lower bound the engine guarantees.
    expect(Date.parse(a2!.startedAt) - Date.parse(a1!.finishedAt!)).toBeGreaterThanOrEqual(149);
  });
});
