/**
 * The transcript of a coding attempt, from its log: the assistant's messages, tool calls with
 * their arguments and results, errors and the final result, per CLI session.
 *
 * The log holds each CLI run's stdout after a `=== tutti: <program> <args> ===` header. Events are
 * read with the CLI adapters' own parsers (the ones the driver uses while the attempt runs), and
 * the arguments and results of tool calls from the same JSON lines. When
 * `parseTranscript(cli, logText)` lands in src/agents/drivers/cli/transcript.ts (the protocol
 * work), {@link transcriptOf} should call it per section instead of {@link sectionEntries}.
 */
import { CLI_ADAPTERS } from '../../agents/drivers/cli/adapters.js';
import { parseJsonObject } from '../../agents/drivers/cli/json-lines.js';
import type { CliAdapter, CliEvent } from '../../agents/drivers/cli/types.js';

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
const text = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : clip(typeof v === 'string' ? v : JSON.stringify(v, null, 2)));

const HEADER = /^=== tutti: (\S+)(.*) ===$/;

function adapterOf(program: string): CliAdapter | null {
  const name = program.split('/').pop()!;
  return Object.values(CLI_ADAPTERS).find((a) => a.program === name || a.name === name) ?? null;
}

/** Tool arguments and results a JSON line carries, by call id (Claude, Gemini and Codex spellings). */
function toolDetails(raw: Record<string, unknown>): { calls: Map<string, string>; results: Map<string, string> } {
  const calls = new Map<string, string>();
  const results = new Map<string, string>();
  const message = raw.message as { content?: unknown } | undefined;
  if (message && Array.isArray(message.content)) {
    for (const b of message.content as Array<Record<string, unknown>>) {
      if (b.type === 'tool_use' && typeof b.id === 'string') calls.set(b.id, text(b.input) ?? '');
      if (b.type === 'tool_result' && typeof b.tool_use_id === 'string') {
        const c = b.content;
        results.set(b.tool_use_id, text(Array.isArray(c) ? c.map((x: { text?: unknown }) => (typeof x?.text === 'string' ? x.text : JSON.stringify(x))).join('\n') : c) ?? '');
      }
    }
  }
  if (raw.type === 'tool_use' && typeof raw.tool_id === 'string') calls.set(raw.tool_id, text(raw.parameters) ?? '');
  if (raw.type === 'tool_result' && typeof raw.tool_id === 'string') results.set(raw.tool_id, text(raw.output ?? raw.error) ?? '');
  const item = raw.item as Record<string, unknown> | undefined;
  if (item && typeof item.id === 'string') {
    if (item.type === 'command_execution') {
      calls.set(item.id, text(item.command) ?? '');
      if (item.aggregated_output !== undefined) results.set(item.id, text(item.aggregated_output) ?? '');
    } else if (item.type === 'file_change' || item.type === 'mcp_tool_call' || item.type === 'web_search') {
      calls.set(item.id, text(item.changes ?? item.arguments ?? item.query) ?? '');
    }
  }
  return { calls, results };
}

function entryOf(cli: string, e: CliEvent, details: ReturnType<typeof toolDetails>): TranscriptEntry | null {
  switch (e.kind) {
    case 'session':
      return { kind: 'session', cli, text: `session ${e.sessionId}${e.model ? ` (${e.model})` : ''}` };
    case 'message':
      return e.text.trim() ? { kind: e.role, cli, text: clip(e.text) } : null;
    case 'tool_use': {
      const args = (e.id !== undefined ? details.calls.get(e.id) : undefined) ?? e.detail;
      return { kind: 'tool_call', cli, tool: e.tool, ...(e.id ? { id: e.id } : {}), ...(args ? { args } : {}) };
    }
    case 'tool_result': {
      const output = (e.id !== undefined ? details.results.get(e.id) : undefined) ?? e.detail;
      return { kind: 'tool_result', cli, ok: e.ok, ...(e.id ? { id: e.id } : {}), ...(output ? { output } : {}) };
    }
    case 'file_change':
      return { kind: 'file_change', cli, text: `${e.change} ${e.path}` };
    case 'error':
      return { kind: 'error', cli, text: clip(e.message) };
    case 'retry':
      return { kind: 'error', cli, text: `retrying its service${e.status ? ` (HTTP ${e.status})` : ' (no answer)'}${e.message ? `: ${e.message}` : ''}` };
    case 'result':
      return { kind: 'result', cli, ok: e.ok, ...(e.text ? { text: clip(e.text) } : {}) };
    default:
      return null;
  }
}

/** The entries of one CLI run's output. */
export function sectionEntries(adapter: CliAdapter, lines: readonly string[]): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  if (!adapter.structured) {
    const body = lines.join('\n').trim();
    return body ? [{ kind: 'assistant', cli: adapter.name, text: clip(body) }] : [];
  }
  const parser = adapter.newParser();
  for (const line of lines) {
    const events = parser.line(line);
    const raw = events.length ? parseJsonObject(line) : null;
    const details = raw ? toolDetails(raw) : { calls: new Map<string, string>(), results: new Map<string, string>() };
    for (const e of events) {
      const entry = entryOf(adapter.name, e, details);
      if (entry) out.push(entry);
    }
  }
  return out;
}

/**
 * The transcript of an attempt log: a `run` entry per CLI invocation (its header), then what
 * that CLI said. Lines outside a known CLI's section (validation commands, git) are skipped.
 */
export function transcriptOf(logText: string): { clis: string[]; entries: TranscriptEntry[] } {
  const entries: TranscriptEntry[] = [];
  const clis: string[] = [];
  let adapter: CliAdapter | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (adapter) entries.push(...sectionEntries(adapter, lines));
    lines = [];
  };
  for (const line of logText.split('\n')) {
    const m = HEADER.exec(line);
    if (!m) {
      lines.push(line);
      continue;
    }
    flush();
    adapter = adapterOf(m[1]!);
    if (adapter && !m[2]!.includes('(preflight)')) {
      if (!clis.includes(adapter.name)) clis.push(adapter.name);
      entries.push({ kind: 'run', cli: adapter.name, text: clip(`${m[1]}${m[2]}`) });
    } else adapter = null;
  }
  flush();
  return { clis, entries };
}
