/**
 * Codex headless: `codex exec --json --skip-git-repo-check -s workspace-write -C DIR -o FILE -`
 * with the prompt on stdin (then closed: Codex reads stdin when it is a pipe); a resumed session is
 * `codex exec … resume ID -` (exec's -s/-C/-o go before `resume`: after it they are a usage error).
 * `-s workspace-write` (the default flags) confines writes, commands included, to the working
 * directory. Sources of every form: src/testing/sim/codex.ts. Events:
 * `thread.started` (thread id = session), `turn.started`, `turn.completed` (usage),
 * `turn.failed`, `item.started|updated|completed` (agent_message, reasoning, command_execution,
 * file_change, mcp_tool_call, web_search, todo_list, error) and top-level `error`.
 * Measured here without credentials: `codex exec` never ends ("Reconnecting... waiting for
 * network"), so `codex login status` (exit 1, "Not logged in") is checked first.
 */
import { z } from 'zod';
import { NETWORK_RE } from './classify.js';
import { cut, jsonCut, parseJsonObject } from './json-lines.js';
import type { AuthState, CliAdapter, CliEvent } from './types.js';

const itemSchema = z.looseObject({
  id: z.string().optional(),
  type: z.string(),
  text: z.string().optional(),
  message: z.string().optional(),
  command: z.string().optional(),
  exit_code: z.number().nullable().optional(),
  status: z.string().optional(),
  changes: z.array(z.looseObject({ path: z.string(), kind: z.string().optional() })).optional(),
  server: z.string().optional(),
  tool: z.string().optional(),
  query: z.string().optional(),
  aggregated_output: z.string().optional(),
  arguments: z.unknown().optional(),
});

const eventSchema = z.looseObject({
  type: z.string(),
  thread_id: z.string().optional(),
  usage: z.looseObject({ input_tokens: z.number().optional(), cached_input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional(),
  error: z.looseObject({ message: z.string().optional() }).optional(),
  message: z.string().optional(),
  item: itemSchema.optional(),
});

function changeKind(k: string | undefined): 'add' | 'update' | 'delete' {
  return k === 'add' ? 'add' : k === 'delete' ? 'delete' : 'update';
}

/** Parses one stdout line of `codex exec --json`. */
export function parseCodexLine(line: string): CliEvent[] {
  const raw = parseJsonObject(line);
  if (!raw) return [];
  const r = eventSchema.safeParse(raw);
  if (!r.success) return [];
  const e = r.data;
  switch (e.type) {
    case 'thread.started':
      return e.thread_id ? [{ kind: 'session', sessionId: e.thread_id }] : [];
    case 'turn.completed': {
      // Codex counts cached input inside input_tokens (TokenUsage::non_cached_input): split it out.
      const cached = e.usage?.cached_input_tokens ?? 0;
      const usage: CliEvent[] = e.usage ? [{ kind: 'usage', cumulative: false, usage: { inputTokens: Math.max(0, (e.usage.input_tokens ?? 0) - cached), cacheReadTokens: cached, outputTokens: e.usage.output_tokens ?? 0 } }] : [];
      return [...usage, { kind: 'result', ok: true }];
    }
    case 'turn.failed':
      return [
        { kind: 'error', message: e.error?.message ?? 'turn failed', fatal: true },
        { kind: 'result', ok: false, text: e.error?.message ?? 'turn failed' },
      ];
    case 'error': {
      const message = e.message ?? 'error';
      if (/^Reconnecting/i.test(message)) return [{ kind: 'retry', network: NETWORK_RE.test(message), message }];
      return [{ kind: 'error', message, fatal: false }];
    }
    case 'item.started':
    case 'item.updated':
    case 'item.completed': {
      const it = e.item;
      if (!it) return [];
      const done = e.type === 'item.completed';
      switch (it.type) {
        case 'agent_message':
          return done && it.text ? [{ kind: 'message', role: 'assistant', text: it.text }] : [];
        case 'command_execution':
          if (e.type === 'item.started') return [{ kind: 'tool_use', tool: 'shell', ...(it.id ? { id: it.id } : {}), ...(it.command ? { detail: it.command.slice(0, 200), input: cut(it.command) } : {}) }];
          return done ? [{ kind: 'tool_result', ...(it.id ? { id: it.id } : {}), ok: it.exit_code === 0 || it.status === 'completed', ...(it.aggregated_output !== undefined ? { content: cut(it.aggregated_output) } : {}) }] : [];
        case 'file_change': {
          if (!done) return [];
          const changes = it.changes ?? [];
          const ok = it.status !== 'failed';
          const input = jsonCut(changes);
          const call: CliEvent[] = [
            { kind: 'tool_use', tool: 'apply_patch', ...(it.id ? { id: it.id } : {}), ...(changes[0] ? { detail: changes[0].path.slice(0, 200) } : {}), ...(input ? { input } : {}) },
            { kind: 'tool_result', ...(it.id ? { id: it.id } : {}), ok },
          ];
          return ok ? [...call, ...changes.map((c) => ({ kind: 'file_change' as const, path: c.path, change: changeKind(c.kind) }))] : call;
        }
        case 'mcp_tool_call': {
          const input = jsonCut(it.arguments);
          return e.type === 'item.started' ? [{ kind: 'tool_use', tool: `${it.server ?? 'mcp'}.${it.tool ?? '?'}`, ...(it.id ? { id: it.id } : {}), ...(input ? { input } : {}) }] : [];
        }
        case 'web_search':
          return e.type === 'item.started' ? [{ kind: 'tool_use', tool: 'web_search', ...(it.query ? { detail: it.query.slice(0, 200) } : {}) }] : [];
        case 'error':
          return done ? [{ kind: 'error', message: it.message ?? 'error', fatal: false }] : [];
        default:
          return [];
      }
    }
    default:
      return [];
  }
}

export const codexAdapter: CliAdapter = {
  name: 'codex',
  program: 'codex',
  title: 'Codex',
  npmPackage: '@openai/codex',
  structured: true,
  supportsResume: true,
  command(inv) {
    const flags = inv.flags ?? ['-s', 'workspace-write'];
    const resume = inv.resumeSessionId ? ['resume', inv.resumeSessionId] : [];
    return {
      args: ['exec', '--json', '--skip-git-repo-check', ...flags, '-C', inv.cwd, '-o', inv.lastMessageFile, ...(inv.model ? ['-m', inv.model] : []), ...inv.extraArgs, ...resume, '-'],
      stdin: inv.prompt,
    };
  },
  newParser: () => ({ line: parseCodexLine }),
  classify({ exitCode, events }) {
    const result = [...events].reverse().find((e) => e.kind === 'result');
    if (exitCode === 0 && result?.ok) return { kind: 'succeeded', message: 'done' };
    if (exitCode === 0 && !result) return { kind: 'invalid_output', message: 'codex exited 0 without turn.completed (expected exec --json)' };
    return null;
  },
  preflight: {
    args: ['login', 'status'],
    authenticated: (exitCode, _stdout, env) => exitCode === 0 || Boolean(env.CODEX_API_KEY || env.OPENAI_API_KEY),
  },
  authProbe: {
    args: ['login', 'status'],
    interpret(exitCode, stdout, stderr, env): AuthState {
      if (exitCode === 0) return { authenticated: true, detail: (stdout.trim() || stderr.trim()).split('\n').pop() ?? 'logged in' };
      if (env.CODEX_API_KEY || env.OPENAI_API_KEY) return { authenticated: true, detail: `${env.CODEX_API_KEY ? 'CODEX_API_KEY' : 'OPENAI_API_KEY'} is set` };
      return { authenticated: false, detail: 'not logged in (codex login, or set CODEX_API_KEY)' };
    },
  },
};
