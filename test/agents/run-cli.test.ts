/** One CLI run and fallback chains, against the CLI simulator (real processes, the CLIs' real event streams). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, chainError, runChain, runCli, type CliName } from '../../src/agents/drivers/cli/index.js';
import type { AttemptOutputLine } from '../../src/agents/types.js';
import type { SimCli, SimScenario } from '../../src/testing/index.js';
import { sim } from '../sim/helpers.js';
import { isRunning, tmp } from './helpers.js';

function setup(scenario: SimScenario, clis?: SimCli[]) {
  const s = sim(scenario, clis);
  const cwd = tmp();
  const lines: AttemptOutputLine[] = [];
  const common = {
    invocation: { prompt: 'do the thing', cwd, extraArgs: [], lastMessageFile: join(cwd, 'last.txt') },
    env: { ...process.env, ...s.env },
    logPath: join(tmp(), 'attempt.log'),
    maxLogBytes: 1 << 20,
    timeoutMs: 20_000,
    killGraceMs: 200,
    signal: new AbortController().signal,
    emit: (l: AttemptOutputLine) => lines.push(l),
  };
  const runs = () => s.calls().filter((c) => c.kind === 'run');
  return { common, s, runs, cwd, lines };
}

const run = (cli: CliName, common: ReturnType<typeof setup>['common'], extra: Record<string, unknown> = {}) => runCli({ ...common, adapter: CLI_ADAPTERS[cli], ...extra });
const entry = (cli: SimCli, e: Omit<SimScenario['entries'] extends (infer E)[] | undefined ? E : never, 'match'>) => ({ match: { cli }, ...e });

describe('runCli', () => {
  it.each(['claude', 'codex', 'gemini', 'cursor'] as const)('%s: edits files, reports its session, usage and changed files', async (cli) => {
    const { common, runs, cwd, lines } = setup({ entries: [entry(cli, { actions: [{ write: 'out.txt', content: 'hello\n' }, { say: 'Changed 1 file(s).' }] })] });
    const r = await run(cli, common);
    expect(r).toMatchObject({ cli, kind: 'succeeded', exitCode: 0, sessionId: runs()[0]!.sessionId, filesChanged: [join(cwd, 'out.txt')] });
    expect(readFileSync(join(cwd, 'out.txt'), 'utf8')).toBe('hello\n');
    if (cli !== 'cursor') expect(r.usage.inputTokens).toBeGreaterThan(0);
    expect(r.finalText).toContain('Changed 1 file(s).');
    // The prompt reached the CLI (codex reads it from stdin, the others from -p).
    expect(runs()[0]!.prompt).toBe('do the thing');
    expect(lines.map((l) => l.text)).toContainEqual(expect.stringMatching(new RegExp(`^\\[${cli}\\] (tool (Write|write_file|write|apply_patch) .*out.txt|add .*out.txt)`)));
    expect(readFileSync(common.logPath, 'utf8')).toContain(`=== tutti: `);
  });

  it('claude cost is reported in USD, tokens apart', async () => {
    const { common } = setup({ entries: [entry('claude', { outcome: { kind: 'success', usage: { input: 100, cacheRead: 20, cacheWrite: 0, output: 30 }, costUsd: 0.0123 } })] });
    expect((await run('claude', common)).usage).toEqual({ inputTokens: 100, cacheReadTokens: 20, cacheWriteTokens: 0, outputTokens: 30, costUsd: 0.0123 });
  });

  it('a missing program is not installed, with the npm package to install', async () => {
    const { common } = setup({}, []);
    const r = await run('gemini', common);
    expect(r.kind).toBe('not_installed');
    expect(r.message).toContain('npm install -g @google/gemini-cli');
  });

  it('codex without credentials is caught by `codex login status` before exec (which would wait for the network forever)', async () => {
    const { common, s, runs } = setup({ entries: [entry('codex', { outcome: { kind: 'auth' } })] });
    const r = await run('codex', common);
    expect(r).toMatchObject({ kind: 'auth', exitCode: 1 });
    expect(r.message).toContain('Not logged in');
    expect(s.calls().map((c) => c.kind)).toEqual(['auth']);
    expect(runs()).toEqual([]);
  });

  it.each(['claude', 'codex'] as const)('%s retrying an unreachable service is stopped early as unavailable', async (cli) => {
    const { common } = setup({ entries: [entry(cli, { outcome: { kind: 'network' } })] });
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
      const { common, s } = setup({ entries: [entry('claude', { outcome: { kind: 'hang' } })] });
      const r = await run('claude', common, { timeoutMs });
      expect(r.kind).toBe('timeout');
      expect(r.message).toBe(`killed after the hard timeout of ${timeoutMs} ms`);
      const hang = s.hangs()[0];
      if (!hang?.grandchild) continue;
      grandchild = hang.grandchild;
      break;
    }
    expect(grandchild).not.toBeNull();
    expect(isRunning(grandchild!)).toBe(false);
  }, 120_000);

  it('a crash, a death by signal and a non-event stream are told apart', async () => {
    const a = setup({ entries: [entry('claude', { outcome: { kind: 'crash', exitCode: 3 } })] });
    expect(await run('claude', a.common)).toMatchObject({ kind: 'crashed', exitCode: 3 });
    const b = setup({ entries: [entry('gemini', { outcome: { kind: 'invalid_output' } })] });
    expect(await run('gemini', b.common)).toMatchObject({ kind: 'invalid_output', exitCode: 0 });
    const c = setup({ entries: [entry('codex', { outcome: { kind: 'crash', signal: 'SIGSEGV' } })] });
    expect((await run('codex', c.common)).message).toMatch(/^killed by SIGSEGV/);
  });

  it('an abort cancels the run', async () => {
    const { common } = setup({ entries: [entry('gemini', { outcome: { kind: 'hang' } })] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 500);
    expect((await run('gemini', { ...common, signal: ac.signal })).kind).toBe('cancelled');
  });
});

describe('cursor (stream-json; not on npm)', () => {
  it('runs headless with -p and stream-json; its words are the final message', async () => {
    const { common, runs } = setup({ entries: [entry('cursor', { actions: [{ say: 'Edited out.txt.' }, { say: 'All done.' }] })] });
    const r = await runCli({ ...common, adapter: CLI_ADAPTERS.cursor, invocation: { ...common.invocation, model: 'gpt-5' } });
    expect(r).toMatchObject({ cli: 'cursor', kind: 'succeeded', exitCode: 0 });
    expect(r.finalText).toContain('All done.');
    expect(runs()[0]!.argv).toEqual(['-p', 'do the thing', '--output-format', 'stream-json', '--force', '--model', 'gpt-5']);
  });

  it('not logged in is auth (a fallback), and a missing cursor-agent is not installed', async () => {
    const { common } = setup({ entries: [entry('cursor', { outcome: { kind: 'auth' } })] });
    expect(await runCli({ ...common, adapter: CLI_ADAPTERS.cursor })).toMatchObject({ kind: 'auth', exitCode: 1 });
    const none = setup({}, ['claude']);
    expect(await runCli({ ...none.common, adapter: CLI_ADAPTERS.cursor })).toMatchObject({ kind: 'not_installed' });
  });
});

describe('fallback chains', () => {
  it('moves on from not authenticated, rate-limited, at-capacity and out-of-credits CLIs to one that works', async () => {
    const { common, lines } = setup({
      entries: [entry('claude', { outcome: { kind: 'auth' } }), entry('codex', { outcome: { kind: 'rate_limit', resetInSeconds: 120 } }), entry('cursor', { outcome: { kind: 'capacity' } }), entry('gemini', { outcome: { kind: 'out_of_credits' } })],
    });
    const r = await runChain({ ...common, chain: ['claude', 'codex', 'cursor', 'gemini'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => [t.cli, t.kind])).toEqual([
      ['claude', 'auth'],
      ['codex', 'rate_limited'],
      ['cursor', 'capacity'],
      ['gemini', 'out_of_credits'],
    ]);
    expect(r.exhausted).toBe(true);
    expect(lines.map((l) => l.text)).toContainEqual(expect.stringMatching(/^\[tutti\] claude: not authenticated.* → trying codex$/));
    const ok = setup({ entries: [entry('claude', { outcome: { kind: 'capacity' } })] });
    const r2 = await runChain({ ...ok.common, chain: ['claude', 'gemini'], adapters: CLI_ADAPTERS });
    expect(r2.tried.map((t) => [t.cli, t.kind])).toEqual([
      ['claude', 'capacity'],
      ['gemini', 'succeeded'],
    ]);
    expect(chainError(r2, Date.now())).toBeNull();
  });

  it('when every CLI is rate-limited or unusable, parks until the earliest reset', async () => {
    const { common } = setup({ entries: [entry('claude', { outcome: { kind: 'rate_limit', resetInSeconds: 600 } }), entry('gemini', { outcome: { kind: 'rate_limit', resetInSeconds: 90 } })] }, ['claude', 'gemini']);
    const now = Date.now();
    const r = await runChain({ ...common, chain: ['claude', 'codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => t.kind)).toEqual(['rate_limited', 'not_installed', 'rate_limited']);
    const e = chainError(r, now)!;
    expect(e).toMatchObject({ kind: 'rate_limited', retryable: true });
    expect(e.retryAfterMs).toBeGreaterThan(85_000);
    // gemini computed its reset when it ran, after `now`: at most that much later than 90 s.
    expect(e.retryAfterMs).toBeLessThanOrEqual(Date.now() - now + 91_000);
    expect(e.message).toContain('codex: codex is not installed');
  });

  it('with no CLI authenticated or installed, fails for good naming each one', async () => {
    const a = setup({ entries: [entry('claude', { outcome: { kind: 'auth' } }), entry('gemini', { outcome: { kind: 'auth' } })] }, ['claude', 'gemini']);
    const r = await runChain({ ...a.common, chain: ['claude', 'codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(chainError(r, Date.now())).toMatchObject({ kind: 'auth', retryable: false, message: expect.stringMatching(/claude: not authenticated.*codex: codex is not installed.*gemini: not authenticated/) });
    const b = setup({}, []);
    const r2 = await runChain({ ...b.common, chain: ['codex', 'gemini'], adapters: CLI_ADAPTERS });
    expect(chainError(r2, Date.now())).toMatchObject({ kind: 'not_installed', retryable: false });
  });

  it('a CLI that crashes ends the chain (a real failure, retried by the engine, not a fallback)', async () => {
    const { common, runs } = setup({ entries: [entry('claude', { outcome: { kind: 'crash', exitCode: 3 } })] });
    const r = await runChain({ ...common, chain: ['claude', 'codex'], adapters: CLI_ADAPTERS });
    expect(r.tried.map((t) => t.cli)).toEqual(['claude']);
    expect(chainError(r, Date.now())).toMatchObject({ kind: 'crashed' });
    expect(runs().map((c) => c.cli)).toEqual(['claude']);
  });
});
