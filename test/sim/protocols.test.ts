/**
 * The CLI simulator as a real process per CLI, read by tutti's own adapters (runCli), with
 * field-level checks of what it prints against the sources cited in src/testing/sim/*.ts: every
 * real limit, capacity, credit, auth and budget text ends in its outcome class, with its reset.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_ADAPTERS, runCli, type CliName } from '../../src/agents/drivers/cli/index.js';
import type { SimOutcome } from '../../src/testing/index.js';
import { tmp } from '../agents/helpers.js';
import { sim } from './helpers.js';

function run(cli: CliName, env: Record<string, string>, extra: { cwd?: string; resumeSessionId?: string; maxBudgetUsd?: number; flags?: string[] } = {}) {
  const cwd = extra.cwd ?? tmp();
  const logPath = join(tmp(), 'attempt.log');
  return runCli({
    adapter: CLI_ADAPTERS[cli],
    invocation: { prompt: 'fix the failing test', cwd, extraArgs: [], lastMessageFile: join(cwd, '.last'), ...(extra.resumeSessionId ? { resumeSessionId: extra.resumeSessionId } : {}), ...(extra.maxBudgetUsd ? { maxBudgetUsd: extra.maxBudgetUsd } : {}), ...(extra.flags ? { flags: extra.flags } : {}) },
    env: { ...process.env, ...env },
    logPath,
    maxLogBytes: 1 << 20,
    timeoutMs: 30_000,
    killGraceMs: 200,
    signal: new AbortController().signal,
  }).then((r) => ({ ...r, cwd, log: readFileSync(logPath, 'utf8') }));
}

const one = (cli: CliName, outcome: SimOutcome | Record<string, unknown>, actions: unknown[] = []) => sim({ entries: [{ match: { cli }, actions, outcome } as never] });
const HOUR = 3_600_000;

describe.each(['claude', 'codex', 'gemini', 'cursor'] as const)('%s', (cli) => {
  it('a working session: files really changed, absolute paths, session id, final words, usage apart', async () => {
    const s = one(cli, { kind: 'success' }, [{ say: 'Looking at the test.' }, { write: 'out.txt', content: 'hello\n' }, { run: 'echo ran' }, { say: 'Fixed it.' }]);
    const r = await run(cli, s.env);
    expect(r.kind).toBe('succeeded');
    expect(readFileSync(join(r.cwd, 'out.txt'), 'utf8')).toBe('hello\n');
    expect(r.filesChanged).toEqual([join(r.cwd, 'out.txt')]);
    const [call] = s.calls().filter((c) => c.kind === 'run');
    expect(call).toMatchObject({ cli, kind: 'run', prompt: 'fix the failing test', resumed: false, call: 1, entry: 0, outcome: 'success' });
    expect(r.sessionId).toBe(call!.sessionId);
    expect(r.finalText).toContain('Fixed it.');
    // The default session: 42 new input, 2,048 cache-write, 56,000 cache-read, 310 output tokens.
    if (cli === 'claude') expect(r.usage).toEqual({ inputTokens: 42, cacheWriteTokens: 2048, cacheReadTokens: 56_000, outputTokens: 310, costUsd: 0.029256 });
    // Codex and Gemini fold cache writes into input and report cache reads as cached input.
    else if (cli === 'codex' || cli === 'gemini') expect(r.usage).toEqual({ inputTokens: 2090, cacheReadTokens: 56_000, outputTokens: 310 });
    else expect(r.usage).toEqual({});
  });

  it('no credentials: auth (a fallback), without doing any work', async () => {
    const s = one(cli, { kind: 'auth' }, [{ write: 'out.txt', content: 'x' }]);
    const r = await run(cli, s.env);
    expect(r.kind).toBe('auth');
  });

  it('at capacity and out of credits are their own classes', async () => {
    expect((await run(cli, one(cli, { kind: 'capacity' }).env)).kind).toBe('capacity');
    expect((await run(cli, one(cli, { kind: 'out_of_credits' }).env)).kind).toBe('out_of_credits');
  });

  it('a usage limit is rate-limited with its reset (within the minute the text gives)', async () => {
    const before = Date.now();
    const r = await run(cli, one(cli, { kind: 'rate_limit', resetInSeconds: 2 * 3600 }).env);
    expect(r.kind).toBe('rate_limited');
    expect(r.resetAt).toBeGreaterThan(before + 2 * HOUR - 61_000);
    expect(r.resetAt).toBeLessThan(Date.now() + 2 * HOUR + 61_000);
  });

  it('resume continues the same session and is recorded as resumed; an unknown session is refused', async () => {
    const s = sim({ entries: [{ match: { cli, resume: true }, actions: [{ say: 'Continuing.' }] }, { match: { cli }, actions: [{ say: 'Starting.' }] }] });
    const cwd = tmp();
    const first = await run(cli, s.env, { cwd });
    expect(CLI_ADAPTERS[cli].supportsResume).toBe(true);
    const second = await run(cli, s.env, { cwd, resumeSessionId: first.sessionId! });
    expect(second).toMatchObject({ kind: 'succeeded', sessionId: first.sessionId, finalText: 'Continuing.' });
    expect(s.calls().filter((c) => c.kind === 'run').slice(0, 2).map((c) => [c.resumed, c.sessionId])).toEqual([
      [false, first.sessionId],
      [true, first.sessionId],
    ]);
    const unknown = await run(cli, s.env, { cwd, resumeSessionId: '0b7c1f9e-2d5a-4c3e-9f61-7d2e8a1b4c90' });
    expect(unknown.kind).not.toBe('succeeded');
  });
});

describe('Claude Code texts and events', () => {
  it('rate_limit_event rejected + "You\'ve hit your limit · resets Apr 23 at 4pm (America/Recife)": the event\'s resetsAt wins', async () => {
    const resetAt = new Date(Date.now() + 30 * HOUR);
    resetAt.setUTCMinutes(0, 0, 0);
    const s = one('claude', { kind: 'rate_limit', resetAt: resetAt.toISOString(), zone: 'America/Recife' });
    const r = await run('claude', s.env);
    expect(r.log).toMatch(/"type":"rate_limit_event","rate_limit_info":\{"status":"rejected","resetsAt":\d{10},"rateLimitType":"five_hour"/);
    expect(r.log).toMatch(/You've hit your limit · resets [A-Z][a-z]{2} \d{1,2} at \d{1,2}(am|pm) \(America\/Recife\)/);
    expect(r).toMatchObject({ kind: 'rate_limited', resetAt: resetAt.getTime() });
  });

  it('without the event, the text alone gives the reset; the legacy "|epoch" form too', async () => {
    const at = Math.floor((Date.now() + 3 * HOUR) / 60_000) * 60_000;
    const text = await run('claude', one('claude', { kind: 'rate_limit', resetAt: new Date(at).toISOString(), event: false, zone: 'Europe/Berlin' }).env);
    expect(text).toMatchObject({ kind: 'rate_limited', resetAt: at });
    const legacy = await run('claude', one('claude', { kind: 'rate_limit', resetInSeconds: 600, event: false, form: 'legacy' }).env);
    expect(legacy.log).toMatch(/Claude AI usage limit reached\|\d{10}/);
    expect(legacy.resetAt).toBeGreaterThan(Date.now() + 500_000);
  });

  it('API Error 529 overloaded_error is capacity; "Credit balance is too low" is out of credits', async () => {
    const over = await run('claude', one('claude', { kind: 'capacity' }).env);
    expect(over.log).toContain('API Error: 529 {\\"type\\":\\"error\\",\\"error\\":{\\"type\\":\\"overloaded_error\\"');
    expect(over.kind).toBe('capacity');
    const credit = await run('claude', one('claude', { kind: 'out_of_credits' }).env);
    expect(credit.log).toContain('"error":"billing_error"');
    expect(credit.message).toContain('Credit balance is too low');
  });

  it('result error_max_budget_usd is a budget stop; tutti passes --max-budget-usd', async () => {
    const s = one('claude', { kind: 'budget' }, [{ write: 'a.txt', content: 'partial' }]);
    const r = await run('claude', s.env, { maxBudgetUsd: 0.5 });
    expect(r.log).toContain('"subtype":"error_max_budget_usd"');
    expect(r.log).toContain('Reached maximum budget ($0.5)');
    expect(r).toMatchObject({ kind: 'budget' });
    expect(r.usage.costUsd).toBeGreaterThanOrEqual(0.5);
    expect(s.calls()[0]!.argv).toEqual(expect.arrayContaining(['--max-budget-usd', '0.5000']));
  });

  it('one assistant event per content block, each with its message id and usage; tool_use input and tool_result content reach the events', async () => {
    const s = one('claude', { kind: 'success', usage: { input: 100, cacheWrite: 0, cacheRead: 0, output: 20 } }, [{ say: 'Reading.' }, { run: 'echo hello-from-bash' }, { say: 'Done.' }]);
    const r = await run('claude', s.env);
    const assistant = r.log.split('\n').filter((l) => l.startsWith('{"type":"assistant"')).map((l) => JSON.parse(l) as { message: { id: string; usage: { input_tokens: number } } });
    // Text and tool_use of the first message share its id; the last message is another.
    expect(assistant).toHaveLength(3);
    expect(assistant[0]!.message.id).toBe(assistant[1]!.message.id);
    expect(assistant[2]!.message.id).not.toBe(assistant[0]!.message.id);
    // Per-message usage counted once per message: the session's 120 tokens.
    expect(r.usage).toMatchObject({ inputTokens: 100, outputTokens: 20 });
    const events = CLI_ADAPTERS.claude.newParser();
    const parsed = r.log.split('\n').flatMap((l) => events.line(l));
    expect(parsed).toContainEqual(expect.objectContaining({ kind: 'tool_use', tool: 'Bash', input: expect.stringContaining('echo hello-from-bash') }));
    expect(parsed).toContainEqual(expect.objectContaining({ kind: 'tool_result', ok: true, content: 'hello-from-bash' }));
  });

  it('default flags confine Edit/Write to the working directory (the denial is a failed tool call); Bash is not confined here', async () => {
    const outside = join(tmp(), 'outside.txt');
    const s = one('claude', { kind: 'success' }, [{ write: outside, content: 'x' }, { run: `echo y > ${outside}.bash` }]);
    const r = await run('claude', s.env);
    expect(r.kind).toBe('succeeded');
    expect(r.log).toContain(`Claude requested permissions to write to ${outside}, but you haven't granted it yet.`);
    expect(() => readFileSync(outside)).toThrow();
    expect(readFileSync(`${outside}.bash`, 'utf8')).toBe('y\n');
    // The sandbox is asked for: without bubblewrap Claude Code says it runs unsandboxed.
    expect(s.calls()[0]!.argv.join(' ')).toContain('"sandbox":{"enabled":true');
  });
});

describe('Codex texts and argv', () => {
  it('usage limit with a clock time and with a date ("try again at Dec 3rd, 2026 7:34 AM.")', async () => {
    const clockAt = Math.floor((Date.now() + HOUR) / 60_000) * 60_000;
    const clock = await run('codex', one('codex', { kind: 'rate_limit', resetAt: new Date(clockAt).toISOString(), form: 'clock' }).env);
    expect(clock.log).toMatch(/or try again at \d{1,2}:\d{2} (AM|PM)\./);
    expect(clock).toMatchObject({ kind: 'rate_limited', resetAt: clockAt });
    const datedAt = Math.floor((Date.now() + 50 * HOUR) / 60_000) * 60_000;
    const dated = await run('codex', one('codex', { kind: 'rate_limit', resetAt: new Date(datedAt).toISOString() }).env);
    expect(dated.log).toMatch(/or try again at [A-Z][a-z]{2} \d{1,2}(st|nd|rd|th), \d{4} \d{1,2}:\d{2} (AM|PM)\./);
    expect(dated).toMatchObject({ kind: 'rate_limited', resetAt: datedAt });
  });

  it('"Model … is at capacity … Try again in 5m." is capacity with its reset; "Selected model is at capacity" too', async () => {
    const before = Date.now();
    const cap = await run('codex', one('codex', { kind: 'capacity', retryInSeconds: 300, model: 'gpt-5.6-sol' }).env);
    expect(cap.log).toContain('Model gpt-5.6-sol is at capacity. Please try a different model. Try again in 5m.');
    expect(cap.kind).toBe('capacity');
    expect(cap.resetAt).toBeGreaterThanOrEqual(before + 300_000);
    const selected = await run('codex', one('codex', { kind: 'capacity' }).env);
    expect(selected.log).toContain('Selected model is at capacity. Please try a different model.');
    expect(selected.kind).toBe('capacity');
    const credits = await run('codex', one('codex', { kind: 'out_of_credits' }).env);
    expect(credits.log).toContain('Your workspace is out of credits. Add credits to continue.');
  });

  it('resume argv: exec options before `resume` (after it, -s is a usage error: exit 2)', async () => {
    const s = sim({ entries: [] });
    const first = await run('codex', s.env);
    await run('codex', s.env, { resumeSessionId: first.sessionId! });
    const resumed = s.calls().filter((c) => c.kind === 'run')[1]!;
    expect(resumed.argv.slice(resumed.argv.indexOf('resume'))).toEqual(['resume', first.sessionId, '-']);
    expect(resumed.argv.indexOf('-s')).toBeLessThan(resumed.argv.indexOf('resume'));
    const bin = join(s.binDir, 'codex');
    let code = 0;
    try {
      execFileSync(bin, ['exec', 'resume', '-s', 'workspace-write', first.sessionId!, '-'], { env: { ...process.env, ...s.env }, input: 'x', stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
    }
    expect(code).toBe(2);
  });
});

describe('Gemini and Cursor texts', () => {
  it('gemini: quota reset after 1h5m3s, no capacity available, exit 41 auth; cursor auth text', async () => {
    const before = Date.now();
    const quota = await run('gemini', one('gemini', { kind: 'rate_limit', resetInSeconds: 3903 }).env);
    expect(quota.log).toContain('Your quota will reset after 1h5m3s.');
    expect(quota.resetAt).toBeGreaterThanOrEqual(before + 3_903_000);
    const cap = await run('gemini', one('gemini', { kind: 'capacity', model: 'gemini-3.1-pro-preview' }).env);
    expect(cap.log).toContain('No capacity available for model gemini-3.1-pro-preview on the server');
    const auth = await run('gemini', one('gemini', { kind: 'auth' }).env);
    expect(auth).toMatchObject({ kind: 'auth', exitCode: 41 });
    const cursor = await run('cursor', one('cursor', { kind: 'auth' }).env);
    expect(cursor.message).toContain("Authentication required. Please run 'agent login' first");
  });
});

describe('scenario files and the state dir', () => {
  it('a bad scenario is exit 2 with one line on stderr naming the field', () => {
    const dir = tmp();
    const file = join(dir, 's.yaml');
    writeFileSync(file, 'entries:\n  - outcome: { kind: explode }\n');
    const s = sim({ entries: [] });
    let err = '';
    let code = 0;
    try {
      execFileSync(join(s.binDir, 'claude'), ['-p', 'x', '--output-format', 'stream-json', '--verbose'], { env: { ...process.env, ...s.env, TUTTI_SIM_SCENARIO: file }, stdio: 'pipe' });
    } catch (e) {
      code = (e as { status: number }).status;
      err = String((e as { stderr: Buffer }).stderr);
    }
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(err).toMatch(/^tutti-sim: invalid scenario .*s\.yaml: entries\.0\.outcome/);
  });

  it('matches on task, attempt and call number; parallel calls of one CLI get distinct call numbers', async () => {
    const s = sim({ entries: [{ match: { task: 'fix', attempt: 2 }, actions: [{ say: 'second attempt' }] }, { match: { call: 3 }, actions: [{ say: 'third call' }] }] });
    const results = await Promise.all(Array.from({ length: 6 }, () => run('gemini', s.env)));
    expect(results.every((r) => r.kind === 'succeeded')).toBe(true);
    expect(s.calls().filter((c) => c.kind === 'run').map((c) => c.call).sort((a, b) => a! - b!)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.filter((r) => r.finalText === 'third call')).toHaveLength(1);
    const r = await run('claude', { ...s.env, TUTTI_TASK_ID: 'fix', TUTTI_ATTEMPT: '2' });
    expect(r.finalText).toBe('second attempt');
  });
});
