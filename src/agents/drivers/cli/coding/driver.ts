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
import { appendFileSync, mkdirSync, rmdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { errorMessage } from '../../../../core/errors.js';
import type { AttemptError, Usage } from '../../../../core/model.js';
import type { AgentDriver, AttemptContext, AttemptResult } from '../../../types.js';
import { formatArgv, toArgv } from '../../../../workspace/argv.js';
import { attemptRef, attemptTouched, conflictDiff, filesWithMarkers, setAttemptRef, startAttempt } from '../../../../workspace/attempt.js';
import { clearActive, markActive, writeBoundaryEvidence } from '../../../../workspace/boundary.js';
import { commitAll, commitsBetween, rewindBranch, type CommitInfo } from '../../../../workspace/commit.js';
import { git, revParse } from '../../../../workspace/git.js';
import { landBranch } from '../../../../workspace/merge-queue.js';
import { checkPaths } from '../../../../workspace/paths.js';
import { openPullRequest } from '../../../../workspace/pr.js';
import { runValidation, type ValidationResult } from '../../../../workspace/validate.js';
import { prepareWorkspace, worktreePath, type Workspace } from '../../../../workspace/worktree.js';
import { BudgetLedger, type BudgetGrant } from '../budget.js';
import { codingAgentConfigSchema, issuesText } from '../config.js';
import { composePrompt } from '../prompt.js';
import { killStragglers } from '../stragglers.js';
import type { CliName } from '../types.js';
import { runAgentStep, type AgentStep } from './agent-step.js';
import { attemptStatePath, readAttemptState, wasInterrupted, writeAttemptState } from './attempt-state.js';
import { checkGuard, takeGuard } from './guard.js';
import { boundaryLogPath, emptyOutput, testLogPath, type CodingOutput } from './output.js';
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

export { testLogPath, type CodingOutput } from './output.js';

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
      // Marked at work before its worktree even exists, so no other attempt's boundary check
      // ever takes this worktree for an idle one. A task working in place has no worktree: it
      // leaves nothing under the data dir's worktrees/.
      const dir = ctx.task.workspace?.worktree === false ? null : worktreePath(options.dataDir, ctx.runId, ctx.taskId);
      if (dir) {
        mkdirSync(dirname(dir), { recursive: true });
        markActive(dir, ctx.idempotencyKey);
      }
      try {
        return await executeCoding(ctx, signal, { ...options, killGraceMs: graceDefault, baseEnv }, ledger);
      } finally {
        if (dir) {
          clearActive(dir);
          // The run's folder of worktrees, when this attempt left it empty.
          rmdirQuietly(dirname(dir));
        }
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
  if (r.exhausted) return { status: 'failed', error: { kind: 'budget_exhausted', message: r.message, retryable: false }, output: out };
  out.budget = { share: r.share, soft, limits: { ...(limits.usd !== undefined ? { usd: limits.usd } : {}), ...(limits.tokens !== undefined ? { tokens: limits.tokens } : {}), ...(limits.wallMs !== undefined ? { wallMs: limits.wallMs } : {}) }, scope: ctx.task.budget ? 'task' : 'agent' };
  const meter: { grant: BudgetGrant; used: Usage } = { grant: r, used: {} };
  try {
    return await codingAttempt(ctx, signal, opts, config, out, meter);
  } finally {
    r.settle(meter.used);
  }
}

type CodingConfig = ReturnType<typeof codingAgentConfigSchema.parse>;

/** Validation as the coding driver runs it: in the workspace, env of the task, log beside the attempt's. */
function validator(ctx: AttemptContext, signal: AbortSignal, opts: Resolved, config: CodingConfig, dir: string, commands: string[][], timeoutMs: number) {
  return () =>
    runValidation({
      commands,
      cwd: dir,
      env: { ...opts.baseEnv, ...ctx.task.env, ...ctx.env },
      timeoutMs,
      logPath: testLogPath(ctx.logPath),
      maxLogBytes: ctx.maxLogBytes,
      killGraceMs: config.killGraceMs ?? opts.killGraceMs,
      signal,
      ...(ctx.streamOutput ? { onOutput: (stream: 'stdout' | 'stderr', text: string) => ctx.emit({ stream, text }) } : {}),
    });
}

/** The validation failure as the next iteration reads it. */
function validationMessage(prefix: string, v: ValidationResult): string {
  const f = v.failure!;
  const tail = f.outputTail.trim();
  const cut = tail.length > FEEDBACK_TAIL ? `…${tail.slice(-FEEDBACK_TAIL)}` : tail;
  return `${prefix}: \`${f.command}\` ${f.reason}${cut ? `\n${cut}` : ''}`;
}

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

  // 1. The workspace: the task's worktree and branch, made by its first attempt, kept by the others.
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
      ...(w.target ? { target: w.target } : {}),
      ...(w.copyFiles ? { copyFiles: w.copyFiles } : {}),
    });
  } catch (e) {
    return fail({ kind: 'non_retryable', message: errorMessage(e), retryable: false });
  }
  Object.assign(out, { repoRoot: ws.repoRoot, branch: ws.branch, base: ws.base, target: ws.target, workspace: ws.dir, attemptRef: attemptRef(ctx.runId, ctx.taskId, ctx.attempt) });
  if (ws.created) info(`${ws.mode === 'worktree' ? 'worktree' : 'working in place in'} ${ws.dir}${ws.branch ? ` on branch ${ws.branch}` : ''} from ${ws.base.slice(0, 12)}`);
  const statePath = attemptStatePath(ctx.logPath);
  const state: Parameters<typeof writeAttemptState>[1] = { cli: null, sessionId: null, workspace: ws.dir, base: null, ended: false };
  const isFinal = (e: AttemptError) => e.kind !== 'rate_limited' && (e.retryable === false || ctx.attempt >= task.retry.maxAttempts);
  const finish = async (result: AttemptResult): Promise<AttemptResult> => {
    const reason = (signal.reason as { kind?: string } | undefined)?.kind;
    const shutdown = result.status === 'cancelled' && reason === 'shutdown';
    const final = result.status === 'succeeded' || (result.status === 'failed' && result.error !== undefined && isFinal(result.error)) || (result.status === 'cancelled' && !shutdown);
    const keep = w.keepWorktree === true;
    const kept = await cleanupWorkspace(ws, { final, succeeded: result.status === 'succeeded', keep, createdBranch: w.newBranch !== false }).catch((e: unknown) => `cleanup failed: ${errorMessage(e)}`);
    if (kept) out.worktreeKept = kept;
    out.head = await revParse(ws.repoRoot, ws.branch ? `refs/heads/${ws.branch}` : 'HEAD').catch(() => null);
    writeAttemptState(statePath, { ...state, ended: shutdown ? 'interrupted' : true });
    return { ...result, logBytes: fileSize(ctx.logPath) };
  };

  // 2. Setup, once per new worktree.
  if (ws.created && w.setup !== undefined) {
    const setup = await setupWorkspace(ctx, signal, ws, w.setup, config.setupTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS, opts);
    if (setup) return finish(setup.cancelled ? { status: 'cancelled', output: out } : fail(setup.error!));
  }

  // 3. Where this attempt starts: after the earlier ones (an interrupted one checkpointed first),
  //    brought up to date with the target; or afresh from the target.
  const prev = ctx.attempt > 1 && ctx.attemptLogPath ? readAttemptState(attemptStatePath(ctx.attemptLogPath(ctx.attempt - 1))) : null;
  const interrupted = wasInterrupted(prev);
  if (interrupted && w.merge && ctx.coordination) {
    // Died after its merge landed but before its end was committed: the work is done.
    const landed = (await ctx.coordination.listMerges({ taskId: ctx.taskId })).filter((m) => m.status === 'merged').at(-1);
    const tip = await revParse(ws.dir, 'HEAD');
    if (landed && tip && landed.mergedSha === tip) {
      out.merge = { status: 'merged', target: landed.target, sha: landed.mergedSha, entry: landed.id, message: `${landed.message ?? 'merged'} (before the engine stopped)` };
      info(`the previous attempt's merge into ${landed.target} had landed before the engine stopped: nothing left to do`);
      return finish({ status: 'succeeded', summary: `${tip.slice(0, 12)} on ${ws.branch}, merged into ${landed.target}`, output: out });
    }
  }
  let start;
  try {
    start = await startAttempt(ws, { runId: ctx.runId, taskId: ctx.taskId, n: ctx.attempt, start: w.attemptStart ?? 'continue', interrupted, checkpointMessage: checkpointMessage(ctx) });
  } catch (e) {
    return finish(fail({ kind: 'crashed', message: `preparing the attempt's worktree failed: ${errorMessage(e)}` }));
  }
  out.attemptBase = start.base;
  state.base = start.base;
  if (start.checkpoint) {
    out.checkpoint = start.checkpoint;
    info(`checkpointed what the interrupted attempt ${ctx.attempt - 1} left: ${start.checkpoint.slice(0, 12)}`);
  }
  if (start.updatedFrom) info(`merged ${ws.target} (${start.updatedFrom.slice(0, 12)}) into ${ws.branch} first`);
  if (start.conflict) info(`merging ${ws.target} into ${ws.branch} conflicts in ${start.conflict.files.join(', ')}: left for the agent to resolve`);
  writeAttemptState(statePath, state);
  const guard = await takeGuard(ws, opts.dataDir, ctx.runId);

  // 4. The agent.
  const notes: Array<{ title: string; body: string }> = [];
  if (start.conflict) {
    notes.push({
      title: `Merge conflict with ${start.conflict.target}`,
      body: `The branch ${start.conflict.target} moved on while you worked, and merging it into your branch conflicts in: ${start.conflict.files.join(', ')}. The conflict markers (<<<<<<<, =======, >>>>>>>) are in those files now. Resolve every conflict so that both sides' changes work together, then finish the task.\n\n\`\`\`diff\n${await conflictDiff(ws.dir)}\n\`\`\``,
    });
  }
  const resume = interrupted && prev?.cli && prev.sessionId ? { cli: prev.cli, sessionId: prev.sessionId } : null;
  if (interrupted && !resume) notes.push({ title: 'The previous attempt was interrupted', body: `The engine stopped while attempt ${ctx.attempt - 1} was at work. What it left is committed${start.checkpoint ? ` (${start.checkpoint.slice(0, 12)})` : ''}: continue from there.` });
  const prompt = composePrompt({ task, validate: validate.map(formatArgv), feedback: ctx.feedback, iteration: ctx.attempt, maxIterations: task.retry.maxAttempts, notes });
  const resumePrompt = `The engine running this task stopped while you were working on it; your changes so far are committed. Continue the task where you left off and finish it.${notes.length ? `\n\n${notes.map((n) => `## ${n.title}\n${n.body}`).join('\n\n')}` : ''}`;
  const step = await runAgentStep(ctx, signal, config, {
    cwd: ws.dir,
    prompt,
    killGraceMs: opts.killGraceMs,
    baseEnv: opts.baseEnv,
    budget: grant,
    ...(resume ? { resume: { ...resume, prompt: resumePrompt } } : {}),
    onSession: (cli, sessionId) => {
      Object.assign(state, { cli, sessionId });
      writeAttemptState(statePath, state);
    },
  });
  if (meter) meter.used = step.usage;
  if (step.cli && !state.cli) state.cli = step.cli as CliName;
  Object.assign(out, { cli: step.cli, clis: step.clis, ...(step.sessionId ? { sessionId: step.sessionId } : {}), ...(step.message ? { agentMessage: step.message.slice(-1000) } : {}) });
  if (resume && step.clis[0]?.cli === resume.cli && step.clis[0].kind !== 'rate_limited') out.resumedSession = resume.sessionId;
  const agentResult = { usage: step.usage, exitCode: step.exitCode, ...(step.sessionId ? { sessionId: step.sessionId } : {}) };
  if (step.noAgent && !start.conflict) return finish(fail(step.error!, agentResult));

  // 5. Commit what the agent left (also after a failure or a cancel: nothing is lost); the
  //    attempt's ref keeps it whatever happens to the branch later.
  let commits: CommitInfo[];
  let touched: string[];
  try {
    await commitAll(ws.dir, commitMessage(ctx, step), ws.copied);
    const head = (await revParse(ws.dir, 'HEAD'))!;
    await setAttemptRef(ws.repoRoot, out.attemptRef!, head);
    commits = await commitsBetween(ws.dir, start.base);
    touched = await attemptTouched(ws.dir, start.base, start.conflict?.from ?? null);
  } catch (e) {
    return finish(fail({ kind: 'crashed', message: `committing the agent's work failed: ${errorMessage(e)}` }, agentResult));
  }
  out.commits = commits.slice(-100).map((c) => ({ sha: c.sha, subject: c.subject }));
  out.changedFiles = touched.slice(0, 200);
  if (commits.length) info(`committed ${commits.length} commit${commits.length > 1 ? 's' : ''} (${touched.length} file${touched.length === 1 ? '' : 's'} changed)`);
  // A merge of the target left unresolved (the agent stopped, or never started): its state is kept
  // at the attempt's ref, and the branch goes back to before the merge, so the next attempt merges
  // again and is told about the conflict.
  const unresolved = start.conflict ? filesWithMarkers(ws.dir, start.conflict.files) : [];
  if (unresolved.length && (step.cancelled || step.noAgent)) await rewindBranch(ws.dir, start.base, out.attemptRef!, ws.copied);
  if (step.cancelled) return finish({ status: 'cancelled', output: out, ...agentResult });
  if (step.noAgent) return finish(fail(step.error!, agentResult));

  // 6. The boundary: nothing outside the worktree may have changed.
  const outside = await checkGuard(guard, ws, step.filesChanged, ctx.coordination);
  if (outside.length) {
    const evidence = await writeBoundaryEvidence(boundaryLogPath(ctx.logPath), outside);
    out.boundary = { changes: outside.slice(0, 100), evidence };
    const list = outside.slice(0, 10).map((c) => `${c.tree}${c.path ? `/${c.path}` : ''} (${c.what})`).join(', ');
    return finish(fail({ kind: 'boundary_violation', message: `the agent changed files outside its worktree ${ws.dir}: ${list}${outside.length > 10 ? ` and ${outside.length - 10} more` : ''}; nothing was merged (evidence: ${evidence})`, retryable: false }, agentResult));
  }

  // 7. A conflict the agent had to resolve must be resolved (else the same rewind as above).
  if (unresolved.length) {
    await rewindBranch(ws.dir, start.base, out.attemptRef!, ws.copied);
    return finish(fail({ kind: 'merge_conflict', message: `conflict markers are still in ${unresolved.join(', ')} (merging ${start.conflict!.target} into ${ws.branch}): resolve them` }, agentResult));
  }

  // 8. Path rules: a change outside allowedPaths or inside forbiddenPaths rejects the attempt's
  //    commits (kept at its ref); the branch goes back to where the attempt started.
  let violations;
  try {
    violations = checkPaths(touched, task.allowedPaths, task.forbiddenPaths);
  } catch (e) {
    return finish(fail({ kind: 'non_retryable', message: `invalid path rule: ${errorMessage(e)}`, retryable: false }, agentResult));
  }
  if (violations.length) {
    await rewindBranch(ws.dir, start.base, out.attemptRef!, ws.copied);
    out.commits = [];
    const list = violations.slice(0, 20).map((v) => `${v.path} (${v.reason})`).join(', ');
    return finish(fail({ kind: 'invalid_output', message: `changes outside the allowed paths were rejected (kept at ${out.attemptRef}): ${list}` }, agentResult));
  }

  // 9. A budget stop is a hard stop: what the agent left is committed above (kept on the branch), nothing more runs.
  if (step.budgetStop) return finish(fail(step.error!, agentResult));

  // The agent's own failure stands unless validation proves the work right.
  if (!step.ok && validate.length === 0) return finish(fail(step.error!, agentResult));

  // 10. no_changes: the branch holds nothing its target does not.
  const targetTip = ws.target && ws.mode === 'worktree' ? await revParse(ws.repoRoot, `refs/heads/${ws.target}`) : null;
  const hasWork = targetTip ? (await git(['diff', '--quiet', targetTip, 'HEAD'], ws.dir, { allowFail: true })).code !== 0 : (await commitsBetween(ws.dir, ws.base)).length > 0;
  if (w.requireChanges !== false && !hasWork) {
    return finish(fail({ kind: 'no_changes', message: `the agent made no change${step.message ? `; it said: ${step.message.trim().split('\n').slice(-5).join(' ').slice(0, 500)}` : ''}` }, agentResult));
  }

  // 11. Validation, in the workspace.
  const wallLeft = () => grant?.wallLeftMs() ?? Infinity;
  const validateTimeout = config.validateTimeoutMs ?? DEFAULT_VALIDATE_TIMEOUT_MS;
  if (validate.length) {
    out.testLog = testLogPath(ctx.logPath);
    info(`validating: ${validate.map(formatArgv).join(' ; ')}`);
    // A wall-time budget share shorter than the validation timeout bounds validation too.
    const byBudget = wallLeft() < validateTimeout;
    if (wallLeft() <= 0) return finish(fail({ kind: 'budget_exhausted', message: 'budget exhausted: the wall-time share of this attempt was used up before validation', retryable: false }, agentResult));
    const v = await validator(ctx, signal, opts, config, ws.dir, validate, Math.min(validateTimeout, wallLeft()))();
    out.validation = v.results;
    if (v.aborted) return finish({ status: 'cancelled', output: out, ...agentResult });
    if (!v.ok && byBudget && v.results.at(-1)?.timedOut) {
      return finish(fail({ kind: 'budget_exhausted', message: `budget exhausted: the wall-time share of this attempt ran out during \`${v.failure!.command}\``, retryable: false }, agentResult));
    }
    if (!v.ok) return finish(fail({ kind: 'validation_failed', message: validationMessage('validation failed', v) }, agentResult));
    info('validation passed');
  }

  // 12. Merge into the target through the merge queue, then the PR.
  if (w.merge && ws.branch && ws.target && ws.mode === 'worktree' && ctx.coordination) {
    const landed = await landBranch({
      dir: ws.dir,
      repoRoot: ws.repoRoot,
      branch: ws.branch,
      target: ws.target,
      taskId: ctx.taskId,
      coordination: ctx.coordination,
      validate: validate.length ? async () => {
        const v = await validator(ctx, signal, opts, config, ws.dir, validate, Math.min(validateTimeout, wallLeft()))();
        out.validation = [...out.validation, ...v.results];
        return v;
      } : null,
      signal,
      info,
    });
    const head = await revParse(ws.dir, 'HEAD');
    if (head) await setAttemptRef(ws.repoRoot, out.attemptRef!, head);
    out.merge = { status: landed.status, target: ws.target, message: landed.message, ...(landed.entry ? { entry: landed.entry.id } : {}), ...(landed.status === 'merged' ? { sha: landed.sha } : {}), ...(landed.status === 'conflict' ? { files: landed.files } : {}) };
    info(landed.message);
    if (landed.status === 'cancelled') return finish({ status: 'cancelled', output: out, ...agentResult });
    if (landed.status === 'conflict') {
      return finish(fail({ kind: 'merge_conflict', message: `merge queue: your branch ${ws.branch} ${landed.message}; the next attempt starts with ${ws.target} merged in and the conflicts to resolve\n${landed.diff.slice(0, FEEDBACK_TAIL)}` }, agentResult));
    }
    if (landed.status === 'failed') {
      if (landed.validation) return finish(fail({ kind: 'validation_failed', message: validationMessage(`merge queue: validation failed after merging ${ws.target}`, landed.validation) }, agentResult));
      return finish(fail({ kind: landed.retryable ? 'exit_code' : 'non_retryable', message: `merge queue: ${landed.message}`, ...(landed.retryable ? {} : { retryable: false }) }, agentResult));
    }
  } else if (w.merge && ws.mode === 'worktree' && !ws.target) {
    out.merge = { status: 'failed', target: '', message: 'the repository was on a detached HEAD when the task started: nothing to merge into (the branch is left)' };
    info(out.merge.message);
  }
  if (w.pr && ws.branch) {
    out.pr = await openPullRequest({
      dir: ws.dir,
      branch: ws.branch,
      base: ws.target,
      title: task.title.slice(0, 200),
      body: prBody(ctx, out),
      mode: w.pr,
      ...(opts.gh ? { gh: opts.gh } : {}),
      env: ghEnv({ ...opts.baseEnv, ...ctx.task.env }),
    });
    info(out.pr.message);
  }
  const head = (await revParse(ws.dir, 'HEAD'))!;
  const claim = step.ok ? '' : ` (the agent reported failure: ${step.error?.message.slice(0, 200)}; validation passed)`;
  const prNote = out.pr ? (out.pr.url ? `, ${out.pr.url}` : `; ${out.pr.message}`) : '';
  const summary = `${validate.length ? 'validated ' : ''}${head.slice(0, 12)} on ${ws.branch ?? 'HEAD'}${out.merge?.status === 'merged' ? `, merged into ${ws.target}` : ''}${prNote}${claim}`;
  return finish({ status: 'succeeded', summary, output: out, ...agentResult });
}

function checkpointMessage(ctx: AttemptContext): string {
  const n = ctx.attempt - 1;
  return `Checkpoint of interrupted attempt ${n}\n\nWhat the agent had left when the engine stopped.\n\nTutti-Run: ${ctx.runId}\nTutti-Task: ${ctx.taskId}\nTutti-Attempt: ${n}\nTutti-Checkpoint: interrupted\n`;
}

/** What gh and git push see of the agents' environment: where to find gh, and its credentials. */
function ghEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const keys = ['PATH', 'HOME', 'GH_TOKEN', 'GITHUB_TOKEN', 'GH_ENTERPRISE_TOKEN', 'GH_HOST', 'GH_CONFIG_DIR', 'XDG_CONFIG_HOME', 'SSH_AUTH_SOCK', 'GIT_SSH_COMMAND'];
  const out: Record<string, string> = {};
  for (const k of keys) if (env[k] !== undefined) out[k] = env[k];
  return out;
}

function rmdirQuietly(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty (other tasks' worktrees or meta files), or gone
  }
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
