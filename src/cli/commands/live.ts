/**
 * Interactive agent sessions in tmux (seed 004): `tutti live --cli NAME` starts one (and attaches
 * on a terminal), `tutti live list` (seed 004's `ai_orch list`) lists tutti's sessions, `tutti attach
 * SESSION` and `tutti kill SESSION`. `TUTTI_TMUX_SOCKET` selects a private tmux server (`tmux -L`).
 */
import type { Command } from 'commander';
import { CLI_ADAPTERS } from '../../agents/drivers/cli/adapters.js';
import { findProgram } from '../../agents/drivers/cli/probe.js';
import { attachSession, hasSession, killSession, listSessions, newSession, sessionName, type TmuxOptions } from '../../agents/drivers/cli/tmux.js';
import { isCliName } from '../../agents/drivers/cli/types.js';
import { EXIT, UsageError } from '../errors.js';
import { handler, printJson } from '../io.js';

function tmuxOptions(): TmuxOptions {
  const socket = process.env.TUTTI_TMUX_SOCKET;
  return socket ? { socket } : {};
}

function requireTmux(): void {
  if (!findProgram('tmux', process.env)) throw new UsageError('tmux is not installed (apt-get install tmux): live sessions run in tmux');
}

/** A session by its full name or its name without `tutti-`. @throws UsageError when there is none. */
async function resolveSession(name: string, o: TmuxOptions): Promise<string> {
  const full = sessionName(name);
  if (await hasSession(full, o)) return full;
  const known = (await listSessions(o)).map((s) => s.name);
  throw new UsageError(`no session '${name}'${known.length ? ` (sessions: ${known.join(', ')})` : ' (no tutti sessions: start one with tutti live --cli NAME)'}`);
}

interface LiveFlags {
  cli?: string;
  model?: string;
  name?: string;
  detach?: boolean;
  json?: boolean;
}

export function registerLive(program: Command): void {
  const live = program
    .command('live')
    .description('interactive agent sessions in tmux: live --cli NAME starts one; live list; attach; kill')
    .option('--cli <name>', 'claude, codex, gemini or cursor')
    .option('--model <name>', 'model override')
    .option('--name <session>', 'session name (default tutti-live-<cli>-<n>)')
    .option('--detach', 'start the session without attaching to it')
    .action(
      handler(async (flags: LiveFlags) => {
        if (!flags.cli) throw new UsageError('tutti live needs --cli NAME (claude, codex, gemini, cursor), or a subcommand: list');
        if (!isCliName(flags.cli)) throw new UsageError(`unknown CLI '${flags.cli}' (known: claude, codex, gemini, cursor)`);
        requireTmux();
        const adapter = CLI_ADAPTERS[flags.cli];
        const program = findProgram(adapter.program, process.env);
        if (!program) {
          process.stderr.write(`tutti: ${adapter.program} is not installed${adapter.npmPackage ? ` (npm install -g ${adapter.npmPackage})` : ''}\n`);
          return EXIT.runFailed;
        }
        const o = tmuxOptions();
        const taken = new Set((await listSessions(o)).map((s) => s.name));
        let name = flags.name ? sessionName(flags.name) : '';
        if (!name) for (let i = 1; !name || taken.has(name); i++) name = sessionName(`live-${flags.cli}-${i}`);
        if (taken.has(name)) throw new UsageError(`session ${name} exists (tutti attach ${name}, or tutti kill ${name})`);
        const modelArgs = flags.model ? [flags.cli === 'codex' || flags.cli === 'gemini' ? '-m' : '--model', flags.model] : [];
        await newSession(name, process.cwd(), [program, ...modelArgs], o);
        process.stdout.write(`${name}\n`);
        if (flags.detach || !process.stdin.isTTY || !process.stdout.isTTY) {
          process.stderr.write(`started ${adapter.title} in tmux session ${name}: tutti attach ${name}\n`);
          return EXIT.ok;
        }
        return (await attachSession(name, o)) === 0 ? EXIT.ok : EXIT.runFailed;
      }),
    );

  const listAction = handler(async (flags: LiveFlags) => {
    const sessions = await listSessions(tmuxOptions());
    if (flags.json) printJson(sessions);
    else if (!sessions.length) process.stdout.write('no tutti sessions (runs: tutti runs)\n');
    else for (const s of sessions) process.stdout.write(`${s.name.padEnd(32)} ${new Date(s.createdAt).toISOString()}  ${s.dead ? 'exited' : s.attached ? 'attached' : 'detached'}  ${s.command}\n`);
    return EXIT.ok;
  });
  live.command('list').description("tutti's tmux sessions (live ones and dispatcher agents)").option('--json', 'print a JSON array').action(listAction);

  program
    .command('attach')
    .description('attach the terminal to a tutti tmux session (detach with Ctrl-b d)')
    .argument('<session>', 'session name (with or without tutti-)')
    .action(
      handler(async (name: string) => {
        requireTmux();
        const o = tmuxOptions();
        const full = await resolveSession(name, o);
        if (!process.stdin.isTTY) throw new UsageError(`attach needs a terminal; without one, read the session with: tmux${o.socket ? ` -L ${o.socket}` : ''} capture-pane -p -t ${full}`);
        return (await attachSession(full, o)) === 0 ? EXIT.ok : EXIT.runFailed;
      }),
    );

  program
    .command('kill')
    .description('kill a tutti tmux session and everything running in it')
    .argument('<session>', 'session name (with or without tutti-)')
    .action(
      handler(async (name: string) => {
        requireTmux();
        const o = tmuxOptions();
        const full = await resolveSession(name, o);
        await killSession(full, o);
        process.stdout.write(`killed ${full}\n`);
        return EXIT.ok;
      }),
    );
}
