/**
 * Seed 004 as its users meet it, through the built CLI on real git repositories, with the
 * scripted fake coding CLIs (and a scripted gh, a local bare origin) on a private PATH:
 * the chain chosen from the CLIs installed and logged in, `--pr N` updating PR N on its branch,
 * a PR number found by the dispatcher acted upon, `list` = the live tmux sessions, doctor's probe
 * timeout ending the whole process group, and the `TaskDispatcher` class.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hasTmux, killTmuxServer, scriptedGhDir } from '../helpers/tmux-gh.js';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskDispatcher } from '../../src/agents/drivers/cli/dispatch.js';
import { capturePane } from '../../src/agents/drivers/cli/tmux.js';
import type { DoctorReport } from '../../src/cli/commands/doctor.js';
import { createEngine } from '../../src/create-engine.js';
import type { RunView } from '../../src/core/run-view.js';
import { BIN, runCli } from '../helpers/cli.js';
import { gitRepo, isRunning, sh, systemPath, tmp } from '../agents/helpers.js';
import { sim } from '../sim/helpers.js';
import type { SimScenario } from '../../src/testing/index.js';

const SOCKET = `tutti-seed004-${process.pid}`;
afterAll(() => killTmuxServer(SOCKET));

/** The env of a CLI run: the simulator for `bins` acting from `scenario`, extra programs in `extraBin`, a private tmux server. */
function env(scenario: SimScenario, bins: Array<'claude' | 'codex' | 'gemini' | 'cursor'>, extraBin?: string): Record<string, string> {
  const s = sim(scenario, bins);
  return { ...s.env, PATH: extraBin ? `${extraBin}:${s.env.PATH}` : s.env.PATH!, TUTTI_TMUX_SOCKET: SOCKET, HOME: tmp('tutti-home-') };
}

const ANSWER = { 'answer.js': 'module.exports = 0;\n' };
/** The CLI `cli` sets the answer. */
const SET_ANSWER = (cli: 'claude' | 'codex') => ({ match: { cli }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }] });
const NOT_LOGGED_IN = (cli: 'claude' | 'codex') => ({ match: { cli }, outcome: { kind: 'auth' as const } });

describe('the CLI is chosen when --agent-cli is not given', () => {
  it('tutti "task" runs on the CLIs installed and logged in, in order, skipping one not logged in', async () => {
    const repo = gitRepo(ANSWER);
    // claude is not logged in, codex is: the chain is codex (gemini and cursor are not installed).
    const e = env({ entries: [NOT_LOGGED_IN('claude'), SET_ANSWER('codex')] }, ['claude', 'codex']);
    const r = await runCli(['Set the answer to 42'], { dataDir: tmp(), cwd: repo, env: e });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('no --agent-cli: using codex (installed and logged in; tutti doctor)');
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    expect(sh(repo, 'git', 'show', `tutti/${runId}/main:answer.js`)).toBe('module.exports = 42;');
  });

  it('with no CLI installed and logged in, a goal is a usage error saying what each CLI lacks', async () => {
    const r = await runCli(['run', 'Set the answer'], { dataDir: tmp(), cwd: gitRepo(ANSWER), env: env({ entries: [NOT_LOGGED_IN('claude')] }, ['claude']) });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('no coding-agent CLI is installed and logged in (claude: not logged in');
  });
});

/** A gh that knows PR 7 (open, head `feature-x`), on a PATH directory of its own. */
const ghBin = () => scriptedGhDir([{ number: 7, branch: 'feature-x' }]);

describe('--pr N and PR numbers found by the dispatcher', () => {
  it('run --pr 7 "…" works on PR 7’s branch and pushes onto it; the goal is not eaten by --pr', async () => {
    const repo = gitRepo(ANSWER);
    const origin = tmp('tutti-origin-');
    sh(origin, 'git', 'init', '-q', '--bare');
    sh(repo, 'git', 'remote', 'add', 'origin', origin);
    sh(repo, 'git', 'push', '-q', 'origin', 'main:feature-x');
    const e = env({ entries: [SET_ANSWER('claude')] }, ['claude'], ghBin());
    const r = await runCli(['run', '--agent-cli', 'claude', '--pr', '7', 'Fix the review blockers'], { dataDir: tmp(), cwd: repo, env: e });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('on feature-x, https://github.com/o/r/pull/7');
    expect(sh(origin, 'git', 'show', 'feature-x:answer.js')).toBe('module.exports = 42;');
    // A PR that cannot be read stops before anything runs.
    const bad = await runCli(['run', '--agent-cli', 'claude', '--pr', '9', 'x'], { dataDir: tmp(), cwd: repo, env: e });
    expect([bad.code, bad.stderr.trim()]).toEqual([2, 'tutti: --pr 9: cannot read PR 9: no pull requests found for branch "9"']);
    // --pr followed by the goal: the goal stays whole.
    const words = await runCli(['dispatcher', 'analyze', '--json', '--agent-cli', 'claude', '--pr', 'Fix the tests'], { dataDir: tmp() });
    expect(JSON.parse(words.stdout)).toMatchObject([{ task: 'Fix the tests' }]);
  });

  it('a PR number in the task reaches the agent’s run as --pr N', async () => {
    const r = await runCli(['dispatcher', 'create', '--dry-run', '--json', '--agent-cli', 'claude', 'Fix failing tests in PR #123 and push updates'], { dataDir: tmp(), cwd: tmp(), env: env({}, ['claude']) });
    expect(r.code).toBe(0);
    const [spec] = JSON.parse(r.stdout) as Array<{ workspace: { pr: number }; command: string[] }>;
    expect(spec!.workspace.pr).toBe(123);
    expect(spec!.command.join(' ')).toContain('--pr 123 -- Fix failing tests in PR #123 and push updates');
  });

  it('dispatcher create --foreground acts on the PR number too', async () => {
    const repo = gitRepo(ANSWER);
    const origin = tmp('tutti-origin-');
    sh(origin, 'git', 'init', '-q', '--bare');
    sh(repo, 'git', 'remote', 'add', 'origin', origin);
    sh(repo, 'git', 'push', '-q', 'origin', 'main:feature-x');
    const r = await runCli(['dispatcher', 'create', '--foreground', '--agent-cli', 'claude', 'Address the review of PR #7'], { dataDir: tmp(), cwd: repo, env: env({ entries: [SET_ANSWER('claude')] }, ['claude'], ghBin()) });
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(sh(origin, 'git', 'show', 'feature-x:answer.js')).toBe('module.exports = 42;');
  });
});

describe('doctor', () => {
  it('a probe past --probe-timeout is stopped with everything it started', async () => {
    const bin = tmp('tutti-hangbin-');
    const pidFile = join(tmp(), 'grandchild.pid');
    writeFileSync(join(bin, 'claude'), `#!/bin/sh\nsleep 1000 &\necho $! > "${pidFile}"\nwait\n`);
    chmodSync(join(bin, 'claude'), 0o755);
    const r = await runCli(['doctor', '--json', '--probe-timeout', '300'], { dataDir: tmp(), cwd: tmp(), env: { PATH: `${bin}:${systemPath()}`, HOME: tmp() } });
    expect(r.code).toBe(0);
    const claude = (JSON.parse(r.stdout) as DoctorReport).clis.find((c) => c.name === 'claude')!;
    expect(claude).toMatchObject({ installed: true, version: null, auth: { authenticated: null } });
    expect(claude.auth.detail).toContain('did not answer within 300 ms');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(isRunning(pid)).toBe(false);
  });
});

describe.skipIf(!hasTmux)('list and TaskDispatcher (private tmux server)', () => {
  it('tutti live list shows the live tmux sessions (ai_orch list too: dispatcher-examples); tutti list and tutti runs list runs', async () => {
    const e = env({}, ['claude']);
    const data = tmp();
    expect((await runCli(['live', '--cli', 'claude', '--detach', '--name', 'seed-list'], { dataDir: data, cwd: tmp(), env: e })).code).toBe(0);
    const listed = JSON.parse((await runCli(['live', 'list', '--json'], { dataDir: data, env: e })).stdout) as Array<{ name: string }>;
    expect(listed.map((s) => s.name)).toContain('tutti-seed-list');
    expect((await runCli(['runs', '--json'], { dataDir: data, env: e })).stdout.trim()).toBe('[]');
    expect((await runCli(['list', '--json'], { dataDir: data, env: e })).stdout.trim()).toBe('[]');
    expect((await runCli(['kill', 'seed-list'], { dataDir: data, env: e })).code).toBe(0);
  });

  it('TaskDispatcher: analyzeTaskAndCreateAgents then createDynamicAgent runs each agent as a run in a tmux session', async () => {
    const repo = gitRepo(ANSWER);
    const data = tmp();
    const e = env({ entries: [SET_ANSWER('claude')] }, ['claude']);
    const dispatcher = new TaskDispatcher({ cwd: repo, env: { ...process.env, ...e }, home: e.HOME, tmuxSocket: SOCKET, run: { dataDir: data, bin: BIN } }); // the built CLI (under vitest this module is the source)
    const specs = await dispatcher.analyzeTaskAndCreateAgents('Set the answer to 42');
    expect(specs).toMatchObject([{ name: 'task-set-the-answer-to-42', cli: 'claude', task: 'Set the answer to 42' }]);
    expect(await dispatcher.analyzeTaskAndCreateAgents('Set the answer', 'gemini,claude')).toMatchObject([{ cli_chain: ['gemini', 'claude'] }]);
    await expect(dispatcher.createDynamicAgent({ name: 'x', task: 'y', cli: 'claude', workspace_cfg: {} })).rejects.toThrow(/unknown field 'workspace_cfg'/);
    await expect(dispatcher.analyzeTaskAndCreateAgents('x', 'vim')).rejects.toThrow(/unknown CLI 'vim'/);

    for (const spec of specs) expect(await dispatcher.createDynamicAgent(spec)).toBe(true);
    const agent = dispatcher.created.get('task-set-the-answer-to-42')!;
    expect(agent.session).toBe('tutti-task-set-the-answer-to-42');
    // The run is in the data dir given: wait for it there.
    const reader = createEngine({ dataDir: data, workDir: data });
    let view: RunView | null = null;
    try {
      for (let i = 0; i < 300 && !(view && ['completed', 'failed'].includes(view.status)); i++) {
        view = await reader.getRun(agent.runId);
        if (!view || !['completed', 'failed'].includes(view.status)) await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await reader.stop();
    }
    if (view?.status !== 'completed') throw new Error(`the agent's run did not complete:\n${await capturePane(agent.session!, { socket: SOCKET })}`);
    expect(view?.status).toBe('completed');
    expect(sh(repo, 'git', 'show', `tutti/${agent.runId}/main:answer.js`)).toBe('module.exports = 42;');
    // The session is named after the agent; a second agent of that name is refused, saying why.
    expect(await dispatcher.createDynamicAgent(specs[0]!)).toBe(false);
    expect(dispatcher.lastError).toMatch(/duplicate session|exists/);
    expect(existsSync(repo)).toBe(true);
  }, 120_000);
});
