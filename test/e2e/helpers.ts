/**
 * The coding-agent end-to-end suite's plumbing: real git repositories, the CLI simulator on a
 * private PATH (speaking the real CLIs' headless protocols), the tutti binary as a real process,
 * and checks on what is left running.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installSimulator, readCalls, writeScenario, type SimCallRecord, type SimScenario } from '../../src/testing/index.js';
import type { RunView } from '../../src/core/run-view.js';
import { collect, runCli, startCli, type CliResult } from '../helpers/cli.js';
import { gitRepo, sh, systemPath, tmp } from '../agents/helpers.js';

export { gitRepo, sh, tmp, collect, startCli };
export type { CliResult };

/** A test's world: a repository, a data dir, the simulator with a scenario, the env tutti runs with. */
export interface World {
  repo: string;
  dataDir: string;
  /** The simulator's state dir (`calls.jsonl`, sessions, hang records). */
  state: string;
  env: Record<string, string>;
  /** Every simulator invocation so far (probes too). */
  calls(): SimCallRecord[];
  /** Only the agent runs (no version/auth probes). */
  runs(cli?: string): SimCallRecord[];
  /** Runs `tutti …` in the repository to its end. */
  tutti(args: string[], options?: { cwd?: string; env?: Record<string, string> }): Promise<CliResult>;
  /** Starts `tutti …` in the repository; the caller collects or kills it. */
  start(args: string[], options?: { cwd?: string }): ReturnType<typeof startCli>;
  /** The run as `tutti status --json` prints it. */
  status(runId: string): Promise<RunView>;
  /** Writes a config file (YAML) and returns its path. */
  config(yaml: string): string;
}

/**
 * @param files the repository's first commit.
 * @param scenario what the simulated CLIs do.
 * @param clis the CLIs on PATH (the others are not installed). @default ['claude', 'codex']
 */
export function world(files: Record<string, string>, scenario: SimScenario, clis: Array<'claude' | 'codex' | 'gemini' | 'cursor'> = ['claude', 'codex']): World {
  const repo = gitRepo(files);
  const base = tmp('tutti-e2e-');
  const dataDir = join(base, 'data');
  const state = join(base, 'sim-state');
  const home = join(base, 'home');
  mkdirSync(dataDir, { recursive: true });
  mkdirSync(home, { recursive: true });
  const sim = installSimulator(join(base, 'bin'), { clis });
  const scenarioFile = join(base, 'scenario.yaml');
  writeScenario(scenarioFile, scenario);
  const env = { PATH: systemPath(sim.binDir), HOME: home, TUTTI_SIM_SCENARIO: scenarioFile, TUTTI_SIM_STATE: state, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  const w: World = {
    repo,
    dataDir,
    state,
    env,
    calls: () => readCalls(state),
    runs: (cli) => readCalls(state).filter((c) => c.kind === 'run' && (cli === undefined || c.cli === cli)),
    tutti: (args, o = {}) => runCli(args, { dataDir, cwd: o.cwd ?? repo, env: { ...env, ...o.env } }),
    start: (args, o = {}) => startCli(args, { dataDir, cwd: o.cwd ?? repo, env }),
    async status(runId) {
      const r = await w.tutti(['status', runId, '--json']);
      if (r.code !== 0) throw new Error(`tutti status ${runId} exited ${r.code}: ${r.stderr}`);
      return JSON.parse(r.stdout) as RunView;
    },
    config(yaml) {
      const file = join(base, `tutti.config.${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(file, yaml);
      return file;
    },
  };
  return w;
}

/** Waits (polling) until `check` returns a value other than undefined/false. Never by time alone. */
export async function until<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of processes (other than this one) whose environment says they work for `runId`. */
export function processesOfRun(runId: string): number[] {
  const out: number[] = [];
  const marker = `\u0000TUTTI_RUN_ID=${runId}\u0000`;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const s = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (s === 'Z' || s === 'X') continue;
      if (`\u0000${readFileSync(`/proc/${name}/environ`, 'utf8')}`.includes(marker)) out.push(Number(name));
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

/** Whether `a` is an ancestor of (or equal to) `b` in `repo`. */
export function isAncestor(repo: string, a: string, b: string): boolean {
  try {
    execFileSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: repo });
    return true;
  } catch {
    return false;
  }
}

/** The content of `path` at `rev`, or null when it does not exist there. */
export function show(repo: string, rev: string, path: string): string | null {
  try {
    return execFileSync('git', ['show', `${rev}:${path}`], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return null;
  }
}

/** Refs under refs/tutti/, sorted. */
export function tuttiRefs(repo: string): string[] {
  const out = sh(repo, 'git', 'for-each-ref', '--format=%(refname)', 'refs/tutti/');
  return out ? out.split('\n').sort() : [];
}

/** The JSON document a `--json` command printed. */
export function json<T = RunView>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${r.code}): ${r.stdout.slice(0, 500)}\nstderr: ${r.stderr.slice(-2000)}`);
  }
}

/** The test of most scenarios: `node test.js` passes when answer.js exports 42. */
export const ANSWER_REPO = {
  'answer.js': 'module.exports = 0;\n',
  'test.js': "const a = require('./answer.js');\nif (a !== 42) { console.error(`expected 42, got ${a}`); process.exit(1); }\nconsole.log('ok');\n",
};

/** A short account of a run for assertion messages: each task's attempts with their errors. */
export function explain(r: CliResult): string {
  try {
    const v = JSON.parse(r.stdout) as RunView;
    return `${r.stderr.slice(-1500)}\nrun ${v.id} ${v.status}: ${v.error ?? ''}\n${v.tasks.map((t) => `  ${t.id} ${t.status}: ${t.attempts.map((a) => `#${a.n} ${a.status}${a.error ? ` ${a.error.kind}: ${a.error.message.slice(0, 300)}` : ''}`).join(' | ')}`).join('\n')}`;
  } catch {
    return `${r.stderr.slice(-3000)}\n${r.stdout.slice(0, 1000)}`;
  }
}
