/**
 * Agent output lines are a hostile boundary: a line too large or nested too deep is skipped —
 * never thrown on, never buffered without bound — and the lines around it are still read. The
 * splitter and the parser alone, one CLI's parser, then a real CLI process (the simulator).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, runCli, type CliEvent } from '../../src/agents/drivers/cli/index.js';
import { LineSplitter, parseJsonObject } from '../../src/agents/drivers/cli/json-lines.js';
import { MAX_JSON_DEPTH, MAX_OUTPUT_LINE_BYTES } from '../../src/core/limits.js';
import type { AttemptOutputLine } from '../../src/agents/types.js';
import { sim } from '../sim/helpers.js';
import { tmp } from './helpers.js';

const MiB = 1024 * 1024;
/** A line over the limit by 1 MiB. */
const OVER = MAX_OUTPUT_LINE_BYTES + MiB;

const event = (text: string) => JSON.stringify({ type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text }] }, session_id: 's' });
/** `{"a":{"a":…1…}}`, `levels` objects deep. */
const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
/** `text` as chunks of `size` characters (a pipe delivers 64 KiB at a time). */
const chunks = (text: string, size = 64 * 1024) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe('parseJsonObject', () => {
  it('parses a 2 MiB event (a big file in a tool result is real output), and skips one past the limit', () => {
    const big = event('x'.repeat(2 * MiB));
    expect(big.length).toBeGreaterThan(2 * MiB);
    expect(parseJsonObject(big)).toMatchObject({ type: 'assistant', session_id: 's' });
    expect(MAX_OUTPUT_LINE_BYTES).toBe(8 * MiB);
    expect(parseJsonObject(event('x'.repeat(OVER)))).toBeNull();
  });

  it('counts UTF-8 bytes: a line under the limit in characters but over it in bytes is skipped', () => {
    // 'é' is one UTF-16 unit and two UTF-8 bytes: 4.5 M characters, 9 MiB.
    const line = event('é'.repeat(MAX_OUTPUT_LINE_BYTES / 2 + MiB / 2));
    expect(line.length).toBeLessThan(MAX_OUTPUT_LINE_BYTES);
    expect(parseJsonObject(line)).toBeNull();
  });

  it('returns null, without throwing, for a line nested 10,000 levels deep; the depth limit itself parses', () => {
    expect(() => parseJsonObject(nested(10_000))).not.toThrow();
    expect(parseJsonObject(nested(10_000))).toBeNull();
    // Deeper still, and arrays: the check runs before JSON.parse, so even 1 M levels costs one pass.
    expect(parseJsonObject(`{"a":${'['.repeat(1_000_000)}${']'.repeat(1_000_000)}}`)).toBeNull();
    expect(parseJsonObject(nested(MAX_JSON_DEPTH + 1))).toBeNull();
    expect(parseJsonObject(nested(MAX_JSON_DEPTH))).not.toBeNull();
  });

  it('still tells objects from other lines', () => {
    expect(parseJsonObject('  {"type":"init"}\r')).toEqual({ type: 'init' });
    expect(parseJsonObject('[1,2]')).toBeNull();
    expect(parseJsonObject('{"type":')).toBeNull();
    expect(parseJsonObject('Reconnecting... 1/5')).toBeNull();
  });
});

describe('LineSplitter', () => {
  it('drops a 9 MiB line arriving in 64 KiB chunks, and keeps splitting what follows', () => {
    const s = new LineSplitter();
    const out: string[] = [];
    const huge = event('y'.repeat(OVER));
    for (const c of chunks(`${event('before')}\n${huge}\n${event('after')}\n{"type":"last"}`)) out.push(...s.push(c));
    out.push(...s.end());
    expect(out).toEqual([event('before'), event('after'), '{"type":"last"}']);
    expect(s.dropped).toBe(1);
  });

  it('drops an overlong line that arrives whole in one chunk, and one still unfinished when the stream ends', () => {
    const s = new LineSplitter(100);
    expect(s.push(`short\n${'z'.repeat(101)}\nnext\n`)).toEqual(['short', 'next']);
    expect(s.push('a'.repeat(60))).toEqual([]);
    // Over the limit before its newline: dropped at once, the rest of it discarded as it comes.
    expect(s.push('a'.repeat(60))).toEqual([]);
    expect(s.push('a'.repeat(60))).toEqual([]);
    expect(s.push('aaa\nok\nlast-no-newline')).toEqual(['ok']);
    expect(s.end()).toEqual(['last-no-newline']);
    expect(s.push('b'.repeat(150))).toEqual([]);
    expect(s.end()).toEqual([]);
    expect(s.dropped).toBe(3);
  });

  it('a line of exactly the limit is kept; limits are UTF-8 bytes, also across chunks', () => {
    const s = new LineSplitter(10);
    expect(s.push(`${'x'.repeat(10)}\n`)).toEqual(['x'.repeat(10)]);
    // 6 × 'é' = 12 bytes, 6 characters, in two chunks.
    expect(s.push('ééé')).toEqual([]);
    expect(s.push('ééé\nfine\n')).toEqual(['fine']);
    expect(s.dropped).toBe(1);
    // Splitting a line inside a chunk keeps its pieces (lines shorter than the limit).
    expect(s.push('a\nb')).toEqual(['a']);
    expect(s.push('c\n')).toEqual(['bc']);
  });
});

describe("a CLI's parser between hostile lines", () => {
  it('claude: the events before and after a deep line and a huge line are all read', () => {
    const parser = CLI_ADAPTERS.claude.newParser();
    const lines = [
      JSON.stringify({ type: 'system', subtype: 'init', session_id: 'sess-1', model: 'm' }),
      `{"type":"assistant","message":${nested(10_000)}}`,
      event('y'.repeat(OVER)),
      event('still here'),
      JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done', session_id: 'sess-1', total_cost_usd: 0.01, usage: { input_tokens: 1, output_tokens: 2 } }),
    ];
    const events: CliEvent[] = [];
    expect(() => lines.forEach((l) => events.push(...parser.line(l)))).not.toThrow();
    expect(events).toContainEqual(expect.objectContaining({ kind: 'session', sessionId: 'sess-1' }));
    expect(events).toContainEqual({ kind: 'message', role: 'assistant', text: 'still here' });
    expect(events).toContainEqual(expect.objectContaining({ kind: 'result' }));
    expect(events.filter((e) => e.kind === 'message')).toHaveLength(1);
  });
});

describe('a real CLI printing an overlong event', () => {
  it('the run is read to its end: the line is skipped and said so, the session and final answer are kept', async () => {
    // The simulated claude prints each `say` as one assistant event: 9 MiB, then a normal one.
    const s = sim({ entries: [{ match: { cli: 'claude' }, actions: [{ say: 'w'.repeat(OVER) }, { say: 'All done.' }] }] }, ['claude']);
    const cwd = tmp();
    const lines: AttemptOutputLine[] = [];
    const r = await runCli({
      adapter: CLI_ADAPTERS.claude,
      invocation: { prompt: 'do the thing', cwd, extraArgs: [], lastMessageFile: join(cwd, 'last.txt') },
      env: { ...process.env, ...s.env },
      logPath: join(tmp(), 'attempt.log'),
      maxLogBytes: 1 << 20,
      timeoutMs: 60_000,
      killGraceMs: 200,
      signal: new AbortController().signal,
      emit: (l) => lines.push(l),
    });
    const run = s.calls().find((c) => c.kind === 'run')!;
    expect(r).toMatchObject({ kind: 'succeeded', exitCode: 0, sessionId: run.sessionId });
    expect(r.finalText).toBe('All done.');
    expect(lines.map((l) => l.text)).toContain(`[claude] skipped an output line larger than ${MAX_OUTPUT_LINE_BYTES} bytes (not read as an event)`);
  }, 60_000);
});
