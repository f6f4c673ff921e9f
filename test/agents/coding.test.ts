/**
 * The coding driver through the engine, with the CLI simulator (real processes speaking the CLIs'
 * headless protocols) on real git repositories: fallback, the validation loop with feedback, path
 * rules, no_changes, rate-limit parking, "the engine decides", and cancel leaving nothing behind.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { processesWithKey, type CodingOutput } from '../../src/agents/drivers/cli/index.js';
import type { PlanInput } from '../../src/core/plan/schema.js';
import type { SimCli, SimScenario } from '../../src/testing/index.js';
import { sim } from '../sim/helpers.js';
import { codingEngine, gitRepo, isRunning, sh, tmp } from './helpers.js';

const TEST_JS = "const a = require('./answer.js');\nif (a !== 42) { console.error(`expected 42, got ${a}`); process.exit(1); }\nconsole.log('ok');\n";

function plan(task: Record<string, unknown>, chain = ['claude', 'codex', 'gemini']): PlanInput {
  return {
    agents: [{ id: 'coder', driver: 'coding', config: { cli: chain, cliTimeoutMs: 30_000 } }],
    tasks: [{ id: 'fix', prompt: 'make the test pass', agent: 'coder', ...task }],
  };
}

/**
 * A repository whose test wants answer.js to export 42, the simulator with `scenario` (only `clis`
 * installed; default claude, codex, gemini), and an engine. `record` is a scratch dir for what the
 * test's own commands leave behind (pids, counters).
 */
async function setup(scenario: SimScenario, clis: SimCli[] = ['claude', 'codex', 'gemini']) {
  const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': TEST_JS });
  const s = sim(scenario, clis);
  const { engine, dataDir } = await codingEngine(s.env, repo);
  const runs = (cli?: SimCli) => s.calls().filter((c) => c.kind === 'run' && (cli === undefined || c.cli === cli));
  return { repo, record: tmp('tutti-record-'), s, runs, engine, dataDir };
}

/** A claude session that sets the answer to `n` and ends well. */
const claudeWrites = (n: number): SimScenario => ({ entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: `module.exports = ${n};\n` }] }] });

const outputOf = (a: { output: unknown }) => a.output as CodingOutput;

describe('coding driver', () => {
  it('falls back to the CLI that works, loops on a failing validation, and the feedback reaches the next iteration', async () => {
    // gemini gets it right only once its prompt carries the failing test's output (first match wins).
    const { repo, record, runs, engine, dataDir } = await setup(
      {
        entries: [
          { match: { cli: 'claude' }, outcome: { kind: 'auth' } },
          { match: { cli: 'gemini', prompt: 'expected 42, got 41' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }, { say: 'Fixed the answer.' }] },
          { match: { cli: 'gemini' }, actions: [{ write: 'answer.js', content: 'module.exports = 41;\n' }, { say: 'Set the answer.' }] },
        ],
      },
      ['claude', 'gemini'],
    );
    const setupCmd = ['node', '-e', "require('fs').appendFileSync(process.env.REC + '/setup.count', 'x')"];
    const run = await engine.run(
      plan({ validate: ['node test.js'], env: { REC: record }, workspace: { setup: setupCmd }, acceptanceCriteria: ['node test.js prints ok'], retry: { maxAttempts: 3, backoff: { initialMs: 0 } } }),
    );
    expect(run.status).toBe('completed');
    const [first, second] = run.tasks[0]!.attempts;
    expect(first!.status).toBe('failed');
    expect(first!.error).toMatchObject({ kind: 'validation_failed' });
    expect(first!.error!.message).toContain('validation failed: `node test.js` exited with code 1\nexpected 42, got 41');
    expect(outputOf(first!).clis.map((c) => [c.cli, c.kind])).toEqual([
      ['claude', 'auth'],
      ['codex', 'not_installed'],
      ['gemini', 'succeeded'],
    ]);
    // Iteration 2's prompt carried iteration 1's validation output (as gemini received it: -p).
    const gemini = runs('gemini');
    expect(gemini.map((c) => [c.task, c.attempt, c.entry])).toEqual([
      ['fix', 1, 2],
      ['fix', 2, 1],
    ]);
    const prompt2 = gemini[1]!.prompt!;
    expect(prompt2).toContain('make the test pass');
    expect(prompt2).toContain('## Feedback from the previous attempt (this is iteration 2 of 3)');
    expect(prompt2).toContain('expected 42, got 41');
    expect(prompt2).toContain('- node test.js prints ok');
    expect(gemini[0]!.prompt).toContain('make the test pass');
    expect(gemini[0]!.prompt).not.toContain('Feedback');
    // Both ran in the task's worktree, not in the repository.
    expect(new Set(gemini.map((c) => c.cwd))).toEqual(new Set([join(dataDir, 'worktrees', run.id, 'fix')]));

    expect(second!.status).toBe('succeeded');
    const out = outputOf(second!);
    expect(out).toMatchObject({ cli: 'gemini', branch: `tutti/${run.id}/fix`, changedFiles: ['answer.js'], validation: [{ command: 'node test.js', exitCode: 0 }] });
    expect(readFileSync(out.testLog!, 'utf8')).toContain('$ node test.js\nok\n');
    expect(second!.logPath).toMatch(/fix\.2\.log$/);
    // Both iterations' commits are on the task's branch; main is untouched; the worktree is gone.
    expect(sh(repo, 'git', 'show', `${out.branch}:answer.js`)).toBe('module.exports = 42;');
    expect(sh(repo, 'git', 'rev-list', '--count', `main..${out.branch}`)).toBe('2');
    expect(sh(repo, 'git', 'show', '-s', '--format=%B', out.commits[0]!.sha)).toContain(`Tutti-Run: ${run.id}`);
    expect(readFileSync(join(repo, 'answer.js'), 'utf8')).toBe('module.exports = 0;\n');
    expect(existsSync(join(dataDir, 'worktrees', run.id, 'fix'))).toBe(false);
    expect(sh(repo, 'git', 'worktree', 'list')).not.toContain('worktrees');
    // Setup ran once, in the new worktree.
    expect(readFileSync(join(record, 'setup.count'), 'utf8')).toBe('x');
  });

  it('rejects changes outside allowedPaths or inside forbiddenPaths and rewinds the branch', async () => {
    const { repo, engine } = await setup({
      entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }, { write: 'dist/bundle.js', content: 'x' }] }],
    });
    const run = await engine.run(plan({ forbiddenPaths: ['dist/'], allowedPaths: ['*.js', 'dist/**'] }, ['claude']));
    expect(run.status).toBe('failed');
    const a = run.tasks[0]!.attempts[0]!;
    expect(a.error).toMatchObject({ kind: 'invalid_output' });
    expect(a.error!.message).toContain('dist/bundle.js (forbidden by dist/)');
    const branch = `tutti/${run.id}/fix`;
    // The rejected commit is kept under the attempt's ref; the task's branch has none of it.
    expect(sh(repo, 'git', 'for-each-ref', '--format=%(refname)', 'refs/tutti/')).toBe(`refs/tutti/${run.id}/fix/1`);
    expect(sh(repo, 'git', 'show', `refs/tutti/${run.id}/fix/1:dist/bundle.js`)).toBe('x');
    expect(sh(repo, 'git', 'branch', '--list', branch)).toBe('');
  });

  it('--no-worktree: works and commits in the repository itself, on its current branch', async () => {
    const { repo, runs, engine, dataDir } = await setup(claudeWrites(42));
    const run = await engine.run(plan({ validate: ['node test.js'], workspace: { worktree: false, newBranch: false } }, ['claude']));
    expect(runs().map((c) => c.cwd)).toEqual([repo]);
    expect(run.status).toBe('completed');
    const out = outputOf(run.tasks[0]!.attempts[0]!);
    expect(out).toMatchObject({ branch: 'main', workspace: repo });
    expect(readFileSync(join(repo, 'answer.js'), 'utf8')).toBe('module.exports = 42;\n');
    expect(sh(repo, 'git', 'log', '-1', '--format=%B')).toContain(`Tutti-Run: ${run.id}`);
    expect(sh(repo, 'git', 'status', '--porcelain')).toBe('');
    expect(existsSync(join(dataDir, 'worktrees', run.id))).toBe(false);
  });

  it('fails with no_changes when the agent changed nothing', async () => {
    const { engine } = await setup({ entries: [{ match: { cli: 'claude' }, actions: [{ read: 'answer.js' }, { say: 'Everything looks fine to me.' }] }] });
    const run = await engine.run(plan({}, ['claude']));
    expect(run.tasks[0]!.attempts[0]!.error).toMatchObject({ kind: 'no_changes' });
    expect(run.tasks[0]!.attempts[0]!.error!.message).toContain('Everything looks fine to me.');
  });

  it('the engine decides: validation passing beats an agent reporting failure, and failing beats one reporting success', async () => {
    // claude edits, then ends its session as failed (result error_during_execution, exit 1).
    const { engine } = await setup({
      entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }], outcome: { kind: 'error', message: 'I could not finish the task.' } }],
    });
    const ok = await engine.run(plan({ validate: [['node', 'test.js']] }, ['claude']));
    expect(ok.status).toBe('completed');
    expect(ok.tasks[0]!.attempts[0]!.summary).toMatch(/validated .* \(the agent reported failure: .*validation passed\)/);

    const b = await setup(claudeWrites(7));
    const bad = await b.engine.run(plan({ validate: ['node test.js'] }, ['claude']));
    expect(bad.status).toBe('failed');
    expect(bad.tasks[0]!.attempts[0]!.error!.message).toContain('expected 42, got 7');
  });

  it('a validation command past its timeout fails the iteration, is killed with what it started, and the test log and feedback say so', async () => {
    const { engine, record, runs } = await setup(claudeWrites(42));
    const check = ['sh', '-c', `echo checking; sleep 1000 & echo $! > ${record}/validate.pid; wait`];
    const run = await engine.run({
      agents: [{ id: 'coder', driver: 'coding', config: { cli: ['claude'], validateTimeoutMs: 3000 } }],
      tasks: [{ id: 'fix', prompt: 'make the test pass', agent: 'coder', validate: [check], retry: { maxAttempts: 2, backoff: { initialMs: 0 } } }],
    });
    expect(run.status).toBe('failed');
    const [first, second] = run.tasks[0]!.attempts;
    expect(first!.error!.message).toBe(`validation failed: \`sh -c 'echo checking; sleep 1000 & echo $! > ${record}/validate.pid; wait'\` timed out after 3000 ms\nchecking`);
    expect(outputOf(first!).validation).toMatchObject([{ timedOut: true, exitCode: null }]);
    expect(readFileSync(outputOf(first!).testLog!, 'utf8')).toMatch(/checking\n\[exit timeout after \d+ ms\]/);
    expect(isRunning(Number(readFileSync(join(record, 'validate.pid'), 'utf8')))).toBe(false);
    // The loop went on: iteration 2 was told why (its prompt has the timeout), and timed out too.
    const claude = runs('claude');
    expect(claude.map((c) => c.attempt)).toEqual([1, 2]);
    expect(claude[0]!.prompt).not.toContain('timed out');
    expect(claude[1]!.prompt).toContain('timed out after 3000 ms');
    expect(second!.error!.message).toContain('timed out after 3000 ms');
  });

  it('parks a task whose every CLI is rate-limited until the reset, without spending a retry, then resumes', async () => {
    const { engine, runs } = await setup(
      {
        entries: [
          { match: { cli: 'claude', attempt: 1 }, outcome: { kind: 'rate_limit', resetInSeconds: 2 } },
          { match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }] },
          { match: { cli: 'gemini' }, outcome: { kind: 'rate_limit', resetInSeconds: 60 } },
        ],
      },
      ['claude', 'gemini'],
    );
    // The parking is read from the engine's own event, not by polling for it.
    const blocked: Array<{ reason: unknown; ts: number }> = [];
    engine.on('task:blocked', (e) => blocked.push({ reason: e.data.reason, ts: e.ts }));
    const created = await engine.createRun(plan({ validate: ['node test.js'], retry: { maxAttempts: 1 } }));
    const run = await engine.waitForRun(created.id, { timeoutMs: 60_000 });
    expect(blocked).toHaveLength(1);
    const reason = blocked[0]!.reason as { kind: string; until: number };
    expect(reason).toMatchObject({ kind: 'rate_limited', agentId: 'coder' });
    const first = run.tasks[0]!.attempts[0]!;
    expect(first.error).toMatchObject({ kind: 'rate_limited' });
    // claude's reset (in about 2 s, to the second) is the earlier one: the task waits for it, not for
    // gemini's in 60 s. (A reset already past still parks for 1 s.)
    expect(reason.until - Date.parse(first.finishedAt!)).toBeLessThan(30_000);
    // maxAttempts 1 and yet a second attempt: the rate limit spent no retry.
    expect(run.status).toBe('completed');
    expect(run.tasks[0]!.attempts.map((a) => a.status)).toEqual(['failed', 'succeeded']);
    expect(outputOf(run.tasks[0]!.attempts[1]!).cli).toBe('claude');
    // Attempt 1 tried claude and gemini (codex is not installed); nothing ran while the task was
    // parked: claude's next session started no earlier than the reset, and gemini was not asked again.
    expect(runs().map((c) => [c.cli, c.attempt, c.outcome])).toEqual([
      ['claude', 1, 'rate_limit'],
      ['gemini', 1, 'rate_limit'],
      ['claude', 2, 'success'],
    ]);
    expect(runs()[2]!.at).toBeGreaterThanOrEqual(reason.until);
  }, 90_000);

  it('cancel leaves nothing behind: the CLI, its grandchild sleep and an escaped helper are gone; the attempt is cancelled', async () => {
    const { s, engine, repo } = await setup({ entries: [{ match: { cli: 'claude' }, outcome: { kind: 'hang', escape: true } }] });
    const created = await engine.createRun(plan({}, ['claude']));
    // The hang record is written (whole) once the CLI has started both.
    for (let i = 0; i < 1200 && !s.hangs()[0]; i++) await new Promise((r) => setTimeout(r, 25));
    const hang = s.hangs()[0]!;
    const sleeper = hang.grandchild!;
    const escaped = hang.escaped!;
    expect(isRunning(sleeper)).toBe(true);
    expect(isRunning(escaped)).toBe(true);
    const key = `${created.id}/fix/1`;
    expect(processesWithKey(key).length).toBeGreaterThanOrEqual(2);
    await engine.cancelRun(created.id);
    const run = await engine.waitForRun(created.id, { timeoutMs: 20_000 });
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    expect(isRunning(sleeper)).toBe(false);
    // Even the one that left the process group: found by the attempt's idempotency key.
    expect(isRunning(escaped)).toBe(false);
    expect(processesWithKey(key)).toEqual([]);
    expect(sh(repo, 'git', 'worktree', 'list')).not.toContain('worktrees');
  }, 90_000);
});
