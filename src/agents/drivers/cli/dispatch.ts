/**
 * The task dispatcher of seed 004: a task in words → agent specs `{ name, task, cli | cli_chain,
 * model, workspace }`. A task written as a list of independent items (`1. …`, `- …`) gets one
 * agent per item, each in its own worktree; anything else gets one agent. The CLI chain is the one
 * forced (`--agent-cli`), else the CLIs installed and logged in (what `tutti doctor` finds). A PR
 * number in the task (`PR #123`) becomes the spec's `workspace.pr`: the agent updates that PR.
 * {@link TaskDispatcher} is the seed's Python class (`analyze_task_and_create_agents`,
 * `create_dynamic_agent`) in TypeScript.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { TuttiError, errorMessage } from '../../../core/errors.js';
import { newRunId } from '../../../core/ids.js';
import { CLI_ADAPTERS } from './adapters.js';
import { parseCliList } from './config.js';
import { findProgram, probeCli, type CliProbe } from './probe.js';
import { newSession, sessionName } from './tmux.js';
import { CLI_NAMES, type CliName } from './types.js';

/** One planned agent (field names as in seed 004). */
export interface AgentSpec {
  name: string;
  task: string;
  /** The CLI, when the chain has one element. */
  cli?: CliName;
  /** The fallback chain, when it has more. */
  cli_chain?: CliName[];
  model: string | null;
  /** `branch` is `tutti/<runId>/main` unless one is forced (each agent is a run of its own). */
  workspace: { mode: 'worktree' | 'in-place'; branch: string; copyFiles: string[]; pr?: number };
}

export interface AnalyzeOptions {
  /** `--agent-cli`: the chain to use. */
  forcedCli?: readonly CliName[];
  /** CLIs found installed (default chain when nothing is forced). */
  installed?: readonly CliName[];
  model?: string;
  /** Work in place instead of worktrees. */
  inPlace?: boolean;
  /** Branch to use instead of `tutti/<runId>/<name>`. */
  branch?: string;
}

/** Chain when nothing is forced and nothing is known installed. */
export const DEFAULT_CHAIN: readonly CliName[] = ['claude', 'codex', 'gemini'];

const ITEM_RE = /^\s*(?:\d+[.)]|[-*•])\s+(.+?)\s*$/;

/** A lower-case name from the first words: `fix-flaky-integration-tests`. */
export function slug(text: string, words = 5): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .split(' ')
    .filter(Boolean)
    .slice(0, words)
    .join('-');
  return s || 'task';
}

/** Splits a task into independent items (≥ 2 list items), with the other lines as shared context. */
export function splitTask(task: string): { preamble: string; items: string[] } {
  const lines = task.split('\n');
  const items: string[] = [];
  const rest: string[] = [];
  for (const l of lines) {
    const m = ITEM_RE.exec(l);
    if (m) items.push(m[1]!);
    else rest.push(l);
  }
  return items.length >= 2 ? { preamble: rest.join('\n').trim(), items } : { preamble: '', items: [task.trim()] };
}

/** Analyses a task into agent specs (no side effects). @throws Error for an empty task. */
export function analyzeTask(task: string, o: AnalyzeOptions = {}): AgentSpec[] {
  if (!task.trim()) throw new Error('the task is empty');
  const installed = o.installed?.length ? CLI_NAMES.filter((n) => o.installed!.includes(n)) : DEFAULT_CHAIN;
  const chain = o.forcedCli?.length ? [...o.forcedCli] : [...installed];
  const { preamble, items } = splitTask(task);
  const pr = /\bPR\s*#?(\d+)\b/i.exec(task);
  const used = new Set<string>();
  return items.map((item, i) => {
    let name = `task-${slug(item)}`;
    if (used.has(name)) name = `${name}-${i + 1}`;
    used.add(name);
    const text = preamble ? `${preamble}\n\n${item}` : item;
    return {
      name,
      task: text,
      ...(chain.length === 1 ? { cli: chain[0]! } : { cli_chain: chain }),
      model: o.model ?? null,
      workspace: {
        mode: o.inPlace ? 'in-place' : 'worktree',
        branch: o.branch ?? 'tutti/<runId>/main',
        copyFiles: ['.env'],
        ...(pr ? { pr: Number(pr[1]) } : {}),
      },
    };
  });
}

/**
 * The CLIs usable without being named (seed 004: without `--agent-cli` the CLI is chosen): those
 * `tutti doctor` finds installed and logged in, in the order claude, codex, gemini, cursor; then
 * installed ones whose login cannot be told. A CLI known not to be logged in is left out.
 * @param o.timeoutMs per probe command, ms (its process group is killed past it). @default 10000
 */
export async function usableClis(o: { env?: NodeJS.ProcessEnv; home?: string; timeoutMs?: number } = {}): Promise<{ chain: CliName[]; probes: CliProbe[] }> {
  const env = o.env ?? process.env;
  const home = o.home ?? homedir();
  const probes = await Promise.all(CLI_NAMES.map((n) => probeCli(CLI_ADAPTERS[n], { env, home, timeoutMs: o.timeoutMs ?? 10_000 })));
  const pick = (auth: boolean | null) => probes.filter((p) => p.installed && p.auth.authenticated === auth).map((p) => p.name as CliName);
  return { chain: [...pick(true), ...pick(null)], probes };
}

/** Why no CLI can be chosen: one line per CLI, as `tutti doctor` reports it. */
export function noUsableCli(probes: readonly CliProbe[]): string {
  const why = probes.map((p) => `${p.name}: ${p.installed ? p.auth.detail : 'not installed'}`).join('; ');
  return `no coding-agent CLI is installed and logged in (${why}); install or log in to one (tutti doctor), or name one with --agent-cli`;
}

/** Where `tutti run` is: the CLI of this package. */
export function tuttiBin(): string {
  return fileURLToPath(new URL('../../../cli/bin.js', import.meta.url));
}

/** Settings of the `tutti run` command an agent spec becomes. */
export interface RunCommandOptions {
  /** Data dir and database of the run (default: `tutti run`'s: TUTTI_DATA_DIR, else ~/.tutti). */
  dataDir?: string;
  db?: string;
  /** More `tutti run` flags, put before the task (e.g. `['--validate', 'npm test']`). */
  extraArgs?: readonly string[];
  /** The CLI script. @default this package's `dist/cli/bin.js` */
  bin?: string;
}

/**
 * The argv (node, the CLI, `run`…) that executes one agent spec as a run with id `runId`: its CLI
 * chain, model, workspace mode, branch (unless the default), and PR number (`--pr N`).
 */
export function runCommandOf(spec: AgentSpec, runId: string, o: RunCommandOptions = {}): string[] {
  const chain = spec.cli ? [spec.cli] : (spec.cli_chain ?? []);
  const args = [process.execPath, o.bin ?? tuttiBin(), 'run', '--run-id', runId];
  if (o.dataDir) args.push('--data-dir', o.dataDir);
  if (o.db) args.push('--db', o.db);
  args.push('--agent-cli', chain.join(','));
  if (spec.model) args.push('--model', spec.model);
  if (spec.workspace.mode === 'in-place') args.push('--no-worktree');
  const branch = spec.workspace.branch.replace('<runId>', runId);
  if (branch !== `tutti/${runId}/main`) args.push('--branch', branch);
  if (spec.workspace.pr !== undefined) args.push('--pr', String(spec.workspace.pr));
  args.push(...(o.extraArgs ?? []), '--', spec.task);
  return args;
}

const workspaceSchema = z.strictObject({
  mode: z.enum(['worktree', 'in-place']).default('worktree'),
  branch: z.string().min(1).max(250).default('tutti/<runId>/main'),
  copyFiles: z.array(z.string()).default(['.env']),
  pr: z.number().int().positive().optional(),
});

const specSchema = z
  .strictObject({
    name: z.string().min(1).max(100),
    task: z.string().trim().min(1).max(1_000_000),
    cli: z.enum(CLI_NAMES).optional(),
    cli_chain: z.array(z.enum(CLI_NAMES)).min(1).optional(),
    model: z.string().min(1).max(200).nullable().optional(),
    workspace: workspaceSchema.optional(),
    /** The seed's name of `workspace`. */
    workspace_config: workspaceSchema.optional(),
  })
  .refine((s) => (s.cli === undefined) !== (s.cli_chain === undefined), { message: 'a spec names exactly one of cli or cli_chain' })
  .refine((s) => !(s.workspace && s.workspace_config), { message: 'give workspace or workspace_config, not both' });

/** Validates an agent spec (the seed's fields; `workspace_config` is read as `workspace`). @throws TuttiError `ERR_INVALID_INPUT` naming the bad or unknown field. */
export function parseAgentSpec(input: unknown): AgentSpec {
  const r = specSchema.safeParse(input);
  if (!r.success) {
    throw new TuttiError('ERR_INVALID_INPUT', `invalid agent spec: ${r.error.issues.map((i) => (i.code === 'unrecognized_keys' ? `${i.path.length ? `${i.path.join('.')}: ` : ''}unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}` : `${i.path.join('.') || '(spec)'}: ${i.message}`)).join('; ')}`);
  }
  const s = r.data;
  const ws = s.workspace ?? s.workspace_config ?? workspaceSchema.parse({});
  return { name: s.name, task: s.task, ...(s.cli ? { cli: s.cli } : { cli_chain: s.cli_chain! }), model: s.model ?? null, workspace: ws };
}

/** Options of {@link TaskDispatcher}. */
export interface TaskDispatcherOptions {
  /** The repository the agents work in. @default process.cwd() */
  cwd?: string;
  /** Environment of the probes and the agents' runs (in tmux, variables differing from the tmux server's are set explicitly). @default process.env (tmux: the server's) */
  env?: NodeJS.ProcessEnv;
  /** Home directory of the CLIs' settings (login probes). @default os.homedir() */
  home?: string;
  /** Model of every spec. */
  model?: string;
  /** Work in the repository itself instead of worktrees. */
  inPlace?: boolean;
  /** Branch of every spec instead of `tutti/<runId>/main`. */
  branch?: string;
  /** Where the agents' runs are kept, and more `tutti run` flags (see {@link RunCommandOptions}). */
  run?: RunCommandOptions;
  /** tmux socket name (`tmux -L`) of the agents' sessions. @default tmux's default server */
  tmuxSocket?: string;
  /** Per probe command, ms. @default 10000 */
  probeTimeoutMs?: number;
}

/** An agent {@link TaskDispatcher.createDynamicAgent} started. */
export interface CreatedAgent {
  name: string;
  runId: string;
  /** Its tmux session (`tutti attach NAME`), or null when it runs as a background process. */
  session: string | null;
  /** Without tmux: the log file of its background process. */
  logPath?: string;
  argv: string[];
}

/**
 * Seed 004's `TaskDispatcher`: tasks in words → agent specs → agents, each a `tutti run` of its
 * own in a tmux session named after the agent (`tutti-<name>`; a background process with a log
 * file when tmux is missing).
 * @example
 * const dispatcher = new TaskDispatcher();
 * const specs = await dispatcher.analyzeTaskAndCreateAgents('Fix failing tests in PR #123 and push updates', 'claude');
 * for (const spec of specs) console.log(spec.name, await dispatcher.createDynamicAgent(spec));
 */
export class TaskDispatcher {
  readonly #o: TaskDispatcherOptions;
  /** The agents started, by spec name. */
  readonly created = new Map<string, CreatedAgent>();
  /** Why the last `createDynamicAgent` answered false. */
  lastError: string | null = null;

  constructor(options: TaskDispatcherOptions = {}) {
    this.#o = options;
  }

  /**
   * The agent specs of a task (seed `analyze_task_and_create_agents`); nothing is started.
   * @param forcedCli a CLI or a chain (`'claude'`, `'gemini,claude'`, `['codex']`); default: the CLIs installed and logged in.
   * @throws TuttiError `ERR_INVALID_INPUT` for an empty task or an unknown CLI; `ERR_NO_CAPABLE_AGENT` when no CLI is forced and none is usable.
   */
  async analyzeTaskAndCreateAgents(taskDescription: string, forcedCli?: string | readonly string[] | null): Promise<AgentSpec[]> {
    if (typeof taskDescription !== 'string' || !taskDescription.trim()) throw new TuttiError('ERR_INVALID_INPUT', 'the task is empty');
    let chain: CliName[] | undefined;
    if (forcedCli !== undefined && forcedCli !== null) {
      try {
        chain = parseCliList(Array.isArray(forcedCli) ? forcedCli.join(',') : String(forcedCli));
      } catch (e) {
        throw new TuttiError('ERR_INVALID_INPUT', errorMessage(e).replace('--agent-cli', 'forcedCli'));
      }
    } else {
      const usable = await usableClis({ ...(this.#o.env ? { env: this.#o.env } : {}), ...(this.#o.home ? { home: this.#o.home } : {}), ...(this.#o.probeTimeoutMs ? { timeoutMs: this.#o.probeTimeoutMs } : {}) });
      if (!usable.chain.length) throw new TuttiError('ERR_NO_CAPABLE_AGENT', noUsableCli(usable.probes));
      chain = usable.chain;
    }
    return analyzeTask(taskDescription, { forcedCli: chain, ...(this.#o.model ? { model: this.#o.model } : {}), ...(this.#o.inPlace ? { inPlace: true } : {}), ...(this.#o.branch ? { branch: this.#o.branch } : {}) });
  }

  /**
   * Starts an agent from its spec (seed `create_dynamic_agent`): a `tutti run` with its CLI chain,
   * model, workspace and PR, in tmux session `tutti-<name>` (kept after the run ends, so its last
   * screen can be read; `tutti attach`, `tutti kill`), or a background process logging to
   * `<dataDir or cwd>/.tutti-agents/<name>.log` when tmux is missing.
   * @returns true once started; false when it could not start (`lastError` says why, e.g. the session exists).
   * @throws TuttiError `ERR_INVALID_INPUT` for a malformed spec (naming the field).
   */
  async createDynamicAgent(agentSpec: AgentSpec | Record<string, unknown>): Promise<boolean> {
    const spec = parseAgentSpec(agentSpec);
    const runId = newRunId();
    const argv = runCommandOf(spec, runId, this.#o.run);
    const cwd = this.#o.cwd ?? process.cwd();
    const env = this.#o.env ?? process.env;
    this.lastError = null;
    try {
      if (findProgram('tmux', env)) {
        const session = sessionName(spec.name);
        await newSession(session, cwd, argv, { ...(this.#o.tmuxSocket ? { socket: this.#o.tmuxSocket } : {}), env, keep: true, ...(this.#o.env ? { sessionEnv: this.#o.env } : {}) });
        this.created.set(spec.name, { name: spec.name, runId, session, argv });
        return true;
      }
      const dir = join(this.#o.run?.dataDir ?? cwd, '.tutti-agents');
      mkdirSync(dir, { recursive: true });
      const logPath = join(dir, `${sessionName(spec.name)}.log`);
      const fd = openSync(logPath, 'a');
      try {
        const child = spawn(argv[0]!, argv.slice(1), { cwd, env, detached: true, stdio: ['ignore', fd, fd] });
        child.once('error', () => undefined);
        child.unref();
      } finally {
        closeSync(fd);
      }
      this.created.set(spec.name, { name: spec.name, runId, session: null, logPath, argv });
      return true;
    } catch (e) {
      this.lastError = errorMessage(e);
      return false;
    }
  }
}
