import { describe, expect, it } from 'vitest';
import { PlanValidationError, type PlanIssue } from '../errors.js';
import { DEFAULT_RETRY, planSchema, type PlanInput } from './schema.js';
import { checkPlan, normalisePlan, normaliseSelector, validatePlan, type AgentMatcher } from './validate.js';

const plan = (input: PlanInput) => planSchema.parse(input);

function issuesOf(fn: () => unknown): PlanIssue[] {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(PlanValidationError);
    return (e as PlanValidationError).issues;
  }
  throw new Error('expected a PlanValidationError');
}

describe('normalisePlan', () => {
  it('fills defaults: title from the id, one attempt, no timeout, stop on failure, priority 0', () => {
    const v = normalisePlan(plan({ tasks: [{ id: 'build', command: ['make'] }] }));
    expect(v.tasks).toEqual([
      { id: 'build', dependsOn: [], priority: 0, spec: { title: 'build', command: ['make'], retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false } },
    ]);
    expect(v).toMatchObject({ name: 'build', goal: null, priority: 0, concurrency: null, agents: [], metadata: {} });
  });

  it('applies plan defaults to tasks that do not set the field, and task values win', () => {
    const retry = { maxAttempts: 3, backoff: { initialMs: 10, factor: 2, maxMs: 100, jitter: 0 } };
    const v = normalisePlan(
      plan({
        defaults: { retry, timeoutMs: 5000, continueOnFailure: true, priority: 4, agent: { type: 'coder' }, env: { A: '1', B: '1' } },
        tasks: [
          { id: 'a', prompt: 'write it' },
          { id: 'b', prompt: 'test it', retry: { maxAttempts: 1 }, timeoutMs: null, continueOnFailure: false, priority: -1, agent: 'qa-bot', env: { B: '2' } },
        ],
      }),
    );
    const [a, b] = v.tasks;
    expect(a).toMatchObject({ priority: 4, spec: { retry, timeoutMs: 5000, continueOnFailure: true, agent: { type: 'coder' }, env: { A: '1', B: '1' } } });
    expect(b).toMatchObject({ priority: -1, spec: { timeoutMs: null, continueOnFailure: false, agent: { id: 'qa-bot' }, env: { A: '1', B: '2' } } });
    expect(b!.spec.retry).toEqual({ maxAttempts: 1, backoff: DEFAULT_RETRY.backoff });
  });

  it('names the run after the plan, else the goal’s first line, else the first task', () => {
    expect(normalisePlan(plan({ name: 'nightly', goal: 'g', tasks: [{ id: 'a' }] })).name).toBe('nightly');
    expect(normalisePlan(plan({ goal: 'Ship v2\nwith tests', tasks: [{ id: 'a' }] })).name).toBe('Ship v2');
    expect(normalisePlan(plan({ tasks: [{ id: 'a', title: 'Build all' }] })).name).toBe('Build all');
  });

  it('keeps plan-level fields', () => {
    const v = normalisePlan(plan({ priority: 7, concurrency: 3, metadata: { team: 'x' }, agents: [{ id: 'bot', driver: 'exec' }], tasks: [{ id: 'a' }] }));
    expect(v).toMatchObject({ priority: 7, concurrency: 3, metadata: { team: 'x' } });
    expect(v.agents).toEqual([{ id: 'bot', driver: 'exec', capabilities: [], priority: 0, status: 'active', config: {}, scope: 'global' }]);
  });
});

describe('normaliseSelector', () => {
  it('turns a string into an id selector, drops empty fields and duplicate capabilities', () => {
    expect(normaliseSelector('bot')).toEqual({ id: 'bot' });
    expect(normaliseSelector({ capabilities: ['a', 'b', 'a'] })).toEqual({ capabilities: ['a', 'b'] });
    expect(normaliseSelector({ type: 'coder', capabilities: [] })).toEqual({ type: 'coder' });
    expect(normaliseSelector({})).toBeUndefined();
    expect(normaliseSelector(undefined)).toBeUndefined();
  });
});

describe('validatePlan', () => {
  it('returns the normalised plan when every check passes', () => {
    const v = validatePlan(plan({ tasks: [{ id: 'a' }, { id: 'b', dependsOn: ['a'] }] }), () => null);
    expect(v.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['a', []],
      ['b', ['a']],
    ]);
  });

  it.each<[string, PlanInput['tasks'], string]>([
    ['ERR_DUPLICATE_TASK', [{ id: 'a' }, { id: 'a' }], 'tasks[1].id'],
    ['ERR_UNKNOWN_DEPENDENCY', [{ id: 'a', dependsOn: ['nope'] }], 'tasks[0].dependsOn[0]'],
    ['ERR_CYCLE', [{ id: 'a', dependsOn: ['b'] }, { id: 'b', dependsOn: ['a'] }], 'tasks'],
    ['ERR_INVALID_PLAN', [{ id: 'a', command: ['x'], function: 'f' }], 'tasks[0]'],
  ])('rejects with %s', (code, tasks, path) => {
    let error: unknown;
    try {
      validatePlan(plan({ tasks }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanValidationError);
    expect((error as PlanValidationError).code).toBe(code);
    expect((error as PlanValidationError).issues[0]!.path).toBe(path);
  });

  it('names the cycle’s tasks in the message', () => {
    const [issue] = issuesOf(() => validatePlan(plan({ tasks: [{ id: 'a', dependsOn: ['c'] }, { id: 'b', dependsOn: ['a'] }, { id: 'c', dependsOn: ['b'] }, { id: 'd' }] })));
    expect(issue!.code).toBe('ERR_CYCLE');
    expect([...issue!.tasks!].sort()).toEqual(['a', 'b', 'c']);
    expect(issue!.message).toMatch(/dependency cycle: (\w → ){3}\w/);
  });

  it('rejects duplicate agent ids', () => {
    const issues = issuesOf(() => validatePlan(plan({ agents: [{ id: 'x', driver: 'exec' }, { id: 'x', driver: 'exec' }], tasks: [{ id: 'a' }] })));
    expect(issues).toEqual([{ code: 'ERR_INVALID_PLAN', path: 'agents[1].id', message: "duplicate agent id 'x'" }]);
  });

  it('collects every issue and reports the first one’s code', () => {
    const matcher: AgentMatcher = (t) => (t.id === 'gpu' ? 'nobody has gpu' : null);
    let error: PlanValidationError | undefined;
    try {
      validatePlan(plan({ tasks: [{ id: 'a' }, { id: 'a' }, { id: 'b', dependsOn: ['ghost'] }, { id: 'gpu' }] }), matcher);
    } catch (e) {
      error = e as PlanValidationError;
    }
    expect(error?.issues.map((i) => i.code)).toEqual(['ERR_DUPLICATE_TASK', 'ERR_UNKNOWN_DEPENDENCY', 'ERR_NO_CAPABLE_AGENT']);
    expect(error?.code).toBe('ERR_DUPLICATE_TASK');
    expect(error?.message).toContain('(and 2 more problems)');
  });

  it('reports every task no agent can run, with the matcher’s reason', () => {
    const seen: string[] = [];
    const matcher: AgentMatcher = (t) => {
      seen.push(t.id);
      return t.spec.agent?.capabilities?.includes('gpu') ? "no registered agent has capabilities [gpu]" : null;
    };
    const issues = issuesOf(() => validatePlan(plan({ tasks: [{ id: 'a' }, { id: 'b', agent: { capabilities: ['gpu'] } }] }), matcher));
    expect(seen).toEqual(['a', 'b']);
    expect(issues).toEqual([
      { code: 'ERR_NO_CAPABLE_AGENT', path: 'tasks[1].agent', message: "no agent can run task 'b': no registered agent has capabilities [gpu]", tasks: ['b'] },
    ]);
  });

  it('checkPlan without a matcher does not check agents', () => {
    expect(() => checkPlan(normalisePlan(plan({ tasks: [{ id: 'a', agent: 'missing' }] })))).not.toThrow();
  });
});
