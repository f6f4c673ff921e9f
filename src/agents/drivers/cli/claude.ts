/**
 * Claude Code headless: `claude -p PROMPT --output-format stream-json --verbose`. Events:
 * `system` (`init` with the session id, `api_retry`), `assistant` (one event per content block —
 * text or tool_use — each carrying its message's `id` and `usage` with cache tokens; an `error`
 * code such as `authentication_failed`, `rate_limit`, `overloaded`, `billing_error` on the CLI's
 * own synthetic messages), `user` (tool_result blocks), `rate_limit_event` (`rate_limit_info`:
 * status allowed|allowed_warning|rejected, `resetsAt` epoch s, `rateLimitType`) and one final
 * `result` (`subtype` success|error_during_execution|error_max_turns|error_max_budget_usd,
 * `is_error`, `result` or `errors`, `total_cost_usd`, `usage`, `modelUsage`, `session_id`).
 * Measured here without credentials: exit 1, an assistant message "Not logged in · Please run
 * /login" with `error: "authentication_failed"`, and a `result` with `is_error: true`. Sources of
 * every form: src/testing/sim/claude.ts.
 *
 * Default flags confine the agent: `--permission-mode acceptEdits` lets Edit/Write change files
 * only inside the working directory (elsewhere they need a permission nobody grants headless),
 * and `--settings` turns on Claude Code's sandbox for Bash (writes confined to the working
 * directory; it needs bubblewrap on Linux, and without it Claude Code warns and runs Bash
 * unsandboxed — tutti's own boundary check still applies).
 */
import { z } from 'zod';
import { contentText, jsonCut, parseJsonObject } from './json-lines.js';
import type { AuthState, CliAdapter, CliEvent } from './types.js';

/** Tools whose `file_path` input is a file the agent changes. */
const EDIT_TOOLS = new Set(['Edit', 'MultiEdit', 'Write', 'NotebookEdit']);

const usageSchema = z.looseObject({
  input_tokens: z.number().optional(),
  output_tokens: z.number().optional(),
  cache_creation_input_tokens: z.number().optional(),
  cache_read_input_tokens: z.number().optional(),
});

const block = z.looseObject({ type: z.string(), text: z.string().optional(), name: z.string().optional(), id: z.string().optional(), input: z.unknown().optional(), tool_use_id: z.string().optional(), is_error: z.boolean().optional(), content: z.unknown().optional() });

const eventSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('system'), subtype: z.string().optional(), session_id: z.string().optional(), model: z.string().optional(), error_status: z.number().nullable().optional(), error: z.string().optional(), attempt: z.number().optional() }),
  z.looseObject({ type: z.literal('assistant'), message: z.looseObject({ content: z.array(block).default([]) }), error: z.string().optional(), session_id: z.string().optional() }),
  z.looseObject({ type: z.literal('user'), message: z.looseObject({ content: z.union([z.string(), z.array(block)]).default([]) }) }),
  z.looseObject({
    type: z.literal('rate_limit_event'),
    rate_limit_info: z.looseObject({ status: z.string().optional(), resetsAt: z.number().nullable().optional(), rateLimitType: z.string().nullable().optional() }).optional(),
  }),
  z.looseObject({
    type: z.literal('result'),
    subtype: z.string().optional(),
    is_error: z.boolean().optional(),
    result: z.string().optional(),
    errors: z.array(z.string()).optional(),
    session_id: z.string().optional(),
    total_cost_usd: z.number().optional(),
    usage: usageSchema.optional(),
    api_error_status: z.number().nullable().optional(),
  }),
]);

const messageUsageSchema = z.looseObject({ id: z.string().optional(), usage: usageSchema.optional() });

/** Claude usage, input split into new, cache-write and cache-read tokens. */
function usageOf(u: z.infer<typeof usageSchema>): { inputTokens: number; cacheWriteTokens: number; cacheReadTokens: number; outputTokens: number } {
  return { inputTokens: u.input_tokens ?? 0, cacheWriteTokens: u.cache_creation_input_tokens ?? 0, cacheReadTokens: u.cache_read_input_tokens ?? 0, outputTokens: u.output_tokens ?? 0 };
}

const QUOTA_STATUS: Record<string, 'allowed' | 'warning' | 'rejected'> = { allowed: 'allowed', allowed_warning: 'warning', rejected: 'rejected' };

function detailOf(input: unknown): string | undefined {
  if (!input || typeof input !== 'object') return undefined;
  const i = input as Record<string, unknown>;
  for (const k of ['file_path', 'notebook_path', 'command', 'pattern', 'path', 'url', 'description']) if (typeof i[k] === 'string') return (i[k] as string).slice(0, 200);
  return undefined;
}

/**
 * Parses one stdout line of `claude -p --output-format stream-json --verbose`.
 * @param seenMessages ids of assistant messages already counted: when given, the usage each new
 *   message carries is reported as it comes (non-cumulative; the final `result` replaces the sum),
 *   so a budget can stop a long session before its end.
 */
export function parseClaudeLine(line: string, seenMessages?: Set<string>): CliEvent[] {
  const raw = parseJsonObject(line);
  if (!raw) return [];
  const r = eventSchema.safeParse(raw);
  if (!r.success) return [];
  const e = r.data;
  const out: CliEvent[] = [];
  if (e.type === 'assistant' && seenMessages) {
    const m = messageUsageSchema.safeParse(e.message);
    if (m.success && m.data.id && m.data.usage && !seenMessages.has(m.data.id)) {
      seenMessages.add(m.data.id);
      const u = m.data.usage;
      out.push({ kind: 'usage', cumulative: false, usage: usageOf(u) });
    }
  }
  switch (e.type) {
    case 'system':
      if (e.subtype === 'init' && e.session_id) out.push({ kind: 'session', sessionId: e.session_id, ...(e.model ? { model: e.model } : {}) });
      else if (e.subtype === 'api_retry') {
        const status = e.error_status ?? undefined;
        out.push({ kind: 'retry', network: status === undefined, ...(status !== undefined ? { status } : {}), ...(e.error ? { message: e.error } : {}) });
      }
      break;
    case 'assistant': {
      const texts: string[] = [];
      for (const b of e.message.content) {
        if (b.type === 'text' && b.text) {
          texts.push(b.text);
          // A message carrying an error code is the CLI speaking, not the agent: reported as the error.
          if (!e.error) out.push({ kind: 'message', role: 'assistant', text: b.text });
        } else if (b.type === 'tool_use' && b.name) {
          const detail = detailOf(b.input);
          const input = jsonCut(b.input);
          out.push({ kind: 'tool_use', tool: b.name, ...(b.id ? { id: b.id } : {}), ...(detail ? { detail } : {}), ...(input ? { input } : {}) });
          if (EDIT_TOOLS.has(b.name) && detail) out.push({ kind: 'file_change', path: detail, change: b.name === 'Write' ? 'add' : 'update' });
        }
      }
      if (e.error) out.push({ kind: 'error', message: `${texts.join(' ').slice(0, 500) || 'error'} (${e.error})`, fatal: true });
      break;
    }
    case 'user':
      if (Array.isArray(e.message.content)) {
        for (const b of e.message.content) {
          if (b.type !== 'tool_result') continue;
          const content = contentText(b.content);
          out.push({ kind: 'tool_result', ...(b.tool_use_id ? { id: b.tool_use_id } : {}), ok: b.is_error !== true, ...(content !== undefined ? { content } : {}) });
        }
      }
      break;
    case 'rate_limit_event': {
      const info = e.rate_limit_info;
      const status = QUOTA_STATUS[info?.status ?? ''];
      if (status) out.push({ kind: 'quota', status, ...(typeof info?.resetsAt === 'number' ? { resetAt: info.resetsAt * 1000 } : {}), ...(info?.rateLimitType ? { window: info.rateLimitType } : {}) });
      break;
    }
    case 'result': {
      const u = e.usage;
      if (u || e.total_cost_usd !== undefined) out.push({ kind: 'usage', cumulative: true, usage: { ...(u ? usageOf(u) : {}), ...(e.total_cost_usd !== undefined ? { costUsd: e.total_cost_usd } : {}) } });
      if (e.session_id) out.push({ kind: 'session', sessionId: e.session_id });
      const ok = e.is_error !== true && (e.subtype === undefined || e.subtype === 'success');
      const said = e.result ?? e.errors?.join('; ');
      if (!ok) out.push({ kind: 'error', message: `${e.subtype && e.subtype !== 'success' ? `${e.subtype}: ` : ''}${e.api_error_status ? `status ${e.api_error_status}: ` : ''}${said || 'error result'}`, fatal: true });
      out.push({ kind: 'result', ok, ...(said !== undefined ? { text: said } : {}), ...(e.subtype ? { subtype: e.subtype } : {}) });
      break;
    }
  }
  return out;
}

/**
 * Claude's default permission flags: edits confined to the working directory, Bash sandboxed to it
 * where Claude Code's sandbox can run (bubblewrap on Linux).
 */
export const CLAUDE_DEFAULT_FLAGS: readonly string[] = [
  '--permission-mode',
  'acceptEdits',
  '--allowedTools',
  'Bash,Read,Edit,MultiEdit,Write,Glob,Grep',
  '--settings',
  JSON.stringify({ sandbox: { enabled: true, autoAllowBashIfSandboxed: true, allowUnsandboxedCommands: false } }),
];

export const claudeAdapter: CliAdapter = {
  name: 'claude',
  program: 'claude',
  title: 'Claude Code',
  npmPackage: '@anthropic-ai/claude-code',
  structured: true,
  supportsResume: true,
  command(inv) {
    const flags = inv.flags ?? CLAUDE_DEFAULT_FLAGS;
    const cap = inv.maxBudgetUsd !== undefined && !flags.includes('--max-budget-usd') && !inv.extraArgs.includes('--max-budget-usd') ? ['--max-budget-usd', inv.maxBudgetUsd.toFixed(4)] : [];
    const resume = inv.resumeSessionId ? ['--resume', inv.resumeSessionId] : [];
    return { args: ['-p', inv.prompt, '--output-format', 'stream-json', '--verbose', ...flags, ...(inv.model ? ['--model', inv.model] : []), ...cap, ...resume, ...inv.extraArgs] };
  },
  newParser: () => {
    const seen = new Set<string>();
    return { line: (l) => parseClaudeLine(l, seen) };
  },
  classify({ exitCode, events }) {
    const result = [...events].reverse().find((e): e is Extract<CliEvent, { kind: 'result' }> => e.kind === 'result');
    if (exitCode === 0 && result?.ok) return { kind: 'succeeded', message: 'done' };
    if (result?.subtype === 'error_max_budget_usd') return { kind: 'budget', message: `budget exhausted: claude stopped at its --max-budget-usd (${result.text ?? 'error_max_budget_usd'})` };
    if (exitCode === 0 && !result) return { kind: 'invalid_output', message: 'claude exited 0 without a result event (expected --output-format stream-json)' };
    return null;
  },
  authProbe: {
    args: ['auth', 'status'],
    interpret(exitCode, stdout, _stderr, env): AuthState {
      if (env.ANTHROPIC_API_KEY) return { authenticated: true, detail: 'ANTHROPIC_API_KEY is set' };
      const j = parseJsonObject(stdout.trim().replace(/\n/g, ' '));
      if (j && typeof j.loggedIn === 'boolean') return j.loggedIn ? { authenticated: true, detail: `logged in (${String(j.authMethod ?? 'unknown method')})` } : { authenticated: false, detail: 'not logged in (claude auth login, or set ANTHROPIC_API_KEY)' };
      return exitCode === 0 ? { authenticated: true, detail: 'claude auth status: ok' } : { authenticated: false, detail: `claude auth status exited ${exitCode}` };
    },
  },
};
