/**
 * The `exec` driver: runs an argv array (never a shell string built from user text) in its own
 * process group, with the task's environment and working directory, the prompt on stdin, and
 * stdout/stderr in a capped log file. Exit code 0 is success.
 *
 * Agent config: `{ command?: string[], env?: Record<string,string>, killGraceMs?: number }`.
 * An agent `command` lets prompt-only tasks run: an argv element equal to `{prompt}` is replaced
 * by the prompt (as one argument); otherwise the prompt goes to stdin.
 */
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { AgentDriver, AttemptContext, AttemptResult } from '../types.js';
import { runProcessGroup } from '../process.js';

const configSchema = z
  .object({
    command: z.array(z.string()).min(1).optional(),
    env: z.record(z.string(), z.string()).optional(),
    killGraceMs: z.number().int().min(0).max(600_000).optional(),
  })
  .passthrough();

export type ExecAgentConfig = z.infer<typeof configSchema>;

/** The placeholder replaced by the prompt in an agent's `command`. */
export const PROMPT_PLACEHOLDER = '{prompt}';

export interface ExecDriverOptions {
  /** Default SIGTERM → SIGKILL grace, ms. @default 5000 */
  killGraceMs?: number;
  /** Default `maxConcurrency` of exec agents. @default 4 */
  defaultMaxConcurrency?: number;
  /** Environment every process inherits. @default process.env */
  baseEnv?: NodeJS.ProcessEnv;
}

function argvFor(ctx: AttemptContext, config: ExecAgentConfig): { argv: string[]; stdin?: string } {
  const prompt = ctx.task.prompt;
  if (ctx.task.command) return prompt === undefined ? { argv: ctx.task.command } : { argv: ctx.task.command, stdin: prompt };
  const base = config.command!;
  if (prompt !== undefined && base.includes(PROMPT_PLACEHOLDER)) return { argv: base.map((a) => (a === PROMPT_PLACEHOLDER ? prompt : a)) };
  return prompt === undefined ? { argv: base } : { argv: base, stdin: prompt };
}

function lastLine(text: string): string | undefined {
  const lines = text.trimEnd().split('\n');
  const line = lines[lines.length - 1]?.trim();
  return line ? line.slice(0, 500) : undefined;
}

export function createExecDriver(options: ExecDriverOptions = {}): AgentDriver {
  const graceDefault = options.killGraceMs ?? 5000;
  return {
    name: 'exec',
    defaultMaxConcurrency: options.defaultMaxConcurrency ?? 4,
    accepts(task, agent) {
      if (task.function !== undefined) return 'it runs commands, not functions';
      if (task.command) return null;
      if (Array.isArray(agent.config.command)) return null;
      return 'the task has no command and the agent no configured command';
    },
    validateConfig(config) {
      const r = configSchema.safeParse(config);
      if (!r.success) throw new Error(`exec agent config: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    },
    async execute(ctx, signal): Promise<AttemptResult> {
      const config = configSchema.parse(ctx.agent.config);
      const { argv, stdin } = argvFor(ctx, config);
      const cwd = ctx.task.cwd ? (isAbsolute(ctx.task.cwd) ? ctx.task.cwd : resolve(ctx.workDir, ctx.task.cwd)) : ctx.workDir;
      const out = await runProcessGroup({
        argv,
        cwd,
        env: { ...(options.baseEnv ?? process.env), ...config.env, ...ctx.task.env, ...ctx.env },
        ...(stdin === undefined ? {} : { stdin }),
        logPath: ctx.logPath,
        maxLogBytes: ctx.maxLogBytes,
        killGraceMs: config.killGraceMs ?? graceDefault,
        signal,
        onSpawn: (pid) => ctx.onProcess?.({ pid }),
        ...(ctx.streamOutput ? { onOutput: (stream: 'stdout' | 'stderr', text: string) => ctx.emit({ stream, text }) } : {}),
      });
      const base = { logBytes: out.logBytes, exitCode: out.exitCode };
      if (out.spawnError) {
        const notFound = out.spawnError.code === 'ENOENT';
        return {
          status: 'failed',
          ...base,
          error: {
            kind: notFound ? 'not_installed' : 'spawn',
            message: notFound ? `command not found: ${argv[0]} (cwd ${cwd})` : `cannot start ${argv[0]}: ${out.spawnError.message}`,
            retryable: false,
          },
        };
      }
      if (out.aborted) return { status: 'cancelled', ...base };
      const summary = lastLine(out.stdoutTail);
      const output = out.stdoutTail.length ? out.stdoutTail : undefined;
      if (out.exitCode === 0) return { status: 'succeeded', ...base, ...(summary ? { summary } : {}), ...(output ? { output } : {}) };
      const why = out.exitSignal ? `killed by ${out.exitSignal}` : `exited with code ${out.exitCode}`;
      const detail = lastLine(out.stderrTail) ?? summary;
      return {
        status: 'failed',
        ...base,
        ...(output ? { output } : {}),
        error: { kind: out.exitSignal ? 'crashed' : 'exit_code', message: `${argv[0]} ${why}${detail ? `: ${detail}` : ''}` },
      };
    },
  };
}
