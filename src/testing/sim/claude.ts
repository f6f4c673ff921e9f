/**
 * Claude Code headless, as `claude -p PROMPT --output-format stream-json --verbose` prints it.
 *
 * Sources:
 * - Captured from @anthropic-ai/claude-code 2.1.329 (test/agents/cli-real, no credentials): the
 *   `system`/`init` fields, the not-logged-in assistant message (`error: "authentication_failed"`,
 *   `model: "<synthetic>"`) and `result` (`subtype: "success"`, `is_error: true`, exit 1), `claude
 *   auth status` JSON (exit 1 when logged out), `--resume` of an unknown id (a `result` with
 *   `subtype: "error_during_execution"` and `errors`, the text on stderr, exit 1), the stderr
 *   warning when `--settings` enables the sandbox without bubblewrap, and "--output-format=stream-json
 *   requires --verbose".
 * - The same package's bundled SDK schemas (strings of its binary): `rate_limit_event` with
 *   `rate_limit_info` {status allowed|allowed_warning|rejected, resetsAt (epoch s), rateLimitType
 *   five_hour|seven_day|…, overageStatus, isUsingOverage}, the result subtypes (success,
 *   error_during_execution, error_max_turns, error_max_budget_usd with errors
 *   ["Reached maximum budget ($X)"]), the assistant `error` values (authentication_failed,
 *   billing_error, rate_limit, overloaded, …), "Credit balance is too low", "API Error: …",
 *   "Claude requested permissions to write to P, but you haven't granted it yet.", and the reset
 *   time format ("4pm", "4:30pm", past 24 h "Apr 23 at 4pm", with " (Zone)").
 * - anthropics/claude-code issues #51981 ("You've hit your limit · resets Apr 23 at 4pm
 *   (America/Recife)"), #54709, #31916, #11429 (legacy "Claude AI usage limit reached|<epoch>"),
 *   #38673 (a rate_limit_event line between assistant and result).
 * Silent or unsure: the `error` of `api_retry` for HTTP 529 (the simulator says "overloaded", an
 * assistant error value), and whether the per-block assistant events of one message repeat its
 * usage (they do here, as the fixtures captured by others show). One assistant event per content
 * block, each carrying the message's `id` and `usage` with cache tokens.
 */
import { delimiter, join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { flagValue, emit, priceUsd, resetEpochMs, splitTokens, uuid, addTokens, NO_TOKENS, type SimContext, type SimEmitter, type SimParsed, type SimProtocol, type SimTokens, type SimTool } from './protocol.js';
import { claudeResetText, randomId } from './texts.js';

const VERSION = '2.1.329 (Claude Code)';
const TOOLS = ['Task', 'Bash', 'Glob', 'Grep', 'LS', 'Read', 'Edit', 'MultiEdit', 'Write', 'NotebookEdit', 'WebFetch', 'TodoWrite', 'WebSearch'];
/** Options that take a value (commander): the prompt is the first other non-option word. */
const VALUED = new Set(['--output-format', '--input-format', '--model', '--permission-mode', '--max-budget-usd', '--settings', '--session-id', '--append-system-prompt', '--system-prompt', '--max-turns', '--fallback-model', '--permission-prompt-tool', '--agents', '--effort', '--setting-sources', '--debug-file', '--json-schema', '--plugin-dir', '--permission-prompts', '--agent']);
const VARIADIC = new Set(['--allowedTools', '--allowed-tools', '--disallowedTools', '--disallowed-tools', '--add-dir', '--mcp-config', '--tools', '--betas']);

function parse(argv: readonly string[], readStdin: () => string): SimParsed {
  if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
  if (argv[0] === 'auth' && argv[1] === 'status') return { kind: 'auth' };
  if (!argv.includes('-p') && !argv.includes('--print')) return { kind: 'interactive' };
  let prompt: string | undefined;
  let resume: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--resume' || a === '-r') {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('-')) resume = argv[++i];
      continue;
    }
    if (VALUED.has(a)) {
      i++;
      continue;
    }
    if (VARIADIC.has(a)) {
      while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    prompt ??= a;
  }
  const format = flagValue(argv, '--output-format');
  if (format === 'stream-json' && !argv.includes('--verbose')) return { kind: 'usage', message: 'Error: When using --print, --output-format=stream-json requires --verbose', exitCode: 1 };
  const settings = flagValue(argv, '--settings');
  const budget = flagValue(argv, '--max-budget-usd');
  return {
    kind: 'run',
    prompt: prompt ?? readStdin(),
    ...(resume ? { resume } : {}),
    ...(flagValue(argv, '--model') ? { model: flagValue(argv, '--model')! } : {}),
    ...(budget !== undefined && Number.isFinite(Number(budget)) ? { maxBudgetUsd: Number(budget) } : {}),
    ...(settings !== undefined && sandboxRequested(settings) && !hasBubblewrap(process.env) ? { notice: CLAUDE_SANDBOX_WARNING } : {}),
    ...(permissive(argv) ? {} : { confine: { extraRoots: addDirs(argv), readOnly: flagValue(argv, '--permission-mode') === 'plan' } }),
  };
}

/** Whether permissions let the file tools write anywhere (else acceptEdits/default only inside the working directories). */
function permissive(argv: readonly string[]): boolean {
  return argv.includes('--dangerously-skip-permissions') || flagValue(argv, '--permission-mode') === 'bypassPermissions';
}

function addDirs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) if (argv[i] === '--add-dir') while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) out.push(resolve(argv[++i]!));
  return out;
}

function sandboxRequested(settings: string): boolean {
  try {
    const text = settings.trim().startsWith('{') ? settings : readFileSync(settings, 'utf8');
    const j = JSON.parse(text) as { sandbox?: { enabled?: boolean } };
    return j.sandbox?.enabled === true;
  } catch {
    return false;
  }
}

/** Whether bubblewrap is on PATH (Claude Code's Linux sandbox needs it). */
export function hasBubblewrap(env: NodeJS.ProcessEnv): boolean {
  return (env.PATH ?? '').split(delimiter).some((d) => d && existsSync(join(d, 'bwrap')));
}

/** The stderr warning of Claude Code 2.1.329 when the sandbox is asked for but cannot start. */
export const CLAUDE_SANDBOX_WARNING =
  '\n⚠ Sandbox disabled: sandbox is enabled but dependencies are missing: bubblewrap (bwrap) not installed · install missing tools (e.g. apt install bubblewrap socat) or see https://code.claude.com/docs/en/sandboxing\n  Commands will run WITHOUT sandboxing. Network and filesystem restrictions will NOT be enforced.\n\n';

const usageOf = (t: SimTokens) => ({ input_tokens: t.input, cache_creation_input_tokens: t.cacheWrite, cache_read_input_tokens: t.cacheRead, output_tokens: t.output, service_tier: 'standard' });

function emitter(ctx: SimContext): SimEmitter {
  const sid = ctx.sessionId;
  let message: { id: string; usage: SimTokens } | null = null;
  let messages = 0;
  const denials: Array<{ tool_name: string; tool_use_id: string; tool_input: Record<string, unknown> }> = [];
  const base = () => ({ parent_tool_use_id: null, session_id: sid, uuid: uuid() });

  let planned = 0;
  const open = (usage?: SimTokens) => {
    if (message) return message;
    let u = usage;
    if (!u) u = planned < ctx.plannedMessages ? splitTokens(ctx.total, ctx.plannedMessages, planned++) : { ...NO_TOKENS };
    messages++;
    message = { id: `msg_01${randomId(22)}`, usage: u };
    return message;
  };
  const block = (m: { id: string; usage: SimTokens }, content: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    emit({ type: 'assistant', message: { id: m.id, type: 'message', role: 'assistant', model: ctx.model, content: [content], stop_reason: null, stop_sequence: null, usage: usageOf(m.usage) }, ...base(), ...extra });
  const synthetic = (text: string, error: string) =>
    emit({ type: 'assistant', message: { id: uuid(), container: null, model: '<synthetic>', role: 'assistant', stop_reason: 'stop_sequence', stop_sequence: '', type: 'message', usage: usageOf(NO_TOKENS), content: [{ type: 'text', text }] }, ...base(), error, is_api_error_message: true });
  const result = (fields: Record<string, unknown>, tokens: SimTokens, cost: number) => {
    const ms = Date.now() - ctx.startedAt;
    emit({
      type: 'result',
      subtype: 'success',
      is_error: false,
      duration_ms: ms,
      duration_api_ms: Math.round(ms * 0.8),
      num_turns: Math.max(1, messages),
      stop_reason: 'end_turn',
      session_id: sid,
      total_cost_usd: cost,
      usage: { ...usageOf(tokens), server_tool_use: { web_search_requests: 0, web_fetch_requests: 0 } },
      modelUsage: messages ? { [ctx.model]: { inputTokens: tokens.input, outputTokens: tokens.output, cacheReadInputTokens: tokens.cacheRead, cacheCreationInputTokens: tokens.cacheWrite, webSearchRequests: 0, costUSD: cost, contextWindow: 200_000, maxOutputTokens: 32_000 } } : {},
      permission_denials: denials,
      uuid: uuid(),
      ...fields,
    });
  };
  const input = (t: SimTool): { name: string; input: Record<string, unknown> } => {
    switch (t.kind) {
      case 'write':
        return { name: 'Write', input: { file_path: t.path, content: t.content } };
      case 'edit':
        return { name: 'Edit', input: { file_path: t.path, old_string: t.find, new_string: t.replace, replace_all: false } };
      case 'read':
        return { name: 'Read', input: { file_path: t.path } };
      case 'delete':
        return { name: 'Bash', input: { command: `rm ${JSON.stringify(t.path)}`, description: `Delete ${t.path}` } };
      case 'shell':
        return { name: 'Bash', input: { command: t.command, description: `Run ${t.command.slice(0, 60)}` } };
    }
  };
  const inputs = new Map<string, { name: string; input: Record<string, unknown> }>();

  return {
    start() {
      emit({ type: 'system', subtype: 'init', cwd: ctx.cwd, session_id: sid, tools: TOOLS, mcp_servers: [], model: ctx.model, permissionMode: flagValue(ctx.argv, '--permission-mode') ?? 'default', slash_commands: ['compact', 'context', 'cost', 'init', 'review'], apiKeySource: ctx.env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY' : 'none', claude_code_version: VERSION.split(' ')[0], output_style: 'default', agents: ['general-purpose', 'Explore', 'Plan'], skills: [], plugins: [], uuid: uuid(), fast_mode_state: 'off' });
    },
    text(text, usage) {
      if (usage) message = null;
      block(open(usage), { type: 'text', text });
    },
    toolStart(tool, usage) {
      if (usage) message = null;
      const m = open(usage);
      const id = `toolu_01${randomId(22)}`;
      const call = input(tool);
      inputs.set(id, call);
      block(m, { type: 'tool_use', id, name: call.name, input: call.input });
      // The model waits for the tool's result: the next words are a new message (API call).
      message = null;
      return id;
    },
    toolEnd(id, tool, r) {
      const denied = /^Claude requested permissions/.test(r.output);
      if (denied) denials.push({ tool_name: inputs.get(id)!.name, tool_use_id: id, tool_input: inputs.get(id)!.input });
      const content = r.ok ? r.output : tool.kind === 'shell' || tool.kind === 'delete' ? `Exit code ${r.exitCode ?? 1}\n${r.output}` : denied ? r.output : `<tool_use_error>${r.output}</tool_use_error>`;
      const toolUseResult = tool.kind === 'shell' || tool.kind === 'delete' ? { stdout: r.output, stderr: '', interrupted: false, isImage: false } : tool.kind === 'write' ? { type: tool.created ? 'create' : 'update', filePath: tool.path, content: tool.content } : { filePath: 'path' in tool ? tool.path : '' };
      emit({ type: 'user', message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content, ...(r.ok ? {} : { is_error: true }) }] }, ...base(), tool_use_result: r.ok ? toolUseResult : `Error: ${r.output}` });
    },
    retry(attempt) {
      emit({ type: 'system', subtype: 'api_retry', attempt, max_retries: 10, retry_delay_ms: Math.round(500 * 2 ** Math.min(attempt, 6)), error_status: null, error: 'unknown', ...base() });
    },
    finish(outcome, finalText) {
      const reported = addTokens(ctx.total, ctx.extra);
      const cost = (o: { costUsd?: number }) => o.costUsd ?? priceUsd(reported);
      switch (outcome.kind) {
        case 'success':
          result({ result: finalText }, reported, cost(outcome));
          return { exitCode: 0 };
        case 'error':
          result({ subtype: 'error_during_execution', is_error: true, stop_reason: null, errors: [outcome.message] }, reported, cost(outcome));
          return { exitCode: 1, stderr: `${outcome.message}\n` };
        case 'budget': {
          const max = outcome.maxBudgetUsd ?? ctx.maxBudgetUsd ?? 1;
          result({ subtype: 'error_max_budget_usd', is_error: true, stop_reason: null, errors: [`Reached maximum budget ($${max})`] }, reported, Math.max(outcome.costUsd ?? max * 1.02, cost({})));
          return { exitCode: 1 };
        }
        case 'rate_limit': {
          const reset = resetEpochMs(outcome, ctx.startedAt);
          if (outcome.event) emit({ type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: Math.floor(reset / 1000), rateLimitType: outcome.window, overageStatus: 'rejected', overageDisabledReason: 'org_level_disabled', isUsingOverage: false }, uuid: uuid(), session_id: sid });
          const text = outcome.form === 'legacy' ? `Claude AI usage limit reached|${Math.floor(reset / 1000)}` : outcome.form === 'none' ? "You've hit your limit" : `You've hit your limit · resets ${claudeResetText(reset, ctx.startedAt, outcome.zone ?? 'UTC')}`;
          synthetic(text, 'rate_limit');
          result({ is_error: true, result: text, stop_reason: 'stop_sequence', api_error_status: 429, terminal_reason: 'api_error' }, reported, cost({}));
          return { exitCode: 1 };
        }
        case 'capacity': {
          const body = `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011${randomId(21)}"}`;
          for (let i = 1; i <= 2; i++) emit({ type: 'system', subtype: 'api_retry', attempt: i, max_retries: 10, retry_delay_ms: 500 * 2 ** i, error_status: 529, error: 'overloaded', ...base() });
          const text = `API Error: 529 ${body}`;
          synthetic(text, 'overloaded');
          result({ is_error: true, result: text, stop_reason: 'stop_sequence', api_error_status: 529, terminal_reason: 'api_error' }, reported, cost({}));
          return { exitCode: 1 };
        }
        case 'out_of_credits':
          synthetic('Credit balance is too low', 'billing_error');
          result({ is_error: true, result: 'Credit balance is too low', stop_reason: 'stop_sequence', api_error_status: 400, terminal_reason: 'api_error' }, reported, cost({}));
          return { exitCode: 1 };
        case 'auth':
          synthetic('Not logged in · Please run /login', 'authentication_failed');
          result({ is_error: true, result: 'Not logged in · Please run /login', stop_reason: 'stop_sequence', api_error_status: null, terminal_reason: 'api_error' }, reported, 0);
          return { exitCode: 1 };
        default:
          return { exitCode: 1 };
      }
    },
  };
}

export const claudeProtocol: SimProtocol = {
  cli: 'claude',
  version: VERSION,
  defaultModel: 'claude-sonnet-4-5-20250929',
  newSessionId: uuid,
  parse,
  authProbe(loggedIn) {
    const home = process.env.HOME ?? '/root';
    const body = { loggedIn, authMethod: loggedIn ? 'claude.ai' : 'none', apiProvider: 'firstParty', analyticsDisabled: false, projectsDirectory: join(home, '.claude', 'projects'), configDirectory: join(home, '.claude'), loginExpiresAt: null, consoleProfileSignInOffered: !loggedIn };
    return { stdout: `${JSON.stringify(body, null, 2)}\n`, exitCode: loggedIn ? 0 : 1 };
  },
  denial(tool) {
    return `Claude requested permissions to ${tool.kind === 'edit' ? 'edit' : 'write to'} ${'path' in tool ? tool.path : ''}, but you haven't granted it yet.`;
  },
  unknownSession(id, _ctx) {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const error = isUuid ? `No conversation found with session ID: ${id}` : `Error: --resume requires a valid session ID or session title when used with --print. Usage: claude -p --resume <session-id|title>. Provided value "${id}" is not a UUID and does not match any session title.`;
    const line = { type: 'result', subtype: 'error_during_execution', duration_ms: 0, duration_api_ms: 0, is_error: true, num_turns: 0, stop_reason: null, session_id: isUuid ? id : uuid(), total_cost_usd: 0, usage: usageOf(NO_TOKENS), modelUsage: {}, permission_denials: [], uuid: uuid(), errors: [error] };
    return { stdout: `${JSON.stringify(line)}\n`, stderr: `${error}\n`, exitCode: 1 };
  },
  emitter,
};
