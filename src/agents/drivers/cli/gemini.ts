/**
 * Gemini CLI headless: `gemini -p PROMPT -o stream-json --skip-trust --approval-mode yolo`.
 * Events: `init` (session id, model), `message` (user/assistant; assistant text arrives as
 * deltas), `tool_use` (tool_name, tool_id, parameters), `tool_result` (status, output, error),
 * `error` (severity, message) and a final `result` (status, error, stats with token counts).
 * Measured here without credentials: exit 41 and "Please set an Auth method…" on stderr
 * (without --skip-trust an untrusted folder exits 55). `--resume ID` continues a session of the
 * same project (cwd). Gemini's file tools refuse paths outside the workspace; its `--sandbox` needs
 * docker or podman (without them it exits 44), so tutti does not pass it by default. Sources of
 * every form: src/testing/sim/gemini.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { cut, jsonCut, parseJsonObject } from './json-lines.js';
import type { AuthState, CliAdapter, CliEvent } from './types.js';

/** Tools that write files (their `file_path` parameter is the file). */
const EDIT_TOOLS = new Set(['write_file', 'replace', 'edit', 'smart_edit', 'write_todos_file']);

const eventSchema = z.looseObject({
  type: z.string(),
  session_id: z.string().optional(),
  model: z.string().optional(),
  role: z.string().optional(),
  content: z.string().optional(),
  delta: z.boolean().optional(),
  tool_name: z.string().optional(),
  tool_id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  status: z.string().optional(),
  severity: z.string().optional(),
  message: z.string().optional(),
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
  stats: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional(), total_tokens: z.number().optional(), cached: z.number().optional(), input: z.number().optional() }).optional(),
  output: z.string().optional(),
});

/** Exit codes of Gemini CLI's fatal errors. */
const EXIT_AUTH = 41;
const EXIT_TURN_LIMIT = 53;
const EXIT_UNTRUSTED = 55;
const EXIT_SANDBOX = 44;

/** Parses one stdout line of `gemini -o stream-json`. */
export function parseGeminiLine(line: string): CliEvent[] {
  const raw = parseJsonObject(line);
  if (!raw) return [];
  const r = eventSchema.safeParse(raw);
  if (!r.success) return [];
  const e = r.data;
  switch (e.type) {
    case 'init':
      return e.session_id ? [{ kind: 'session', sessionId: e.session_id, ...(e.model ? { model: e.model } : {}) }] : [];
    case 'message':
      return e.content !== undefined && (e.role === 'assistant' || e.role === 'user') ? [{ kind: 'message', role: e.role, text: e.content }] : [];
    case 'tool_use': {
      const p = e.parameters ?? {};
      const file = typeof p.file_path === 'string' ? p.file_path : typeof p.absolute_path === 'string' ? p.absolute_path : undefined;
      const detail = file ?? (typeof p.command === 'string' ? p.command : undefined);
      const input = jsonCut(e.parameters);
      const out: CliEvent[] = [{ kind: 'tool_use', tool: e.tool_name ?? '?', ...(e.tool_id ? { id: e.tool_id } : {}), ...(detail ? { detail: detail.slice(0, 200) } : {}), ...(input ? { input } : {}) }];
      if (file && EDIT_TOOLS.has(e.tool_name ?? '')) out.push({ kind: 'file_change', path: file, change: e.tool_name === 'write_file' ? 'add' : 'update' });
      return out;
    }
    case 'tool_result':
      return [{ kind: 'tool_result', ...(e.tool_id ? { id: e.tool_id } : {}), ok: e.status === 'success', ...(e.error?.message ? { detail: e.error.message.slice(0, 200) } : {}), ...(e.output !== undefined ? { content: cut(e.output) } : {}) }];
    case 'error':
      return [{ kind: 'error', message: e.message ?? 'error', fatal: e.severity === 'error' }];
    case 'result': {
      const out: CliEvent[] = [];
      if (e.stats) {
        // input_tokens counts the whole prompt, cached included; `input` is the uncached part.
        const cached = e.stats.cached ?? 0;
        out.push({ kind: 'usage', cumulative: true, usage: { inputTokens: e.stats.input ?? Math.max(0, (e.stats.input_tokens ?? 0) - cached), cacheReadTokens: cached, outputTokens: e.stats.output_tokens ?? 0 } });
      }
      const ok = e.status === 'success';
      if (!ok) out.push({ kind: 'error', message: `${e.error?.type ? `${e.error.type}: ` : ''}${e.error?.message ?? 'error result'}`, fatal: true });
      out.push({ kind: 'result', ok, ...(e.error?.type ? { subtype: e.error.type } : {}) });
      return out;
    }
    default:
      return [];
  }
}

export const geminiAdapter: CliAdapter = {
  name: 'gemini',
  program: 'gemini',
  title: 'Gemini CLI',
  npmPackage: '@google/gemini-cli',
  structured: true,
  supportsResume: true,
  command(inv) {
    const flags = inv.flags ?? ['--skip-trust', '--approval-mode', 'yolo'];
    return { args: ['-p', inv.prompt, '-o', 'stream-json', ...flags, ...(inv.model ? ['-m', inv.model] : []), ...(inv.resumeSessionId ? ['--resume', inv.resumeSessionId] : []), ...inv.extraArgs] };
  },
  newParser() {
    // Assistant text comes in deltas: joined into one message per turn by the caller's transcript.
    return { line: parseGeminiLine };
  },
  classify({ exitCode, events, stderrTail }) {
    const result = [...events].reverse().find((e) => e.kind === 'result');
    if (exitCode === 0 && result?.ok) return { kind: 'succeeded', message: 'done' };
    if (exitCode === EXIT_AUTH) return { kind: 'auth', message: `not authenticated: ${lastMeaningfulLine(stderrTail) ?? 'exit 41'}` };
    if (exitCode === EXIT_UNTRUSTED) return { kind: 'failed', message: 'the folder is not trusted (exit 55): pass --skip-trust' };
    if (exitCode === EXIT_SANDBOX) return { kind: 'not_installed', message: `gemini's sandbox cannot start (exit 44): ${lastMeaningfulLine(stderrTail) ?? 'install docker or podman, or drop --sandbox'}` };
    if (exitCode === EXIT_TURN_LIMIT) return { kind: 'failed', message: 'reached the session turn limit (exit 53)' };
    if (exitCode === 0 && !result) return { kind: 'invalid_output', message: 'gemini exited 0 without a result event (expected -o stream-json)' };
    return null;
  },
  authProbe: {
    args: null,
    interpret(_exitCode, _stdout, _stderr, env, home): AuthState {
      for (const k of ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA']) if (env[k]) return { authenticated: true, detail: `${k} is set` };
      const settings = join(env.GEMINI_CLI_HOME ?? home, '.gemini', 'settings.json');
      if (existsSync(settings)) {
        try {
          const s = JSON.parse(readFileSync(settings, 'utf8')) as { security?: { auth?: { selectedType?: string } }; selectedAuthType?: string };
          const type = s.security?.auth?.selectedType ?? s.selectedAuthType;
          if (type) return { authenticated: true, detail: `auth method ${type} configured in ${settings}` };
        } catch {
          // unreadable settings: treated as none
        }
      }
      return { authenticated: false, detail: 'no auth method (set GEMINI_API_KEY, or run gemini once to log in)' };
    },
  },
};

function lastMeaningfulLine(s: string): string | undefined {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^(YOLO mode|Warning:|Ripgrep)/.test(l))
    .pop()
    ?.slice(0, 300);
}
