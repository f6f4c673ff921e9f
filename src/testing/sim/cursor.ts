/**
 * Cursor's agent CLI headless, as `cursor-agent -p PROMPT --output-format stream-json --force`
 * prints it (also `text`: the final answer only, and `json`: one result object).
 *
 * Sources (Cursor is closed source):
 * - cursor.com/docs/cli/reference/output-format: `system`/`init` {apiKeySource, cwd, session_id,
 *   model, permissionMode}, `user` {message {role, content [{type text}]}}, `assistant` (one line
 *   per assistant message between tool calls), `tool_call` {subtype started|completed, call_id,
 *   tool_call {readToolCall|writeToolCall {args, result {success {…}}}} or {function {name,
 *   arguments}}}, and a terminal `result` {subtype success, is_error false, duration_ms,
 *   duration_api_ms, result, session_id, request_id}; on failure a non-zero exit, the error on
 *   stderr, the stream possibly ending without a result.
 * - reifying/cursor-hack docs/stream-json-events.md (captured streams): `shellToolCall` args
 *   {command, workingDirectory, timeout} and result {success {exitCode, stdout, stderr}},
 *   `model_call_id`/`timestamp_ms` on mid-turn events, `thinking` deltas (not simulated).
 * - nexu-io/open-design issue #951: "Error: Authentication required. Please run 'agent login'
 *   first, or set CURSOR_API_KEY environment variable." (exit 1); `cursor-agent status` prints
 *   "Not logged in" when logged out (open-design PR #1538).
 * Silent: usage (Cursor reports no tokens or cost), how rate limits, capacity and credit errors are
 * worded, and delete/edit tool shapes; the simulator prints those errors on stderr in its own words
 * (below) with exit 1, and files edits as `editToolCall` {args {path}, result {success {path}}}.
 */
import { emit, flagValue, resetEpochMs, uuid, type SimContext, type SimEmitter, type SimParsed, type SimProtocol } from './protocol.js';
import { goDuration } from './texts.js';

const VERSION = '2026.05.07-42ddaca';
const VALUED = new Set(['--output-format', '--model', '-m', '--resume', '--workspace', '--api-key', '--mode']);

function parse(argv: readonly string[], readStdin: () => string): SimParsed {
  if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
  if (argv[0] === 'status' || argv[0] === 'whoami') return { kind: 'auth' };
  if (!argv.includes('-p') && !argv.includes('--print')) return { kind: 'interactive' };
  let prompt: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (VALUED.has(a)) i++;
    else if (!a.startsWith('-')) prompt ??= a;
  }
  const resume = flagValue(argv, '--resume');
  const format = flagValue(argv, '--output-format') ?? 'text';
  if (!['text', 'json', 'stream-json'].includes(format)) return { kind: 'usage', exitCode: 1, message: `error: option '--output-format <format>' argument '${format}' is invalid. Allowed choices are text, json, stream-json.` };
  return { kind: 'run', prompt: prompt ?? readStdin(), ...(resume ? { resume } : {}), ...(flagValue(argv, '--model', '-m') ? { model: flagValue(argv, '--model', '-m')! } : {}), ...(flagValue(argv, '--workspace') ? { cwd: flagValue(argv, '--workspace')! } : {}) };
}

function emitter(ctx: SimContext): SimEmitter {
  const format = flagValue(ctx.argv, '--output-format') ?? 'text';
  const stream = format === 'stream-json';
  const texts: string[] = [];
  const base = () => ({ session_id: ctx.sessionId });
  const call = (tool: Parameters<SimEmitter["toolStart"]>[0]): Record<string, unknown> =>
    tool.kind === 'write'
      ? { writeToolCall: { args: { path: tool.path, fileText: tool.content } } }
      : tool.kind === 'read'
        ? { readToolCall: { args: { path: tool.path } } }
        : tool.kind === 'edit'
          ? { editToolCall: { args: { path: tool.path, oldString: tool.find, newString: tool.replace } } }
          : { shellToolCall: { args: { command: tool.kind === 'shell' ? tool.command : `rm ${JSON.stringify(tool.path)}`, workingDirectory: ctx.cwd, timeout: 30000 } } };
  const fail = (message: string) => {
    process.stderr.write(`${message}\n`);
    return { exitCode: 1 };
  };
  return {
    start() {
      if (!stream) return;
      emit({ type: 'system', subtype: 'init', apiKeySource: ctx.env.CURSOR_API_KEY ? 'env' : 'login', cwd: ctx.cwd, ...base(), model: ctx.model, permissionMode: ctx.argv.includes('--force') || ctx.argv.includes('-f') ? 'force' : 'default' });
      emit({ type: 'user', message: { role: 'user', content: [{ type: 'text', text: ctx.prompt }] }, ...base() });
    },
    text(text) {
      texts.push(text);
      if (stream) emit({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] }, ...base() });
    },
    toolStart(tool) {
      const id = `call_${uuid().replace(/-/g, '').slice(0, 24)}`;
      if (stream) emit({ type: 'tool_call', subtype: 'started', call_id: id, tool_call: call(tool), ...base() });
      return id;
    },
    toolEnd(id, tool, r) {
      if (!stream) return;
      const c = call(tool) as Record<string, { args: Record<string, unknown> }>;
      const key = Object.keys(c)[0]!;
      const success = tool.kind === 'write' ? { path: tool.path, linesCreated: tool.content.split('\n').length, fileSize: Buffer.byteLength(tool.content) } : tool.kind === 'read' ? { content: r.output, isEmpty: r.output === '', exceededLimit: false } : tool.kind === 'edit' ? { path: tool.path } : { command: tool.kind === 'shell' ? tool.command : '', exitCode: r.exitCode ?? 0, stdout: r.output, stderr: '' };
      const result = r.ok ? { success } : tool.kind === 'shell' || tool.kind === 'delete' ? { success } : { error: { errorMessage: r.output } };
      emit({ type: 'tool_call', subtype: 'completed', call_id: id, tool_call: { [key]: { ...c[key], result } }, ...base() });
    },
    retry(attempt) {
      process.stderr.write(`Connection lost, retrying (attempt ${attempt})…\n`);
    },
    finish(outcome, finalText) {
      switch (outcome.kind) {
        case 'success': {
          const ms = Date.now() - ctx.startedAt;
          const result = { type: 'result', subtype: 'success', duration_ms: ms, duration_api_ms: ms, is_error: false, result: texts.join('') || finalText, ...base(), request_id: uuid() };
          if (stream) emit(result);
          else if (format === 'json') process.stdout.write(`${JSON.stringify(result)}\n`);
          else process.stdout.write(`${finalText}\n`);
          return { exitCode: 0 };
        }
        case 'error':
          return fail(`Error: ${outcome.message}`);
        case 'rate_limit': {
          const secs = Math.round((resetEpochMs(outcome, ctx.startedAt) - ctx.startedAt) / 1000);
          return fail(outcome.form === 'none' ? 'Error: You have hit your usage limit.' : `Error: You have hit your usage limit. Try again in ${goDuration(secs)}.`);
        }
        case 'capacity':
          return fail(`Error: ${outcome.model ?? ctx.model} is overloaded (model at capacity). Please try again later or switch models.`);
        case 'out_of_credits':
          return fail('Error: You are out of credits. Add credits or upgrade your plan to continue.');
        case 'auth':
          return fail("Error: Authentication required. Please run 'agent login' first, or set CURSOR_API_KEY environment variable.");
        default:
          return { exitCode: 1 };
      }
    },
  };
}

export const cursorProtocol: SimProtocol = {
  cli: 'cursor',
  version: VERSION,
  defaultModel: 'auto',
  newSessionId: uuid,
  parse,
  authProbe(loggedIn) {
    return loggedIn ? { stdout: '✓ Logged in as sim@example.com\n', exitCode: 0 } : { stdout: 'Not logged in\n', exitCode: 1 };
  },
  denial(tool) {
    return `Permission denied: ${'path' in tool ? tool.path : ''}`;
  },
  unknownSession(id) {
    return { stderr: `Error: Chat not found: ${id}\n`, exitCode: 1 };
  },
  emitter,
};
