/**
 * Coding agents end to end, crashes and cancels: kill -9 of the engine while the agent works, then
 * `tutti resume` (checkpoint of what it left, the CLI's own session resumed); and `tutti cancel`
 * while the agent works (nothing it started is left) — through the tutti binary with the simulator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { ANSWER_REPO, collect, explain, json, processesOfRun, sh, show, until, world } from './helpers.js';

const out = (a: { output: unknown }) => a.output as CodingOutput;

describe('coding agents end to end: crashes and cancels', { timeout: 240_000 }, () => {
  it('kill -9 of the engine mid-agent, then resume: what the agent left is checkpointed on its attempt ref, and Claude’s own session is resumed to finish', async () => {
    const runId = 'run_killed';
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', resume: false }, actions: [{ say: 'Working on it.' }, { write: 'answer.js', content: 'module.exports = 41;\n' }, { write: 'notes.md', content: 'half way\n' }, { sleep: 600_000 }] },
        { match: { cli: 'claude', resume: true }, actions: [{ edit: 'answer.js', find: '41', replace: '42' }, { say: 'Done after the restart.' }] },
      ],
    });
    const args = ['--json', '--run-id', runId, '--agent-cli', 'claude', '--validate', 'node test.js', '--merge', 'make the test pass'];
    const child = w.start(args);
    const first = collect(child);
    const wt = join(w.dataDir, 'worktrees', runId, 'main');
    // The agent is at work: it wrote its files and named its session.
    const session = await until('the agent to be half way', () => {
      const call = w.runs('claude')[0];
      return call?.sessionId && existsSync(join(wt, 'notes.md')) ? call.sessionId : undefined;
    });
    child.kill('SIGKILL');
    expect((await first).signal).toBe('SIGKILL');
    // No agent outlives its engine: the watchdog ends it, without another engine starting.
    await until('the agent to be ended by the watchdog', () => (processesOfRun(runId).length === 0 ? true : undefined), 30_000);

    const r = await w.tutti(['resume', '--json']);
    expect(r.code, explain(r)).toBe(0);
    const [run] = json<Array<{ id: string; status: string; tasks: Array<{ attempts: Array<{ status: string; output: unknown }> }> }>>(r);
    expect(run!.status).toBe('completed');
    const [a1, a2] = run!.tasks[0]!.attempts;
    expect([a1!.status, a2!.status]).toEqual(['interrupted', 'succeeded']);
    // Checkpoint: the half-done work is committed on attempt 1's ref before attempt 2 started.
    const o2 = out(a2!);
    expect(o2.checkpoint).toMatch(/^[0-9a-f]{40}$/);
    expect(sh(w.repo, 'git', 'rev-parse', `refs/tutti/${runId}/main/1`)).toBe(o2.checkpoint);
    expect(show(w.repo, `refs/tutti/${runId}/main/1`, 'answer.js')).toBe('module.exports = 41;\n');
    expect(sh(w.repo, 'git', 'log', '-1', '--format=%B', o2.checkpoint!)).toContain('Tutti-Checkpoint: interrupted');
    // The second call continued Claude's own session.
    const calls = w.runs('claude');
    expect(calls).toHaveLength(2);
    expect(calls[1]).toMatchObject({ resumed: true, sessionId: session });
    expect(calls[1]!.argv).toEqual(expect.arrayContaining(['--resume', session]));
    expect(o2.resumedSession).toBe(session);
    // Finished, validated and landed.
    expect(show(w.repo, 'main', 'answer.js')).toBe('module.exports = 42;\n');
    expect(show(w.repo, 'main', 'notes.md')).toBe('half way\n');
    expect(processesOfRun(runId)).toEqual([]);
  });

  it('cancel mid-agent: the CLI, its grandchild and a helper that left its process group are gone; the attempt is cancelled; what it wrote is kept', async () => {
    const runId = 'run_cancelled';
    const w = world(ANSWER_REPO, {
      entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 41;\n' }], outcome: { kind: 'hang', grandchild: true, escape: true } }],
    });
    const done = collect(w.start(['--json', '--run-id', runId, '--agent-cli', 'claude', 'make the test pass']));
    await until('the agent to hang with its helpers', () => {
      const hangs = w.calls().filter((c) => c.kind === 'run' && c.outcome === 'hang');
      return hangs.length && processesOfRun(runId).length >= 3 ? true : undefined;
    });
    const c = await w.tutti(['cancel', runId]);
    expect(c.code, c.stderr).toBe(0);
    const r = await done;
    expect(r.code).toBe(1);
    const run = json(r);
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    await until('nothing of the run left running', () => (processesOfRun(runId).length === 0 ? true : undefined), 30_000);
    expect(show(w.repo, `refs/tutti/${runId}/main/1`, 'answer.js')).toBe('module.exports = 41;\n');
    expect(readFileSync(join(w.repo, 'answer.js'), 'utf8')).toBe('module.exports = 0;\n');
  });
});
