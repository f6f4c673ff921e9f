/** One CLI run and fallback chains, against the scripted fake CLI (real processes, real event streams). */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, chainError, runChain, runCli, type CliName } from '../../src/agents/drivers/cli/index.js';
import type { AttemptOutputLine } from '../../src/agents/types.js';
import { fakeBin, fakeScript, isRunning, systemPath, tmp } from './helpers.js';

function setup(script: Record<string, unknown>, names?: string[]) {
  const { env, record } = fakeScript(script);
  const cwd = tmp();
  const lines: AttemptOutputLine[] = [];
  const common = {
    invocation: { prompt: 'do the thing', cwd, extraArgs: [], lastMessageFile: join(cwd, 'last.txt') },
    env: { ...process.env, ...env, PATH: systemPath(fakeBin(names)) },
    logPath: join(tmp(), 'attempt.log'),
    maxLogBytes: 1 << 20,
    timeoutMs: 20_000,
    killGraceMs: 200,
    signal: new AbortController().signal,
    emit: (l: AttemptOutputLine) => lines.push(l),
  };
  return { common, record, cwd, lines };
}

const run = (cli: CliName, common: ReturnType<typeof setup>['common'], extra: Record<string, unknown> = {}) => runCli({ ...common, adapter: CLI_ADAPTERS[cli], ...extra });

describe('runCli', () => {
  it.each(['claude', 'codex', 'gemini'] as const)('%s: edits files, reports its session, usage and changed files', async (cli) => {
    const { common, record, cwd, lines } = setup({ [cli]: { edits: [{ write: { 'out.txt': 'hello\n' } }] } });
    const r = await run(cli, common);
    expect(r).toMatchObject({ cli, kind: 'succeeded', exitCode: 0, sessionId: `fake-${cli}-0`, filesChanged: ['out.txt'] });
    expect(readFileSync(join(cwd, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.finalText).toContain('Changed 1 file(s).');
    // The prompt reached the CLI (codex reads it from stdin, the others from -p).
    expect(readFileSync(join(record, `${cli}.0.prompt.txt`), 'utf8')).toBe('do the thing');
    expect(lines.map((l) => l.text)).toContainEqual(expect.stringMatching(new RegExp(`^\\[${cli}\\] (tool (Write|write_file) out.txt|update out.txt)`)));
    expect(readFileSync(common.logPath, 'utf8')).toContain(`=== tutti: `);
  });

  it('claude cost is reported in USD', async () => {
    const { common } = setup({ claude: {} });
    expect((await run('claude', common)).usage).toEqual({ inputTokens: 120, outputTokens: 30, costUsd: 0.0123 });
  });

  it('a missing program is not installed, with the npm package to install', async () => {
    const { common } = setup({}, []);
    const r = await run('gemini', common);
    expect(r.kind).toBe('not_installed');
    expect(r.message).toContain('npm install -g @google/gemini-cli');
  });

  it('codex without credentials is caught by `codex login status` before exec (which would wait for the network forever)', async () => {
    const { common, record } = setup({ codex: { modes: ['auth'] } });
    const r = await run('codex', common);
    expect(r).toMatchObject({ kind: 'auth', exitCode: 1 });
    expect(r.message).toContain('Not logged in');
    expect(existsSync(join(record, 'codex.0.prompt.txt'))).toBe(false);
  });

  it.each(['claude', 'codex'] as const)('%s retrying an unreachable service is stopped early as unavailable', async (cli) => {
    const { common } = setup({ [cli]: { modes: ['network'] } });
    const r = await run(cli, common, { networkRetryLimit: 3 });
    expect(r.kind).toBe('unavailable');
    expect(r.message).toMatch(/cannot reach its service/);
  });

  it('the hard timeout kills the CLI and what it started', async () => {
    // Under load the CLI may not have started its grandchild before a short timeout fires: then
    // that run proves nothing about descendants, and the next one gets four times longer. No
    // assertion depends on how long anything took.
    let grandchild: number | null = null;
    for (const timeoutMs of [1000, 4000, 16_000, 64_000]) {
      const { common, record } = setup({ claude: { modes: ['hang'] } });
      const r = await run('claude', common, { timeoutMs });
      expect(r.kind).toBe('timeout');
      expect(r.message).toBe(`killed after the hard timeout of ${timeoutMs} ms`);
      const pidFile = join(record, 'grandchild.pid');
      if (!existsSync(pidFile)) continue;
      grandchild = Number(readFileSync(pidFile, 'utf8'));
      break;
    }
    expect(grandchild).not.toBeNull();
    expect(isRunning(grandchild!)).toBe(false);
  }, 120_000);

  it('a crash and a non-event stream are told apart', async () => {
    const a = setup({ claude: { modes: ['crash'] } });
    expect(await run('claude', a.common)).toMatchObject({ kind: 'crashed', exitCode: 3 });
    const b = setup({ gemini: { modes: ['invalid'] } });
    expect(await run('gemini', b.common)).toMatchObject({ kind: 'invalid_output', exitCode: 0 });
  });

  it('an abort cancels the run', async () => {
    const { common } = setup({ gemini: { modes: ['hang'] } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    expect((await run('gemini', { ...common, signal: ac.signal })).kind).toBe('cancelled');
  });
});

describe('cursor (plain text; not on npm, so a stand-in script here)', () => {
  function cursorBin(body: string): string {
    const dir = tmp('tutti-cursor-');
    writeFileSync(join(dir, 'cursor-agent'), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, 'cursor-agent'), 0o755);
    return dir;
  }

  it('runs headless with -p and text output; its words are the final message; exit 0 is success', async () => {
    const { common, cwd } = setup({});
    const bin = cursorBin('printf "%s\\n" "$@" > args.txt; echo changed > out.txt; echo "Edited out.txt."; echo "All done."');
    const r = await runCli({ ...common, env: { ...common.env, PATH: systemPath(bin) }, adapter: CLI_ADAPTERS.cursor, invocation: { ...common.invocation, model: 'gpt-5' } });
    expect(r).toMatchObject({ cli: 'cursor', kind: 'succeeded', exitCode: 0 });
    expect(r.finalText).toContain('All done.');
    expect(readFileSync(join(cwd, 'args.txt'), 'utf8').split('\n').filter(Boolean)).toEqual(['-p', 'do the thing', '--output-format', 'text', '--force', '--model', 'gpt-5']);
  });

  it('not logged in is auth (a fallback), and a missing cursor-agent is not installed', async () => {
    const { common } = setup({});
    const bin = cursorBin('echo "Error: Not logged in. Run cursor-agent login." >&2; exit 1');
    expect(await runCli({ ...common, env: { ...common.env, PATH: systemPath(bin) }, adapter: CLI_ADAPTERS.cursor })).toMatchObject({ kind: 'auth', exitCode: 1 });
    expect(await runCli({ ...common, adapter: CLI_ADAPTERS.cursor })).toMatchObject({ kind: 'not_installed' });
  });
});

describe('fallback chains', () => {
  it('moves on from not authenticated and rate-limited CLIs to one that works', async () => {
    const { common, lines } = setup({ claude: { modes: ['auth'] }, codex: { modes: ['rate_limit'], resetInSeconds: 120 }, gemini: {} });
    const r = await runChain({ ...common, chain: ['claude', 'codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => [t.cli, t.kind])).toEqual([
      ['claude', 'auth'],
      ['codex', 'rate_limited'],
      ['gemini', 'succeeded'],
    ]);
    expect(r.exhausted).toBe(false);
    expect(chainError(r, Date.now())).toBeNull();
    expect(lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^\[tutti\] claude: not authenticated.* → trying codex$/));
  });

  it('when every CLI is rate-limited or unusable, parks until the earliest reset', async () => {
    const { common } = setup({ claude: { modes: ['rate_limit'], resetInSeconds: 600 }, gemini: { modes: ['rate_limit'], resetInSeconds: 90 } }, ['claude', 'gemini']);
    const now = Date.now();
    const r = await runChain({ ...common, chain: ['claude', 'codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => t.kind)).toEqual(['rate_limited', 'not_installed', 'rate_limited']);
    const e = chainError(r, now)!;
    expect(e).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(e.retryAfterMs).toBeGreaterThan(85_000);
    // gemini computed its reset when it ran, after `now`: at most that much later than 90 s.
    expect(e.retryAfterMs).toBeLessThanOrEqual(Date.now() - now + 90_000);
    expect(e.message).toContain('codex: codex is not installed');
  });

  it('with no CLI authenticated or installed, fails for good naming each one', async () => {
    const a = setup({ claude: { modes: ['auth'] }, gemini: { modes: ['auth'] } }, ['claude', 'gemini']);
    const r = await runChain({ ...a.common, chain: ['claude', 'codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(chainError(r, Date.now())).toMatchObject({ kind: 'auth', retryable: false, message: expect.stringMatching(/claude: not authenticated.*codex: codex is not installed.*gemini: not authenticated/) });
    const b = setup({}, []);
    const r2 = await runChain({ ...b.common, chain: ['codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(chainError(r2, Date.now())).toMatchObject({ kind: 'not_installed', retryable: false });
  });

  it('a CLI that crashes ends the chain (a real failure, retried by the engine, not a fallback)', async () => {
    const { common, record } = setup({ claude: { modes: ['crash'] }, codex: {} });
    const r = await runChain({ ...common, chain: ['claude', 'codex'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => t.cli)).toEqual(['claude']);
    expect(chainError(r, Date.now())).toMatchObject({ kind: 'crashed' });
    expect(existsSync(join(record, 'codex.0.prompt.txt'))).toBe(false);
  });
});
