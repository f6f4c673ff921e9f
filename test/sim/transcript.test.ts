/** parseTranscript on attempt logs written by real runs of the simulated CLIs (a chain of two in one log). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, parseTranscript, runChain } from '../../src/agents/drivers/cli/index.js';
import { tmp } from '../agents/helpers.js';
import { sim } from './helpers.js';

describe('parseTranscript', () => {
  it('splits a chain log into its CLI runs and reads each with its own parser, in order', async () => {
    const s = sim({
      entries: [
        { match: { cli: 'claude' }, outcome: { kind: 'capacity' } },
        { match: { cli: 'codex' }, actions: [{ say: 'Reading the test.' }, { run: 'echo 3 passing' }, { write: 'sum.js', content: 'module.exports = (a, b) => a + b;\n' }, { say: 'Fixed sum().' }] },
      ],
    });
    const cwd = tmp();
    const logPath = join(tmp(), 'attempt.log');
    const r = await runChain({
      chain: ['claude', 'codex'],
      adapters: CLI_ADAPTERS,
      invocation: { prompt: 'fix sum', cwd, extraArgs: [], lastMessageFile: join(cwd, '.last') },
      env: { ...process.env, ...s.env },
      logPath,
      maxLogBytes: 1 << 20,
      timeoutMs: 30_000,
      killGraceMs: 200,
      signal: new AbortController().signal,
    });
    expect(r.final.kind).toBe('succeeded');
    const runs = parseTranscript(null, readFileSync(logPath, 'utf8'));
    expect(runs.map((x) => [x.cli, x.preflight])).toEqual([
      ['claude', false],
      ['codex', true],
      ['codex', false],
    ]);
    const claude = runs[0]!.entries;
    expect(claude).toContainEqual(expect.objectContaining({ kind: 'retry', status: 529 }));
    expect(claude).toContainEqual(expect.objectContaining({ kind: 'error', message: expect.stringContaining('overloaded_error') }));
    // The sandbox warning Claude Code prints on stderr without bubblewrap is kept as output.
    expect(claude).toContainEqual({ kind: 'output', text: expect.stringContaining('Sandbox disabled') });
    const codex = runs[2]!.entries.map((e) => e.kind);
    expect(codex).toEqual(['session', 'message', 'tool_use', 'tool_result', 'tool_use', 'tool_result', 'file_change', 'message', 'usage', 'result']);
    expect(runs[2]!.entries).toContainEqual(expect.objectContaining({ kind: 'tool_result', ok: true, content: '3 passing' }));
    expect(runs[2]!.entries).toContainEqual(expect.objectContaining({ kind: 'tool_use', tool: 'apply_patch', input: expect.stringContaining('sum.js') }));
  });

  it('a header naming an unknown program uses the CLI asked for; lines before any header are ignored', () => {
    const log = 'noise\n=== tutti: /opt/bin/my-claude -p <prompt> --output-format stream-json --verbose ===\n{"type":"system","subtype":"init","session_id":"s1"}\nplain words\n';
    expect(parseTranscript('claude', log)).toEqual([{ cli: 'claude', command: '/opt/bin/my-claude -p <prompt> --output-format stream-json --verbose', preflight: false, entries: [{ kind: 'session', sessionId: 's1' }, { kind: 'output', text: 'plain words' }] }]);
  });
});
