import { describe, expect, it } from 'vitest';
import type { AgentRecord } from '../../agents/types.js';
import { DEFAULT_RETRY, type AgentSelector, type TaskSpec } from '../plan/schema.js';
import { capableAgents, chooseAgent, chooseAssignments, compareAgents, isExplicit, matchesSelector, type AcceptsFn, type ClaimCandidate, type RunLoad } from './select.js';

const acceptAll: AcceptsFn = () => null;
/** Like the test driver: its agents take only tasks that name them by id or type. */
const testDriverStyle: AcceptsFn = (_task, agent, explicit) => (agent.driver === 'test' && !explicit ? 'the test driver only takes tasks that name its agent' : null);

function agent(id: string, o: Partial<AgentRecord> = {}): AgentRecord {
  return { id, name: id, type: 'worker', driver: 'function', capabilities: [], maxConcurrency: null, priority: 0, status: 'active', config: {}, running: 0, createdAt: 0, updatedAt: 0, ...o };
}
function spec(agentSelector?: AgentSelector): TaskSpec {
  return { title: 't', retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false, ...(agentSelector ? { agent: agentSelector } : {}) };
}
const pick = (s: TaskSpec, agents: AgentRecord[], failed: string[] = [], accepts = acceptAll) => chooseAgent(s, failed, agents, accepts);

describe('matchesSelector', () => {
  const a = agent('a1', { type: 'coder', capabilities: ['code', 'test'] });
  it('matches by id, type and every capability', () => {
    expect(matchesSelector(a, undefined)).toBe(true);
    expect(matchesSelector(a, { id: 'a1' })).toBe(true);
    expect(matchesSelector(a, { id: 'a2' })).toBe(false);
    expect(matchesSelector(a, { type: 'coder', capabilities: ['test'] })).toBe(true);
    expect(matchesSelector(a, { type: 'qa' })).toBe(false);
    expect(matchesSelector(a, { capabilities: ['code', 'deploy'] })).toBe(false);
    expect(matchesSelector(a, { id: 'a1', type: 'qa' })).toBe(false);
  });

  it('calls a selector explicit when it names an id or a type', () => {
    expect(isExplicit({ id: 'x' })).toBe(true);
    expect(isExplicit({ type: 'test' })).toBe(true);
    expect(isExplicit({ capabilities: ['test'] })).toBe(false);
    expect(isExplicit(undefined)).toBe(false);
  });
});

describe('chooseAgent', () => {
  it('prefers the least loaded agent', () => {
    expect(pick(spec(), [agent('a', { running: 2 }), agent('b', { running: 1, priority: -5 })]).agent?.id).toBe('b');
  });

  it('then the highest priority', () => {
    expect(pick(spec(), [agent('a', { priority: 1 }), agent('b', { priority: 3 })]).agent?.id).toBe('b');
  });

  it('then the fewest capabilities, then the id', () => {
    expect(pick(spec(), [agent('a', { capabilities: ['x', 'y'] }), agent('b', { capabilities: ['x'] })]).agent?.id).toBe('b');
    expect(pick(spec(), [agent('c'), agent('b')]).agent?.id).toBe('b');
    const sorted = [agent('d'), agent('c', { running: 1 }), agent('b', { priority: 2, running: 1 }), agent('a', { capabilities: ['x'] })].sort(compareAgents);
    expect(sorted.map((x) => x.id)).toEqual(['d', 'a', 'b', 'c']);
  });

  it('skips agents without free capacity and reports agent_capacity when none has room', () => {
    const agents = [agent('a', { maxConcurrency: 1, running: 1 }), agent('b', { maxConcurrency: 2, running: 1, priority: -1 })];
    expect(pick(spec(), agents).agent?.id).toBe('b');
    const full = [agent('a', { maxConcurrency: 1, running: 1 }), agent('b', { maxConcurrency: 2, running: 2 })];
    expect(pick(spec(), full)).toEqual({ reason: { kind: 'agent_capacity', agents: ['a', 'b'] } });
  });

  it('prefers an agent that has not failed the task, even a busier one', () => {
    const agents = [agent('a', { priority: 9 }), agent('b', { running: 3 })];
    expect(pick(spec(), agents, ['a']).agent?.id).toBe('b');
    expect(pick(spec(), [agent('a')], ['a']).agent?.id).toBe('a');
    expect(pick(spec(), [agent('a'), agent('b', { maxConcurrency: 1, running: 1 })], ['a']).agent?.id).toBe('a');
  });

  it('ignores agents that are not active', () => {
    expect(pick(spec(), [agent('a', { status: 'paused' }), agent('b', { running: 5 })]).agent?.id).toBe('b');
    const r = pick(spec({ id: 'a' }), [agent('a', { status: 'disabled' })]);
    expect(r.reason).toEqual({ kind: 'no_capable_agent', message: "agent 'a' is disabled" });
  });

  it('says which selector no agent matches', () => {
    expect(pick(spec({ type: 'gpu', capabilities: ['cuda'] }), [agent('a')]).reason).toEqual({
      kind: 'no_capable_agent',
      message: "no registered agent has type 'gpu' and capabilities [cuda]",
    });
    expect(pick(spec(), []).reason).toEqual({ kind: 'no_capable_agent', message: 'no agent is registered' });
  });

  it('lets test-driver agents take only tasks that name them', () => {
    const agents = [agent('test', { driver: 'test', type: 'test', capabilities: ['test'] })];
    expect(pick(spec({ id: 'test' }), agents, [], testDriverStyle).agent?.id).toBe('test');
    expect(pick(spec({ type: 'test' }), agents, [], testDriverStyle).agent?.id).toBe('test');
    expect(pick(spec({ capabilities: ['test'] }), agents, [], testDriverStyle).reason).toEqual({
      kind: 'no_capable_agent',
      message: "agent 'test': the test driver only takes tasks that name its agent",
    });
    expect(pick(spec(), [...agents, agent('fn')], [], testDriverStyle).agent?.id).toBe('fn');
  });
});

describe('capableAgents', () => {
  it('lists every matching, active, accepting agent regardless of load', () => {
    const agents = [agent('a', { maxConcurrency: 1, running: 1 }), agent('b', { status: 'paused' }), agent('c', { capabilities: ['x'] })];
    expect(capableAgents(spec(), agents, acceptAll)).toEqual({ agents: [agents[0], agents[2]], reason: null });
    expect(capableAgents(spec({ capabilities: ['x'] }), agents, acceptAll).agents.map((a) => a.id)).toEqual(['c']);
  });
});

describe('chooseAssignments', () => {
  const cand = (taskId: string, runId = 'r1', s: TaskSpec = spec(), failedAgents: string[] = []): ClaimCandidate => ({ runId, taskId, spec: s, failedAgents });
  const runs = (entries: Record<string, RunLoad>) => new Map(Object.entries(entries));

  it('assigns candidates in order until the slots run out', () => {
    const d = chooseAssignments({ candidates: [cand('a'), cand('b'), cand('c')], agents: [agent('x')], runs: runs({}), slots: 2 }, acceptAll);
    expect(d.assignments).toEqual([
      { runId: 'r1', taskId: 'a', agentId: 'x' },
      { runId: 'r1', taskId: 'b', agentId: 'x' },
    ]);
  });

  it('spreads work over agents as their loads grow, within their capacity', () => {
    const agents = [agent('x', { maxConcurrency: 1 }), agent('y', { maxConcurrency: 2 })];
    const d = chooseAssignments({ candidates: [cand('a'), cand('b'), cand('c'), cand('d')], agents, runs: runs({}), slots: 10 }, acceptAll);
    expect(d.assignments.map((a) => `${a.taskId}:${a.agentId}`)).toEqual(['a:x', 'b:y', 'c:y']);
    expect(d.blocked).toEqual([]);
    expect(agents.map((a) => a.running)).toEqual([0, 0]);
  });

  it('respects each run’s concurrency limit and keeps going with other runs', () => {
    const d = chooseAssignments(
      { candidates: [cand('a', 'r1'), cand('b', 'r1'), cand('c', 'r2'), cand('d', 'r1')], agents: [agent('x')], runs: runs({ r1: { running: 1, maxConcurrency: 2 }, r2: { running: 0, maxConcurrency: null } }), slots: 10 },
      acceptAll,
    );
    expect(d.assignments.map((a) => a.taskId)).toEqual(['a', 'c']);
  });

  it('reports tasks no agent can run as blocked, but not tasks waiting for capacity', () => {
    const d = chooseAssignments(
      { candidates: [cand('gpu', 'r1', spec({ capabilities: ['gpu'] })), cand('a'), cand('b')], agents: [agent('x', { maxConcurrency: 1 })], runs: runs({}), slots: 10 },
      acceptAll,
    );
    expect(d.assignments.map((a) => a.taskId)).toEqual(['a']);
    expect(d.blocked).toEqual([{ runId: 'r1', taskId: 'gpu', reason: { kind: 'no_capable_agent', message: "no registered agent has capabilities [gpu]" } }]);
  });

  it('gives a retry to an agent that has not failed it', () => {
    const d = chooseAssignments({ candidates: [cand('a', 'r1', spec(), ['x'])], agents: [agent('x'), agent('y', { priority: -1 })], runs: runs({}), slots: 1 }, acceptAll);
    expect(d.assignments[0]!.agentId).toBe('y');
  });
});
