/**
 * Coding runs from the command line (seed 004): the `run` flags that make a goal a coding task
 * (`--agent-cli`, `--context`, `--validate`, `--model`, `--branch`, `--pr`, `--no-new-pr`,
 * `--no-new-branch`, `--no-worktree`…), and `dispatcher analyze [--json]` / `dispatcher create
 * [--dry-run]`: a task → agent specs → runs, each started in a tmux session (or in the foreground).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseCliList } from '../../agents/drivers/cli/config.js';
import { codingPlan } from '../../agents/drivers/cli/coding/plan.js';
import { reconcileWithEngine } from '../../agents/drivers/cli/coding/reconcile.js';
import { analyzeTask, noUsableCli, runCommandOf, usableClis, type AgentSpec } from '../../agents/drivers/cli/dispatch.js';
import { findProgram } from '../../agents/drivers/cli/probe.js';
import { newSession, sessionName } from '../../agents/drivers/cli/tmux.js';
import type { CliName } from '../../agents/drivers/cli/types.js';
import type { Engine } from '../../core/engine.js';
import { isTuttiError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { PlanInput, TaskWorkspace } from '../../core/plan/schema.js';
import type { RunView } from '../../core/run-view.js';
import { splitCommandLine } from '../../workspace/argv.js';
import { fetchPullRequestBranch } from '../../workspace/pr.js';
import { openEngine } from '../context.js';
import { EXIT, UsageError } from '../errors.js';
import { mergeQueueLines } from '../format.js';
import { handler, parsePositiveInt, printJson, withStoreOptions } from '../io.js';
import { resolveSettings } from '../config.js';

/** Flags of coding runs (shared by `run` and `dispatcher`). */
export interface CodingFlags {
  agent?: string;
  agentCli?: string;
  context?: string;
  validate?: string[];
  model?: string;
  branch?: string;
  /** `--pr` alone: true; `--pr N`: the PR number (a string of digits). */
  pr?: boolean | string;
  /** false with --no-new-pr. */
  newPr?: boolean;
  /** false with --no-new-branch. */
  newBranch?: boolean;
  /** false with --no-worktree. */
  worktree?: boolean;
  merge?: boolean;
  maxIterations?: number;
  allowPath?: string[];
  forbidPath?: string[];
  setup?: string;
  timeout?: number;
  budgetUsd?: number;
  budgetTokens?: number;
  budgetMs?: number;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function parseBudgetUsd(v: string): number {
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0)) throw new UsageError(`--budget-usd must be a positive number of dollars, got '${v}'`);
  return n;
}

/** Adds the coding flags to a command. */
export function withCodingOptions(cmd: Command): Command {
  return cmd
    .option('--agent-cli <chain>', 'coding-agent CLI or fallback chain: claude, codex, gemini, cursor (e.g. claude,codex,gemini)')
    .option('--context <file>', 'markdown file put in the agent prompt')
    .option('--validate <cmd>', 'command run in the workspace after the agent; the task loops until it passes (repeatable; no shell: use sh -c for pipes)', collect)
    .option('--model <name>', 'model override for the CLIs')
    .option('--branch <name>', 'branch to work on (default tutti/<runId>/<taskId>)')
    .option('--no-new-branch', 'never create a branch: use --branch (must exist) or the current checkout')
    .option('--no-worktree', 'work in the repository itself instead of a worktree of its own')
    .option('--pr [number]', 'after validation, push the branch and create or update its PR (gh); --pr N: update PR N, working on its branch')
    .option('--no-new-pr', 'never create a PR: only update an existing one')
    .option('--merge', 'after validation, merge the branch into the branch the task started from')
    .option('--max-iterations <n>', 'attempts in all, each told why the previous failed (default 3 with --validate, else 1)', parsePositiveInt('--max-iterations'))
    .option('--allow-path <glob>', 'the agent may change only matching files (repeatable)', collect)
    .option('--forbid-path <glob>', 'the agent must not change matching files (repeatable)', collect)
    .option('--setup <cmd>', 'command run once in a new worktree before the agent (e.g. "npm ci")')
    .option('--budget-usd <usd>', 'most USD the run may spend (reserved per attempt before dispatch)', parseBudgetUsd)
    .option('--budget-tokens <n>', 'most tokens the run may use (new input + cache writes + output; cache reads are not counted)', parsePositiveInt('--budget-tokens'))
    .option('--budget-ms <ms>', 'most agent wall time of the run, ms (each attempt from dispatch to its end, summed)', parsePositiveInt('--budget-ms'));
}

/** Whether the flags ask for a coding run. */
export function isCodingRun(f: CodingFlags): boolean {
  return Boolean(
    f.agentCli || f.context || f.validate?.length || f.branch || f.pr || f.newPr === false || f.newBranch === false || f.worktree === false || f.merge || f.maxIterations || f.allowPath?.length || f.forbidPath?.length || f.setup || f.budgetUsd || f.budgetTokens || f.budgetMs,
  );
}

/** The PR number of `--pr N`, or undefined for `--pr` alone or no `--pr`. */
export function prNumberOf(f: CodingFlags): number | undefined {
  return typeof f.pr === 'string' ? Number(f.pr) : undefined;
}

function workspaceOf(f: CodingFlags): TaskWorkspace {
  const n = prNumberOf(f);
  const pr = n !== undefined ? n : f.pr ? (f.newPr === false ? 'update' : 'create') : f.newPr === false ? 'update' : undefined;
  return {
    ...(f.worktree === false ? { worktree: false } : {}),
    ...(f.branch ? { branch: f.branch } : {}),
    ...(f.newBranch === false ? { newBranch: false } : {}),
    ...(pr !== undefined ? { pr } : {}),
    ...(f.merge ? { merge: true } : {}),
    ...(f.setup ? { setup: f.setup } : {}),
  };
}

/**
 * `--pr` takes an optional PR number: a value that is not one is the goal's first word
 * (`--pr "Fix the tests"`), given back to the goal.
 * @returns the goal words.
 */
export function restoreGoalWords(words: readonly string[], f: CodingFlags): string[] {
  if (typeof f.pr !== 'string' || /^\d+$/.test(f.pr)) {
    if (typeof f.pr === 'string' && Number(f.pr) < 1) throw new UsageError(`--pr ${f.pr}: a PR number is 1 or more`);
    return [...words];
  }
  const first = f.pr;
  f.pr = true;
  return [first, ...words];
}

/**
 * Settles what a goal run needs before its plan is made: without `--agent-cli` (and `--agent`)
 * the chain is the CLIs installed and logged in (a note on stderr says which); with `--pr N`,
 * PR N's head branch is read and fetched with gh and becomes the branch to work on.
 * @throws UsageError when no CLI is usable, `--branch` and `--pr N` are both given, or PR N cannot be read.
 */
export async function settleCodingFlags(f: CodingFlags, cwd: string = process.cwd()): Promise<void> {
  if (!f.agentCli && !f.agent) {
    const { chain, probes } = await usableClis({ env: process.env });
    if (!chain.length) throw new UsageError(noUsableCli(probes));
    f.agentCli = chain.join(',');
    process.stderr.write(`no --agent-cli: using ${chain.join(' → ')} (installed and logged in; tutti doctor)\n`);
  }
  const n = prNumberOf(f);
  if (n !== undefined) {
    if (f.branch) throw new UsageError(`give --branch or --pr ${n}, not both: PR ${n}'s work goes on its own branch`);
    const pr = await fetchPullRequestBranch({ dir: cwd, number: n });
    if ('error' in pr) throw new UsageError(`--pr ${n}: ${pr.error}`);
    f.branch = pr.branch;
    f.newBranch = false;
  }
}

/**
 * The goal of `tutti run` and whether it is a coding run: a goal with coding flags, or a goal
 * with no `--agent` (the seed's `ai_orch run "task"`: a coding agent is chosen). Coding goals get
 * their chain and PR branch settled ({@link settleCodingFlags}).
 */
export async function prepareGoalRun(words: readonly string[], f: CodingFlags & { plan?: string; template?: string; param?: string[] }): Promise<{ goal: string; coding: boolean }> {
  const goal = restoreGoalWords(words, f).join(' ').trim();
  const coding = isCodingRun(f) || (goal !== '' && !f.plan && !f.agent && !f.template && !f.param?.length);
  if (coding && goal && !f.plan && !f.template && !f.param?.length) await settleCodingFlags(f);
  return { goal, coding };
}

function chainOf(f: CodingFlags): CliName[] | undefined {
  if (!f.agentCli) return undefined;
  try {
    return parseCliList(f.agentCli);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function readContext(path: string): string {
  try {
    return readFileSync(resolve(path), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read --context ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function splitOrUsage(cmd: string, flag: string): string[] {
  try {
    return splitCommandLine(cmd);
  } catch (e) {
    throw new UsageError(`${flag}: ${isTuttiError(e) ? e.message : String(e)}`);
  }
}

/**
 * The plan of a coding goal run from flags.
 * @throws UsageError for an unknown CLI, an unreadable --context, a --validate needing a shell.
 */
export function codingGoalPlan(goal: string, f: CodingFlags): PlanInput {
  const chain = chainOf(f);
  if (!chain && !f.agent) throw new UsageError('a coding run needs --agent-cli CHAIN (e.g. claude,codex,gemini) or --agent NAME of a coding agent');
  if (chain && f.agent) throw new UsageError('give either --agent-cli or --agent, not both');
  if (f.setup) splitOrUsage(f.setup, '--setup');
  const budget = f.budgetUsd || f.budgetTokens || f.budgetMs ? { ...(f.budgetUsd ? { usd: f.budgetUsd } : {}), ...(f.budgetTokens ? { tokens: f.budgetTokens } : {}), ...(f.budgetMs ? { wallMs: f.budgetMs } : {}) } : undefined;
  if (budget && f.agent) throw new UsageError("--budget-* apply to --agent-cli runs; with --agent, put budget in the agent's config");
  return codingPlan({
    goal,
    ...(chain ? { chain } : { agent: f.agent! }),
    ...(f.model ? { model: f.model } : {}),
    ...(f.context ? { context: readContext(f.context) } : {}),
    ...(f.validate?.length ? { validate: f.validate.map((v) => splitOrUsage(v, '--validate')) } : {}),
    ...(f.allowPath?.length ? { allowedPaths: f.allowPath } : {}),
    ...(f.forbidPath?.length ? { forbiddenPaths: f.forbidPath } : {}),
    workspace: workspaceOf(f),
    ...(f.maxIterations ? { maxIterations: f.maxIterations } : {}),
    ...(f.timeout ? { timeoutMs: f.timeout } : {}),
    ...(budget ? { budget } : {}),
  });
}

/**
 * The outcome of each succeeded coding task, one line each: its validated commit and branch,
 * the merge, and the PR (or why there is none). Failed tasks are already listed with their error.
 */
export function codingOutcomeLines(v: RunView): string[] {
  const done = v.tasks.flatMap((t) => {
    const last = t.attempts[t.attempts.length - 1];
    return t.status === 'succeeded' && last?.summary ? [`done ${t.id}: ${last.summary}`] : [];
  });
  return [...done, ...mergeQueueLines(v)];
}

/** Prints the agents' progress lines (CLI fallbacks, tool uses, validation) to `stream`. */
export function followCodingOutput(engine: Engine, stream: NodeJS.WritableStream): () => void {
  return engine.on('attempt:output', (e) => {
    if (e.stream === 'info') stream.write(`${e.taskId}#${e.attempt} ${e.text.trimEnd()}\n`);
  });
}

/** Reconciles the current repository's tutti worktrees with the store and reports orphans (one line each). */
export async function reportOrphanWorktrees(engine: Engine, dataDir: string, cwd: string, stream: NodeJS.WritableStream): Promise<void> {
  try {
    const rec = await reconcileWithEngine(engine, cwd, dataDir);
    for (const o of rec.orphans) stream.write(`orphaned worktree ${o.path} (${o.reason.replace(/_/g, ' ')}${o.branch ? `, branch ${o.branch}` : ''}): ${o.blocker ?? 'removable with tutti doctor --prune-worktrees'}\n`);
  } catch {
    // not a git repository: the task itself reports it
  }
}

interface DispatcherFlags extends CodingFlags {
  json?: boolean;
  dryRun?: boolean;
  foreground?: boolean;
  db?: string;
  dataDir?: string;
  config?: string;
}

async function specsFor(task: string, f: DispatcherFlags): Promise<AgentSpec[]> {
  let chain = chainOf(f);
  if (!chain) {
    const usable = await usableClis({ env: process.env });
    if (!usable.chain.length) throw new UsageError(noUsableCli(usable.probes));
    chain = usable.chain;
  }
  try {
    const specs = analyzeTask(task, {
      forcedCli: chain,
      ...(f.model ? { model: f.model } : {}),
      ...(f.worktree === false ? { inPlace: true } : {}),
      ...(f.branch ? { branch: f.branch } : {}),
    });
    // --pr N names the PR of every agent (over a number found in the task).
    const n = prNumberOf(f);
    return n === undefined ? specs : specs.map((s) => ({ ...s, workspace: { ...s.workspace, pr: n } }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function printSpecs(specs: AgentSpec[]): void {
  for (const s of specs) {
    process.stdout.write(`${s.name}\n  cli:       ${s.cli ?? s.cli_chain!.join(' → ')}\n  model:     ${s.model ?? '(default)'}\n  workspace: ${s.workspace.mode} on ${s.workspace.branch}\n  task:      ${s.task.split('\n').join('\n             ')}\n`);
  }
}

/** argv of `tutti run` for one spec (what a tmux session runs): the spec's own settings, then the flags it does not carry. */
function runArgv(spec: AgentSpec, runId: string, f: DispatcherFlags, dataDir: string, db: string): string[] {
  const extra: string[] = [];
  if (f.context) extra.push('--context', resolve(f.context));
  for (const v of f.validate ?? []) extra.push('--validate', v);
  if (f.newBranch === false) extra.push('--no-new-branch');
  if (f.pr === true) extra.push('--pr');
  if (f.newPr === false) extra.push('--no-new-pr');
  if (f.merge) extra.push('--merge');
  if (f.maxIterations) extra.push('--max-iterations', String(f.maxIterations));
  if (f.setup) extra.push('--setup', f.setup);
  for (const g of f.allowPath ?? []) extra.push('--allow-path', g);
  for (const g of f.forbidPath ?? []) extra.push('--forbid-path', g);
  if (f.budgetUsd) extra.push('--budget-usd', String(f.budgetUsd));
  if (f.budgetTokens) extra.push('--budget-tokens', String(f.budgetTokens));
  if (f.budgetMs) extra.push('--budget-ms', String(f.budgetMs));
  return runCommandOf(spec, runId, { dataDir, db, extraArgs: extra });
}

export function registerDispatcher(program: Command): void {
  const d = program.command('dispatcher').description('turn a task into coding agents (seed 004): analyze, create');
  withCodingOptions(d.command('analyze').description('print the agent specs a task becomes (name, task, cli or cli_chain, model, workspace)').argument('[task...]', 'the task').option('--json', 'print the specs as JSON')).action(
    handler(async (words: string[], f: DispatcherFlags) => {
      const specs = await specsFor(restoreGoalWords(words, f).join(' '), f);
      if (f.json) printJson(specs);
      else printSpecs(specs);
      return EXIT.ok;
    }),
  );
  withStoreOptions(
    withCodingOptions(
      d
        .command('create')
        .description('create the agents of a task: each runs as `tutti run` in a tmux session tutti-<name> (tutti live list, attach, kill)')
        .argument('[task...]', 'the task')
        .option('--dry-run', 'print the specs and the commands, start nothing')
        .option('--json', 'print the specs (with run ids and sessions) as JSON')
        .option('--foreground', 'run the agents in this process instead of tmux sessions'),
    ),
  ).action(
    handler(async (words: string[], f: DispatcherFlags) => {
      const task = restoreGoalWords(words, f).join(' ');
      const specs = await specsFor(task, f);
      const settings = resolveSettings(f);
      const planned = specs.map((s) => {
        const runId = newRunId();
        return { ...s, runId, session: sessionName(s.name), workspace: { ...s.workspace, branch: s.workspace.branch.replace('<runId>', runId) } };
      });
      for (const p of planned) codingGoalPlan(p.task, { ...f, agentCli: (p.cli ? [p.cli] : p.cli_chain!).join(',') }); // validates the flags before anything starts
      if (f.dryRun) {
        if (f.json) printJson(planned.map((p) => ({ ...p, command: runArgv(p, p.runId, f, settings.dataDir, settings.dbPath).slice(2) })));
        else {
          printSpecs(specs);
          for (const p of planned) process.stdout.write(`would start session ${p.session}: tutti ${runArgv(p, p.runId, f, settings.dataDir, settings.dbPath).slice(2).join(' ')}\n`);
        }
        return EXIT.ok;
      }
      const tmuxPath = findProgram('tmux', process.env);
      if (f.foreground || !tmuxPath) {
        if (!f.foreground) process.stderr.write('tmux is not installed: running the agents in the foreground\n');
        return runForeground(planned, f);
      }
      const socket = process.env.TUTTI_TMUX_SOCKET || undefined;
      for (const p of planned) {
        await newSession(p.session, process.cwd(), runArgv(p, p.runId, f, settings.dataDir, settings.dbPath), { ...(socket ? { socket } : {}), keep: true });
        if (!f.json) process.stdout.write(`started ${p.session} (run ${p.runId}): tutti attach ${p.session}\n`);
      }
      if (f.json) printJson(planned);
      return EXIT.ok;
    }),
  );
}

async function runForeground(planned: Array<AgentSpec & { runId: string }>, f: DispatcherFlags): Promise<number> {
  const { engine, settings } = openEngine(f, 'own');
  try {
    const stop = f.json ? () => undefined : followCodingOutput(engine, process.stderr);
    const ids: string[] = [];
    for (const p of planned) {
      // The spec's own CLI chain and PR (found in the task, or --pr N): its branch is fetched first.
      const flags: DispatcherFlags = { ...f, agentCli: (p.cli ? [p.cli] : p.cli_chain!).join(','), ...(p.workspace.pr !== undefined ? { pr: String(p.workspace.pr) } : {}) };
      await settleCodingFlags(flags);
      ids.push((await engine.createRun(codingGoalPlan(p.task, flags), { runId: p.runId })).id);
    }
    await reportOrphanWorktrees(engine, settings.dataDir, process.cwd(), process.stderr);
    await engine.start();
    const views = [];
    for (const id of ids) views.push(await engine.waitForRun(id));
    stop();
    await engine.stop({ mode: 'drain' });
    if (f.json) printJson(views);
    else for (const v of views) process.stdout.write(`${v.id}  ${v.status}  ${v.name}${v.error ? `: ${v.error}` : ''}\n`);
    return views.every((v) => v.status === 'completed') ? EXIT.ok : EXIT.runFailed;
  } catch (e) {
    await engine.stop().catch(() => undefined);
    throw e;
  }
}
