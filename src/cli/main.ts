/**
 * The `tutti` command line (also `orch` and `ai_orch`). The only part of tutti that reads argv,
 * environment variables and config files. Exit codes: 0 ok, 1 a run failed or was cancelled,
 * 2 bad usage or invalid input (one line on stderr), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isTuttiError, PlanValidationError, type ErrorCode } from '../core/errors.js';
import { registerAgents } from './commands/agents.js';
import { registerApprovals } from './commands/approvals.js';
import { registerInspect } from './commands/inspect.js';
import { registerMigrate } from './commands/migrate.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDispatcher } from './commands/dispatcher.js';
import { registerLive } from './commands/live.js';
import { registerPlan } from './commands/plan.js';
import { registerRun } from './commands/run.js';
import { registerServe } from './commands/serve.js';
import { registerWorker } from './commands/worker.js';
import { EXIT, UsageError } from './errors.js';

/** Codes that mean the input was wrong (exit 2), as opposed to an operational failure. */
const INPUT_ERRORS: ReadonlySet<ErrorCode> = new Set([
  'ERR_INVALID_PLAN',
  'ERR_DUPLICATE_TASK',
  'ERR_UNKNOWN_DEPENDENCY',
  'ERR_CYCLE',
  'ERR_NO_CAPABLE_AGENT',
  'ERR_INVALID_INPUT',
  'ERR_INVALID_OPTIONS',
  'ERR_RUN_NOT_FOUND',
  'ERR_TASK_NOT_FOUND',
  'ERR_AGENT_NOT_FOUND',
  'ERR_UNKNOWN_DRIVER',
  'ERR_UNKNOWN_FUNCTION',
  'ERR_IMPORT',
  'ERR_STORE_MIGRATION',
  'ERR_NOT_AWAITING_APPROVAL',
]);

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export function buildProgram(): Command {
  const program = new Command('tutti')
    .description('tutti: a durable orchestration engine for AI agents')
    .version(version(), '-V, --version')
    .showHelpAfterError('(tutti --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  registerRun(program);
  registerInspect(program);
  registerApprovals(program);
  registerAgents(program);
  registerPlan(program);
  registerMigrate(program);
  registerDoctor(program);
  registerDispatcher(program);
  registerLive(program);
  registerServe(program);
  registerWorker(program);
  for (const cmd of program.commands) {
    cmd.exitOverride().configureOutput({ writeErr: () => undefined });
    for (const sub of cmd.commands) {
      sub.exitOverride().configureOutput({ writeErr: () => undefined });
      for (const subsub of sub.commands) subsub.exitOverride().configureOutput({ writeErr: () => undefined });
    }
  }
  return program;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}

/** Runs the CLI; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return EXIT.ok;
      process.stderr.write(`tutti: ${oneLine(e.message.replace(/^error: /, ''))}\n`);
      return EXIT.usage;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`tutti: ${oneLine(e.message)}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'ERR_USAGE', message: e.message } })}\n`);
      return EXIT.usage;
    }
    if (isTuttiError(e)) {
      process.stderr.write(`tutti: ${oneLine(e.message)}\n`);
      if (e instanceof PlanValidationError && process.env.TUTTI_VERBOSE) for (const i of e.issues) process.stderr.write(`  ${i.path}: ${i.message}\n`);
      if (json) process.stdout.write(`${JSON.stringify({ error: e.toJSON() })}\n`);
      return INPUT_ERRORS.has(e.code) ? EXIT.usage : EXIT.runFailed;
    }
    process.stderr.write(`tutti: internal error: ${oneLine(e instanceof Error ? (e.stack ?? e.message) : String(e)).slice(0, 2000)}\n`);
    return EXIT.runFailed;
  }
}
