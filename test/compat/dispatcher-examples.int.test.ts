/**
 * Every example of seed 004's document, run literally through the `ai_orch` binary (the built
 * CLI under that name on PATH), on real git repositories with the scripted fake CLIs, a scripted
 * gh and a local bare origin, and a private tmux server.
 */
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { hasTmux, killTmuxServer, scriptedGhDir } from '../helpers/tmux-gh.js';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TaskDispatcher, type AgentSpec } from '../../src/agents/drivers/cli/dispatch.js';
import { createEngine } from '../../src/create-engine.js';
import type { RunView } from '../../src/core/run-view.js';
import { BIN, assertBuilt } from '../helpers/cli.js';
import { gitRepo, sh, tmp } from '../agents/helpers.js';
import { sim } from '../sim/helpers.js';
import type { SimScenario } from '../../src/testing/index.js';

const SOCKET = `tutti-seed004-ex-${process.pid}`;
afterAll(() => killTmuxServer(SOCKET));

/** A PATH directory with `ai_orch` (the built CLI) and a gh that knows PR 123 (open, head `pr-123`). */
function toolsBin(): string {
  assertBuilt();
  const dir = scriptedGhDir([{ number: 123, branch: 'pr-123' }]);
  symlinkSync(BIN, join(dir, 'ai_orch'));
  return dir;
}

interface Sandbox {
  env: Record<string, string>;
  dataDir: string;
  /** The CLI simulator's recorded invocations. */
  calls: ReturnType<typeof sim>['calls'];
}

/** The simulator (speaking the real CLIs' protocols) for `bins`, acting from `scenario`, and tutti's env. */
function sandbox(scenario: SimScenario, bins: Array<'claude' | 'codex' | 'gemini' | 'cursor'>): Sandbox {
  const s = sim(scenario, bins);
  const dataDir = tmp('tutti-data-');
  return { env: { ...s.env, PATH: `${toolsBin()}:${s.env.PATH}`, HOME: tmp('tutti-home-'), TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '', TUTTI_TMUX_SOCKET: SOCKET }, dataDir, calls: s.calls };
}

/** Runs `ai_orch ARGS` as a shell would find it (by name, on PATH). */
function aiOrch(args: string[], s: Sandbox, cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ai_orch', args, { cwd, env: { ...process.env, ...s.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A repository with an origin whose branch `pr-123` is PR 123's head. */
function repoWithPr(): { repo: string; origin: string } {
  const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n' });
  const origin = tmp('tutti-origin-');
  sh(origin, 'git', 'init', '-q', '--bare');
  sh(repo, 'git', 'remote', 'add', 'origin', origin);
  sh(repo, 'git', 'push', '-q', 'origin', 'main:pr-123');
  return { repo, origin };
}

/** The CLI `cli` sets the answer. */
const FIX = (cli: 'claude' | 'codex' | 'gemini') => ({ match: { cli }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }] });

async function waitForRun(dataDir: string, runId: string): Promise<RunView | null> {
  const reader = createEngine({ dataDir, workDir: dataDir });
  try {
    for (let i = 0; i < 600; i++) {
      const v = await reader.getRun(runId);
      if (v && ['completed', 'failed', 'cancelled'].includes(v.status)) return v;
      await new Promise((r) => setTimeout(r, 100));
    }
    return reader.getRun(runId);
  } finally {
    await reader.stop();
  }
}

describe('seed 004: CLI entry points and task dispatching', () => {
  it('ai_orch --version', async () => {
    const r = await aiOrch(['--version'], sandbox({}, []), tmp());
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')).version);
  });

  it('ai_orch run --agent-cli gemini,claude "Fix flaky integration tests and open/update PR": gemini is not logged in, claude does it', async () => {
    const { repo } = repoWithPr();
    const s = sandbox({ entries: [{ match: { cli: 'gemini' }, outcome: { kind: 'auth' } }, FIX('claude')] }, ['gemini', 'claude']);
    const r = await aiOrch(['run', '--agent-cli', 'gemini,claude', 'Fix flaky integration tests and open/update PR'], s, repo);
    expect(r.code, r.stderr).toBe(0);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    expect(sh(repo, 'git', 'show', `tutti/${runId}/main:answer.js`)).toBe('module.exports = 42;');
  });

  it('shorthand: ai_orch --agent-cli claude "Implement task dispatcher retry metrics"', async () => {
    const { repo } = repoWithPr();
    const r = await aiOrch(['--agent-cli', 'claude', 'Implement task dispatcher retry metrics'], sandbox({ entries: [FIX('claude')] }, ['claude']), repo);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('status completed');
  });

  it('ai_orch dispatcher analyze --agent-cli codex --json "Refactor auth middleware"', async () => {
    const r = await aiOrch(['dispatcher', 'analyze', '--agent-cli', 'codex', '--json', 'Refactor auth middleware'], sandbox({}, []), tmp());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([{ name: 'task-refactor-auth-middleware', task: 'Refactor auth middleware', cli: 'codex', model: null, workspace: { mode: 'worktree', branch: 'tutti/<runId>/main', copyFiles: ['.env'] } }]);
  });

  it('ai_orch dispatcher create --agent-cli claude --dry-run "Investigate failing CI"', async () => {
    const r = await aiOrch(['dispatcher', 'create', '--agent-cli', 'claude', '--dry-run', 'Investigate failing CI'], sandbox({}, ['claude']), tmp());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/would start session tutti-task-investigate-failing-ci: tutti run --run-id run_\w+ .*--agent-cli claude -- Investigate failing CI/);
  });

  it.skipIf(!hasTmux)('ai_orch dispatcher create --agent-cli gemini --model gemini-3-flash-preview "Fix PR #123 review blockers": the agent updates PR 123', async () => {
    const { repo, origin } = repoWithPr();
    const s = sandbox({ entries: [FIX('gemini')] }, ['gemini']);
    const r = await aiOrch(['dispatcher', 'create', '--json', '--agent-cli', 'gemini', '--model', 'gemini-3-flash-preview', 'Fix PR #123 review blockers'], s, repo);
    expect(r.code, r.stderr).toBe(0);
    const [spec] = JSON.parse(r.stdout) as Array<AgentSpec & { runId: string }>;
    expect(spec).toMatchObject({ cli: 'gemini', model: 'gemini-3-flash-preview', workspace: { pr: 123 } });
    const view = await waitForRun(s.dataDir, spec!.runId);
    expect(view?.status).toBe('completed');
    // The work went onto PR 123's branch, with the model asked for.
    expect(sh(origin, 'git', 'show', 'pr-123:answer.js')).toBe('module.exports = 42;');
    expect(s.calls().find((c) => c.cli === 'gemini' && c.kind === 'run')!.argv).toEqual(expect.arrayContaining(['-m', 'gemini-3-flash-preview']));
  }, 120_000);

  it.skipIf(!hasTmux)('the TaskDispatcher interface: analyze_task_and_create_agents(…, forced_cli="claude"), then create_dynamic_agent(spec)', async () => {
    const { repo, origin } = repoWithPr();
    const s = sandbox({ entries: [FIX('claude')] }, ['claude']);
    const printed: string[] = [];
    // dispatcher = TaskDispatcher()
    const dispatcher = new TaskDispatcher({ cwd: repo, env: { ...process.env, ...s.env }, tmuxSocket: SOCKET, run: { bin: BIN } });
    const agentSpecs = await dispatcher.analyzeTaskAndCreateAgents('Fix failing tests in PR #123 and push updates', 'claude');
    for (const spec of agentSpecs) {
      const ok = await dispatcher.createDynamicAgent(spec);
      printed.push(`${spec.name} ${ok}`);
    }
    expect(printed).toEqual(['task-fix-failing-tests-in-pr true']);
    const view = await waitForRun(s.dataDir, dispatcher.created.get('task-fix-failing-tests-in-pr')!.runId);
    expect(view?.status).toBe('completed');
    expect(sh(origin, 'git', 'show', 'pr-123:answer.js')).toBe('module.exports = 42;');
  }, 120_000);
});

describe.skipIf(!hasTmux)('seed 004: legacy interactive mode', () => {
  it('ai_orch live --cli codex; ai_orch list; ai_orch attach <session>; ai_orch kill <session>', async () => {
    const s = sandbox({}, ['codex']);
    const cwd = tmp();
    const live = await aiOrch(['live', '--cli', 'codex'], s, cwd);
    expect(live.code, live.stderr).toBe(0);
    const session = live.stdout.trim();
    expect(session).toBe('tutti-live-codex-1');
    const list = await aiOrch(['list'], s, cwd);
    expect(list.stdout).toMatch(/^tutti-live-codex-1 /m);
    // Without a terminal, attach says how to read the session instead.
    const attach = await aiOrch(['attach', session], s, cwd);
    expect(attach.code).toBe(2);
    expect(attach.stderr).toContain('attach needs a terminal');
    expect((await aiOrch(['kill', session], s, cwd)).stdout).toBe(`killed ${session}\n`);
    expect((await aiOrch(['list'], s, cwd)).stdout).not.toContain(session);
  }, 60_000);
});
