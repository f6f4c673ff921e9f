/**
 * Validation: the task's `validate` commands run in the workspace after the agent, one after the
 * other, each with a timeout, in its own process group, output appended to the attempt's test log.
 * The first failing command ends validation; its output tail is what the next iteration is told.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { runProcessGroup } from '../agents/process.js';
import { formatArgv } from './argv.js';

export interface ValidationOptions {
  /** argv arrays. */
  commands: readonly (readonly string[])[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Per command, ms. */
  timeoutMs: number;
  /** The test log (created on first output, appended to). */
  logPath: string;
  /** Bytes kept per command in the log. */
  maxLogBytes: number;
  /** SIGTERM → SIGKILL grace, ms. */
  killGraceMs: number;
  signal: AbortSignal;
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
}

export interface CommandResult {
  command: string;
  exitCode: number | null;
  /** Signal that ended it, if any. */
  exitSignal: string | null;
  timedOut: boolean;
  ms: number;
}

export interface ValidationResult {
  ok: boolean;
  /** The attempt was aborted (cancel, task timeout) during validation. */
  aborted: boolean;
  results: CommandResult[];
  /** The failing command and the end of its output (stdout and stderr), when not ok. */
  failure?: { command: string; reason: string; outputTail: string };
}

/** Runs the commands until one fails. Never throws for command failures (a missing program fails it). */
export async function runValidation(o: ValidationOptions): Promise<ValidationResult> {
  const results: CommandResult[] = [];
  mkdirSync(dirname(o.logPath), { recursive: true });
  for (const argv of o.commands) {
    const command = formatArgv(argv);
    appendFileSync(o.logPath, `$ ${command}\n`);
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), o.timeoutMs);
    const signal = AbortSignal.any([o.signal, timeout.signal]);
    const started = Date.now();
    let tail = '';
    const out = await runProcessGroup({
      argv,
      cwd: o.cwd,
      env: o.env,
      logPath: o.logPath,
      maxLogBytes: o.maxLogBytes,
      killGraceMs: o.killGraceMs,
      signal,
      onOutput: (stream, text) => {
        tail = (tail + text).slice(-6000);
        o.onOutput?.(stream, text);
      },
    }).finally(() => clearTimeout(timer));
    const ms = Date.now() - started;
    const timedOut = timeout.signal.aborted && !o.signal.aborted;
    const r: CommandResult = { command, exitCode: out.exitCode, exitSignal: out.exitSignal, timedOut, ms };
    results.push(r);
    appendFileSync(o.logPath, `[exit ${out.spawnError ? out.spawnError.code : timedOut ? 'timeout' : (out.exitCode ?? out.exitSignal)} after ${ms} ms]\n`);
    if (o.signal.aborted) return { ok: false, aborted: true, results };
    if (out.spawnError) {
      const reason = out.spawnError.code === 'ENOENT' ? `command not found: ${argv[0]}` : `cannot start ${argv[0]}: ${out.spawnError.message}`;
      return { ok: false, aborted: false, results, failure: { command, reason, outputTail: '' } };
    }
    if (timedOut) return { ok: false, aborted: false, results, failure: { command, reason: `timed out after ${o.timeoutMs} ms`, outputTail: tail } };
    if (out.exitCode !== 0) {
      const reason = out.exitSignal ? `killed by ${out.exitSignal}` : `exited with code ${out.exitCode}`;
      return { ok: false, aborted: false, results, failure: { command, reason, outputTail: tail } };
    }
  }
  return { ok: true, aborted: false, results };
}
