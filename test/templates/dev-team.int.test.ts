/**
 * The dev-team template end to end in a real git repository, with scripted roles: approval, a
 * rejection back to the architect (whose new attempt gets the feedback), approval, a failing QA,
 * a fix, a passing QA, completed — with every attempt, document and commit kept.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderTemplate } from '../../src/templates/index.js';
import { startEngine } from '../engine/helpers.js';
import { git, gitRepo, scriptedRoles, waitFor } from './helpers.js';

describe('dev-team in a git repository', () => {
  it('approval, a rejection to the architect, approval, failing QA, fix, passing QA, completed', async () => {
    const repo = gitRepo();
    const roles = scriptedRoles({ fixOnIteration: 2 });
    const engine = await startEngine({ workDir: repo, functions: roles.functions, agents: roles.agents });
    const run = await engine.createRun(renderTemplate('dev-team', 'Build a greeter that says hello', { maxIterations: 3 }));
    const gate = () => waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval', 'the approval gate');

    let view = (await gate())!;
    expect(view.approvals).toEqual([expect.objectContaining({ taskId: 'approval' })]);
    expect(readFileSync(join(repo, 'docs/PRD.md'), 'utf8')).toContain('Build a greeter that says hello');
    expect(readFileSync(join(repo, 'docs/TECH_SPEC.md'), 'utf8')).toContain('# Tech spec (v1)');
    expect(readFileSync(join(repo, 'scaffold.sh'), 'utf8')).toContain('mkdir -p src');
    // Nothing is built before a person approves.
    expect(existsSync(join(repo, 'test.sh'))).toBe(false);

    await engine.rejectRun(run.id, { feedback: 'Add rate limiting to the spec', rewindTo: 'architect', by: 'lead' });
    view = (await waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval' && v!.tasks.find((t) => t.id === 'architect')!.attempts.length === 2, 'the second review'))!;
    const architectCalls = roles.log.calls.filter((c) => c.role === 'architect');
    expect(architectCalls.map((c) => [c.attempt, c.feedback])).toEqual([
      [1, null],
      [2, expect.stringContaining('Add rate limiting to the spec')],
    ]);
    expect(architectCalls[1]!.input).toEqual({ files: ['docs/PRD.md'] });
    expect(readFileSync(join(repo, 'docs/TECH_SPEC.md'), 'utf8')).toContain('Addressed: rejected by lead: Add rate limiting to the spec');
    // The pm did not run again.
    expect(roles.log.calls.filter((c) => c.role === 'pm')).toHaveLength(1);

    await engine.approveRun(run.id, { by: 'lead', comment: 'ship it' });
    const done = await engine.waitForRun(run.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('completed');

    const attempts = Object.fromEntries(done.tasks.map((t) => [t.id, t.attempts.map((a) => `${a.agentId}:${a.status}`)]));
    expect(attempts).toEqual({
      pm: ['pm-bot:succeeded'],
      'pm-docs': ['function:succeeded'],
      architect: ['architect-bot:succeeded', 'architect-bot:succeeded'],
      'architect-docs': ['function:succeeded', 'function:succeeded'],
      approval: ['human:failed', 'human:succeeded'],
      scaffold: ['function:succeeded'],
      engineer: ['engineer-bot:succeeded', 'engineer-bot:succeeded'],
      qa: ['function:failed', 'function:succeeded'],
      merge: ['function:succeeded'],
    });
    // Both tech-spec attempts stay queryable with what they answered.
    const arch = done.tasks.find((t) => t.id === 'architect')!;
    expect(arch.attempts.map((a) => String(a.output).split('\n')[0])).toEqual(['# Tech spec (v1)', '# Tech spec (v2)']);
    // The engineer's second attempt was told what QA found.
    const engineerCalls = roles.log.calls.filter((c) => c.role === 'engineer');
    expect(engineerCalls[1]!.feedback).toContain('qa failed (iteration 1 of 3)');
    expect(engineerCalls[1]!.feedback).toContain('FAIL: src/greet.txt does not greet');
    const qa = await engine.store.getTask(run.id, 'qa');
    expect(qa).toMatchObject({ status: 'succeeded', iterations: 1 });

    const report = readFileSync(join(repo, 'docs/BUG_REPORT.md'), 'utf8');
    expect(report).toContain('`sh test.sh` exited with code 1');
    expect(report).toContain('FAIL: src/greet.txt does not greet');
    expect(readFileSync(join(repo, 'src/greet.txt'), 'utf8')).toBe('hello, world\n');
    const subjects = git(repo, 'log', '--format=%s').trim().split('\n');
    expect(subjects.filter((s) => s.startsWith('tutti: '))).toEqual([
      expect.stringContaining('tutti: QA failed, docs/BUG_REPORT.md'),
      expect.stringContaining('tutti: scaffold.sh scaffolds the project'),
      expect.stringContaining('tutti: architect writes docs/TECH_SPEC.md, scaffold.sh'),
      expect.stringContaining('tutti: architect writes docs/TECH_SPEC.md, scaffold.sh'),
      expect.stringContaining('tutti: pm writes docs/PRD.md'),
    ]);
    // The first spec is in history: the rewind kept it.
    expect(git(repo, 'log', '--format=%H', '--', 'docs/TECH_SPEC.md').trim().split('\n')).toHaveLength(2);
    const events = (await engine.listEvents(run.id)).map((e) => `${e.type}${e.taskId ? `:${e.taskId}` : ''}`);
    expect(events.filter((e) => e.startsWith('approval:'))).toEqual(['approval:requested:approval', 'approval:rejected:approval', 'approval:requested:approval', 'approval:granted:approval']);
    expect(events).toContain('task:looped:qa');
  });

  it('QA that keeps failing waits for a person after maxIterations; guidance sent to the engineer fixes it', async () => {
    const repo = gitRepo();
    const roles = scriptedRoles({ fixOnIteration: 99 });
    const engineer = roles.functions['role.engineer']!;
    roles.functions['role.engineer'] = (ctx) => {
      const out = engineer(ctx);
      // Only a person's guidance makes this engineer get it right.
      if (ctx.feedback?.includes('must say hello')) writeFileSync(join(ctx.workDir, 'src/greet.txt'), 'hello\n');
      return out;
    };
    const engine = await startEngine({ workDir: repo, functions: roles.functions, agents: roles.agents });
    const run = await engine.createRun(renderTemplate('dev-team', 'Build a greeter', { maxIterations: 2 }));
    await waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval', 'the gate');
    await engine.approveRun(run.id);
    const stuck = (await waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval' && v!.approvals[0]?.taskId === 'qa', 'help after QA'))!;
    expect(stuck.approvals[0]).toMatchObject({ taskId: 'qa', message: expect.stringContaining('ran out of iterations') });
    expect(stuck.tasks.find((t) => t.id === 'engineer')!.attempts).toHaveLength(3);
    expect(await engine.store.getTask(run.id, 'qa')).toMatchObject({ status: 'awaiting_approval', iterations: 2 });

    await engine.rejectRun(run.id, { feedback: 'The greeting must say hello', rewindTo: 'engineer' });
    const done = await engine.waitForRun(run.id, { timeoutMs: 20_000 });
    expect(done.status).toBe('completed');
    expect(done.tasks.find((t) => t.id === 'qa')!.attempts.map((a) => `${a.agentId}:${a.status}`)).toEqual(['function:failed', 'function:failed', 'function:failed', 'human:failed', 'function:succeeded']);
  });
});
