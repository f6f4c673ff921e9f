/**
 * Gemini CLI headless, as `gemini -p PROMPT -o stream-json --skip-trust --approval-mode yolo`
 * prints it.
 *
 * Sources (the @google/gemini-cli 0.61.0 bundle, test/agents/cli-real; readable JS):
 * - packages/cli nonInteractiveCli: `init` {timestamp, session_id, model}, the user `message`,
 *   assistant `message` with `delta: true`, `tool_use` {tool_name, tool_id, parameters},
 *   `tool_result` {tool_id, status success|error, output, error {type, message}}, `error`
 *   {severity warning|error, message}, and `result` {status success|error, error?, stats};
 *   utils/errors.ts handleError: an error `result` {error: {type: the error's name, message:
 *   parseAndFormatApiError(…) = "[API Error: …]"}}, exit from the error's exitCode/code/status.
 * - StreamJsonFormatter.convertToStreamStats: stats {total_tokens, input_tokens (prompt tokens,
 *   cached included), output_tokens, cached, input (= prompt − cached), duration_ms, tool_calls, models}.
 * - packages/core utils/googleQuotaErrors.ts: TerminalQuotaError for "You have exhausted your
 *   capacity on this model." / daily quotas / MODEL_CAPACITY_EXHAUSTED / INSUFFICIENT_G1_CREDITS_BALANCE.
 * - FatalError exit codes: 41 auth, 42 input, 44 sandbox, 52 config, 53 turn limit, 54 tool
 *   execution, 55 untrusted workspace, 130 cancelled.
 * - Captured from gemini 0.61.0 here: exit 41 "Please set an Auth method…", exit 55 without
 *   --skip-trust, exit 44 with -s and neither docker nor podman, `--resume` of an unknown session
 *   (exit 42, "Error resuming session: …"). Sessions resume by UUID, index or "latest" (SessionSelector).
 * - google-gemini/gemini-cli issues #25179, #24159 ("No capacity available for model M on the
 *   server", MODEL_CAPACITY_EXHAUSTED) and #22107 ("…Your quota will reset after 5s.").
 * Silent or unsure: the exit code of a quota error reaching handleError (the status is carried as
 * a property whose survival through the agent stream the source does not make clear: 1 here), and
 * the text of INSUFFICIENT_G1_CREDITS_BALANCE (the server's message; the simulator's wording below).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { addTokens, emit, flagValue, resetEpochMs, uuid, type SimContext, type SimEmitter, type SimParsed, type SimProtocol } from './protocol.js';
import { goDuration } from './texts.js';

const VERSION = '0.61.0';
const AUTH_TEXT = 'Please set an Auth method in your ~/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY, GOOGLE_GENAI_USE_VERTEXAI, GOOGLE_GENAI_USE_GCA';
const UNTRUSTED = 'Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`, set the `GEMINI_CLI_TRUST_WORKSPACE=true` environment variable, or trust this directory in interactive mode. For more details, see https://geminicli.com/docs/cli/trusted-folders/#headless-and-automated-environments';
const NO_SANDBOX = 'GEMINI_SANDBOX is true but failed to determine command for sandbox; install docker or podman or specify command in GEMINI_SANDBOX';

function parse(argv: readonly string[], readStdin: () => string): SimParsed {
  if (argv.includes('--version') || argv.includes('-v')) return { kind: 'version' };
  const prompt = flagValue(argv, '-p', '--prompt');
  if (prompt === undefined) return { kind: 'interactive' };
  if (!argv.includes('--skip-trust') && process.env.GEMINI_CLI_TRUST_WORKSPACE !== 'true') return { kind: 'usage', exitCode: 55, message: UNTRUSTED };
  if (argv.includes('-s') || argv.includes('--sandbox')) return { kind: 'usage', exitCode: 44, message: NO_SANDBOX };
  const resume = flagValue(argv, '-r', '--resume');
  const include = flagValue(argv, '--include-directories');
  const yolo = argv.includes('-y') || argv.includes('--yolo') || flagValue(argv, '--approval-mode') === 'yolo';
  void readStdin;
  return {
    kind: 'run',
    prompt,
    ...(resume ? { resume } : {}),
    ...(flagValue(argv, '-m', '--model') ? { model: flagValue(argv, '-m', '--model')! } : {}),
    confine: { extraRoots: include ? include.split(',').map((d) => resolve(d.trim())) : [], readOnly: flagValue(argv, '--approval-mode') === 'plan' },
    ...(yolo ? { notice: 'YOLO mode is enabled. All tool calls will be automatically approved.\n' } : {}),
  };
}

function emitter(ctx: SimContext): SimEmitter {
  const ts = () => new Date().toISOString();
  let calls = 0;
  const stats = () => {
    const t = addTokens(ctx.total, ctx.extra);
    const prompt = t.input + t.cacheWrite + t.cacheRead;
    return { total_tokens: prompt + t.output, input_tokens: prompt, output_tokens: t.output, cached: t.cacheRead, input: prompt - t.cacheRead, duration_ms: Date.now() - ctx.startedAt, tool_calls: calls, models: { [ctx.model]: { total_tokens: prompt + t.output, input_tokens: prompt, output_tokens: t.output, cached: t.cacheRead, input: prompt - t.cacheRead } } };
  };
  const zero = () => ({ total_tokens: 0, input_tokens: 0, output_tokens: 0, cached: 0, input: 0, duration_ms: Date.now() - ctx.startedAt, tool_calls: calls, models: {} });
  const fail = (type: string, message: string, exitCode = 1) => {
    emit({ type: 'result', timestamp: ts(), status: 'error', error: { type, message }, stats: zero() });
    return { exitCode };
  };
  return {
    start() {
      emit({ type: 'init', timestamp: ts(), session_id: ctx.sessionId, model: ctx.model });
      emit({ type: 'message', timestamp: ts(), role: 'user', content: ctx.prompt });
    },
    text(text) {
      // Gemini streams the answer in chunks.
      const cut = Math.max(1, Math.floor(text.length / 2));
      for (const part of text.length > 20 ? [text.slice(0, cut), text.slice(cut)] : [text]) emit({ type: 'message', timestamp: ts(), role: 'assistant', content: part, delta: true });
    },
    toolStart(tool) {
      calls++;
      const name = tool.kind === 'write' ? 'write_file' : tool.kind === 'edit' ? 'replace' : tool.kind === 'read' ? 'read_file' : 'run_shell_command';
      const id = `${name}-${Date.now()}-${randomBytes(6).toString('hex')}`;
      const parameters = tool.kind === 'write' ? { file_path: tool.path, content: tool.content } : tool.kind === 'edit' ? { file_path: tool.path, old_string: tool.find, new_string: tool.replace } : tool.kind === 'read' ? { file_path: tool.path } : tool.kind === 'delete' ? { command: `rm ${JSON.stringify(tool.path)}`, description: `Delete ${tool.path}` } : { command: tool.command };
      emit({ type: 'tool_use', timestamp: ts(), tool_name: name, tool_id: id, parameters });
      return id;
    },
    toolEnd(id, tool, r) {
      const output = r.ok ? (tool.kind === 'write' ? `Successfully ${tool.created ? 'created and wrote to new file' : 'overwrote file'}: ${tool.path}.` : tool.kind === 'edit' ? `Successfully modified file: ${tool.path} (1 replacements).` : r.output) : r.output;
      emit({ type: 'tool_result', timestamp: ts(), tool_id: id, status: r.ok ? 'success' : 'error', output, ...(r.ok ? {} : { error: { type: tool.kind === 'shell' || tool.kind === 'delete' ? 'TOOL_EXECUTION_ERROR' : 'INVALID_TOOL_PARAMS', message: r.output.slice(0, 500) } }) });
    },
    retry(attempt) {
      process.stderr.write(`Attempt ${attempt} failed with status undefined. Retrying with backoff... TypeError: fetch failed\n`);
    },
    finish(outcome) {
      switch (outcome.kind) {
        case 'success':
          emit({ type: 'result', timestamp: ts(), status: 'success', stats: stats() });
          return { exitCode: 0 };
        case 'error':
          return fail('Error', outcome.message);
        case 'rate_limit': {
          const secs = Math.max(0, Math.round((resetEpochMs(outcome, ctx.startedAt) - ctx.startedAt) / 1000));
          return fail('TerminalQuotaError', outcome.form === 'none' ? '[API Error: You have exhausted your daily quota on this model.]' : `[API Error: You have exhausted your capacity on this model. Your quota will reset after ${goDuration(secs)}.]`);
        }
        case 'capacity':
          return fail('TerminalQuotaError', `[API Error: No capacity available for model ${outcome.model ?? ctx.model} on the server]`);
        case 'out_of_credits':
          return fail('TerminalQuotaError', '[API Error: Your Google One AI credits balance is insufficient for this request (INSUFFICIENT_G1_CREDITS_BALANCE)]');
        case 'auth':
          process.stderr.write(`${AUTH_TEXT}\n`);
          return { exitCode: 41 };
        default:
          return { exitCode: 1 };
      }
    },
  };
}

export const geminiProtocol: SimProtocol = {
  cli: 'gemini',
  version: VERSION,
  defaultModel: 'gemini-2.5-pro',
  newSessionId: uuid,
  parse,
  authProbe(loggedIn) {
    // tutti reads Gemini's auth from its environment and settings; there is no status command.
    return { stdout: '', exitCode: loggedIn ? 0 : 41 };
  },
  denial(tool, roots) {
    return `Path not in workspace: Attempted path "${'path' in tool ? tool.path : ''}" resolves outside the allowed workspace directories: ${roots.join(', ')} or the project temp directory: ${resolve(process.env.HOME ?? '/root', '.gemini', 'tmp')}`;
  },
  unknownSession(id) {
    return { stderr: `Error resuming session: Invalid session identifier "${id}". Use --list-sessions to see available sessions.\n`, exitCode: 42 };
  },
  emitter,
};
