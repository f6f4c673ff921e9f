/**
 * The single-CLI drivers (`claude`, `codex`, `gemini`, `cursor`) through the engine: one CLI,
 * headless, in the task's work directory, no worktree, no commit, no validation.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWithKey } from '../../src/agents/drivers/cli/index.js';
import { codingEngine, fakeBin, fakeScript, isRunning, systemPath, tmp } from './helpers.js';

async function setup(script: Record<string, unknown>, bins?: string[]) {
  const workDir = tmp('tutti-cli-work-');
  const { env, record } = fakeScript(script);
  const { engine } = await codingEngine({ ...env, PATH: systemPath(fakeBin(bins)) }, workDir);
  return { workDir, record, engine };
}

describe('single-CLI drivers', () => {
  it('gemini: runs in the work dir, reports its session, usage, changed files and last words', async () => {
    const { engine, workDir } = await setup({ gemini: { edits: [{ write: { 'notes.md': '# hi\n' } }] } });
    const run = await engine.run({ agents: [{ id: 'g', driver: 'gemini' }], tasks: [{ id: 't', prompt: 'write notes', agent: 'g' }] });
    expect(run.status).toBe('completed');
    const a = run.tasks[0]!.attempts[0]!;
    expect(a.output).toMatchObject({ cli: 'gemini', sessionId: 'fake-gemini-0', filesChanged: ['notes.md'], message: 'Changed 1 file(s).' });
    expect(a.usage).toEqual({ inputTokens: 300, outputTokens: 30 });
    expect(a.summary).toBe('Changed 1 file(s).');
    expect(readFileSync(join(workDir, 'notes.md'), 'utf8')).toBe('# hi\n');
  });

  it('claude not logged in fails for good as auth (no retry: another attempt cannot log in)', async () => {
    const { engine, record } = await setup({ claude: { modes: ['auth'] } });
    const run = await engine.run({ agents: [{ id: 'c', driver: 'claude' }], tasks: [{ id: 't', prompt: 'x', agent: 'c', retry: { maxAttempts: 3, backoff: { initialMs: 0 } } }] });
    expect(run.status).toBe('failed');
    expect(run.tasks[0]!.attempts).toHaveLength(1);
    expect(run.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'auth', retryable: false });
    expect(existsSync(join(record, 'claude.1.prompt.txt'))).toBe(false);
  });

  it('a crash is retried, and the next prompt carries the failure as feedback', async () => {
    const { engine, record } = await setup({ codex: { modes: ['crash', 'work'] } });
    const run = await engine.run({ agents: [{ id: 'x', driver: 'codex' }], tasks: [{ id: 't', prompt: 'do it', agent: 'x', retry: { maxAttempts: 2, backoff: { initialMs: 0 } } }] });
    expect(run.status).toBe('completed');
    expect(run.tasks[0]!.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    const second = readFileSync(join(record, 'codex.1.prompt.txt'), 'utf8');
    expect(second).toContain('## Feedback from the previous attempt (this is iteration 2 of 2)');
    expect(second).toContain('exited with code 3');
  });

  it('cancel kills the CLI and its grandchild; the attempt is cancelled', async () => {
    const { engine, record } = await setup({ gemini: { modes: ['hang'] } });
    const created = await engine.createRun({ agents: [{ id: 'g', driver: 'gemini' }], tasks: [{ id: 't', prompt: 'x', agent: 'g' }] });
    const pidFile = join(record, 'grandchild.pid');
    for (let i = 0; i < 1200 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 25));
    const sleeper = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(sleeper)).toBe(true);
    await engine.cancelRun(created.id);
    const run = await engine.waitForRun(created.id, { timeoutMs: 20_000 });
    expect(run.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    expect(isRunning(sleeper)).toBe(false);
    expect(processesWithKey(`${created.id}/t/1`)).toEqual([]);
  }, 90_000);

  it('a command task is not for these drivers', async () => {
    const { engine } = await setup({});
    await expect(engine.createRun({ agents: [{ id: 'c', driver: 'claude' }], tasks: [{ id: 't', command: ['true'], agent: 'c' }] })).rejects.toThrow(/runs prompts, not commands/);
  });
});
