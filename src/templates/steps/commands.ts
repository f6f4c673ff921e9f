/**
 * Steps that run a command in the run's work dir, in its own process group, with a timeout:
 * - `tutti.scaffold` runs the approved `scaffold.sh` and commits what it created;
 * - `tutti.check` runs the tests (QA) or a validation command; on failure it writes a bug report
 *   (when asked), commits it, and fails with the output's tail, which a loop hands to the task it
 *   rewinds to as feedback.
 * The command's output goes to the attempt's log file (`<dataDir>/logs/<run>/<task>.<n>.log`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { FunctionContext } from '../../agents/types.js';
import { runProcessGroup } from '../../agents/process.js';
import { AttemptFailure, NonRetryableError, errorMessage } from '../../core/errors.js';
import { toArgv as splitToArgv } from '../../workspace/argv.js';
import { clearActive, markActive } from '../../workspace/boundary.js';
import { safeSegment } from '../../runtime/node-runtime.js';
import type { StepDeps } from './documents.js';
import { insideWorkDir } from './documents.js';
import { commitPaths, dirtyPaths } from './git.js';
import { taskWorkspace } from './task-workspace.js';

/** A command: argv, or one line split on spaces (quotes group words; no shell). */
export const stepCommandSchema = z.union([z.string().min(1).max(10_000), z.array(z.string()).min(1).max(1000)]);
export type StepCommand = z.input<typeof stepCommandSchema>;

/**
 * argv of a step's command (`workspace/argv.ts`: a line is split without a shell, shell syntax is
 * refused with a hint). @throws NonRetryableError for a command that cannot run (retrying will not help).
 */
export function toArgv(command: StepCommand): string[] {
  try {
    return splitToArgv(command);
  } catch (e) {
    throw new NonRetryableError(errorMessage(e));
  }
}

const TAIL_CHARS = 8000;

interface CommandRun {
  ok: boolean;
  argv: string[];
  /** `exited with code 1`, `timed out after 600000 ms`, `command not found: x`. */
  outcome: string;
  exitCode: number | null;
  tail: string;
  /** Log file, relative to the data dir. */
  log: string;
}

async function runCommand(ctx: FunctionContext, deps: StepDeps, argv: string[], timeoutMs: number, cwd: string = ctx.workDir): Promise<CommandRun> {
  const log = join('logs', safeSegment(ctx.runId), `${safeSegment(ctx.taskId)}.${ctx.attempt}.log`);
  const logPath = join(deps.dataDir, log);
  mkdirSync(dirname(logPath), { recursive: true });
  const timeout = AbortSignal.timeout(timeoutMs);
  let tail = '';
  const out = await runProcessGroup({
    argv,
    cwd,
    env: { ...(deps.env ?? process.env), TUTTI_RUN_ID: ctx.runId, TUTTI_TASK_ID: ctx.taskId, TUTTI_ATTEMPT: String(ctx.attempt), TUTTI_IDEMPOTENCY_KEY: ctx.idempotencyKey },
    logPath,
    maxLogBytes: deps.maxLogBytes,
    killGraceMs: deps.killGraceMs,
    signal: AbortSignal.any([ctx.signal, timeout]),
    onOutput: (_stream, text) => {
      tail = (tail + text).slice(-TAIL_CHARS);
      ctx.log(text.replace(/\n$/, ''));
    },
  });
  const base = { argv, exitCode: out.exitCode, tail, log };
  if (out.spawnError) return { ...base, ok: false, outcome: out.spawnError.code === 'ENOENT' ? `command not found: ${argv[0]}` : `cannot start ${argv[0]}: ${out.spawnError.message}` };
  if (out.aborted && timeout.aborted && !ctx.signal.aborted) return { ...base, ok: false, outcome: `timed out after ${timeoutMs} ms` };
  if (out.exitCode === 0) return { ...base, ok: true, outcome: 'exited with code 0' };
  return { ...base, ok: false, outcome: out.exitSignal ? `killed by ${out.exitSignal}` : `exited with code ${out.exitCode}` };
}

function shown(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function parseInput<T extends z.ZodType>(schema: T, input: unknown, name: string): z.output<T> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new NonRetryableError(`${name} input: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return r.data;
}

export const scaffoldInputSchema = z.strictObject({
  script: z.string().min(1).default('scaffold.sh').describe('The script, relative to the work dir.'),
  shell: z.string().min(1).default('sh').describe('The interpreter it is run with.'),
  timeoutMs: z.number().int().positive().default(600_000),
  commit: z.boolean().default(true).describe('Commit what the script created or changed (git work dirs).'),
});

/** The `tutti.scaffold` function. */
export function scaffoldStep(deps: StepDeps) {
  return async (ctx: FunctionContext): Promise<{ script: string; commit: string | null; log: string }> => {
    const input = parseInput(scaffoldInputSchema, ctx.input, 'tutti.scaffold');
    insideWorkDir(ctx.workDir, input.script);
    const env = deps.env ?? process.env;
    const before = input.commit ? await dirtyPaths(ctx.workDir, env) : new Set<string>();
    const r = await runCommand(ctx, deps, [input.shell, input.script], input.timeoutMs);
    if (ctx.signal.aborted) throw new Error('aborted');
    if (!r.ok) throw new Error(`${shown(r.argv)} ${r.outcome}${r.tail ? `\n${r.tail.slice(-3000)}` : ''}`);
    const created = input.commit ? [...(await dirtyPaths(ctx.workDir, env))].filter((p) => !before.has(p)) : [];
    const commit = await commitPaths(ctx.workDir, created, `tutti: ${input.script} scaffolds the project (run ${ctx.runId})`, env);
    return { script: input.script, commit, log: r.log };
  };
}

export const checkInputSchema = z.strictObject({
  command: stepCommandSchema.describe('What to run: argv, or a line split on spaces (no shell).'),
  timeoutMs: z.number().int().positive().default(600_000),
  report: z.string().min(1).nullable().default(null).describe('On failure, write a bug report here (relative to the work dir).'),
  commit: z.boolean().default(true).describe('Commit the bug report (git work dirs).'),
  in: z
    .string()
    .min(1)
    .optional()
    .describe("Run in the worktree of this task of the run (its branch: checked before it is merged). Default, or when that task has no worktree: the run's work dir."),
});

/** The `tutti.check` function. */
export function checkStep(deps: StepDeps) {
  return async (ctx: FunctionContext): Promise<{ passed: true; command: string; log: string }> => {
    const input = parseInput(checkInputSchema, ctx.input, 'tutti.check');
    const argv = toArgv(input.command);
    const ws = input.in === undefined ? null : await taskWorkspace(deps.dataDir, ctx.runId, input.in);
    const dir = ws?.dir ?? ctx.workDir;
    const reportPath = input.report === null ? null : insideWorkDir(dir, input.report);
    if (ws) markActive(ws.dir, ctx.idempotencyKey);
    let r: CommandRun;
    try {
      r = await runCommand(ctx, deps, argv, input.timeoutMs, dir);
    } finally {
      if (ws) clearActive(ws.dir);
    }
    if (ctx.signal.aborted) throw new Error('aborted');
    const command = shown(argv);
    if (r.ok) return { passed: true, command, log: r.log };
    let where = '';
    if (reportPath && input.report) {
      const fence = r.tail.includes('~~~') ? '````' : '~~~';
      mkdirSync(dirname(reportPath), { recursive: true });
      writeFileSync(
        reportPath,
        [
          '# Bug report',
          '',
          `QA of run \`${ctx.runId}\`, attempt ${ctx.attempt}: \`${command}\` ${r.outcome}.`,
          '',
          `## Output (last ${TAIL_CHARS} characters)`,
          '',
          fence,
          r.tail.trimEnd() || '(no output)',
          fence,
          '',
          'Fix the cause; the tests run again after the next implementation attempt.',
          '',
        ].join('\n'),
      );
      const commit = input.commit ? await commitPaths(dir, [input.report], `tutti: QA failed, ${input.report} (run ${ctx.runId}, attempt ${ctx.attempt})`, deps.env ?? process.env) : null;
      where = ` (report: ${input.report}${commit ? `, commit ${commit.slice(0, 12)}` : ''})`;
    }
    throw new AttemptFailure('validation_failed', `${command} ${r.outcome}${where}${r.tail ? `\n${r.tail.slice(-3000)}` : ''}`);
  };
}
