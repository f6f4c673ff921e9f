/**
 * The single-CLI drivers (`claude`, `codex`, `gemini`, `cursor`) through the engine, against the
 * CLI simulator: one CLI, headless, in the task's work directory, no worktree, no commit, no validation.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWithKey } from '../../src/agents/drivers/cli/index.js';
import type { SimScenario } from '../../src/testing/index.js';
import { sim } from '../sim/helpers.js';
import { codingEngine, isRunning, tmp } from './helpers.js';

async function setup(scenario: SimScenario) {
  const workDir = tmp('tutti-cli-work-');
  const s = sim(scenario);
  const { engine } = await codingEngine(s.env, workDir);
  return { workDir, s, runs: () => s.calls().filter((c) => c.kind === 'run'), engine };
}

describe('single-CLI drivers', () => {
  it('gemini: runs in the work dir, reports its session, usage, changed files and last words', async () => {
    const { engine, workDir, runs } = await setup({ entries: [{ match: { cli: 'gemini' }, actions: [{ write: 'notes.md', content: '# hi\n' }, { say: 'Changed 1 file(s).' }] }] });
    const run = await engine.run({ agents: [{ id: 'g', driver: 'gemini' }], tasks: [{ id: 't', prompt: 'write notes', agent: 'g' }] });
    expect(run.status).toBe('completed');
    const a = run.tasks[0]!.attempts[0]!;
    // The task id and attempt reach the CLI's environment.
    expect(runs()[0]).toMatchObject({ task: 't', attempt: 1, prompt: expect.stringContaining('write notes') });
    expect(a.output).toMatchObject({ cli: 'gemini', sessionId: runs()[0]!.sessionId, filesChanged: [join(workDir, 'notes.md')], message: 'Changed 1 file(s).' });
    expect(a.usage).toEqual({ inputTokens: 2090, cacheReadTokens: 56_000, outputTokens: 310 });
    expect(a.summary).toBe('Changed 1 file(s).');
    expect(readFileSync(join(workDir, 'notes.md'), 'utf8')).toBe('# hi\n');
  });

  it('claude not logged in fails for good as auth (no retry: another attempt cannot log in)', async () => {
    const { engine, runs } = await setup({ entries: [{ match: { cli: 'claude' }, outcome: { kind: 'auth' } }] });
    const run = await engine.run({ agents: [{ id: 'c', driver: 'claude' }], tasks: [{ id: 't', prompt: 'x', agent: 'c', retry: { maxAttempts: 3, backoff: { initialMs: 0 } } }] });
    expect(run.status).toBe('failed');
    expect(run.tasks[0]!.attempts).toHaveLength(1);
    expect(run.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'auth', retryable: false });
    expect(runs()).toHaveLength(1);
  });

  it('a crash is retried, and the next prompt carries the failure as feedback', async () => {
    const { engine, runs } = await setup({ entries: [{ match: { cli: 'codex', attempt: 1 }, outcome: { kind: 'crash', exitCode: 3 } }] });
    const run = await engine.run({ agents: [{ id: 'x', driver: 'codex' }], tasks: [{ id: 't', prompt: 'do it', agent: 'x', retry: { maxAttempts: 2, backoff: { initialMs: 0 } } }] });
    expect(run.status).toBe('completed');
    expect(run.tasks[0]!.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    const second = runs()[1]!.prompt!;
    expect(runs()[1]!.attempt).toBe(2);
    expect(second).toContain('## Feedback from the previous attempt (this is iteration 2 of 2)');
    expect(second).toContain('exited with code 3');
  });

  it('cancel kills the CLI and its grandchild; the attempt is cancelled', async () => {
    const { engine, s } = await setup({ entries: [{ match: { cli: 'gemini' }, outcome: { kind: 'hang' } }] });
    const created = await engine.createRun({ agents: [{ id: 'g', driver: 'gemini' }], tasks: [{ id: 't', prompt: 'x', agent: 'g' }] });
    for (let i = 0; i < 1200 && !s.hangs()[0]; i++) await new Promise((r) => setTimeout(r, 25));
    const sleeper = s.hangs()[0]!.grandchild!;
    expect(isRunning(sleeper)).toBe(true);
    await engine.cancelRun(created.id);
    const run = await engine.waitForRun(created.id, { timeoutMs: 20_000 });
    expect(run.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    expect(isRunning(sleeper)).toBe(false);
    expect(processesWithKey(`${created.id}/t/1`)).toEqual([]);
  }, 90_000);

  it('a command task is not for these drivers', async () => {
    const { engine } = await setup({ entries: [] });
    await expect(engine.createRun({ agents: [{ id: 'c', driver: 'claude' }], tasks: [{ id: 't', command: ['true'], agent: 'c' }] })).rejects.toThrow(/runs prompts, not commands/);
  });
});
