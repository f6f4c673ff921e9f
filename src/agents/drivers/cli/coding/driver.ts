/**
 * The `coding` driver: one attempt of a coding task, whose success the engine decides, not the
 * agent. In order: the task's workspace (a git worktree on its own branch, or the repository), the
 * setup command (new worktrees), the agent (a CLI fallback chain or a command) with a prompt built
 * from the task and the previous iteration's feedback, a commit of whatever the agent left, the
 * path rules (`allowedPaths`/`forbiddenPaths`), `no_changes`, the validation commands, then
 * merge-back and the PR when asked, and the worktree's removal once its commits are on its branch.
 *
 * Agent config: {@link codingAgentConfigSchema}. Task fields: `acceptanceCriteria`, `context`,
 * `allowedPaths`, `forbiddenPaths`, `validate`, `workspace` (docs/coding-agents.md). A failed
 * attempt's error message carries what the next iteration needs (the failing command's output).
 */
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { errorMessage } from '../../../../core/errors.js';
import type { AttemptError, Usage } from '../../../../core/model.js';
import type { AgentDriver, AttemptContext, AttemptResult } from '../../../types.js';
import { formatArgv, toArgv } from '../../../../workspace/argv.js';
import { changedPaths, commitAll, commitsBetween, rewindBranch, touchedPaths, type CommitInfo } from '../../../../workspace/commit.js';
import { revParse } from '../../../../workspace/git.js';
import { mergeBack, type MergeResult } from '../../../../workspace/merge.js';
import { checkPaths } from '../../../../workspace/paths.js';
import { openPullRequest, type PullRequestResult } from '../../../../workspace/pr.js';
import { runValidation, type CommandResult } from '../../../../workspace/validate.js';
import { prepareWorkspace, type Workspace } from '../../../../workspace/worktree.js';
import { BudgetLedger, type BudgetAmounts, type BudgetGrant } from '../budget.js';
import { codingAgentConfigSchema, issuesText } from '../config.js';
import { composePrompt } from '../prompt.js';
import { killStragglers } from '../stragglers.js';
import { runAgentStep, type AgentStep } from './agent-step.js';
import { cleanupWorkspace, setupWorkspace } from './workspace-steps.js';

export interface CodingDriverOptions {
  /** The engine's data dir (worktrees live under `<dataDir>/worktrees`). */
  dataDir: string;
  /** SIGTERM → SIGKILL grace, ms. @default 5000 */
  killGraceMs?: number;
  /** Environment of agents and validation commands. @default process.env */
  baseEnv?: NodeJS.ProcessEnv;
  /** Default `maxConcurrency` of coding agents. @default 2 */
  defaultMaxConcurrency?: number;
  /** The gh program for PRs. @default 'gh' */
  gh?: string;
}

/** Default timeout of each validation (and setup) command: 10 minutes, ms. */
export const DEFAULT_VALIDATE_TIMEOUT_MS = 10 * 60_000;
/** Output of a failing validation command kept in the error (and so in the next prompt), characters. */
const FEEDBACK_TAIL = 3000;

/** The attempt's artifacts, kept in its output until the store has an artifacts table. */
export interface CodingOutput {
  /** Commits made during this attempt, oldest first. */
  commits: Array<Pick<CommitInfo, 'sha' | 'subject'>>;
  /** The validation log (absolute path), when validation ran. */
  testLog: string | null;
  branch: string | null;
  base: string | null;
  head: string | null;
  workspace: string | null;
  changedFiles: string[];
  validation: CommandResult[];
  cli: string | null;
  clis: AgentStep['clis'];
  sessionId?: string;
  agentMessage?: string;
  merge?: MergeResult;
  pr?: PullRequestResult;
  /** Why the worktree was kept, when it was. */
  worktreeKept?: string;
  /** With a budget: the share this attempt reserved and the soft-limit lines it emitted. */
  budget?: { share: BudgetAmounts; soft: string[] };
  /** Marks the JSON line the engine appends to feedback (stripped from prompts). */
  tutti: 'coding-attempt';
}

/** Test log of an attempt, beside its log. */
export function testLogPath(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.validate.log`;
}

function emptyOutput(): CodingOutput {
  return { commits: [], testLog: null, branch: null, base: null, head: null, workspace: null, changedFiles: [], validation: [], cli: null, clis: [], tutti: 'coding-attempt' };
}

/** Budget account of a run's attempts by one agent. */
export function budgetKey(runId: string, agentId: string): string {
  return `${runId}/${agentId}`;
}

export function createCodingDriver(options: CodingDriverOptions): AgentDriver {
  const graceDefault = options.killGraceMs ?? 5000;
  const baseEnv = options.baseEnv ?? process.env;
  // One ledger per driver (engine): attempts of a run share it, so their reservations add up.
  const ledger = new BudgetLedger(join(options.dataDir, 'budgets'));
  return {
    name: 'coding',
    defaultMaxConcurrency: options.defaultMaxConcurrency ?? 2,
    accepts(task) {
      if (task.function !== undefined || task.command) return 'coding agents take prompts, not commands or functions';
      for (const v of task.validate ?? []) {
        try {
          toArgv(v);
        } catch (e) {
          return `invalid validate command: ${errorMessage(e)}`;
        }
      }
      return null;
    },
    validateConfig(config) {
      const r = codingAgentConfigSchema.safeParse(config);
      if (!r.success) throw new Error(`coding agent config: ${issuesText(r.error)}`);
    },
    async execute(ctx, signal) {
      try {
        return await executeCoding(ctx, signal, { ...options, killGraceMs: graceDefault, baseEnv }, ledger);
      } finally {
        await killStragglers(ctx.idempotencyKey);
      }
    },
  };
}

type Resolved = CodingDriverOptions & { killGraceMs: number; baseEnv: NodeJS.ProcessEnv };

/**
 * Reserves the attempt's budget share before anything is dispatched, runs the attempt, and
 * settles what it spent (also on a failure or a cancel).
 */
async function executeCoding(ctx: AttemptContext, signal: AbortSignal, opts: Resolved, ledger: BudgetLedger): Promise<AttemptResult> {
  const config = codingAgentConfigSchema.parse(ctx.agent.config);
  const info = (text: string) => ctx.emit({ stream: 'info', text: `[tutti] ${text}` });
  const out = emptyOutput();
  // A task's own budget (plan field `budget`) is that task's account; else the agent's, per run.
  const limits = ctx.task.budget ?? config.budget;
  if (!limits) return codingAttempt(ctx, signal, opts, config, out, null);
  const account = ctx.task.budget ? budgetKey(ctx.runId, `task.${ctx.taskId}`) : budgetKey(ctx.runId, ctx.agent.id);
  const soft: string[] = [];
  const r = await ledger.reserve(account, limits, signal, (line) => {
    soft.push(line);
    info(line);
    // Durable too: the attempt's log keeps the soft-limit line (tutti logs, the API).
    try {
      mkdirSync(dirname(ctx.logPath), { recursive: true });
      appendFileSync(ctx.logPath, `\n[tutti] ${line}\n`);
    } catch {
      // the output keeps it anyway
    }
  });
  if (r === null) return { status: 'cancelled', output: out };
  if (r.exhausted) return { status: 'failed', error: { kind: 'non_retryable', message: r.message, retryable: false }, output: out };
  out.budget = { share: r.share, soft };
  const meter: { grant: BudgetGrant; used: Usage } = { grant: r, used: {} };
  try {
    return await codingAttempt(ctx, signal, opts, config, out, meter);
  } finally {
    r.settle(meter.used);
  }
}

type CodingConfig = ReturnType<typeof codingAgentConfigSchema.parse>;

async function codingAttempt(ctx: AttemptContext, signal: AbortSignal, opts: Resolved, config: CodingConfig, out: CodingOutput, meter: { grant: BudgetGrant; used: Usage } | null): Promise<AttemptResult> {
  const task = ctx.task;
  const info = (text: string) => ctx.emit({ stream: 'info', text: `[tutti] ${text}` });
  const grant = meter?.grant ?? null;
  const fail = (error: AttemptError, extra: Partial<AttemptResult> = {}): AttemptResult => ({ status: 'failed', error, output: out, ...extra });
  let validate: string[][];
  try {
    validate = (task.validate ?? []).map((v) => toArgv(v));
  } catch (e) {
    return fail({ kind: 'non_retryable', message: errorMessage(e), retryable: false });
  }

  // 1. The workspace.
  const repoDir = task.cwd ? (isAbsolute(task.cwd) ? task.cwd : resolve(ctx.workDir, task.cwd)) : ctx.workDir;
  const w = task.workspace ?? {};
  let ws: Workspace;
  try {
    ws = await prepareWorkspace({
      repoDir,
      dataDir: opts.dataDir,
      runId: ctx.runId,
      taskId: ctx.taskId,
      mode: w.worktree === false ? 'in-place' : 'worktree',
      ...(w.branch ? { branch: w.branch } : {}),
      ...(w.newBranch !== undefined ? { newBranch: w.newBranch } : {}),
      ...(w.copyFiles ? { copyFiles: w.copyFiles } : {}),
    });
  } catch (e) {
    return fail({ kind: 'non_retryable', message: errorMessage(e), retryable: false });
  }
  Object.assign(out, { branch: ws.branch, base: ws.base, workspace: ws.dir });
  if (ws.created) info(`${ws.mode === 'worktree' ? 'worktree' : 'working in place in'} ${ws.dir}${ws.branch ? ` on branch ${ws.branch}` : ''} from ${ws.base.slice(0, 12)}`);
  const isFinal = (e: AttemptError) => e.kind !== 'rate_limited' && (e.retryable === false || ctx.attempt >= task.retry.maxAttempts);
  const finish = async (result: AttemptResult): Promise<AttemptResult> => {
    const reason = (signal.reason as { kind?: string } | undefined)?.kind;
    const final = result.status === 'succeeded' || (result.status === 'failed' && result.error !== undefined && isFinal(result.error)) || (result.status === 'cancelled' && reason !== 'shutdown');
    const kept = await cleanupWorkspace(ws, { final, succeeded: result.status === 'succeeded', keep: w.keepWorktree === true, createdBranch: w.newBranch !== false }).catch((e: unknown) => `cleanup failed: ${errorMessage(e)}`);
    if (kept) out.worktreeKept = kept;
    out.head = await revParse(ws.repoRoot, ws.branch ? `refs/heads/${ws.branch}` : 'HEAD').catch(() => null);
    return { ...result, logBytes: fileSize(ctx.logPath) };
  };

  // 2. Setup, once per new worktree.
  if (ws.created && w.setup !== undefined) {
    const setup = await setupWorkspace(ctx, signal, ws, w.setup, config.setupTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS, opts);
    if (setup) return finish(setup.cancelled ? { status: 'cancelled', output: out } : fail(setup.error!));
  }
  const before = (await revParse(ws.dir, 'HEAD'))!;

  // 3. The agent.
  const prompt = composePrompt({ task, validate: validate.map(formatArgv), feedback: ctx.feedback, iteration: ctx.attempt, maxIterations: task.retry.maxAttempts });
  const step = await runAgentStep(ctx, signal, config, { cwd: ws.dir, prompt, killGraceMs: opts.killGraceMs, baseEnv: opts.baseEnv, budget: grant });
  if (meter) meter.used = step.usage;
  Object.assign(out, { cli: step.cli, clis: step.clis, ...(step.sessionId ? { sessionId: step.sessionId } : {}), ...(step.message ? { agentMessage: step.message.slice(-1000) } : {}) });
  const agentResult = { usage: step.usage, exitCode: step.exitCode, ...(step.sessionId ? { sessionId: step.sessionId } : {}) };
  if (step.noAgent) return finish(fail(step.error!, agentResult));

  // 4. Commit what the agent left (also after a failure or a cancel: nothing is lost).
  let commits: CommitInfo[];
  let touched: string[];
  try {
    await commitAll(ws.dir, commitMessage(ctx, step), ws.copied);
    commits = await commitsBetween(ws.dir, before);
    touched = touchedPaths(await changedPaths(ws.dir, before));
  } catch (e) {
    return finish(fail({ kind: 'crashed', message: `committing the agent's work failed: ${errorMessage(e)}` }, agentResult));
  }
  out.commits = commits.slice(-100).map((c) => ({ sha: c.sha, subject: c.subject }));
  out.changedFiles = touched.slice(0, 200);
  if (commits.length) info(`committed ${commits.length} commit${commits.length > 1 ? 's' : ''} (${touched.length} file${touched.length === 1 ? '' : 's'} changed)`);
  if (step.cancelled) return finish({ status: 'cancelled', output: out, ...agentResult });

  // 5. Path rules: a change outside allowedPaths or inside forbiddenPaths rejects the attempt's commits.
  let violations;
  try {
    violations = checkPaths(touched, task.allowedPaths, task.forbiddenPaths);
  } catch (e) {
    return finish(fail({ kind: 'non_retryable', message: `invalid path rule: ${errorMessage(e)}`, retryable: false }, agentResult));
  }
  if (violations.length) {
    const keepRef = `refs/tutti/rejected/${ws.branch ?? 'head'}/${ctx.attempt}`;
    await rewindBranch(ws.dir, before, keepRef, ws.copied);
    out.commits = [];
    const list = violations.slice(0, 20).map((v) => `${v.path} (${v.reason})`).join(', ');
    return finish(fail({ kind: 'invalid_output', message: `changes outside the allowed paths were rejected (kept at ${keepRef}): ${list}` }, agentResult));
  }

  // 6. A budget stop is a hard stop: what the agent left is committed above (kept on the branch), nothing more runs.
  if (step.budgetStop) return finish(fail(step.error!, agentResult));

  // The agent's own failure stands unless validation proves the work right.
  if (!step.ok && validate.length === 0) return finish(fail(step.error!, agentResult));

  // 7. no_changes.
  const total = await commitsBetween(ws.dir, ws.base);
  if (w.requireChanges !== false && total.length === 0) {
    return finish(fail({ kind: 'no_changes', message: `the agent made no change${step.message ? `; it said: ${step.message.trim().split('\n').slice(-5).join(' ').slice(0, 500)}` : ''}` }, agentResult));
  }

  // 8. Validation, in the workspace.
  if (validate.length) {
    const log = testLogPath(ctx.logPath);
    out.testLog = log;
    info(`validating: ${validate.map(formatArgv).join(' ; ')}`);
    // A wall-time budget share shorter than the validation timeout bounds validation too.
    const wallLeft = grant?.wallLeftMs() ?? Infinity;
    const validateTimeout = config.validateTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS;
    const byBudget = wallLeft < validateTimeout;
    if (wallLeft <= 0) return finish(fail({ kind: 'non_retryable', message: 'budget exhausted: the wall-time share of this attempt was used up before validation', retryable: false }, agentResult));
    const v = await runValidation({
      commands: validate,
      cwd: ws.dir,
      env: { ...opts.baseEnv, ...ctx.task.env, ...ctx.env },
      timeoutMs: Math.min(validateTimeout, wallLeft),
      logPath: log,
      maxLogBytes: ctx.maxLogBytes,
      killGraceMs: config.killGraceMs ?? opts.killGraceMs,
      signal,
      ...(ctx.streamOutput ? { onOutput: (stream: 'stdout' | 'stderr', text: string) => ctx.emit({ stream, text }) } : {}),
    });
    out.validation = v.results;
    if (v.aborted) return finish({ status: 'cancelled', output: out, ...agentResult });
    if (!v.ok && byBudget && v.results.at(-1)?.timedOut) {
      return finish(fail({ kind: 'non_retryable', message: `budget exhausted: the wall-time share of this attempt ran out during \`${v.failure!.command}\``, retryable: false }, agentResult));
    }
    if (!v.ok) {
      const f = v.failure!;
      const tail = f.outputTail.trim();
      const cut = tail.length > FEEDBACK_TAIL ? `…${tail.slice(-FEEDBACK_TAIL)}` : tail;
      return finish(fail({ kind: 'exit_code', message: `validation failed: \`${f.command}\` ${f.reason}${cut ? `\n${cut}` : ''}` }, agentResult));
    }
    info('validation passed');
  }

  // 9. Merge-back and PR, then done.
  const head = (await revParse(ws.dir, 'HEAD'))!;
  if (w.merge && ws.branch) {
    out.merge = await mergeBack(ws.repoRoot, ws.branch, ws.baseBranch).catch((e: unknown) => ({ merged: false, message: `merge failed: ${errorMessage(e)}` }));
    info(out.merge.message);
  }
  if (w.pr && ws.branch) {
    out.pr = await openPullRequest({
      dir: ws.dir,
      branch: ws.branch,
      base: ws.baseBranch,
      title: task.title.slice(0, 200),
      body: prBody(ctx, out),
      mode: w.pr,
      ...(opts.gh ? { gh: opts.gh } : {}),
      env: ghEnv({ ...opts.baseEnv, ...ctx.task.env }),
    });
    info(out.pr.message);
  }
  const claim = step.ok ? '' : ` (the agent reported failure: ${step.error?.message.slice(0, 200)}; validation passed)`;
  const prNote = out.pr ? (out.pr.url ? `, ${out.pr.url}` : `; ${out.pr.message}`) : '';
  const summary = `${validate.length ? 'validated ' : ''}${head.slice(0, 12)} on ${ws.branch ?? 'HEAD'}${out.merge?.merged ? `, merged into ${ws.baseBranch}` : ''}${prNote}${claim}`;
  return finish({ status: 'succeeded', summary, output: out, ...agentResult });
}

/** What gh and git push see of the agents' environment: where to find gh, and its credentials. */
function ghEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = ['PATH', 'HOME', 'GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GH_HOST', 'GH_CONFIG_DIR', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'GIT_SSH_COMMAND'];
  const out: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function commitMessage(ctx: AttemptContext, step: AgentStep): string {
  const who = step.cli ?? 'command';
  return `${ctx.task.title.split('\n')[0]!.slice(0, 72)}\n\nMade by ${who} in attempt ${ctx.attempt}.\n\nTutti-Run: ${ctx.runId}\nTutti-Task: ${ctx.taskId}\nTutti-Attempt: ${ctx.attempt}\n`;
}

function prBody(ctx: AttemptContext, out: CodingOutput): string {
  const lines = [`Made by tutti (run ${ctx.runId}, task ${ctx.taskId}).`, ''];
  if (ctx.task.prompt) lines.push(ctx.task.prompt.slice(0, 4000), '');
  if (out.validation.length) lines.push('Validation:', ...out.validation.map((v) => `- \`${v.command}\`: exit ${v.exitCode}`));
  return lines.join('\n');
}
