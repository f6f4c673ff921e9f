/**
 * An attempt's log as a transcript: the log holds, for each CLI run (and preflight), a header line
 * `=== tutti: <program> <args…> ===` followed by the CLI's raw stdout and stderr lines. Each run's
 * lines are parsed with its CLI's parser into ordered entries (messages, tool uses and results,
 * errors, usage, quota, result); lines that are not events (stderr, plain text) are kept as
 * `output` entries. Used by the API and the dashboard to show what an agent did.
 */
import { basename } from 'node:path';
import { CLI_ADAPTERS } from './adapters.js';
import { CLI_NAMES, type CliEvent, type CliName } from './types.js';

/** One entry of a transcript: a parsed event, or a line that is not one. */
export type TranscriptEntry = CliEvent | { kind: 'output'; text: string };

/** One CLI run of an attempt log. */
export interface TranscriptRun {
  /** The CLI (from the header's program, else the one asked for); null when neither tells. */
  cli: CliName | null;
  /** The header's program and arguments (the prompt shown as `<prompt>`). */
  command: string;
  /** A preflight check (e.g. `codex login status`), not the agent's run. */
  preflight: boolean;
  entries: TranscriptEntry[];
}

const HEADER = /^=== tutti: (.*) ===$/;

function cliOf(program: string): CliName | null {
  const name = basename(program);
  return CLI_NAMES.find((c) => CLI_ADAPTERS[c].program === name || c === name) ?? null;
}

/**
 * Parses an attempt log into its CLI runs.
 * @param cli the CLI to assume when a header's program is not a known CLI name (a custom
 *   `programs` path); null: such runs keep their lines as `output` entries.
 * @param logText the attempt log (lines before the first header are ignored).
 */
export function parseTranscript(cli: CliName | null, logText: string): TranscriptRun[] {
  const runs: Array<TranscriptRun & { parse: ((l: string) => CliEvent[]) | null }> = [];
  let current: (typeof runs)[number] | null = null;
  for (const line of logText.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      const command = h[1]!;
      const program = command.split(' ')[0] ?? '';
      const which = cliOf(program) ?? cli;
      const preflight = command.endsWith('(preflight)');
      current = { cli: which, command, preflight, entries: [], parse: which && !preflight ? CLI_ADAPTERS[which].newParser().line : null };
      runs.push(current);
      continue;
    }
    if (!current || line.trim() === '') continue;
    const events = current.parse ? current.parse(line) : [];
    if (events.length) current.entries.push(...events);
    else if (!line.trim().startsWith('{')) current.entries.push({ kind: 'output', text: line });
  }
  return runs.map(({ parse: _parse, ...run }) => run);
}
