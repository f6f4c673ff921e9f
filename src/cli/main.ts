/**
 * The `tutti` command line (also `orch` and `ai_orch`). The only part of tutti that reads argv,
 * environment variables and config files. Exit codes: 0 ok, 1 a run failed or was cancelled,
 * 2 bad usage or invalid input (one line on stderr), 130 interrupted.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { closest, distance } from 'fastest-levenshtein';
import { isTuttiError, PlanValidationError, type ErrorCode } from '../core/errors.js';
import { EXIT, UsageError } from './errors.js';

type Register = (program: Command) => void;
type Loader = () => Promise<Register>;

/**
 * Each command module, loaded only when needed: `tutti status` does not pay for the server, the
 * coding-agent drivers or the memory plane, and `tutti --help` loads none. `help` lists the
 * top-level commands a module registers as commander shows them (term, description); a test
 * checks it against the loaded modules, so the two cannot drift apart.
 */
const MODULES: ReadonlyArray<{ help: ReadonlyArray<readonly [term: string, description: string]>; load: Loader }> = [
  {
    help: [
      ['run [options] [goal...]', 'run a plan (--plan FILE) or a goal with one agent (--agent NAME) in the foreground until it ends'],
      ['resume [options]', 'continue every unfinished run in the store, in the foreground, until they end'],
    ],
    load: async () => (await import('./commands/run.js')).registerRun,
  },
  {
    help: [
      ['status [options] <run>', 'show a run with its tasks, attempts and blocked reasons'],
      ['list|runs [options]', 'list runs, newest first (by creation time); as ai_orch or orch, list is the live tmux sessions (seed 004)'],
      ['logs [options] <run>', "print a run's event log, or with --task the output log of a task's attempt"],
    ],
    load: async () => (await import('./commands/inspect.js')).registerInspect,
  },
  {
    help: [['cancel [options] <run>', 'cancel a run: no more dispatch; its running attempts and every process they started are ended']],
    load: async () => (await import('./commands/cancel.js')).registerCancel,
  },
  {
    help: [['backup [options] <file>', 'write a consistent copy of the live SQLite store to FILE (engines may keep running)']],
    load: async () => (await import('./commands/backup.js')).registerBackup,
  },
  {
    help: [
      ['approve [options] <run>', 'approve what a run waits for: the gate succeeds and the run goes on (the process executing the run picks it up)'],
      ['reject [options] <run>', 'reject what a run waits for: --to TASK runs again with the feedback, and every task after it is reset'],
    ],
    load: async () => (await import('./commands/approvals.js')).registerApprovals,
  },
  { help: [['agents', 'the agent registry']], load: async () => (await import('./commands/agents.js')).registerAgents },
  { help: [['plan', 'plan files: validate, JSON Schema, importers']], load: async () => (await import('./commands/plan.js')).registerPlan },
  { help: [['migrate [options]', 'create or upgrade the database schema']], load: async () => (await import('./commands/migrate.js')).registerMigrate },
  {
    help: [['doctor [options]', 'check the coding-agent CLIs (installed, version, authenticated), git, gh, tmux, and this repository’s worktrees']],
    load: async () => (await import('./commands/doctor.js')).registerDoctor,
  },
  { help: [['dispatcher', 'turn a task into coding agents (seed 004): analyze, create']], load: async () => (await import('./commands/dispatcher.js')).registerDispatcher },
  {
    help: [
      ['live [options]', 'interactive agent sessions in tmux: live --cli NAME starts one; live list; attach; kill'],
      ['attach <session>', 'attach the terminal to a tutti tmux session (detach with Ctrl-b d)'],
      ['kill <session>', 'kill a tutti tmux session and everything running in it'],
    ],
    load: async () => (await import('./commands/live.js')).registerLive,
  },
  { help: [['memory', 'durable memory: seed entries, search by meaning and words, list (docs/memory.md)']], load: async () => (await import('./commands/memory.js')).registerMemory },
  {
    help: [['serve [options]', 'serve the REST API and dashboard, and execute runs (env TUTTI_API_TOKEN: bearer token, required beyond loopback; TUTTI_LLM_URL, TUTTI_LLM_MODEL, TUTTI_LLM_KEY_ENV: the LLM endpoint of seed 003’s agents)']],
    load: async () => (await import('./commands/serve.js')).registerServe,
  },
  {
    help: [['worker [options]', 'execute ready tasks of every run in the database until stopped (run several, on many machines, with --database-url)']],
    load: async () => (await import('./commands/worker.js')).registerWorker,
  },
];

/** The names of a help term (`list|runs [options]`: list and its alias runs). */
const namesOf = (term: string): string[] => term.split(' ')[0]!.split('|');

/** Every top-level command name, in help order. */
export const COMMAND_NAMES: readonly string[] = MODULES.flatMap((m) => m.help.flatMap(([term]) => namesOf(term)));

const moduleOf = (name: string) => MODULES.find((m) => m.help.some(([term]) => namesOf(term).includes(name)));

/**
 * The command modules `argv` needs: the named command's module when the first argument names one
 * (`help NAME`: that command's), none for help and version, the default `run` for a goal, and
 * every module otherwise (options before the command).
 */
function modulesFor(argv: readonly string[]): Loader[] {
  const first = argv[0];
  if (first === undefined || isHelpOrVersion(argv)) return [];
  if (first === 'help') {
    const named = argv[1] === undefined ? undefined : moduleOf(argv[1]);
    return named ? [named.load] : [];
  }
  const named = moduleOf(first);
  if (named) return [named.load];
  return first.startsWith('-') ? MODULES.map((m) => m.load) : [MODULES[0]!.load];
}

/** `tutti`, `tutti --help`, `tutti help`, `tutti --version`: answered without loading a command. */
function isHelpOrVersion(argv: readonly string[]): boolean {
  return argv.length === 1 && ['-h', '--help', 'help', '-V', '--version'].includes(argv[0]!);
}

/** A first word no command has but one is close to (a typo): `statsu` → `status`. */
export function nearCommand(word: string): string | null {
  if (word.startsWith('-') || /\s/.test(word) || COMMAND_NAMES.includes(word) || word === 'help') return null;
  const near = closest(word.toLowerCase(), [...COMMAND_NAMES]);
  const d = distance(word.toLowerCase(), near);
  // Two edits for words of four letters or more (a swap is two), one for shorter ones.
  return d <= (word.length >= 4 ? 2 : 1) ? near : null;
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
  if (loaders.length === 0) {
    // Help from the table: commands listed as the loaded modules would list them.
    const terms = new Map<string, string>();
    for (const m of MODULES) {
      for (const [term, description] of m.help) {
        const [name, ...aliases] = namesOf(term);
        const cmd = program.command(name!).description(description);
        for (const a of aliases) cmd.alias(a);
        terms.set(name!, term);
      }
    }
    const standard = new Help();
    program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? standard.subcommandTerm(cmd) });
    return program;
  }
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

/**
 * Seed 004's `ai_orch list` (and `orch list`) lists the live tmux sessions, as the seed's CLI does;
 * `tutti list` lists runs. Both names reach the same program: the name it was called by decides.
 * @param program the name the CLI was started as (`process.argv[1]`'s file name).
 */
export function seedArgv(argv: string[], program: string): string[] {
  const name = program.replace(/\.(c|m)?js$/, '');
  return (name === 'ai_orch' || name === 'orch') && argv[0] === 'list' ? ['live', 'list', ...argv.slice(1)] : argv;
}

/** Runs the CLI; resolves with the exit code. */
export async function main(input: string[], programName = ''): Promise<number> {
  const argv = seedArgv(input, programName);
  const json = argv.includes('--json');
  const near = argv[0] === undefined ? null : nearCommand(argv[0]);
  if (near) {
    process.stderr.write(`tutti: unknown command '${argv[0]}': did you mean '${near}'? (tutti --help lists the commands)\n`);
    if (json) process.stdout.write(`${JSON.stringify({ error: { code: 'ERR_USAGE', message: `unknown command '${argv[0]}'` } })}\n`);
    return EXIT.usage;
  }
  const program = await buildProgram(argv);
  if (argv.length === 0) {
    // Bare `tutti`: the help, not the default command.
    process.stdout.write(program.helpInformation());
    return EXIT.ok;
  }
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
      if (e.hint) process.stderr.write(`${e.hint.trimEnd()}\n`);
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
