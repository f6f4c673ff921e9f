/**
 * Cursor's agent CLI headless: `cursor-agent -p PROMPT --output-format text`. Not published on
 * npm (the npm package `cursor-agent` is unrelated), so on these machines it is reported as not
 * installed. Its text output is kept as the agent's messages; success is exit 0.
 */
import { AUTH_RE, matchingLine } from './classify.js';
import type { AuthState, CliAdapter, CliEvent } from './types.js';

export const cursorAdapter: CliAdapter = {
  name: 'cursor',
  program: 'cursor-agent',
  title: 'Cursor Agent',
  npmPackage: null,
  structured: false,
  command(inv) {
    const flags = inv.flags ?? ['--force'];
    return { args: ['-p', inv.prompt, '--output-format', 'text', ...flags, ...(inv.model ? ['--model', inv.model] : []), ...inv.extraArgs] };
  },
  newParser: () => ({
    line: (text: string): CliEvent[] => (text.trim() ? [{ kind: 'message', role: 'assistant', text }] : []),
  }),
  classify({ exitCode, stdoutTail, stderrTail }) {
    if (exitCode === 0) return { kind: 'succeeded', message: 'done' };
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
