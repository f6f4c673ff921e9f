/**
 * Fixture transcripts in each CLI's event format → tutti events, usage, session id, file changes,
 * and the classification of the run's end. Captured from the real CLIs here: Claude without
 * credentials, Codex without network, Gemini's exit 41. Written by the simulator (whose formats
 * cite their sources, src/testing/sim/): claude rate-limit, overloaded, credit-balance,
 * max-budget; codex usage-limit-dated, capacity, out-of-credits; gemini capacity; cursor success.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, classifyEnd, type CliEvent, type CliName } from '../../src/agents/drivers/cli/index.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/cli');
const NOW = Date.parse('2026-01-01T00:00:00Z');

function parse(cli: CliName, file: string): CliEvent[] {
  const parser = CLI_ADAPTERS[cli].newParser();
  return readFileSync(join(FIXTURES, cli, file), 'utf8')
    .split('\n')
    .flatMap((l) => parser.line(l));
}

function kinds(events: CliEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) out[e.kind] = (out[e.kind] ?? 0) + 1;
  return out;
}

function end(cli: CliName, events: CliEvent[], exitCode: number | null, stderrTail = '') {
  return classifyEnd(CLI_ADAPTERS[cli], { exitCode, exitSignal: null, stdoutTail: '', stderrTail }, events, NOW);
}

describe('Claude Code stream-json', () => {
  it('reads a successful session: messages, tool uses, file changes, usage with cost, session id', () => {
    const ev = parse('claude', 'success.jsonl');
    expect(ev[0]).toEqual({ kind: 'session', sessionId: '0b7c1f9e-2d5a-4c3e-9f61-7d2e8a1b4c90', model: 'claude-sonnet-4-5' });
    expect(ev.filter((e) => e.kind === 'tool_use').map((e) => (e as { tool: string }).tool)).toEqual(['Bash', 'Edit']);
    expect(ev).toContainEqual({ kind: 'file_change', path: '/repo/src/sum.js', change: 'update' });
    expect(ev).toContainEqual({ kind: 'tool_result', id: 'toolu_01', ok: false, content: 'expected 3, got 2' });
    expect(ev).toContainEqual(expect.objectContaining({ kind: 'tool_use', tool: 'Edit', input: expect.stringContaining('"old_string":"a - b"') }));
    const result = ev.filter((e) => e.kind === 'usage' && e.cumulative);
    // New input, cache writes and cache reads apart.
    expect(result).toHaveLength(1);
    expect((result[0] as { usage: { costUsd: number } }).usage.costUsd).toBe(0.04217);
    expect(ev[ev.length - 1]).toEqual({ kind: 'result', ok: true, text: 'Fixed: sum() subtracted instead of adding. The test passes now.', subtype: 'success' });
    expect(end('claude', ev, 0).kind).toBe('succeeded');
  });

  it('classifies the real not-logged-in transcript (exit 1) as not authenticated', () => {
    const ev = parse('claude', 'not-logged-in.jsonl');
    expect(ev[0]).toMatchObject({ kind: 'session', sessionId: 'fd07bbf3-0498-40a2-9b63-b02e97f6de62' });
    expect(ev.some((e) => e.kind === 'message')).toBe(false);
    const c = end('claude', ev, 1);
    expect(c.kind).toBe('auth');
    expect(c.message).toContain('Not logged in');
  });

  it('classifies a usage limit as rate-limited with the reset time it gives (epoch seconds)', () => {
    const c = end('claude', parse('claude', 'usage-limit.jsonl'), 1);
    expect(c.kind).toBe('rate_limited');
    expect(c.resetAt).toBe(1767229200 * 1000);
  });

  it('reads api_retry events without an HTTP status as network retries', () => {
    const ev = parse('claude', 'api-retry-no-network.jsonl');
    expect(kinds(ev)).toEqual({ session: 1, retry: 5 });
    expect(ev.filter((e) => e.kind === 'retry').every((e) => (e as { network: boolean }).network)).toBe(true);
  });
});

describe('Codex exec --json', () => {
  it('reads a successful turn: thread id, commands, file changes, agent message, usage', () => {
    const ev = parse('codex', 'success.jsonl');
    expect(ev[0]).toEqual({ kind: 'session', sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53' });
    expect(ev).toContainEqual({ kind: 'tool_use', tool: 'shell', id: 'item_1', detail: "bash -lc 'npm test'", input: "bash -lc 'npm test'" });
    expect(ev).toContainEqual({ kind: 'tool_result', id: 'item_1', ok: false, content: 'expected 3, got 2\n' });
    expect(ev.filter((e) => e.kind === 'file_change')).toEqual([
      { kind: 'file_change', path: '/repo/src/sum.js', change: 'update' },
      { kind: 'file_change', path: '/repo/src/sum.test.js', change: 'add' },
    ]);
    expect(ev).toContainEqual({ kind: 'message', role: 'assistant', text: 'Fixed sum() and added a test.' });
    // cached_input_tokens is part of input_tokens in codex: split out.
    expect(ev).toContainEqual({ kind: 'usage', cumulative: false, usage: { inputTokens: 315, cacheReadTokens: 24448, outputTokens: 122 } });
    expect(end('codex', ev, 0).kind).toBe('succeeded');
  });

  it('reads the real no-network transcript as retries of an unreachable service', () => {
    const ev = parse('codex', 'no-network.jsonl');
    const retries = ev.filter((e): e is Extract<CliEvent, { kind: 'retry' }> => e.kind === 'retry');
    expect(retries.length).toBe(7);
    expect(retries.every((r) => r.network)).toBe(true);
  });

  it('classifies "usage limit … try again in 2 hours 5 minutes" as rate-limited until then', () => {
    const c = end('codex', parse('codex', 'usage-limit.jsonl'), 1);
    expect(c.kind).toBe('rate_limited');
    expect(c.resetAt).toBe(NOW + (2 * 60 + 5) * 60_000);
  });

  it('an exit 0 without turn.completed is invalid output', () => {
    expect(end('codex', [], 0).kind).toBe('invalid_output');
  });
});

describe('Gemini CLI stream-json', () => {
  it('reads a successful session: init, tool uses and results, file change, assistant deltas, stats', () => {
    const ev = parse('gemini', 'success.jsonl');
    expect(ev[0]).toEqual({ kind: 'session', sessionId: 'c7a3e0a2-1111-4e2f-9a55-0a9d7f3e2b10', model: 'gemini-2.5-pro' });
    expect(ev.filter((e) => e.kind === 'tool_use').map((e) => (e as { tool: string }).tool)).toEqual(['run_shell_command', 'replace']);
    expect(ev).toContainEqual({ kind: 'file_change', path: '/repo/src/sum.js', change: 'update' });
    expect(ev).toContainEqual({ kind: 'tool_result', id: 'run_shell_command-1', ok: false, detail: 'exit code 1', content: 'expected 3, got 2' });
    expect(ev.filter((e) => e.kind === 'message' && e.role === 'assistant').map((e) => (e as { text: string }).text).join('')).toBe('Fixed the sum function.');
    expect(ev).toContainEqual({ kind: 'usage', cumulative: true, usage: { inputTokens: 5100, cacheReadTokens: 0, outputTokens: 221 } });
    expect(end('gemini', ev, 0).kind).toBe('succeeded');
  });

  it('classifies a quota error as rate-limited with its reset ("reset after 1h5m3s")', () => {
    const c = end('gemini', parse('gemini', 'quota.jsonl'), 1);
    expect(c.kind).toBe('rate_limited');
    expect(c.resetAt).toBe(NOW + 3_903_000);
  });

  it('classifies the real exit 41 with its auth message as not authenticated', () => {
    const stderr = readFileSync(join(FIXTURES, 'gemini', 'not-authenticated.stderr.txt'), 'utf8');
    const c = end('gemini', [], 41, stderr);
    expect(c.kind).toBe('auth');
    expect(c.message).toContain('Please set an Auth method');
  });
});

describe('limits, capacity, credits and budget as the CLIs print them today', () => {
  it('claude: a rejected rate_limit_event and "You\'ve hit your limit · resets Dec 3 at 4pm (America/Recife)"', () => {
    const ev = parse('claude', 'rate-limit.jsonl');
    expect(ev).toContainEqual({ kind: 'quota', status: 'rejected', resetAt: Date.parse('2026-12-03T19:00:00Z'), window: 'five_hour' });
    expect(end('claude', ev, 1)).toMatchObject({ kind: 'rate_limited', resetAt: Date.parse('2026-12-03T19:00:00Z') });
    // The text alone gives the same reset.
    const text = ev.filter((e) => e.kind !== 'quota');
    expect(end('claude', text, 1)).toMatchObject({ kind: 'rate_limited', resetAt: Date.parse('2026-12-03T19:00:00Z') });
  });

  it('claude: API Error 529 overloaded_error is capacity; Credit balance is too low is out of credits; error_max_budget_usd is budget', () => {
    expect(end('claude', parse('claude', 'overloaded.jsonl'), 1).kind).toBe('capacity');
    expect(end('claude', parse('claude', 'credit-balance.jsonl'), 1).kind).toBe('out_of_credits');
    const budget = parse('claude', 'max-budget.jsonl');
    expect(budget).toContainEqual({ kind: 'result', ok: false, text: 'Reached maximum budget ($0.5)', subtype: 'error_max_budget_usd' });
    expect(end('claude', budget, 1)).toMatchObject({ kind: 'budget', message: expect.stringContaining('Reached maximum budget ($0.5)') });
  });

  it('codex: "try again at Dec 5th, 2026 7:34 AM." (local time), model at capacity, workspace out of credits', () => {
    expect(end('codex', parse('codex', 'usage-limit-dated.jsonl'), 1)).toMatchObject({ kind: 'rate_limited', resetAt: new Date(2026, 11, 5, 7, 34).getTime() });
    expect(end('codex', parse('codex', 'capacity.jsonl'), 1)).toMatchObject({ kind: 'capacity', resetAt: NOW + 5 * 60_000 });
    expect(end('codex', parse('codex', 'out-of-credits.jsonl'), 1).kind).toBe('out_of_credits');
  });

  it('gemini: no capacity available on the server is capacity', () => {
    expect(end('gemini', parse('gemini', 'capacity.jsonl'), 1).kind).toBe('capacity');
  });
});

describe('Cursor stream-json', () => {
  it('reads a session: init, messages, tool calls with their results, the written file, the result', () => {
    const ev = parse('cursor', 'success.jsonl');
    expect(ev[0]).toMatchObject({ kind: 'session' });
    expect(ev).toContainEqual(expect.objectContaining({ kind: 'tool_use', tool: 'write', detail: '/tmp/fx/src/sum.js' }));
    expect(ev).toContainEqual({ kind: 'file_change', path: '/tmp/fx/src/sum.js', change: 'add' });
    expect(ev).toContainEqual(expect.objectContaining({ kind: 'tool_result', ok: true, content: '1 passing' }));
    expect(ev[ev.length - 1]).toMatchObject({ kind: 'result', ok: true });
    expect(end('cursor', ev, 0).kind).toBe('succeeded');
  });
});

describe('what agents write is not an error channel', () => {
  it('an agent message about rate limits does not make a successful run rate-limited', () => {
    const ev: CliEvent[] = [
      { kind: 'message', role: 'assistant', text: 'I added a rate limit: too many requests now get HTTP 429. Not logged in users get 401.' },
      { kind: 'result', ok: true },
    ];
    expect(end('claude', ev, 0).kind).toBe('succeeded');
  });

  it('a crash without output is crashed with the exit code', () => {
    const c = end('claude', [], 3, 'segmentation fault');
    expect(c).toMatchObject({ kind: 'crashed' });
    expect(c.message).toContain('exited with code 3');
  });
});
