/**
 * The `tutti` command line (also `orch` and `ai_orch`). The only part of tutti that reads argv,
 * environment variables and config files. Exit codes: 0 ok, 1 a run failed or was cancelled,
 * 2 bad usage or invalid input (one line on stderr), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { isTuttiError, PlanValidationError, type ErrorCode } from '../core/errors.js';
import { EXIT, UsageError } from './errors.js';

type Register = (program: Command) => void;
type Loader = () => Promise<Register>;

/**
 * Each command module, loaded only when needed: `tutti status` does not pay for the server, the
 * coding-agent drivers or the memory plane. Keys are the top-level command names a module
 * registers; a module registering several names appears under each of them.
 */
const MODULES: ReadonlyArray<{ names: readonly string[]; load: Loader }> = [
  { names: ['run', 'resume'], load: async () => (await import('./commands/run.js')).registerRun },
  { names: ['status', 'runs', 'logs', 'cancel'], load: async () => (await import('./commands/inspect.js')).registerInspect },
  { names: ['approve', 'reject'], load: async () => (await import('./commands/approvals.js')).registerApprovals },
  { names: ['agents'], load: async () => (await import('./commands/agents.js')).registerAgents },
  { names: ['plan'], load: async () => (await import('./commands/plan.js')).registerPlan },
  { names: ['migrate'], load: async () => (await import('./commands/migrate.js')).registerMigrate },
  { names: ['doctor'], load: async () => (await import('./commands/doctor.js')).registerDoctor },
  { names: ['dispatcher'], load: async () => (await import('./commands/dispatcher.js')).registerDispatcher },
  { names: ['live', 'list', 'attach', 'kill'], load: async () => (await import('./commands/live.js')).registerLive },
  { names: ['memory'], load: async () => (await import('./commands/memory.js')).registerMemory },
  { names: ['serve'], load: async () => (await import('./commands/serve.js')).registerServe },
  { names: ['worker'], load: async () => (await import('./commands/worker.js')).registerWorker },
];

/**
 * The command modules `argv` needs: only the named command's module when the first argument names
 * one, every module otherwise (help, a bare goal for the default `run`, an unknown command).
 */
function modulesFor(argv: readonly string[]): Loader[] {
  const first = argv[0];
  const named = first === undefined ? undefined : MODULES.find((m) => m.names.includes(first));
  return named ? [named.load] : MODULES.map((m) => m.load);
}

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

/**
 * The program with the commands `argv` needs registered (all of them when `argv` is omitted).
 * Registration order is kept, so help lists commands the same way whichever were loaded.
 */
export async function buildProgram(argv?: readonly string[]): Promise<Command> {
  const program = new Command('tutti')
    .description('tutti: a durable orchestration engine for AI agents')
    .version(version(), '-V, --version')
    .showHelpAfterError('(tutti --help for usage)')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined });
  const loaders = argv === undefined ? MODULES.map((m) => m.load) : modulesFor(argv);
  for (const register of await Promise.all(loaders.map((load) => load()))) register(program);
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
  const program = await buildProgram(argv);
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
