/**
 * The `claude`, `codex`, `gemini` and `cursor` drivers: one CLI, headless, in the task's work
 * directory (no worktree, no commit, no validation: the `coding` driver adds those). The prompt is
 * composed from the task and the previous attempt's feedback.
 *
 * Agent config: {@link cliAgentConfigSchema} (`model`, `programs`, `flags`, `args`, `cliTimeoutMs`…).
 */
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { AgentDriver, AttemptContext, AttemptResult } from '../../types.js';
import { CLI_ADAPTERS } from './adapters.js';
import type { BudgetGrant } from './budget.js';
import { chainError, runChain } from './chain.js';
import { cliAgentConfigSchema, issuesText, type CliAgentConfig } from './config.js';
import { composePrompt } from './prompt.js';
import { quotaGate } from './quota.js';
import { killStragglers } from './stragglers.js';
import type { CliName, CliOutcome } from './types.js';

export interface CliDriverOptions {
  /** SIGTERM → SIGKILL grace, ms. @default 5000 */
  killGraceMs?: number;
  /** Environment every CLI inherits. @default process.env */
  baseEnv?: NodeJS.ProcessEnv;
  /** Default `maxConcurrency` of agents of these drivers. @default 2 */
  defaultMaxConcurrency?: number;
}

/** Default hard timeout of one CLI run: 30 minutes, ms. */
export const DEFAULT_CLI_TIMEOUT_MS = 30 * 60_000;

/** Where a CLI may write its last message for an attempt. */
export function lastMessageFile(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.last-message.txt`;
}

/** Runs a chain of CLIs for an attempt in `cwd` with `prompt`: shared by the CLI and coding drivers. */
export async function runCliChain(
  ctx: AttemptContext,
  signal: AbortSignal,
  chain: readonly CliName[],
  config: CliAgentConfig,
  opts: {
    cwd: string;
    prompt: string;
    killGraceMs: number;
    baseEnv: NodeJS.ProcessEnv;
    budget?: BudgetGrant | null;
    /** Continue this CLI session first (after an interrupted attempt). */
    resume?: { cli: CliName; sessionId: string; prompt: string };
    /** A CLI named its session. */
    onSession?: (cli: CliName, sessionId: string) => void;
  },
) {
  const grant = opts.budget ?? null;
  mkdirSync(dirname(ctx.logPath), { recursive: true });
  const env = { ...opts.baseEnv, ...config.env, ...ctx.task.env, ...ctx.env };
  return runChain({
    chain,
    adapters: CLI_ADAPTERS,
    ...(config.programs ? { programs: config.programs } : {}),
    ...(config.flags ? { flags: config.flags } : {}),
    ...(config.args ? { args: config.args } : {}),
    invocation: {
      prompt: opts.prompt,
      cwd: opts.cwd,
      ...(config.model ? { model: config.model } : {}),
      ...(grant?.share.usd !== undefined ? { maxBudgetUsd: grant.share.usd } : {}),
      extraArgs: [],
      lastMessageFile: lastMessageFile(ctx.logPath),
    },
    env,
    ...(ctx.coordination ? { quota: quotaGate(ctx.coordination, env) } : {}),
    ...(opts.resume ? { resume: opts.resume } : {}),
    ...(opts.onSession ? { onSession: opts.onSession } : {}),
    logPath: ctx.logPath,
    maxLogBytes: ctx.maxLogBytes,
    timeoutMs: config.cliTimeoutMs ?? DEFAULT_CLI_TIMEOUT_MS,
    killGraceMs: config.killGraceMs ?? opts.killGraceMs,
    ...(config.networkRetries ? { networkRetryLimit: config.networkRetries } : {}),
    signal,
    ...(ctx.streamOutput ? { emit: ctx.emit } : {}),
    onSpawn: (pid) => ctx.onProcess?.({ pid }),
    ...(grant ? { budget: grant.check, wallLeftMs: grant.wallLeftMs } : {}),
  });
}

/** A compact record of a CLI run for outputs. */
export function outcomeSummary(o: CliOutcome): { cli: CliName; kind: string; message: string; exitCode: number | null; sessionId?: string; ms: number } {
  return { cli: o.cli, kind: o.kind, message: o.message, exitCode: o.exitCode, ...(o.sessionId ? { sessionId: o.sessionId } : {}), ms: o.ms };
}

/** A driver running one CLI (`name`) headless in the task's work directory. */
export function createCliDriver(name: CliName, options: CliDriverOptions = {}): AgentDriver {
  return {
    name,
    defaultMaxConcurrency: options.defaultMaxConcurrency ?? 2,
    accepts(task) {
      if (task.function !== undefined || task.command) return `the ${name} driver runs prompts, not commands or functions`;
      if (!task.prompt?.trim() && !task.title) return 'the task has no prompt';
      return null;
    },
    validateConfig(config) {
      const r = cliAgentConfigSchema.safeParse(config);
      if (!r.success) throw new Error(`${name} agent config: ${issuesText(r.error)}`);
    },
    async execute(ctx, signal): Promise<AttemptResult> {
      const config = cliAgentConfigSchema.parse(ctx.agent.config);
      const cwd = ctx.task.cwd ? (isAbsolute(ctx.task.cwd) ? ctx.task.cwd : resolve(ctx.workDir, ctx.task.cwd)) : ctx.workDir;
      const prompt = composePrompt({ task: ctx.task, feedback: ctx.feedback, iteration: ctx.attempt, maxIterations: ctx.task.retry.maxAttempts });
      try {
        const r = await runCliChain(ctx, signal, [name], config, { cwd, prompt, killGraceMs: options.killGraceMs ?? 5000, baseEnv: options.baseEnv ?? process.env });
        const f = r.final;
        const output = { cli: f.cli, ...(f.sessionId ? { sessionId: f.sessionId } : {}), ...(f.finalText ? { message: f.finalText.slice(-2000) } : {}), filesChanged: f.filesChanged.slice(0, 200), events: f.counts };
        const base = { exitCode: f.exitCode, usage: f.usage, logBytes: f.logBytes, output, ...(f.sessionId ? { sessionId: f.sessionId } : {}) };
        if (f.kind === 'cancelled') return { status: 'cancelled', ...base };
        const error = chainError(r, Date.now());
        if (!error) return { status: 'succeeded', ...base, summary: (f.finalText?.trim().split('\n').pop() ?? `${name} done`).slice(0, 500) };
        return { status: 'failed', ...base, error };
      } finally {
        await killStragglers(ctx.idempotencyKey);
      }
    },
  };
}
