/**
 * Coding agents end to end, parallel work and boundaries: the merge queue with five coding tasks
 * finishing together (two editing the same lines), an agent writing into the main checkout, an
 * agent that edits nothing, and one that hangs — through the tutti binary, real git, the simulator.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { ANSWER_REPO, explain, isAncestor, json, processesOfRun, sh, show, tmp, world } from './helpers.js';

const out = (a: { output: unknown }) => a.output as CodingOutput;

describe('coding agents end to end: the merge queue and boundaries', { timeout: 240_000 }, () => {
  it('five parallel coding tasks, two editing the same lines: all non-conflicting work lands, the conflict goes back to its agent with the conflict and then lands; never a false success', async () => {
    const files = { 'shared.txt': 'greeting = base\nfarewell = base\n', 'check.js': "const t = require('fs').readFileSync('shared.txt', 'utf8');\nif (/^(<{7}|>{7})/m.test(t)) { console.error('conflict markers in shared.txt'); process.exit(1); }\n" };
    const entries = [1, 2, 3].map((i) => ({ match: { cli: 'claude' as const, task: `t${i}` }, actions: [{ sleep: 300 }, { write: `f${i}.txt`, content: `from t${i}\n` }] }));
    const edit = (who: string) => [{ sleep: 300 }, { write: `${who}.txt`, content: `from ${who}\n` }, { edit: 'shared.txt', find: 'greeting = base', replace: `greeting = ${who}` }];
    // Whichever of t4/t5 lands second finds a conflict; its second attempt resolves it (keeping both).
    const resolve = { write: 'shared.txt', content: 'greeting = t4 and t5\nfarewell = base\n' };
    const w = world(files, {
      entries: [
        ...entries,
        { match: { cli: 'claude', task: 't4', attempt: 1 }, actions: edit('t4') },
        { match: { cli: 'claude', task: 't5', attempt: 1 }, actions: edit('t5') },
        { match: { cli: 'claude', task: 't4', attempt: 2, prompt: 'Merge conflict with main' }, actions: [resolve] },
        { match: { cli: 'claude', task: 't5', attempt: 2, prompt: 'Merge conflict with main' }, actions: [resolve] },
      ],
    });
    const plan = join(tmp('tutti-e2e-plan-'), 'plan.json');
    writeFileSync(
      plan,
      JSON.stringify({
        agents: [{ id: 'coder', driver: 'coding', capabilities: ['coding'], maxConcurrency: 5, config: { cli: ['claude'] } }],
        tasks: ['t1', 't2', 't3', 't4', 't5'].map((id) => ({ id, prompt: `do ${id}`, agent: 'coder', validate: ['node check.js'], workspace: { merge: true }, retry: { maxAttempts: 3, backoff: { initialMs: 0 } } })),
      }),
    );
    const r = await w.tutti(['run', '--json', '--plan', plan]);
    expect(r.code, explain(r)).toBe(0);
    const run = json(r);
    expect(run.tasks.map((t) => t.status)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    // They ran at the same time.
    const starts = run.tasks.map((t) => Date.parse(t.attempts[0]!.startedAt));
    const firstEnd = Math.min(...run.tasks.map((t) => Date.parse(t.attempts[0]!.finishedAt!)));
    expect(starts.every((s) => s < firstEnd)).toBe(true);

    // Exactly one of t4/t5 met the conflict: its first attempt failed with it, its second landed.
    const conflicted = run.tasks.filter((t) => t.attempts.length > 1);
    expect(conflicted.map((t) => t.id).length).toBe(1);
    const c = conflicted[0]!;
    expect(['t4', 't5']).toContain(c.id);
    expect(c.attempts[0]!.error).toMatchObject({ kind: 'merge_conflict' });
    expect(c.attempts[0]!.error!.message).toContain('conflicts with main in shared.txt');
    expect(out(c.attempts[0]!).merge).toMatchObject({ status: 'conflict', files: ['shared.txt'] });
    expect(w.runs('claude').find((x) => x.task === c.id && x.attempt === 2)!.prompt).toContain('<<<<<<<');

    // Every succeeded task's work is on main (no false success), main holds all of it, resolved.
    const main = sh(w.repo, 'git', 'rev-parse', 'main');
    for (const t of run.tasks) {
      const last = out(t.attempts.at(-1)!);
      expect(last.merge, t.id).toMatchObject({ status: 'merged' });
      expect(isAncestor(w.repo, last.attemptRef!, main), t.id).toBe(true);
    }
    for (const f of ['f1', 'f2', 'f3', 't4', 't5']) expect(show(w.repo, 'main', `${f}.txt`), f).not.toBeNull();
    expect(show(w.repo, 'main', 'shared.txt')).toBe('greeting = t4 and t5\nfarewell = base\n');
    // The queue: five merges landed, in a defined order (ids), one conflict before.
    expect(run.merges!.map((m) => m.status).sort()).toEqual(['conflict', 'merged', 'merged', 'merged', 'merged', 'merged']);
    const merged = run.merges!.filter((m) => m.status === 'merged');
    for (let i = 1; i < merged.length; i++) expect(isAncestor(w.repo, merged[i - 1]!.mergedSha!, merged[i]!.mergedSha!)).toBe(true);
    expect(merged.at(-1)!.mergedSha).toBe(main);
    expect(readFileSync(join(w.repo, 'shared.txt'), 'utf8')).toBe('greeting = t4 and t5\nfarewell = base\n');
    expect(processesOfRun(run.id)).toEqual([]);
  });

  it('an agent writing into the main checkout fails as boundary_violation: nothing is merged, the evidence is kept', async () => {
    const w = world(ANSWER_REPO, {
      entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }, { run: 'echo "sneaky" > {repo}/OUTSIDE.txt' }] }],
    });
    const before = sh(w.repo, 'git', 'rev-parse', 'main');
    const r = await w.tutti(['--json', '--agent-cli', 'claude', '--validate', 'node test.js', '--merge', 'make the test pass']);
    expect(r.code).toBe(1);
    const run = json(r);
    const a = run.tasks[0]!.attempts;
    expect(a).toHaveLength(1); // not retried
    expect(a[0]!.error).toMatchObject({ kind: 'boundary_violation', retryable: false });
    expect(a[0]!.error!.message).toContain(`${w.repo}/OUTSIDE.txt (added)`);
    const evidence = out(a[0]!).boundary!.evidence;
    expect(readFileSync(evidence, 'utf8')).toContain('sneaky');
    expect(sh(w.repo, 'git', 'rev-parse', 'main')).toBe(before);
    expect(run.merges ?? []).toEqual([]);
    // Its own work stays reachable under its attempt ref.
    expect(show(w.repo, `refs/tutti/${run.id}/main/1`, 'answer.js')).toBe('module.exports = 42;\n');
  });

  it('an agent that edits nothing fails with no_changes and what it said; one that hangs is killed at the timeout with everything it started', async () => {
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', prompt: 'lazy' }, actions: [{ say: 'The code looks fine to me.' }] },
        { match: { cli: 'claude', prompt: 'stuck' }, actions: [{ write: 'partial.txt', content: 'half\n' }], outcome: { kind: 'hang', grandchild: true, escape: true } },
      ],
    });
    const lazy = json(await w.tutti(['--json', '--agent-cli', 'claude', 'lazy: make the test pass']));
    expect(lazy.status).toBe('failed');
    expect(lazy.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'no_changes' });
    expect(lazy.tasks[0]!.attempts[0]!.error!.message).toContain('The code looks fine to me.');

    const r = await w.tutti(['--json', '--agent-cli', 'claude', '--timeout', '4000', 'stuck: make the test pass']);
    expect(r.code).toBe(1);
    const stuck = json(r);
    const a = stuck.tasks[0]!.attempts[0]!;
    expect(a.error).toMatchObject({ kind: 'timeout' });
    // What it wrote before it hung is committed on its attempt ref; nothing it started is left.
    expect(show(w.repo, `refs/tutti/${stuck.id}/main/1`, 'partial.txt')).toBe('half\n');
    expect(processesOfRun(stuck.id)).toEqual([]);
    expect(existsSync(join(w.dataDir, 'worktrees', stuck.id, 'main'))).toBe(false);
  });
});
