/**
 * Coding agents end to end, the loops: through the tutti binary, on real git repositories, with the
 * CLI simulator speaking Claude Code's stream-json. Each scenario asserts on the repository
 * (branches, attempt refs, commits, files on the target branch), the run JSON and the processes left.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { ANSWER_REPO, isAncestor, json, processesOfRun, sh, show, tmp, tuttiRefs, until, world, collect } from './helpers.js';

const out = (a: { output: unknown }) => a.output as CodingOutput;

describe('coding agents end to end: loops', { timeout: 240_000 }, () => {
  it('validation fails → the failure is the next prompt → it passes; both attempts are kept under their refs; the fix lands through the merge queue', async () => {
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', attempt: 1 }, actions: [{ say: 'Setting the answer.' }, { write: 'answer.js', content: 'module.exports = 41;\n' }], outcome: { kind: 'success', usage: { input: 42, cacheWrite: 2048, cacheRead: 56_000, output: 310 }, costUsd: 0.031 } },
        { match: { cli: 'claude', attempt: 2, prompt: 'expected 42, got 41' }, actions: [{ edit: 'answer.js', find: '41', replace: '42' }, { run: 'node test.js' }], outcome: { kind: 'success' } },
      ],
    });
    const r = await w.tutti(['--json', '--agent-cli', 'claude', '--validate', 'node test.js', '--merge', 'make the test pass']);
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.status).toBe('completed');
    const [a1, a2] = run.tasks[0]!.attempts;
    expect([a1!.status, a2!.status]).toEqual(['failed', 'succeeded']);
    expect(a1!.error).toMatchObject({ kind: 'validation_failed' });
    expect(a1!.error!.message).toContain('expected 42, got 41');
    // Usage keeps cache reads and writes apart from new input.
    expect(a1!.usage).toMatchObject({ inputTokens: 42, cacheWriteTokens: 2048, cacheReadTokens: 56_000, outputTokens: 310, costUsd: 0.031 });

    // The second prompt carried the first validation's output.
    const runs = w.runs('claude');
    expect(runs).toHaveLength(2);
    expect(runs[1]!.prompt).toContain('iteration 2 of 3');
    expect(runs[1]!.prompt).toContain('expected 42, got 41');
    // Both ran in the task's worktree, not in the repository.
    expect(runs[0]!.cwd).toBe(join(w.dataDir, 'worktrees', run.id, 'main'));

    // Every attempt is kept and can be diffed.
    expect(tuttiRefs(w.repo)).toEqual([`refs/tutti/${run.id}/main/1`, `refs/tutti/${run.id}/main/2`]);
    expect(show(w.repo, `refs/tutti/${run.id}/main/1`, 'answer.js')).toBe('module.exports = 41;\n');
    const o2 = out(a2!);
    expect(o2).toMatchObject({ attemptRef: `refs/tutti/${run.id}/main/2`, repoRoot: w.repo, target: 'main', branch: `tutti/${run.id}/main` });
    expect(sh(w.repo, 'git', 'diff', o2.attemptBase!, o2.attemptRef!)).toContain('-module.exports = 41;\n+module.exports = 42;');

    // Landed: main has exactly the validated commit, the merge queue says so, the checkout followed.
    expect(o2.merge).toMatchObject({ status: 'merged', target: 'main' });
    expect(sh(w.repo, 'git', 'rev-parse', 'main')).toBe(o2.merge!.sha);
    expect(readFileSync(join(w.repo, 'answer.js'), 'utf8')).toBe('module.exports = 42;\n');
    expect(run.merges).toEqual([expect.objectContaining({ taskId: 'main', target: 'main', status: 'merged', mergedSha: o2.merge!.sha })]);
    expect(sh(w.repo, 'git', 'status', '--porcelain')).toBe('');
    expect(sh(w.repo, 'git', 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(processesOfRun(run.id)).toEqual([]);
  });

  it('single: nothing reaches the user’s branch before validation passed', async () => {
    const probe = join(tmp('tutti-e2e-probe-'), 'main-at-validation.txt');
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', task: 'code', attempt: 1 }, actions: [{ write: 'answer.js', content: 'module.exports = 7;\n' }] },
        { match: { cli: 'claude', task: 'code', attempt: 2 }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }] },
      ],
    });
    const config = w.config('agents:\n  - id: coder\n    driver: coding\n    capabilities: [code]\n    config: { cli: [claude] }\n');
    // Each validation first records what main holds at that moment.
    const validate = `sh -c 'git -C ${w.repo} show main:answer.js >> ${probe}; node test.js'`;
    const r = await w.tutti(['run', '--json', '--config', config, '--template', 'single', '--param', `validate=${validate}`, '--param', 'maxIterations=3', 'make the test pass']);
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.tasks.map((t) => [t.id, t.attempts.map((a) => a.status)])).toEqual([
      ['code', ['succeeded', 'succeeded']],
      ['validate', ['failed', 'succeeded']],
      ['merge', ['succeeded']],
    ]);
    expect(run.tasks[1]!.attempts[0]!.error).toMatchObject({ kind: 'validation_failed' });
    // Both validations ran while main still had the original answer: the wrong edit never reached it.
    expect(readFileSync(probe, 'utf8')).toBe('module.exports = 0;\nmodule.exports = 0;\n');
    expect(show(w.repo, 'main', 'answer.js')).toBe('module.exports = 42;\n');
    expect(run.merges).toEqual([expect.objectContaining({ taskId: 'code', status: 'merged' })]);
    expect(tuttiRefs(w.repo)).toEqual([`refs/tutti/${run.id}/code/1`, `refs/tutti/${run.id}/code/2`]);
    expect(processesOfRun(run.id)).toEqual([]);
  });

  it('dev-team with worktrees: QA fails twice then passes (engineer runs 3 times), a reviewer rejects back to the architect, and the work lands only after approval', async () => {
    const scripts = tmp('tutti-e2e-roles-');
    // The scaffold makes the project's test; the architect writes a new revision of the spec each time it runs.
    writeFileSync(join(scripts, 'scaffold.sh'), `printf '%s\\n' 'test "$(cat greet.txt)" = "hello world"' > test.sh\n`);
    writeFileSync(
      join(scripts, 'architect.sh'),
      [
        `n=$(cat ${scripts}/count 2>/dev/null || echo 0); n=$((n+1)); echo $n > ${scripts}/count`,
        'mkdir -p docs',
        'echo "# Tech spec, revision $n" > docs/TECH_SPEC.md',
        `cp ${scripts}/scaffold.sh scaffold.sh`,
        '',
      ].join('\n'),
    );
    const w = world({ 'README.md': '# greeter\n' }, {
      entries: [
        { match: { cli: 'claude', task: 'engineer', attempt: 1 }, actions: [{ write: 'greet.txt', content: 'hi' }] },
        { match: { cli: 'claude', task: 'engineer', attempt: 2, prompt: 'BUG_REPORT' }, actions: [{ write: 'greet.txt', content: 'hello' }] },
        { match: { cli: 'claude', task: 'engineer', attempt: 3 }, actions: [{ write: 'greet.txt', content: 'hello world' }] },
        { match: { cli: 'claude', task: 'engineer', attempt: 4 }, actions: [{ write: 'NOTES.md', content: 'warm\n' }] },
      ],
    });
    const config = w.config(
      [
        'agents:',
        `  - { id: pm, driver: exec, capabilities: [pm], config: { command: [sh, -c, "mkdir -p docs && echo '# PRD' > docs/PRD.md"] } }`,
        `  - { id: architect, driver: exec, capabilities: [architect], config: { command: [sh, ${join(scripts, 'architect.sh')}] } }`,
        '  - { id: engineer, driver: coding, capabilities: [code], config: { cli: [claude] } }',
        '',
      ].join('\n'),
    );
    const runId = 'run_devteam';
    const proc = w.start(['run', '--json', '--run-id', runId, '--config', config, '--template', 'dev-team', '--param', 'testCommand=sh test.sh', '--param', 'reviewMerge=true', '--param', 'maxIterations=4', 'greet the world']);
    const done = collect(proc);
    const waitingAt = (task: string) => until(`approval at ${task}`, async () => {
      const v = await w.status(runId).catch(() => null);
      return v && v.status === 'awaiting_approval' && v.approvals[0]?.taskId === task ? v : undefined;
    });

    await waitingAt('approval');
    expect((await w.tutti(['approve', runId])).code).toBe(0);
    const review = await waitingAt('review');
    // QA failed twice: the engineer ran three times, each attempt kept; nothing is on main yet.
    const engineer = review.tasks.find((t) => t.id === 'engineer')!;
    expect(engineer.attempts.map((a) => a.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(review.tasks.find((t) => t.id === 'qa')!.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
    for (const [n, text] of [[1, 'hi'], [2, 'hello'], [3, 'hello world']] as const) expect(show(w.repo, `refs/tutti/${runId}/engineer/${n}`, 'greet.txt')).toBe(text);
    expect(show(w.repo, 'main', 'greet.txt')).toBeNull();
    // QA ran in the engineer's worktree; its bug report reached the engineer's second prompt.
    expect(w.runs('claude')[1]!.prompt).toContain('docs/BUG_REPORT.md');

    // The reviewer sends it back to the architect: the architect, QA and review run again;
    // the engineer's next attempt continues on its branch with main (the new spec) merged in.
    const rej = await w.tutti(['reject', runId, '--to', 'architect', '--feedback', 'say it warmly']);
    expect(rej.code, rej.stderr).toBe(0);
    await waitingAt('approval');
    expect((await w.tutti(['approve', runId])).code).toBe(0);
    await waitingAt('review');
    expect(show(w.repo, 'main', 'greet.txt')).toBeNull();
    expect((await w.tutti(['approve', runId])).code).toBe(0);

    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    const run = json(r);
    expect(run.status).toBe('completed');
    const eng = run.tasks.find((t) => t.id === 'engineer')!;
    expect(eng.attempts).toHaveLength(4);
    expect(eng.attempts[3]!.status).toBe('succeeded');
    // Attempt 4 started from attempt 3's work with main merged in (never "branch already exists").
    const o4 = out(eng.attempts[3]!);
    expect(isAncestor(w.repo, `refs/tutti/${runId}/engineer/3`, o4.attemptRef!)).toBe(true);
    expect(sh(w.repo, 'git', 'log', '--format=%s', o4.attemptRef!)).toContain(`Merge main into tutti/${runId}/engineer before attempt 4`);
    // Landed after the last approval: main has the engineer's work, merged once.
    expect(show(w.repo, 'main', 'greet.txt')).toBe('hello world');
    expect(show(w.repo, 'main', 'NOTES.md')).toBe('warm\n');
    expect(run.merges!.filter((m) => m.status === 'merged')).toHaveLength(1);
    const approvedAt = Date.parse(run.tasks.find((t) => t.id === 'review')!.finishedAt!);
    expect(Date.parse(run.merges![0]!.enqueuedAt)).toBeGreaterThanOrEqual(approvedAt);
    expect(tuttiRefs(w.repo).filter((x) => x.includes('/engineer/'))).toHaveLength(4);
    expect(processesOfRun(runId)).toEqual([]);
  });
});
