import { describe, expect, it } from 'vitest';
import { PlanValidationError } from '../errors.js';
import { formatPath, MAX_PLAN_BYTES, parsePlanObject, parsePlanText } from './parse.js';

function rejection(fn: () => unknown): PlanValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PlanValidationError) return e;
    throw e;
  }
  throw new Error('expected a PlanValidationError');
}

const yamlPlan = `
name: demo
concurrency: 2
tasks:
  - id: build
    command: [make, all]
  - id: test
    dependsOn: [build]
    retry:
      maxAttempts: 3
`;

describe('parsePlanText', () => {
  it('reads YAML and JSON into the same plan, with schema defaults', () => {
    const fromYaml = parsePlanText(yamlPlan);
    const fromJson = parsePlanText(
      JSON.stringify({ name: 'demo', concurrency: 2, tasks: [{ id: 'build', command: ['make', 'all'] }, { id: 'test', dependsOn: ['build'], retry: { maxAttempts: 3 } }] }),
    );
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml).toMatchObject({ version: 1, priority: 0, agents: [], metadata: {}, concurrency: 2 });
    expect(fromYaml.tasks[0]).toMatchObject({ id: 'build', dependsOn: [] });
    expect(fromYaml.tasks[1]!.retry).toEqual({ maxAttempts: 3, backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.2 } });
  });

  it('reports text that is neither JSON nor YAML', () => {
    const e = rejection(() => parsePlanText('{ "tasks": [', 'plan.json'));
    expect(e.code).toBe('ERR_INVALID_PLAN');
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]!.path).toBe('');
    expect(e.message).toContain('plan.json is neither valid JSON nor YAML');
    expect(rejection(() => parsePlanText('tasks: [a, b\n  - : :')).code).toBe('ERR_INVALID_PLAN');
  });

  it('points at the offending field with a JSON path', () => {
    const e = rejection(() => parsePlanText('tasks:\n  - id: a\n  - id: b\n    dependsOn: ["not an id!"]\n'));
    expect(e.issues.map((i) => i.path)).toEqual(['tasks[1].dependsOn[0]']);
    expect(e.message).toMatch(/^invalid plan: tasks\[1\]\.dependsOn\[0\]: /);
  });

  it('rejects unknown fields and reports every schema problem', () => {
    const e = rejection(() => parsePlanText(JSON.stringify({ tasks: [{ id: 'a', retry: { maxAttempts: 0 } }, { id: 'b', colour: 'red' }] })));
    expect(e.issues.map((i) => i.path).sort()).toEqual(['tasks[0].retry.maxAttempts', 'tasks[1]']);
    expect(e.issues.every((i) => i.code === 'ERR_INVALID_PLAN')).toBe(true);
  });

  it('rejects a plan without tasks', () => {
    expect(rejection(() => parsePlanText('{"tasks": []}')).issues[0]).toMatchObject({ path: 'tasks', message: 'a plan needs at least one task' });
    expect(rejection(() => parsePlanText('name: x')).issues[0]!.path).toBe('tasks');
  });

  it('rejects text that is not an object', () => {
    for (const text of ['[1, 2]', '42', '- a\n- b', '']) {
      expect(rejection(() => parsePlanText(text)).issues[0]!.message).toBe('a plan is an object with a "tasks" array');
    }
  });

  it(`rejects text larger than ${MAX_PLAN_BYTES} bytes before parsing it`, () => {
    const e = rejection(() => parsePlanText(`#${'x'.repeat(MAX_PLAN_BYTES)}`, 'big.yaml'));
    expect(e.message).toContain(`big.yaml is larger than ${MAX_PLAN_BYTES} bytes`);
  });
});

describe('parsePlanObject', () => {
  it('accepts an object and applies defaults', () => {
    expect(parsePlanObject({ tasks: [{ id: 'a' }] }).tasks[0]).toEqual({ id: 'a', dependsOn: [] });
  });

  it('rejects null and arrays', () => {
    expect(rejection(() => parsePlanObject(null)).code).toBe('ERR_INVALID_PLAN');
    expect(rejection(() => parsePlanObject([{ id: 'a' }])).code).toBe('ERR_INVALID_PLAN');
  });
});

describe('formatPath', () => {
  it('writes indexes in brackets and keys with dots', () => {
    expect(formatPath(['tasks', 3, 'dependsOn', 0])).toBe('tasks[3].dependsOn[0]');
    expect(formatPath(['agents', 0, 'config', 'command'])).toBe('agents[0].config.command');
    expect(formatPath([])).toBe('');
  });
});
