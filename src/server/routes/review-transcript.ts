/**
 * The transcript of a coding attempt as the API sends it: the attempt log parsed by
 * `parseTranscript` (the CLI adapters' parsers, per CLI run of the log) and flattened into
 * entries — a `run` per CLI invocation, the assistant's messages, tool calls with their arguments
 * and results, errors, the final result, and lines that were not events (`text`).
 */
import { parseTranscript, type TranscriptEntry as CliTranscriptEntry } from '../../agents/drivers/cli/transcript.js';
import { isCliName } from '../../agents/drivers/cli/types.js';

export type TranscriptKind = 'run' | 'session' | 'assistant' | 'user' | 'tool_call' | 'tool_result' | 'file_change' | 'error' | 'result' | 'text';

/** One entry of a transcript. */
export interface TranscriptEntry {
  kind: TranscriptKind;
  /** The CLI that said it (`claude`, `codex`, `gemini`, `cursor`); null for lines of no known CLI. */
  cli: string | null;
  /** Message text, an error, a result, the command line of a `run`. */
  text?: string;
  /** Tool name (`tool_call`). */
  tool?: string;
  /** Tool call id, pairing a call with its result. */
  id?: string;
  /** Tool arguments as the CLI sent them (`tool_call`), JSON text; or the short detail the parser kept. */
  args?: string;
  /** Tool output (`tool_result`), at most {@link MAX_FIELD} characters. */
  output?: string;
  /** `tool_result` and `result`: whether it succeeded. */
  ok?: boolean;
}

/** Longest text kept per field, characters. */
export const MAX_FIELD = 8000;

const clip = (s: string): string => (s.length > MAX_FIELD ? `${s.slice(0, MAX_FIELD)}… (${s.length - MAX_FIELD} more characters)` : s);

/** One parsed entry as the API sends it; null for what a reviewer need not read (usage counters). */
function entryOf(cli: string, e: CliTranscriptEntry): TranscriptEntry | null {
  switch (e.kind) {
    case 'output':
      return { kind: 'text', cli, text: clip(e.text) };
    case 'session':
      return { kind: 'session', cli, text: `session ${e.sessionId}${e.model ? ` (${e.model})` : ''}` };
    case 'message':
      return e.text.trim() ? { kind: e.role, cli, text: clip(e.text) } : null;
    case 'tool_use': {
      const args = e.input ?? e.detail;
      return { kind: 'tool_call', cli, tool: e.tool, ...(e.id ? { id: e.id } : {}), ...(args ? { args: clip(args) } : {}) };
    }
    case 'tool_result': {
      const output = e.content ?? e.detail;
      return { kind: 'tool_result', cli, ok: e.ok, ...(e.id ? { id: e.id } : {}), ...(output ? { output: clip(output) } : {}) };
    }
    case 'file_change':
      return { kind: 'file_change', cli, text: `${e.change} ${e.path}` };
    case 'error':
      return { kind: 'error', cli, text: clip(e.message) };
    case 'retry':
      return { kind: 'error', cli, text: `retrying its service${e.status ? ` (HTTP ${e.status})` : ' (no answer)'}${e.message ? `: ${e.message}` : ''}` };
    case 'quota':
      return e.status === 'rejected' ? { kind: 'error', cli, text: `usage limit${e.window ? ` (${e.window})` : ''}${e.resetAt ? ` until ${new Date(e.resetAt).toISOString()}` : ''}` } : null;
    case 'result':
      return { kind: 'result', cli, ok: e.ok, ...(e.text ? { text: clip(e.text) } : {}) };
    default:
      return null;
  }
}

/**
 * The transcript of an attempt log: a `run` entry per CLI invocation (preflight checks left out),
 * then what that CLI said. Runs of programs that are not a known CLI are left out.
 * @param cli the CLI the attempt used (its output's `cli`), for logs whose header names a custom program path.
 */
export function transcriptOf(logText: string, cli: string | null = null): { clis: string[]; entries: TranscriptEntry[] } {
  const entries: TranscriptEntry[] = [];
  const clis: string[] = [];
  for (const run of parseTranscript(cli !== null && isCliName(cli) ? cli : null, logText)) {
    if (run.preflight || run.cli === null) continue;
    if (!clis.includes(run.cli)) clis.push(run.cli);
    entries.push({ kind: 'run', cli: run.cli, text: clip(run.command) });
    for (const e of run.entries) {
      const entry = entryOf(run.cli, e);
      if (entry) entries.push(entry);
    }
  }
  return { clis, entries };
}
