/**
 * The tutti binary's coding commands with the CLI simulator on PATH: run --agent-cli (as the default
 * command), usage errors, doctor, dispatcher analyze/create, and live/attach/kill on a private
 * tmux server (`TUTTI_TMUX_SOCKET`).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentSpec } from '../../src/agents/drivers/cli/dispatch.js';
import type { DoctorReport } from '../../src/cli/commands/doctor.js';
import type { RunView } from '../../src/core/run-view.js';
import { prepareWorkspace } from '../../src/workspace/index.js';
import { runCli } from '../helpers/cli.js';
import type { SimCli, SimScenario } from '../../src/testing/index.js';
import { sim } from '../sim/helpers.js';
import { gitRepo, sh, tmp } from './helpers.js';

const TEST_JS = "const a = require('./answer.js');\nif (a !== 42) { console.error(`expected 42, got ${a}`); process.exit(1); }\n";
const SOCKET = `tutti-test-${process.pid}`;
const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

afterAll(() => {
  if (hasTmux) {
    try {
      execFileSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // no server was started
    }
  }
});

function env(scenario: SimScenario, bins: SimCli[] = ['claude', 'codex', 'gemini']) {
  const s = sim(scenario, bins);
  return { env: { ...s.env, TUTTI_TMUX_SOCKET: SOCKET, HOME: tmp('tutti-home-') }, runs: () => s.calls().filter((c) => c.kind === 'run') };
}

const SET_ANSWER = { actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }], outcome: { kind: 'success' as const, usage: { input: 100, cacheWrite: 0, cacheRead: 500, output: 50 } } };

describe('tutti --agent-cli (run is the default command)', () => {
  it('reports each CLI, falls back, loops on validation and ends with a validated commit on its branch', async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': TEST_JS });
    const ctx = join(tmp(), 'context.md');
    writeFileSync(ctx, '# House rules\nAnswers are numbers.\n');
    const { env: e, runs } = env({ entries: [{ match: { cli: 'claude' }, outcome: { kind: 'auth' } }, { match: { cli: 'gemini' }, ...SET_ANSWER }] }, ['claude', 'gemini']);
    const r = await runCli(['--agent-cli', 'claude,codex,gemini', '--validate', 'node test.js', '--context', ctx, '--model', 'm1', 'fix the failing test'], { dataDir: tmp(), cwd: repo, env: e });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/\[tutti\] claude: not authenticated: Not logged in · Please run \/login.* → trying codex/);
    expect(r.stderr).toMatch(/\[tutti\] codex: codex is not installed .* → trying gemini/);
    expect(r.stderr).toContain('[tutti] validation passed');
    expect(r.stdout).toContain('status completed');
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    // The clear outcome: the validated commit and the branch it is on.
    expect(r.stdout).toContain(`done main: validated ${sh(repo, 'git', 'rev-parse', `tutti/${runId}/main`).slice(0, 12)} on tutti/${runId}/main`);
    expect(sh(repo, 'git', 'show', `tutti/${runId}/main:answer.js`)).toBe('module.exports = 42;');
    const gemini = runs().find((c) => c.cli === 'gemini')!;
    expect(gemini.prompt).toContain('## Context\n# House rules');
    // The task and attempt reach the CLI's environment.
    expect(gemini).toMatchObject({ task: 'main', attempt: 1 });
    // The headless argv: the prompt as an argument, the event stream, no trust prompt, the --model.
    expect(gemini.argv.slice(2)).toEqual(['-o', 'stream-json', '--skip-trust', '--approval-mode', 'yolo', '-m', 'm1']);
    expect(runs().find((c) => c.cli === 'claude')!.argv).toEqual(expect.arrayContaining(['--output-format', 'stream-json', '--verbose', '--model', 'm1', '--permission-mode', 'acceptEdits']));
  });

  it('on start, reconciles the repository\'s worktrees with the store and reports orphans', async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n' });
    const data = tmp();
    const orphan = await prepareWorkspace({ repoDir: repo, dataDir: data, runId: 'run_gone', taskId: 't' });
    const { env: e } = env({ entries: [SET_ANSWER] }, ['claude']);
    const r = await runCli(['--agent-cli', 'claude', 'set the answer'], { dataDir: data, cwd: repo, env: e });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`orphaned worktree ${orphan.dir} (unknown run, branch tutti/run_gone/t): removable with tutti doctor --prune-worktrees`);
    // Reported, not removed: removing is the user's call.
    expect(sh(repo, 'git', 'worktree', 'list')).toContain(orphan.dir);
  });

  it('--budget-tokens: a session past the budget is stopped, its work kept on the branch, and the run fails saying so', async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n' });
    // The simulated claude reports 150 budgeted tokens when it ends: past a 100-token budget.
    const { env: e } = env({ entries: [SET_ANSWER] }, ['claude']);
    const r = await runCli(['--agent-cli', 'claude', '--budget-tokens', '100', '--max-iterations', '3', 'set the answer'], { dataDir: tmp(), cwd: repo, env: e });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('claude stopped: budget exhausted: this attempt used 150 tokens of its share of 100 tokens (run limit 100 tokens)');
    expect(r.stdout).toContain('1 attempt');
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    expect(sh(repo, 'git', 'show', `tutti/${runId}/main:answer.js`)).toBe('module.exports = 42;');
  });

  it('with no CLI able to work, ends failed, naming each CLI and why', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const { env: e } = env({ entries: [{ match: { cli: ['claude', 'codex'] }, outcome: { kind: 'auth' } }] }, ['claude', 'codex']);
    const r = await runCli(['run', '--agent-cli', 'claude,codex,gemini', 'do it'], { dataDir: tmp(), cwd: repo, env: e });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/no CLI of the chain can work: claude: not authenticated.*; codex: not authenticated \(codex login status: Not logged in\); gemini: gemini is not installed/);
    expect(r.stdout).toContain('Install or log in to one of them (tutti doctor shows what each needs), then run again.');
    // Nothing was done: no branch or worktree is left.
    expect(sh(repo, 'git', 'branch', '--list', 'tutti/*')).toBe('');
  });

  it.each([
    [['--agent-cli', 'claude,vim', 'x'], /unknown CLI 'vim'/],
    [['--agent-cli', 'claude', '--validate', 'npm test && npm run lint', 'x'], /--validate: cannot run 'npm test && npm run lint' without a shell .*sh -c/],
    [['--agent-cli', 'claude', '--context', '/nope.md', 'x'], /cannot read --context \/nope.md: no such file/],
    [['--agent-cli', 'claude', '--plan', 'p.yaml'], /apply to a goal, not to --plan/],
    [['--validate', 'npm test', 'x'], /no coding-agent CLI is installed and logged in/],
    [['--agent-cli', 'claude', '--budget-usd', 'lots', 'x'], /--budget-usd must be a positive number of dollars, got 'lots'/],
    [['--agent', 'mine', '--budget-tokens', '100', 'x'], /with --agent, put budget in the agent's config/],
  ])('%j is a usage error (exit 2, one line)', async (args, re) => {
    const r = await runCli(args as string[], { dataDir: tmp(), cwd: tmp() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(re);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('tutti doctor', () => {
  it('reports CLIs (installed, version, authenticated), tools, and orphaned worktrees; --prune-worktrees removes the safe ones', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const data = tmp();
    const orphan = await prepareWorkspace({ repoDir: repo, dataDir: data, runId: 'run_gone', taskId: 't' });
    const { env: e } = env({ clis: { claude: { loggedIn: false } }, entries: [] }, ['claude', 'codex']);
    const r = await runCli(['doctor', '--json'], { dataDir: data, cwd: repo, env: e });
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as DoctorReport;
    const cli = Object.fromEntries(d.clis.map((c) => [c.name, c]));
    expect(cli.claude).toMatchObject({ installed: true, version: '2.1.329 (Claude Code)', auth: { authenticated: false } });
    expect(cli.codex).toMatchObject({ installed: true, version: 'codex-cli 0.169.0', auth: { authenticated: true } });
    expect(cli.gemini).toMatchObject({ installed: false, auth: { detail: 'not installed (npm install -g @google/gemini-cli)' } });
    expect(cli.cursor).toMatchObject({ installed: false, npmPackage: null });
    expect(d.tools.find((t) => t.name === 'git')).toMatchObject({ installed: true });
    expect(d.worktrees!.orphans).toMatchObject([{ path: orphan.dir, reason: 'unknown_run', blocker: null }]);

    const human = await runCli(['doctor'], { dataDir: data, cwd: repo, env: e });
    expect(human.stdout).toMatch(/claude +2\.1\.329 \(Claude Code\) .* NOT authenticated: not logged in/);
    expect(human.stdout).toMatch(/gemini +not installed .*npm install -g @google\/gemini-cli/);
    expect(human.stdout).toContain(`${orphan.dir}  unknown run  branch tutti/run_gone/t  removable (tutti doctor --prune-worktrees)`);

    const pruned = await runCli(['doctor', '--prune-worktrees', '--json'], { dataDir: data, cwd: repo, env: e });
    expect((JSON.parse(pruned.stdout) as DoctorReport).worktrees!.pruned).toEqual([orphan.dir]);
    expect(sh(repo, 'git', 'worktree', 'list').split('\n')).toHaveLength(1);
  });
});

describe('tutti dispatcher', () => {
  it('analyze turns a list of independent items into one agent spec each', async () => {
    const r = await runCli(['dispatcher', 'analyze', '--json', '--agent-cli', 'gemini,claude', '--model', 'm1', 'In repo X:\n1. Fix flaky integration tests\n2. Update PR #123 docs'], { dataDir: tmp() });
    expect(r.code).toBe(0);
    const specs = JSON.parse(r.stdout) as AgentSpec[];
    expect(specs).toEqual([
      { name: 'task-fix-flaky-integration-tests', task: 'In repo X:\n\nFix flaky integration tests', cli_chain: ['gemini', 'claude'], model: 'm1', workspace: { mode: 'worktree', branch: 'tutti/<runId>/main', copyFiles: ['.env'], pr: 123 } },
      { name: 'task-update-pr-123-docs', task: 'In repo X:\n\nUpdate PR #123 docs', cli_chain: ['gemini', 'claude'], model: 'm1', workspace: { mode: 'worktree', branch: 'tutti/<runId>/main', copyFiles: ['.env'], pr: 123 } },
    ]);
    const one = JSON.parse((await runCli(['dispatcher', 'analyze', '--json', '--agent-cli', 'codex', 'Refactor auth middleware'], { dataDir: tmp() })).stdout) as AgentSpec[];
    expect(one).toMatchObject([{ name: 'task-refactor-auth-middleware', cli: 'codex', model: null }]);
  });

  it('create --dry-run prints what it would start and starts nothing', async () => {
    const { env: e } = env({ entries: [] });
    const r = await runCli(['dispatcher', 'create', '--dry-run', '--agent-cli', 'claude', 'Investigate failing CI'], { dataDir: tmp(), cwd: tmp(), env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would start session tutti-task-investigate-failing-ci: tutti run --run-id run_\w+ .* --agent-cli claude -- Investigate failing CI/);
    // The path rules and the budget reach each agent's run.
    const j = await runCli(['dispatcher', 'create', '--dry-run', '--json', '--agent-cli', 'claude', '--allow-path', 'src/**', '--forbid-path', 'dist/', '--budget-usd', '0.5', '--budget-tokens', '9000', 'Investigate failing CI'], { dataDir: tmp(), cwd: tmp(), env: e });
    const [spec] = JSON.parse(j.stdout) as Array<{ command: string[] }>;
    expect(spec!.command.join(' ')).toContain('--allow-path src/** --forbid-path dist/ --budget-usd 0.5 --budget-tokens 9000 -- Investigate failing CI');
    const list = await runCli(['live', 'list', '--json'], { dataDir: tmp(), env: e });
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it.skipIf(!hasTmux)('create starts each agent as a run in a tmux session that ends with the run', async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': TEST_JS });
    const data = tmp();
    const { env: e } = env({ entries: [SET_ANSWER] }, ['claude']);
    const r = await runCli(['dispatcher', 'create', '--json', '--agent-cli', 'claude', '--validate', 'node test.js', 'Fix the answer'], { dataDir: data, cwd: repo, env: e });
    expect(r.code).toBe(0);
    const [spec] = JSON.parse(r.stdout) as Array<AgentSpec & { runId: string; session: string }>;
    expect(spec!.session).toBe('tutti-task-fix-the-answer');
    let view: RunView | null = null;
    for (let i = 0; i < 150; i++) {
      const s = await runCli(['status', spec!.runId, '--json'], { dataDir: data, env: e });
      if (s.code === 0) view = JSON.parse(s.stdout) as RunView;
      if (view && ['completed', 'failed', 'cancelled'].includes(view.status)) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    expect(view?.status).toBe('completed');
    expect(spec!.workspace.branch).toBe(`tutti/${spec!.runId}/main`);
    expect(sh(repo, 'git', 'show', `${spec!.workspace.branch}:answer.js`)).toBe('module.exports = 42;');
    // The session stays (remain-on-exit) so its last screen can be read; list shows it exited.
    // The run's process exits just after its last commit: poll until its pane is dead.
    let mine: { name: string; dead: boolean } | undefined;
    for (let i = 0; i < 50; i++) {
      const list = JSON.parse((await runCli(['live', 'list', '--json'], { dataDir: data, env: e })).stdout) as Array<{ name: string; dead: boolean }>;
      mine = list.find((s) => s.name === spec!.session);
      if (mine?.dead) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(mine).toMatchObject({ dead: true });
    expect((await runCli(['kill', spec!.session], { dataDir: data, env: e })).code).toBe(0);
   }, 120_000);
});

describe.skipIf(!hasTmux)('tutti live / attach / kill (private tmux server)', () => {
  it('starts an interactive CLI session, lists it, refuses to attach without a terminal, kills it', async () => {
    const { env: e } = env({ entries: [] }, ['claude']);
    const data = tmp();
    const started = await runCli(['live', '--cli', 'claude', '--detach'], { dataDir: data, cwd: tmp(), env: e });
    expect(started.code).toBe(0);
    expect(started.stdout.trim()).toBe('tutti-live-claude-1');
    const second = await runCli(['live', '--cli', 'claude', '--detach'], { dataDir: data, cwd: tmp(), env: e });
    expect(second.stdout.trim()).toBe('tutti-live-claude-2');
    // The CLI starts in its pane when it can: read the pane until it shows (no fixed wait).
    let screen = '';
    for (let i = 0; i < 300 && !screen.includes('claude (tutti simulator) interactive session'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      screen = execFileSync('tmux', ['-L', SOCKET, 'capture-pane', '-p', '-t', '=tutti-live-claude-1:'], { encoding: 'utf8' });
    }
    expect(screen).toContain('claude (tutti simulator) interactive session');

    const list = await runCli(['live', 'list'], { dataDir: data, env: e });
    expect(list.stdout).toMatch(/tutti-live-claude-1 .* detached/);
    expect(list.stdout).toMatch(/tutti-live-claude-2 .* detached/);

    const attach = await runCli(['attach', 'live-claude-1'], { dataDir: data, env: e });
    expect(attach.code).toBe(2);
    expect(attach.stderr).toContain(`attach needs a terminal; without one, read the session with: tmux -L ${SOCKET} capture-pane -p -t tutti-live-claude-1`);

    expect((await runCli(['kill', 'live-claude-1'], { dataDir: data, env: e })).stdout).toBe('killed tutti-live-claude-1\n');
    expect((await runCli(['kill', 'tutti-live-claude-2'], { dataDir: data, env: e })).code).toBe(0);
    expect((await runCli(['live', 'list'], { dataDir: data, env: e })).stdout).toBe('no tutti sessions (runs: tutti runs)\n');
    const missing = await runCli(['kill', 'nope'], { dataDir: data, env: e });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no session 'nope'");
   }, 120_000);

  it('a CLI that is not installed, or unknown, is reported', async () => {
    const { env: e } = env({ entries: [] }, []);
    const r = await runCli(['live', '--cli', 'gemini', '--detach'], { dataDir: tmp(), env: e });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('gemini is not installed (npm install -g @google/gemini-cli)');
    const u = await runCli(['live', '--cli', 'emacs'], { dataDir: tmp(), env: e });
    expect(u.code).toBe(2);
  });
});
