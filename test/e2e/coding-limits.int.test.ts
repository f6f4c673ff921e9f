/**
 * Coding agents end to end, limits: every rate-limit, capacity and credit text the CLIs print
 * today (with a chain of two CLIs, and with one), the durable quota ledger across runs, and USD
 * and token budgets including Claude's own `error_max_budget_usd` — through the tutti binary.
 */
import { describe, expect, it } from 'vitest';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { SimScenario } from '../../src/testing/index.js';

type SimOutcome = NonNullable<NonNullable<SimScenario['entries']>[number]['outcome']>;
import { ANSWER_REPO, collect, explain, json, processesOfRun, show, until, world } from './helpers.js';

const out = (a: { output: unknown }) => a.output as CodingOutput;
const FIX = [{ write: 'answer.js', content: 'module.exports = 42;\n' }];
const HOUR = 3600;

interface LimitCase {
  name: string;
  limited: 'claude' | 'codex';
  outcome: SimOutcome;
  kind: 'rate_limited' | 'capacity' | 'out_of_credits';
  /** Seconds until the reset the CLI says (undefined: it does not say; tutti backs off). */
  reset?: number;
  /** How exactly the reset is known, ms (clock texts have minute precision). */
  precision?: number;
}

const CASES: LimitCase[] = [
  { name: 'Claude: "You\'ve hit your limit · resets 4pm (America/Recife)" with its rate_limit_event', limited: 'claude', outcome: { kind: 'rate_limit', resetInSeconds: 2 * HOUR, form: 'clock', zone: 'America/Recife', window: 'five_hour', event: true }, kind: 'rate_limited', reset: 2 * HOUR, precision: 1000 },
  { name: 'Claude: the dated text alone ("resets Apr 23 at 4pm (Zone)")', limited: 'claude', outcome: { kind: 'rate_limit', resetInSeconds: 50 * HOUR, form: 'dated', zone: 'Europe/Berlin', window: 'seven_day', event: false }, kind: 'rate_limited', reset: 50 * HOUR, precision: 60_000 },
  { name: 'Claude: API Error 529 overloaded_error', limited: 'claude', outcome: { kind: 'capacity' }, kind: 'capacity' },
  { name: 'Claude: credit balance too low', limited: 'claude', outcome: { kind: 'out_of_credits' }, kind: 'out_of_credits' },
  { name: 'Codex: "…try again at 7:34 AM."', limited: 'codex', outcome: { kind: 'rate_limit', resetInSeconds: 3 * HOUR, form: 'clock' }, kind: 'rate_limited', reset: 3 * HOUR, precision: 60_000 },
  { name: 'Codex: "…try again at Dec 3rd, 2026 7:34 AM."', limited: 'codex', outcome: { kind: 'rate_limit', resetInSeconds: 40 * HOUR, form: 'dated' }, kind: 'rate_limited', reset: 40 * HOUR, precision: 60_000 },
  { name: 'Codex: "Model … is at capacity. … Try again in 5m."', limited: 'codex', outcome: { kind: 'capacity', retryInSeconds: 300, model: 'gpt-5-codex' }, kind: 'capacity', reset: 300, precision: 5000 },
  { name: 'Codex: "Your workspace is out of credits."', limited: 'codex', outcome: { kind: 'out_of_credits' }, kind: 'out_of_credits' },
];

describe('coding agents end to end: limits and budgets', { timeout: 300_000 }, () => {
  it('every limit text moves a chain of two CLIs to the next one without spending an iteration, and the ledger keeps the reset', async () => {
    const check = async (c: LimitCase) => {
      const other = c.limited === 'claude' ? 'codex' : 'claude';
      const w = world(ANSWER_REPO, { entries: [{ match: { cli: c.limited }, outcome: c.outcome }, { match: { cli: other }, actions: FIX }] });
      const started = Date.now();
      const r = await w.tutti(['--json', '--agent-cli', `${c.limited},${other}`, '--validate', 'node test.js', '--max-iterations', '1', 'make the test pass']);
      expect(r.code, `${c.name}\n${explain(r)}`).toBe(0);
      const run = json(r);
      const a = run.tasks[0]!.attempts;
      expect(a, c.name).toHaveLength(1);
      expect(out(a[0]!).clis.map((x) => [x.cli, x.kind]), c.name).toEqual([
        [c.limited, c.kind],
        [other, 'succeeded'],
      ]);
      // The ledger (in the run's store): the limited CLI is not to be called before its reset, or a backoff when none was said.
      const store = openSqliteStore(join(w.dataDir, 'tutti.db'));
      const q = (await store.listQuotas()).find((x) => x.cli === c.limited);
      await store.close();
      expect(q, c.name).toMatchObject({ state: c.kind, known: c.reset !== undefined, strikes: 1 });
      if (c.reset !== undefined) expect(Math.abs(q!.until - (started + c.reset * 1000)), c.name).toBeLessThan((c.precision ?? 1000) + (Date.now() - started));
      else expect(q!.until, c.name).toBeGreaterThan(Date.now());
      expect(processesOfRun(run.id), c.name).toEqual([]);
    };
    // Two at a time: each case has its own repository, store and simulator state.
    for (let i = 0; i < CASES.length; i += 2) await Promise.all(CASES.slice(i, i + 2).map(check));
  });

  it('with one CLI a limit parks the task until its reset, without spending an iteration, and the reset is known to the next run: it does not call the CLI', async () => {
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', prompt: 'soon', call: 1 }, outcome: { kind: 'rate_limit', resetInSeconds: 3, event: true } },
        { match: { cli: 'claude', prompt: 'soon' }, actions: FIX },
        { match: { cli: 'claude', prompt: 'later' }, outcome: { kind: 'rate_limit', resetInSeconds: 2 * HOUR, form: 'clock', zone: 'UTC', event: true } },
      ],
    });
    // Resets in 3 s: parked, then the same task runs again and succeeds, its one iteration intact.
    const soon = await w.tutti(['--json', '--agent-cli', 'claude', '--validate', 'node test.js', '--max-iterations', '1', '--merge', 'soon: make the test pass']);
    expect(soon.code, explain(soon)).toBe(0);
    const s = json(soon);
    expect(s.tasks[0]!.attempts.map((a) => [a.status, a.error?.kind ?? null])).toEqual([
      ['failed', 'rate_limited'],
      ['succeeded', null],
    ]);
    const calls = w.runs('claude');
    expect(calls).toHaveLength(2);
    // Not called again before its reset.
    expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(2500);

    // Resets in 2 h: parked; `status` says so in words.
    const runId = 'run_parked';
    const first = collect(w.start(['--json', '--run-id', runId, '--agent-cli', 'claude', 'later: make the test pass']));
    const parked = await until('the task is parked', async () => {
      const v = await w.status(runId).catch(() => null);
      return v?.tasks[0]!.status === 'blocked' ? v : undefined;
    });
    expect(parked.tasks[0]!.blockedReason).toMatchObject({ kind: 'rate_limited', message: expect.stringMatching(/claude rate-limited until \d\d:\d\d UTC/) });
    const human = await w.tutti(['status', runId]);
    expect(human.stdout).toMatch(/claude rate-limited until \d\d:\d\d UTC/);
    // A later run of the same CLI does not call it before the known reset: it parks at once.
    const before = w.runs('claude').length;
    const second = collect(w.start(['--json', '--run-id', 'run_parked_too', '--agent-cli', 'claude', 'later: another task']));
    const parked2 = await until('the second run is parked', async () => {
      const v = await w.status('run_parked_too').catch(() => null);
      return v?.tasks[0]!.status === 'blocked' ? v : undefined;
    });
    expect(parked2.tasks[0]!.blockedReason).toMatchObject({ kind: 'rate_limited', message: expect.stringContaining('known from an earlier call') });
    expect(w.runs('claude').length).toBe(before);
    for (const id of [runId, 'run_parked_too']) expect((await w.tutti(['cancel', id])).code).toBe(0);
    expect((await first).code).toBe(1);
    expect((await second).code).toBe(1);
  });

  it("a USD budget stops the run: the attempt gets its share as Claude's --max-budget-usd, and Claude's error_max_budget_usd is a budget stop", async () => {
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', attempt: 1 }, actions: [{ write: 'answer.js', content: 'module.exports = 41;\n' }], outcome: { kind: 'success', costUsd: 0.04 } },
        { match: { cli: 'claude', attempt: 2 }, actions: [{ write: 'answer.js', content: 'module.exports = 40;\n' }], outcome: { kind: 'budget' } },
      ],
    });
    const r = await w.tutti(['--json', '--agent-cli', 'claude', '--validate', 'node test.js', '--budget-usd', '0.05', 'make the test pass']);
    expect(r.code).toBe(1);
    const run = json(r);
    const [a1, a2] = run.tasks[0]!.attempts;
    expect(a1!.error).toMatchObject({ kind: 'validation_failed' });
    expect(a1!.usage).toMatchObject({ costUsd: 0.04 });
    expect(a2!.error).toMatchObject({ kind: 'budget_exhausted', retryable: false });
    expect(a2!.error!.message).toMatch(/budget/i);
    expect(run.tasks[0]!.attempts).toHaveLength(2);
    // The second attempt could spend only what was left, and Claude was told so.
    const argv = w.runs('claude')[1]!.argv;
    expect(argv[argv.indexOf('--max-budget-usd') + 1]).toBe('0.0100');
    // What it did before the stop is kept on its attempt ref.
    expect(show(w.repo, `refs/tutti/${run.id}/main/2`, 'answer.js')).toBe('module.exports = 40;\n');
  });

  it('a token budget counts new input, cache writes and output — not cache reads — and stops a session that goes past it', async () => {
    const w = world(ANSWER_REPO, {
      entries: [
        { match: { cli: 'claude', attempt: 1 }, actions: [{ write: 'answer.js', content: 'module.exports = 41;\n' }], outcome: { kind: 'success', usage: { input: 100, cacheRead: 500_000, cacheWrite: 100, output: 100 } } },
        { match: { cli: 'claude', attempt: 2 }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }, { chatter: { eventsPerSecond: 50, bytesPerEvent: 100, usage: { input: 400, output: 50 } } }] },
      ],
    });
    const r = await w.tutti(['--json', '--agent-cli', 'claude', '--validate', 'node test.js', '--budget-tokens', '3000', 'make the test pass']);
    expect(r.code).toBe(1);
    const run = json(r);
    const [a1, a2] = run.tasks[0]!.attempts;
    // 500,000 cache reads did not exhaust 3,000 tokens.
    expect(a1!.error).toMatchObject({ kind: 'validation_failed' });
    expect(a1!.usage).toMatchObject({ inputTokens: 100, cacheReadTokens: 500_000, cacheWriteTokens: 100, outputTokens: 100 });
    // The chattering session went past what was left and was stopped at once; its work is kept.
    expect(a2!.error).toMatchObject({ kind: 'budget_exhausted', retryable: false });
    expect(a2!.error!.message).toContain('tokens');
    expect(show(w.repo, `refs/tutti/${run.id}/main/2`, 'answer.js')).toBe('module.exports = 42;\n');
    expect(processesOfRun(run.id)).toEqual([]);
  });
});
