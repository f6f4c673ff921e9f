/** Templates: plans they generate, their parameters, user templates from YAML, and single/batch runs. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concurrencyProbe, startEngine } from '../engine/helpers.js';
import { listTemplates, parseParamAssignments, parseUserTemplate, renderTemplate } from '../../src/templates/index.js';
import { tempDir } from './helpers.js';

describe('built-in templates', () => {
  it('lists single, dev-team and batch with their parameters', () => {
    const names = listTemplates().map((t) => t.name);
    expect(names).toEqual(['single', 'dev-team', 'batch']);
    expect(listTemplates().find((t) => t.name === 'dev-team')!.params).toHaveProperty('maxIterations');
  });

  it('dev-team: pm → docs → architect → docs → approval → scaffold → engineer → qa → merge, with the loops and the files', () => {
    const plan = renderTemplate('dev-team', 'Build a CLI for file encryption', { maxIterations: 4, testCommand: 'npm test', projectName: 'encrypt-cli' });
    expect(plan.tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['pm', []],
      ['pm-docs', ['pm']],
      ['architect', ['pm-docs']],
      ['architect-docs', ['architect']],
      ['approval', ['architect-docs']],
      ['scaffold', ['approval']],
      ['engineer', ['scaffold']],
      ['qa', ['engineer']],
      ['merge', ['qa']],
    ]);
    const byId = Object.fromEntries(plan.tasks.map((t) => [t.id, t]));
    expect(byId.pm!.agent).toEqual({ capabilities: ['pm'] });
    expect(byId.architect!.agent).toEqual({ capabilities: ['architect'] });
    expect(byId.architect!.input).toEqual({ files: ['docs/PRD.md'] });
    expect(byId.engineer!.agent).toEqual({ capabilities: ['code'] });
    // The engineer's work is checked in its worktree and lands only through the merge step, after QA.
    expect(byId.engineer!.workspace).toEqual({ keepWorktree: true });
    expect(byId.approval!.approval).toMatchObject({ message: expect.stringContaining('docs/TECH_SPEC.md') });
    expect(byId.qa).toMatchObject({ function: 'tutti.check', input: { command: ['npm', 'test'], report: 'docs/BUG_REPORT.md', in: 'engineer' }, loop: { rewindTo: 'engineer', maxIterations: 4, onExhausted: 'approval' } });
    expect(byId.merge).toMatchObject({ function: 'tutti.merge', input: { from: 'engineer', validate: [['npm', 'test']] }, loop: { rewindTo: 'engineer', maxIterations: 4 } });
    // With reviewMerge a person approves the tested work before the merge; a rejection goes back to the engineer.
    const reviewed = renderTemplate('dev-team', 'x', { reviewMerge: true });
    expect(reviewed.tasks.slice(-3).map((t) => [t.id, t.dependsOn])).toEqual([
      ['qa', ['engineer']],
      ['review', ['qa']],
      ['merge', ['review']],
    ]);
    expect(reviewed.tasks.find((t) => t.id === 'review')).toMatchObject({ approval: {}, loop: { rewindTo: 'engineer' } });
    expect(byId['architect-docs']!.input).toMatchObject({ from: 'architect', document: 'docs/TECH_SPEC.md', blocks: ['scaffold.sh'] });
    expect(byId.pm!.prompt).toContain('Build a CLI for file encryption');
    expect(plan.metadata).toMatchObject({ template: 'dev-team', mission: 'Build a CLI for file encryption', projectName: 'encrypt-cli', maxIterations: 4 });
    expect(plan.name).toBe('dev-team: encrypt-cli');
  });

  it('dev-team: roles can be other agents; the scaffold step can be left out', () => {
    const plan = renderTemplate('dev-team', 'x', { agents: { pm: 'writer', engineer: { capabilities: ['code', 'python'] } }, runScaffold: false, worktree: false });
    const byId = Object.fromEntries(plan.tasks.map((t) => [t.id, t]));
    expect(byId.pm!.agent).toBe('writer');
    expect(byId.engineer!.agent).toEqual({ capabilities: ['code', 'python'] });
    expect(byId.engineer!.dependsOn).toEqual(['approval']);
    expect(byId.engineer!.workspace).toEqual({ worktree: false });
    expect(byId.scaffold).toBeUndefined();
    // Working in place, there is no branch to merge.
    expect(byId.merge).toBeUndefined();
  });

  it('refuses unknown templates, empty missions and bad parameters with typed errors', () => {
    expect(() => renderTemplate('nope', 'x')).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_TEMPLATE' }));
    expect(() => renderTemplate('dev-team', '  ')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    expect(() => renderTemplate('dev-team', 'x', { maxIterations: 0 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('maxIterations') }));
    expect(() => renderTemplate('dev-team', 'x', { maxIteration: 3 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    expect(() => renderTemplate('batch', 'x', { parallel: -1 })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
  });

  it('single: one coding task, a validation step looping back to it in its worktree, and a merge step after it', () => {
    expect(renderTemplate('single', 'Fix the flaky test').tasks.map((t) => [t.id, t.dependsOn])).toEqual([
      ['code', []],
      ['merge', ['code']],
    ]);
    expect(renderTemplate('single', 'Fix the flaky test', { worktree: false }).tasks.map((t) => t.id)).toEqual(['code']);
    const plan = renderTemplate('single', 'Fix the flaky test', { validate: 'npm test -- --run', maxIterations: 2 });
    expect(plan.tasks[1]).toMatchObject({ id: 'validate', function: 'tutti.check', input: { command: ['npm', 'test', '--', '--run'], in: 'code' }, loop: { rewindTo: 'code', maxIterations: 2, onExhausted: 'fail' } });
    expect(plan.tasks[2]).toMatchObject({ id: 'merge', function: 'tutti.merge', dependsOn: ['validate'], input: { from: 'code', validate: [['npm', 'test', '--', '--run']] }, loop: { rewindTo: 'code', maxIterations: 2 } });
  });

  it('batch: one task per line, a parallelism limit, fail-fast or not', () => {
    const plan = renderTemplate('batch', 'translate a\n\n translate b \ntranslate c', { parallel: 2, agent: 'translator' });
    expect(plan.concurrency).toBe(2);
    expect(plan.tasks.map((t) => [t.id, t.prompt, t.agent, t.continueOnFailure, t.dependsOn])).toEqual([
      ['item-1', 'translate a', 'translator', true, []],
      ['item-2', 'translate b', 'translator', true, []],
      ['item-3', 'translate c', 'translator', true, []],
    ]);
    const ff = renderTemplate('batch', 'ignored', { failFast: true, items: ['one', { id: 'ls', command: ['ls'] }] });
    expect(ff.tasks.map((t) => [t.id, t.continueOnFailure])).toEqual([
      ['item-1', false],
      ['ls', false],
    ]);
  });
});

describe('template parameters from key=value', () => {
  it('reads YAML scalars and lists, dotted keys as objects, and keeps command lines as text', () => {
    expect(parseParamAssignments(['maxIterations=3', 'failFast=true', 'testCommand=npm test', 'agents.pm=writer', 'agents.engineer.capabilities=[code, go]', 'items=[a, b]', 'note=a: b'])).toEqual({
      maxIterations: 3,
      failFast: true,
      testCommand: 'npm test',
      agents: { pm: 'writer', engineer: { capabilities: ['code', 'go'] } },
      items: ['a', 'b'],
      note: 'a: b',
    });
  });

  it('refuses malformed assignments', () => {
    expect(() => parseParamAssignments(['novalue'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT' }));
    expect(() => parseParamAssignments(['a=1', 'a=2'])).toThrow(/twice/);
    expect(() => parseParamAssignments(['a=1', 'a.b=2'])).toThrow(/already a value/);
    expect(() => parseParamAssignments(['bad key=1'])).toThrow(/name/);
  });
});

const REVIEW_TEMPLATE = `
name: review
description: Review a path, then fix what the review found
params:
  path: { required: true, description: what to review }
  reviewer: { default: reviewer-bot }
  attempts: { default: 2 }
plan:
  name: "review {{path}}: {{ mission }}"
  tasks:
    - id: review
      agent: "{{reviewer}}"
      prompt: "Review {{path}} for: {{mission}}"
      retry: { maxAttempts: "{{attempts}}" }
    - id: fix
      agent: { capabilities: [code] }
      prompt: "Fix what the review of {{path}} found"
      dependsOn: [review]
`;

describe('user templates', () => {
  it('render a YAML plan with {{mission}} and declared parameters (typed when a string is one placeholder)', () => {
    const t = parseUserTemplate(REVIEW_TEMPLATE, 'review.yaml', 'fallback');
    expect(t.name).toBe('review');
    const plan = renderTemplate(t, 'race conditions', { path: 'src/core', attempts: 3 });
    expect(plan.name).toBe('review src/core: race conditions');
    expect(plan.tasks[0]).toMatchObject({ agent: 'reviewer-bot', prompt: 'Review src/core for: race conditions', retry: { maxAttempts: 3 } });
    expect(plan.metadata).toMatchObject({ template: 'review', mission: 'race conditions' });
  });

  it('say which parameter or placeholder is wrong', () => {
    const t = parseUserTemplate(REVIEW_TEMPLATE, 'review.yaml', 'review');
    expect(() => renderTemplate(t, 'm', {})).toThrow(/missing parameter path/);
    expect(() => renderTemplate(t, 'm', { path: 'x', colour: 'red' })).toThrow(/unknown parameter colour/);
    const undeclared = parseUserTemplate('plan:\n  tasks:\n    - { id: a, prompt: "{{who}} does {{mission}}" }\n', 'u.yaml', 'u');
    expect(() => renderTemplate(undeclared, 'm')).toThrow(/undeclared placeholder \{\{who\}\} \(at plan.tasks\[0\].prompt\)/);
    expect(() => parseUserTemplate('params: [1]\nplan: {}', 'bad.yaml', 'bad')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('bad.yaml') }));
    expect(() => parseUserTemplate('plan: {tasks: [', 'broken.yaml', 'b')).toThrow(/not valid YAML/);
    // A rendered plan that breaks the plan schema is a plan error.
    const badPlan = parseUserTemplate('plan:\n  tasks: []\n', 'empty.yaml', 'e');
    expect(() => renderTemplate(badPlan, 'm')).toThrow(expect.objectContaining({ code: 'ERR_INVALID_PLAN' }));
  });
});

describe('single and batch runs', () => {
  it('single: a failed validation sends the agent back with the output, and it passes next time', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'check.sh'), 'grep -q fixed state.txt || { echo "state.txt is still broken"; exit 3; }\n');
    const feedbacks: Array<string | null> = [];
    const engine = await startEngine({
      workDir: dir,
      agents: [{ id: 'coder', driver: 'function', capabilities: ['code'], config: { function: 'coder' } }],
      functions: {
        coder: ({ workDir, feedback, attempt }) => {
          feedbacks.push(feedback);
          writeFileSync(join(workDir, 'state.txt'), attempt === 1 ? 'broken\n' : 'fixed\n');
        },
      },
    });
    const v = await engine.run(renderTemplate('single', 'Repair state.txt', { validate: ['sh', 'check.sh'], maxIterations: 3 }));
    expect(v.status).toBe('completed');
    expect(feedbacks[0]).toBeNull();
    expect(feedbacks[1]).toContain('sh check.sh exited with code 3');
    expect(feedbacks[1]).toContain('state.txt is still broken');
    expect(v.tasks.map((t) => t.attempts.map((a) => a.status))).toEqual([
      ['succeeded', 'succeeded'],
      ['failed', 'succeeded'],
      ['succeeded'],
    ]);
    expect(readFileSync(join(dir, 'state.txt'), 'utf8')).toBe('fixed\n');
    // A function agent works in the run's work dir: no branch, nothing for the merge step to land.
    expect(v.tasks[2]!.attempts[0]!.output).toMatchObject({ merged: null, message: expect.stringContaining('nothing to merge') });
  });

  it('single: validation that keeps failing fails the run after maxIterations', async () => {
    const dir = tempDir();
    const engine = await startEngine({ workDir: dir, agents: [{ id: 'coder', driver: 'function', capabilities: ['code'], config: { function: 'noop' } }] });
    const v = await engine.run(renderTemplate('single', 'x', { validate: ['false'], maxIterations: 2 }));
    expect(v.status).toBe('failed');
    expect(v.tasks[0]!.attempts).toHaveLength(3);
  });

  it('batch: at most `parallel` at once; without failFast every item runs and failures are recorded', async () => {
    const probe = concurrencyProbe();
    const engine = await startEngine({
      agents: [{ id: 'worker', driver: 'function', capabilities: ['batch'], config: { function: 'item' } }],
      functions: {
        item: async (ctx) => {
          await probe.fn(ctx);
          if (ctx.taskId === 'item-2') throw new Error('item 2 is broken');
        },
      },
    });
    const v = await engine.run(renderTemplate('batch', 'a\nb\nc\nd\ne', { parallel: 2, agent: { capabilities: ['batch'] } }));
    expect(probe.max).toBe(2);
    expect(v.status).toBe('completed');
    expect(v.tasks.map((t) => t.status)).toEqual(['succeeded', 'failed', 'succeeded', 'succeeded', 'succeeded']);
  });

  it('batch: failFast ends the run at the first failure and stops the rest', async () => {
    const started: string[] = [];
    const engine = await startEngine({
      agents: [{ id: 'worker', driver: 'function', capabilities: ['batch'], config: { function: 'item' } }],
      functions: {
        item: async ({ taskId, signal }) => {
          started.push(taskId);
          if (taskId === 'item-1') throw new Error('first item fails');
          await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r())));
        },
      },
    });
    const v = await engine.run(renderTemplate('batch', 'a\nb\nc\nd', { parallel: 2, failFast: true, agent: { capabilities: ['batch'] } }));
    expect(v.status).toBe('failed');
    expect(v.tasks[0]!.status).toBe('failed');
    expect(v.tasks.slice(1).map((t) => t.status)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    // Nothing was dispatched after the failure: at most the first two ever started.
    expect(started.length).toBeLessThanOrEqual(2);
  });
});
