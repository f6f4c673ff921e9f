/**
 * Cursor's agent CLI headless: `cursor-agent -p PROMPT --output-format stream-json --force`
 * (`--resume CHAT_ID` continues a session). Events: `system`/`init` (session id, model), `user`,
 * `assistant` (one line per message between tool calls), `tool_call` started/completed
 * (`readToolCall`, `writeToolCall`, `editToolCall`, `deleteToolCall`, `shellToolCall` {args,
 * result {success|error}}) and a terminal `result` {subtype, is_error, result, session_id}. Cursor
 * reports no tokens or cost. On failure it exits non-zero with the error on stderr. Not published
 * on npm (the npm package `cursor-agent` is unrelated), so on these machines it is usually reported
 * as not installed. Sources: src/testing/sim/cursor.ts.
 */
import { z } from 'zod';
import { AUTH_RE, matchingLine } from './classify.js';
import { contentText, cut, jsonCut, parseJsonObject } from './json-lines.js';
import type { AuthState, CliAdapter, CliEvent } from './types.js';

const eventSchema = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  message: z.looseObject({ role: z.string().optional(), content: z.unknown().optional() }).optional(),
  call_id: z.string().optional(),
  tool_call: z.record(z.string(), z.looseObject({ args: z.record(z.string(), z.unknown()).optional(), result: z.record(z.string(), z.unknown()).optional() })).optional(),
  is_error: z.boolean().optional(),
  result: z.string().optional(),
});

const FILE_TOOLS: Record<string, 'add' | 'update' | 'delete'> = { writeToolCall: 'add', editToolCall: 'update', deleteToolCall: 'delete' };

/** Parses one stdout line of `cursor-agent --output-format stream-json`. */
export function parseCursorLine(line: string): CliEvent[] {
  const raw = parseJsonObject(line);
  if (!raw) return [];
  const r = eventSchema.safeParse(raw);
  if (!r.success) return [];
  const e = r.data;
  switch (e.type) {
    case 'system':
      return e.subtype === 'init' && e.session_id ? [{ kind: 'session', sessionId: e.session_id, ...(e.model ? { model: e.model } : {}) }] : [];
    case 'assistant': {
      const text = contentText(e.message?.content);
      return text ? [{ kind: 'message', role: 'assistant', text }] : [];
    }
    case 'tool_call': {
      const [name, call] = Object.entries(e.tool_call ?? {})[0] ?? [];
      if (!name || !call) return [];
      const tool = name.replace(/ToolCall$/, '');
      const id = e.call_id ? { id: e.call_id } : {};
      const args = call.args ?? {};
      const path = typeof args.path === 'string' ? args.path : undefined;
      const detail = path ?? (typeof args.command === 'string' ? args.command : undefined);
      if (e.subtype === 'started') {
        const input = jsonCut(args);
        return [{ kind: 'tool_use', tool, ...id, ...(detail ? { detail: detail.slice(0, 200) } : {}), ...(input ? { input } : {}) }];
      }
      if (e.subtype !== 'completed') return [];
      const res = call.result ?? {};
      const success = res.success as Record<string, unknown> | undefined;
      const exit = typeof success?.exitCode === 'number' ? success.exitCode : 0;
      const ok = success !== undefined && exit === 0;
      const said = success ? [success.stdout, success.stderr, success.content].filter((x): x is string => typeof x === 'string' && x !== '').join('\n') : jsonCut(res.error);
      const out: CliEvent[] = [{ kind: 'tool_result', ...id, ok, ...(said ? { content: cut(said) } : {}) }];
      const change = FILE_TOOLS[name];
      if (ok && change && path) out.push({ kind: 'file_change', path: typeof success?.path === 'string' ? success.path : path, change });
      return out;
    }
    case 'result': {
      const ok = e.is_error !== true && (e.subtype === undefined || e.subtype === 'success');
      return [...(ok ? [] : [{ kind: 'error' as const, message: e.result ?? 'error result', fatal: true }]), { kind: 'result', ok, ...(e.result !== undefined ? { text: e.result } : {}), ...(e.subtype ? { subtype: e.subtype } : {}) }];
    }
    default:
      return [];
  }
}

export const cursorAdapter: CliAdapter = {
  name: 'cursor',
  program: 'cursor-agent',
  title: 'Cursor Agent',
  npmPackage: null,
  structured: true,
  supportsResume: true,
  command(inv) {
    const flags = inv.flags ?? ['--force'];
    return { args: ['-p', inv.prompt, '--output-format', 'stream-json', ...flags, ...(inv.model ? ['--model', inv.model] : []), ...(inv.resumeSessionId ? ['--resume', inv.resumeSessionId] : []), ...inv.extraArgs] };
  },
  newParser: () => ({ line: parseCursorLine }),
  classify({ exitCode, events, stdoutTail, stderrTail }) {
    const result = [...events].reverse().find((e) => e.kind === 'result');
    if (exitCode === 0 && result?.ok) return { kind: 'succeeded', message: 'done' };
    if (exitCode === 0 && !result) return { kind: 'invalid_output', message: 'cursor-agent exited 0 without a result event (expected --output-format stream-json)' };
    const auth = matchingLine(`${stderrTail}\n${stdoutTail}`, AUTH_RE);
    if (auth) return { kind: 'auth', message: `not authenticated: ${auth}` };
    return null;
  },
  authProbe: {
    args: ['status'],
    interpret(exitCode, stdout, stderr, env): AuthState {
      if (env.CURSOR_API_KEY) return { authenticated: true, detail: 'CURSOR_API_KEY is set' };
      const text = `${stdout}\n${stderr}`;
      if (AUTH_RE.test(text)) return { authenticated: false, detail: matchingLine(text, AUTH_RE) ?? 'not logged in' };
      return exitCode === 0 ? { authenticated: true, detail: (stdout.trim().split('\n')[0] ?? 'ok').slice(0, 200) } : { authenticated: false, detail: `cursor-agent status exited ${exitCode}` };
    },
  },
};
