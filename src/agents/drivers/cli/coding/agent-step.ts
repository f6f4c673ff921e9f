/**
 * The agent step of a coding attempt: a CLI fallback chain, or a command (a formatter, a fixer,
 * any program) run in the workspace with the prompt as its `{prompt}` argument or on stdin.
 */
import type { AttemptError, Usage } from '../../../../core/model.js';
import { runProcessGroup } from '../../../process.js';
import type { AttemptContext } from '../../../types.js';
import type { BudgetGrant } from '../budget.js';
import { chainError, chainUsage } from '../chain.js';
import { chainOf, type CodingAgentConfig } from '../config.js';
import { outcomeSummary, runCliChain } from '../driver.js';
import type { CliName } from '../types.js';

/** What the agent step produced. */
export interface AgentStep {
  /** The agent (or command) ran and did not fail by its own account. */
  ok: boolean;
  cancelled: boolean;
  /**
   * No agent got to work (every CLI of the chain handed over, or the command is missing): there is
   * nothing to commit or validate.
   */
  noAgent: boolean;
  /** The agent's own failure, when not ok. */
  error?: AttemptError;
  cli: CliName | null;
  /** One entry per CLI tried. */
  clis: ReturnType<typeof outcomeSummary>[];
  sessionId?: string;
  usage: Usage;
  exitCode: number | null;
  /** The agent's last message (or the command's last output). */
  message?: string;
  /** Stopped because the attempt's budget share was used up (the error says which). */
  budgetStop?: boolean;
  /** Files the agent's CLIs reported writing (paths as they gave them: absolute for the real CLIs). */
  filesChanged: string[];
}

/** How the agent step runs, besides the config. */
export interface AgentStepOptions {
  cwd: string;
  prompt: string;
  killGraceMs: number;
  baseEnv: NodeJS.ProcessEnv;
  budget: BudgetGrant | null;
  /** Continue this CLI session first (after an interrupted attempt). */
  resume?: { cli: CliName; sessionId: string; prompt: string };
  onSession?: (cli: CliName, sessionId: string) => void;
}

const PROMPT_PLACEHOLDER = '{prompt}';

export async function runAgentStep(ctx: AttemptContext, signal: AbortSignal, config: CodingAgentConfig, o: AgentStepOptions): Promise<AgentStep> {
  if (config.command) return runCommand(ctx, signal, config, o);
  const r = await runCliChain(ctx, signal, chainOf(config.cli), config, o);
  const f = r.final;
  const base = {
    cli: r.exhausted ? null : f.cli,
    clis: r.tried.map(outcomeSummary),
    usage: chainUsage(r),
    exitCode: f.exitCode,
    filesChanged: r.tried.flatMap((t) => t.filesChanged),
    ...(f.sessionId ? { sessionId: f.sessionId } : {}),
    ...(f.finalText ? { message: f.finalText.slice(-2000) } : {}),
  };
  if (f.kind === 'cancelled') return { ...base, ok: false, cancelled: true, noAgent: false };
  const error = chainError(r, Date.now());
  if (!error) return { ...base, ok: true, cancelled: false, noAgent: false };
  return { ...base, ok: false, cancelled: false, noAgent: r.exhausted, error, ...(f.kind === 'budget' ? { budgetStop: true } : {}) };
}

async function runCommand(ctx: AttemptContext, signal: AbortSignal, config: CodingAgentConfig, o: AgentStepOptions): Promise<AgentStep> {
  const base = config.command!;
  const usesPlaceholder = base.includes(PROMPT_PLACEHOLDER);
  const argv = usesPlaceholder ? base.map((a) => (a === PROMPT_PLACEHOLDER ? o.prompt : a)) : base;
  const timer = new AbortController();
  // A wall-time budget share shorter than the command's own timeout ends it as a budget stop.
  const wallLeft = o.budget?.wallLeftMs() ?? Infinity;
  const byBudget = wallLeft < (config.cliTimeoutMs ?? Infinity);
  const limit = Math.min(config.cliTimeoutMs ?? Infinity, wallLeft);
  const t = Number.isFinite(limit) ? setTimeout(() => timer.abort(), limit) : null;
  const out = await runProcessGroup({
    argv,
    cwd: o.cwd,
    env: { ...o.baseEnv, ...config.env, ...ctx.task.env, ...ctx.env },
    ...(usesPlaceholder ? {} : { stdin: o.prompt }),
    logPath: ctx.logPath,
    maxLogBytes: ctx.maxLogBytes,
    killGraceMs: config.killGraceMs ?? o.killGraceMs,
    signal: AbortSignal.any([signal, timer.signal]),
    onSpawn: (pid) => ctx.onProcess?.({ pid }),
    ...(ctx.streamOutput ? { onOutput: (stream: 'stdout' | 'stderr', text: string) => ctx.emit({ stream, text }) } : {}),
  }).finally(() => t && clearTimeout(t));
  const message = out.stdoutTail.trim().split('\n').slice(-20).join('\n') || undefined;
  const step = { cli: null, clis: [], usage: {}, exitCode: out.exitCode, filesChanged: [], ...(message ? { message } : {}) };
  if (out.spawnError) {
    const missing = out.spawnError.code === 'ENOENT';
    return { ...step, ok: false, cancelled: false, noAgent: true, error: { kind: missing ? 'not_installed' : 'spawn', message: `${missing ? 'command not found' : 'cannot start'}: ${argv[0]}`, retryable: false } };
  }
  if (signal.aborted) return { ...step, ok: false, cancelled: true, noAgent: false };
  if (timer.signal.aborted && byBudget) return { ...step, ok: false, cancelled: false, noAgent: false, budgetStop: true, error: { kind: 'budget_exhausted', message: `${argv[0]} stopped: budget exhausted: the wall-time share of this attempt is used up`, retryable: false } };
  if (timer.signal.aborted) return { ...step, ok: false, cancelled: false, noAgent: false, error: { kind: 'timeout', message: `${argv[0]} killed after ${config.cliTimeoutMs} ms` } };
  if (out.exitCode === 0) return { ...step, ok: true, cancelled: false, noAgent: false };
  const why = out.exitSignal ? `killed by ${out.exitSignal}` : `exited with code ${out.exitCode}`;
  const detail = (out.stderrTail.trim() || out.stdoutTail.trim()).split('\n').pop();
  return { ...step, ok: false, cancelled: false, noAgent: false, error: { kind: out.exitSignal ? 'crashed' : 'exit_code', message: `${argv[0]} ${why}${detail ? `: ${detail.slice(0, 300)}` : ''}` } };
}
