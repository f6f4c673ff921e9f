/**
 * Codex headless, as `codex exec --json … -` prints it (JSONL on stdout, exit 1 on a failed turn).
 *
 * Sources:
 * - openai/codex `codex-rs/exec/src/exec_events.rs`: `thread.started` {thread_id}, `turn.started`,
 *   `turn.completed` {usage: input_tokens, cached_input_tokens, output_tokens} (cached tokens are
 *   part of input_tokens: codex-rs protocol TokenUsage::non_cached_input), `turn.failed` {error:
 *   {message}}, `item.started|updated|completed` {item: {id, type, …}} with agent_message, reasoning,
 *   command_execution {command, aggregated_output, exit_code, status}, file_change {changes: [{path,
 *   kind add|delete|update}], status} (only ever `item.completed`), mcp_tool_call, web_search,
 *   todo_list, error; top-level `error` {message}.
 * - openai/codex `codex-rs/core/src/error.rs`: "You've hit your usage limit. …[ or] try again at
 *   {format_retry_timestamp}." ("7:34 AM" the same local day, else "Dec 3rd, 2026 7:34 AM"), "Try
 *   again later.", ModelCapError "Model M is at capacity. Please try a different model. Try again
 *   in 5m." (format_duration_short).
 * - The @openai/codex 0.169.0 binary (strings; test/agents/cli-real): "Selected model is at capacity.
 *   Please try a different model." (server_overloaded), "Your workspace is out of credits. Add
 *   credits to continue.", "patch rejected: writing outside of the project; rejected by user
 *   approval settings", the Plus-plan usage-limit text with https://chatgpt.com/explore/pro.
 * - Captured from codex-cli 0.169.0 here: `codex login status` ("Not logged in", exit 1),
 *   `exec resume <id>` of an unknown id ("Error: thread/resume: thread/resume failed: no rollout
 *   found for thread id …", exit 1), `-s` after `resume` (a clap usage error, exit 2: exec's
 *   -s/-C go before the subcommand), and without network "Reconnecting... N/5 (…)" then
 *   "Reconnecting... waiting for network (…)" `error` events until killed.
 * Silent: how a rejected patch shows in `--json` (here a failed file_change item), and the 401 text
 * of an exec run without credentials (tutti's preflight `codex login status` catches that first).
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { addTokens, emit, resetEpochMs, type SimContext, type SimEmitter, type SimParsed, type SimProtocol, type SimTool } from './protocol.js';
import { codexDurationShort, codexRetryTimestamp } from './texts.js';

const VERSION = 'codex-cli 0.169.0';
/** Options of `codex exec` that take a value. */
const EXEC_VALUED = new Set(['-s', '--sandbox', '-C', '--cd', '-o', '--output-last-message', '-m', '--model', '-c', '--config', '-p', '--profile', '--add-dir', '--color', '-i', '--image', '--output-schema', '--local-provider', '--enable', '--disable', '--thread-source', '--cyber-access-program']);
/** Options `codex exec resume` accepts (it has no -s/-C/--add-dir/-p). */
const RESUME_VALUED = new Set(['-o', '--output-last-message', '-m', '--model', '-c', '--config', '-i', '--image', '--output-schema', '--enable', '--disable', '--thread-source', '--cyber-access-program']);
const RESUME_FLAGS = new Set(['--json', '--last', '--all', '--skip-git-repo-check', '--ephemeral', '--ignore-user-config', '--ignore-rules', '--strict-config', '--trust', '--worktree', '--dangerously-bypass-approvals-and-sandbox', '--dangerously-bypass-hook-trust']);

/** A UUIDv7 as codex thread ids are. */
export function uuidV7(now = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function usageError(arg: string): SimParsed {
  return { kind: 'usage', exitCode: 2, message: `error: unexpected argument '${arg}' found\n\n  tip: to pass '${arg}' as a value, use '-- ${arg}'\n\nUsage: codex exec resume [OPTIONS] [SESSION_ID] [PROMPT]\n\nFor more information, try '--help'.` };
}

function parse(argv: readonly string[], readStdin: () => string): SimParsed {
  if (argv[0] === '--version' || argv[0] === '-V') return { kind: 'version' };
  if (argv[0] === 'login' && argv[1] === 'status') return { kind: 'auth' };
  if (argv[0] !== 'exec') return { kind: 'interactive' };
  const opts: Record<string, string | string[]> = {};
  const positional: string[] = [];
  let resume = false;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (!resume && a === 'resume' && positional.length === 0) {
      resume = true;
      continue;
    }
    const valued = resume ? RESUME_VALUED : EXEC_VALUED;
    if (valued.has(a)) {
      const v = argv[++i] ?? '';
      if (a === '--add-dir') opts[a] = [...((opts[a] as string[] | undefined) ?? []), v];
      else opts[a] = v;
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      if (resume && !RESUME_FLAGS.has(a)) return usageError(a);
      opts[a] = 'true';
      continue;
    }
    positional.push(a);
  }
  const get = (...k: string[]) => k.map((x) => opts[x]).find((v) => typeof v === 'string') as string | undefined;
  const [first, second] = positional;
  const promptArg = resume ? second : first;
  const prompt = promptArg === undefined || promptArg === '-' ? readStdin() : promptArg;
  const cd = get('-C', '--cd');
  const sandbox = opts['--dangerously-bypass-approvals-and-sandbox'] ? 'danger-full-access' : (get('-s', '--sandbox') ?? 'read-only');
  return {
    kind: 'run',
    prompt,
    ...(resume && first ? { resume: first } : {}),
    ...(get('-m', '--model') ? { model: get('-m', '--model')! } : {}),
    ...(get('-o', '--output-last-message') ? { lastMessageFile: get('-o', '--output-last-message')! } : {}),
    ...(cd ? { cwd: resolve(cd) } : {}),
    ...(sandbox === 'danger-full-access' ? {} : { confine: { extraRoots: Array.isArray(opts['--add-dir']) ? (opts['--add-dir'] as string[]).map((d) => resolve(d)) : [], readOnly: sandbox === 'read-only' } }),
  };
}

/** The usage-limit text of codex-rs error.rs for a Plus plan. */
export function codexUsageLimitText(resetMs: number | null, nowMs: number, form?: 'clock' | 'dated'): string {
  const suffix = resetMs === null ? ' or try again later.' : ` or try again at ${codexRetryTimestamp(resetMs, nowMs, form)}.`;
  return `You've hit your usage limit. Upgrade to Pro (https://chatgpt.com/explore/pro), visit https://chatgpt.com/settings/usage to purchase more credits${suffix}`;
}

function emitter(ctx: SimContext): SimEmitter {
  let n = 0;
  const itemId = () => `item_${n++}`;
  const shell = (t: SimTool) => (t.kind === 'shell' ? `bash -lc ${JSON.stringify(t.command)}` : t.kind === 'read' ? `bash -lc ${JSON.stringify(`sed -n '1,200p' ${t.path}`)}` : '');
  const fail = (message: string) => {
    emit({ type: 'error', message });
    emit({ type: 'turn.failed', error: { message } });
    return { exitCode: 1 };
  };
  return {
    start() {
      emit({ type: 'thread.started', thread_id: ctx.sessionId });
      emit({ type: 'turn.started' });
      emit({ type: 'item.completed', item: { id: itemId(), type: 'reasoning', text: '**Reading the task**' } });
    },
    text(text) {
      emit({ type: 'item.completed', item: { id: itemId(), type: 'agent_message', text } });
    },
    toolStart(tool) {
      const id = itemId();
      if (tool.kind === 'shell' || tool.kind === 'read') emit({ type: 'item.started', item: { id, type: 'command_execution', command: shell(tool), aggregated_output: '', exit_code: null, status: 'in_progress' } });
      return id;
    },
    toolEnd(id, tool, r) {
      if (tool.kind === 'shell' || tool.kind === 'read') {
        emit({ type: 'item.completed', item: { id, type: 'command_execution', command: shell(tool), aggregated_output: r.output, exit_code: r.exitCode ?? (r.ok ? 0 : 1), status: r.ok ? 'completed' : 'failed' } });
        return;
      }
      const kind = tool.kind === 'write' ? (tool.created ? 'add' : 'update') : tool.kind === 'delete' ? 'delete' : 'update';
      emit({ type: 'item.completed', item: { id, type: 'file_change', changes: [{ path: tool.path, kind }], status: r.ok ? 'completed' : 'failed' } });
    },
    retry(attempt) {
      emit({ type: 'error', message: attempt <= 5 ? `Reconnecting... ${attempt}/5 (stream disconnected before completion: error sending request for url (https://chatgpt.com/backend-api/codex/responses))` : 'Reconnecting... waiting for network (Connection failed: error sending request)' });
    },
    finish(outcome, finalText) {
      switch (outcome.kind) {
        case 'success': {
          const t = addTokens(ctx.total, ctx.extra);
          if (ctx.lastMessageFile) writeFileSync(ctx.lastMessageFile, finalText);
          emit({ type: 'turn.completed', usage: { input_tokens: t.input + t.cacheWrite + t.cacheRead, cached_input_tokens: t.cacheRead, output_tokens: t.output } });
          return { exitCode: 0 };
        }
        case 'error':
          return fail(outcome.message);
        case 'rate_limit': {
          const reset = outcome.form === 'none' ? null : resetEpochMs(outcome, ctx.startedAt);
          return fail(codexUsageLimitText(reset, ctx.startedAt, outcome.form === 'clock' || outcome.form === 'dated' ? outcome.form : undefined));
        }
        case 'capacity':
          return fail(outcome.retryInSeconds !== undefined || outcome.model ? `Model ${outcome.model ?? ctx.model} is at capacity. Please try a different model.${outcome.retryInSeconds !== undefined ? ` Try again in ${codexDurationShort(outcome.retryInSeconds)}.` : ' Try again later.'}` : 'Selected model is at capacity. Please try a different model.');
        case 'out_of_credits':
          return fail('Your workspace is out of credits. Add credits to continue.');
        case 'auth':
          return fail('unexpected status 401 Unauthorized: Missing bearer or basic authentication in header, url: https://api.openai.com/v1/responses');
        default:
          return { exitCode: 1 };
      }
    },
  };
}

export const codexProtocol: SimProtocol = {
  cli: 'codex',
  version: VERSION,
  defaultModel: 'gpt-5-codex',
  newSessionId: () => uuidV7(),
  parse,
  authProbe(loggedIn) {
    return loggedIn ? { stdout: '', stderr: 'Logged in using ChatGPT\n', exitCode: 0 } : { stdout: '', stderr: 'Not logged in\n', exitCode: 1 };
  },
  denial(tool, roots) {
    return roots.length === 0 ? 'patch rejected: writing is blocked by read-only sandbox; rejected by user approval settings' : `patch rejected: writing outside of the project; rejected by user approval settings (${'path' in tool ? tool.path : ''})`;
  },
  unknownSession(id) {
    return { stderr: `Error: thread/resume: thread/resume failed: no rollout found for thread id ${id} (code -32600)\n`, exitCode: 1 };
  },
  emitter,
};
