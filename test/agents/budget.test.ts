/**
 * Budgets (seed 000's loopPolicy.budgetLimits): shares reserved before dispatch so parallel
 * attempts cannot overshoot, the soft-limit line, the hard stop with the partial work kept, and
 * the spent count surviving a restart. The ledger alone, then through the engine with the CLI simulator.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BudgetLedger, budgetLimitsSchema, type BudgetGrant } from '../../src/agents/drivers/cli/budget.js';
import { parseClaudeLine, usageTokens, type CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { codingGoalPlan } from '../../src/cli/commands/dispatcher.js';
import type { PlanInput } from '../../src/core/plan/schema.js';
import type { SimScenario } from '../../src/testing/index.js';
import { sim } from '../sim/helpers.js';
import { codingEngine, gitRepo, isRunning, sh, tmp } from './helpers.js';

const never = new AbortController().signal;

describe('budget ledger', () => {
  it('grants only what is neither spent nor reserved, and refuses when nothing is left and nobody holds a share', async () => {
    const ledger = new BudgetLedger(null);
    const soft: string[] = [];
    const a = (await ledger.reserve('r/a', { tokens: 1000, perAttempt: { tokens: 600 } }, never, (l) => soft.push(l))) as BudgetGrant;
    expect(a).toMatchObject({ exhausted: false, share: { tokens: 600 } });
    const b = (await ledger.reserve('r/a', { tokens: 1000, perAttempt: { tokens: 600 } }, never, (l) => soft.push(l))) as BudgetGrant;
    // Only 400 are neither spent nor reserved.
    expect(b.share).toEqual({ tokens: 400 });
    // A third waits while a and b hold the whole budget…
    let third: unknown = 'waiting';
    const pending = ledger.reserve('r/a', { tokens: 1000 }, never, (l) => soft.push(l)).then((r) => (third = r));
    await new Promise((r) => setImmediate(r));
    expect(third).toBe('waiting');
    // …gets what a did not use when a settles…
    a.settle({ inputTokens: 100, outputTokens: 50 });
    await pending;
    expect(third).toMatchObject({ exhausted: false, share: { tokens: 450 } });
    (third as BudgetGrant).settle({ inputTokens: 450 });
    b.settle({ inputTokens: 400 });
    expect(ledger.spent('r/a')).toMatchObject({ tokens: 1000 });
    // …and with everything spent and nobody holding a share, the next one is refused.
    expect(await ledger.reserve('r/a', { tokens: 1000 }, never, () => undefined)).toMatchObject({ exhausted: true, message: 'budget exhausted: 1000 tokens of 1000 tokens spent' });
    // 80% was crossed once: one soft-limit line.
    expect(soft).toEqual(['budget soft limit: 1000 tokens of 1000 tokens spent (80%)']);
    // Another run has its own account.
    expect(await ledger.reserve('r2/a', { tokens: 1000 }, never, () => undefined)).toMatchObject({ exhausted: false });
  });

  it('a live check stops the attempt past its share; the soft line comes from live usage too', async () => {
    const ledger = new BudgetLedger(null);
    const soft: string[] = [];
    const g = (await ledger.reserve('r/a', { usd: 1, softFraction: 0.5 }, never, (l) => soft.push(l))) as BudgetGrant;
    expect(g.check({ costUsd: 0.4 })).toBeNull();
    expect(soft).toEqual([]);
    expect(g.check({ costUsd: 0.6 })).toBeNull();
    expect(soft).toEqual(['budget soft limit: USD 0.6000 of USD 1.0000 spent (50%)']);
    expect(g.check({ costUsd: 1.2 })).toBe('budget exhausted: this attempt used USD 1.2000 of its share of USD 1.0000 (run limit USD 1.0000)');
    expect(g.wallLeftMs()).toBe(Infinity);
  });

  it('an abort ends a wait for a share', async () => {
    const ledger = new BudgetLedger(null);
    await ledger.reserve('r/a', { tokens: 10 }, never, () => undefined);
    const ac = new AbortController();
    const waiting = ledger.reserve('r/a', { tokens: 10 }, ac.signal, () => undefined);
    ac.abort();
    expect(await waiting).toBeNull();
  });

  it('the spent count persists: a new ledger (a restarted engine) continues it', async () => {
    const dir = tmp('tutti-budgets-');
    const first = new BudgetLedger(dir);
    ((await first.reserve('run-1/coder', { usd: 0.05 }, never, () => undefined)) as BudgetGrant).settle({ costUsd: 0.05 });
    const second = new BudgetLedger(dir);
    expect(await second.reserve('run-1/coder', { usd: 0.05 }, never, () => undefined)).toMatchObject({ exhausted: true, message: 'budget exhausted: USD 0.0500 of USD 0.0500 spent' });
  });

  it('an idle account is reloaded from its file with its soft-limit state: the soft line is not repeated', async () => {
    const ledger = new BudgetLedger(tmp('tutti-budgets-'));
    const soft: string[] = [];
    ((await ledger.reserve('r/a', { tokens: 100 }, never, (l) => soft.push(l))) as BudgetGrant).settle({ inputTokens: 90 });
    ((await ledger.reserve('r/a', { tokens: 100 }, never, (l) => soft.push(l))) as BudgetGrant).settle({ inputTokens: 5 });
    expect(soft).toEqual(['budget soft limit: 90 tokens of 100 tokens spent (80%)']);
    expect(ledger.spent('r/a')).toMatchObject({ tokens: 95 });
  });

  it('wall time counts from the reservation, with an injected clock', async () => {
    let now = 1000;
    const ledger = new BudgetLedger(null, () => now);
    const g = (await ledger.reserve('r/a', { wallMs: 500 }, never, () => undefined)) as BudgetGrant;
    now += 200;
    expect(g.wallLeftMs()).toBe(300);
    g.settle({});
    expect(ledger.spent('r/a')).toMatchObject({ wallMs: 200 });
  });

  it('the config needs at least one limit', () => {
    expect(budgetLimitsSchema.safeParse({ softFraction: 0.5 }).success).toBe(false);
    expect(budgetLimitsSchema.safeParse({ tokens: 10 }).success).toBe(true);
  });

  it("claude's per-message usage is counted once per message id, its input kinds apart", () => {
    const seen = new Set<string>();
    const line = JSON.stringify({ type: 'assistant', message: { id: 'm1', content: [{ type: 'text', text: 'hi' }], usage: { input_tokens: 10, cache_read_input_tokens: 5, cache_creation_input_tokens: 3, output_tokens: 2 } } });
    expect(parseClaudeLine(line, seen).filter((e) => e.kind === 'usage')).toEqual([{ kind: 'usage', cumulative: false, usage: { inputTokens: 10, cacheWriteTokens: 3, cacheReadTokens: 5, outputTokens: 2 } }]);
    expect(parseClaudeLine(line, seen).filter((e) => e.kind === 'usage')).toEqual([]);
  });

  it('token budgets count new input, cache writes and output, not cache reads', () => {
    expect(usageTokens({ inputTokens: 42, cacheWriteTokens: 2048, cacheReadTokens: 56_000, outputTokens: 310 })).toBe(2400);
  });
});

const outputOf = (a: { output: unknown }) => a.output as CodingOutput;

async function setup(scenario: SimScenario) {
  const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n' });
  const s = sim(scenario, ['claude']);
  const { engine, dataDir } = await codingEngine(s.env, repo);
  return { repo, runs: () => s.calls().filter((c) => c.kind === 'run'), engine, dataDir };
}

/** A claude session that sets the answer and reports 150 budgeted tokens (100 new input + 50 output; its 500 cache reads do not count). */
const WORKS: SimScenario = { entries: [{ actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }], outcome: { kind: 'success', usage: { input: 100, cacheWrite: 0, cacheRead: 500, output: 50 } } }] };

describe('budgets through the engine', () => {
  it('parallel tasks reserve before dispatch: the run never spends past its token limit, and the task left over fails as budget exhausted', async () => {
    // Each claude session reports 150 budgeted tokens; the run may use 300.
    const { engine, runs, dataDir } = await setup(WORKS);
    const plan: PlanInput = {
      agents: [{ id: 'coder', driver: 'coding', maxConcurrency: 3, config: { cli: ['claude'], budget: { tokens: 300 } } }],
      tasks: ['a', 'b', 'c'].map((id) => ({ id, prompt: `task ${id}`, agent: 'coder', continueOnFailure: true })),
    };
    const run = await engine.run(plan);
    const attempts = run.tasks.map((t) => t.attempts[0]!);
    const succeeded = attempts.filter((a) => a.status === 'succeeded');
    const failed = attempts.filter((a) => a.status === 'failed');
    expect(succeeded).toHaveLength(2);
    expect(failed).toHaveLength(1);
    expect(failed[0]!.error).toMatchObject({ kind: 'budget_exhausted', retryable: false, message: 'budget exhausted: 300 tokens of 300 tokens spent' });
    // The third CLI was never started: reservation happens before dispatch.
    expect(runs()).toHaveLength(2);
    const used = succeeded.reduce((n, a) => n + usageTokens(a.usage ?? {}), 0);
    expect(used).toBeLessThanOrEqual(300);
    // The soft limit (80%) was reported once, by the attempt that crossed it.
    const soft = succeeded.flatMap((a) => outputOf(a).budget!.soft);
    expect(soft).toEqual(['budget soft limit: 300 tokens of 300 tokens spent (80%)']);
    const crossing = succeeded.find((a) => outputOf(a).budget!.soft.length)!;
    expect(readFileSync(join(dataDir, crossing.logPath!), 'utf8')).toContain('[tutti] budget soft limit: 300 tokens of 300 tokens spent (80%)');
    // The count is durable.
    expect(JSON.parse(readFileSync(join(dataDir, 'budgets', encodeURIComponent(`${run.id}/coder`) + '.json'), 'utf8'))).toMatchObject({ spent: { tokens: 300 } });
    await engine.stop();
  });

  it('hard stop: a session going past its share is killed at once, its partial work committed on the branch, the attempt failed for good', async () => {
    // It writes, then keeps sending messages of 1000 input + 100 output tokens until stopped.
    const { engine, repo, runs } = await setup({ entries: [{ actions: [{ write: 'answer.js', content: 'module.exports = 41;\n' }, { chatter: { eventsPerSecond: 50, bytesPerEvent: 200, usage: { input: 1000, output: 100 } } }], outcome: { kind: 'success', usage: { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 } } }] });
    const run = await engine.run({
      agents: [{ id: 'coder', driver: 'coding', config: { cli: ['claude'], budget: { tokens: 2500, usd: 5 } } }],
      tasks: [{ id: 'fix', prompt: 'fix it', agent: 'coder', validate: [['node', '-e', 'process.exit(1)']], retry: { maxAttempts: 3, backoff: { initialMs: 0 } } }],
    });
    expect(run.status).toBe('failed');
    // One attempt only: a budget stop is not retried.
    expect(run.tasks[0]!.attempts).toHaveLength(1);
    const a = run.tasks[0]!.attempts[0]!;
    expect(a.error).toMatchObject({ kind: 'budget_exhausted', retryable: false });
    // 1100 tokens per message: the third one (3300) is past the 2500 share.
    expect(a.error!.message).toBe('claude stopped: budget exhausted: this attempt used 3300 tokens of its share of 2500 tokens (run limit 2500 tokens)');
    // Validation never ran; the partial work is on the task's branch.
    expect(outputOf(a).validation).toEqual([]);
    expect(outputOf(a).commits).toHaveLength(1);
    expect(sh(repo, 'git', 'show', `tutti/${run.id}/fix:answer.js`)).toBe('module.exports = 41;');
    // Claude was told its USD share, so it caps its own spending too.
    const args = runs()[0]!.argv;
    expect(args.slice(args.indexOf('--max-budget-usd'), args.indexOf('--max-budget-usd') + 2)).toEqual(['--max-budget-usd', '5.0000']);
    await engine.stop();
  });

  it('a wall-time share stops a command agent, kills what it started, and keeps what it wrote', async () => {
    // The share counts from the reservation (before the worktree is made): under load the command
    // may be stopped before it wrote anything, which proves nothing; then the share is made 4× longer.
    let checked = false;
    for (const wallMs of [3000, 12_000, 48_000]) {
      const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n' });
      const record = tmp('tutti-wall-');
      const { engine } = await codingEngine({}, repo);
      const script = `echo 42 > out.txt; sleep 1000 & echo $! > ${record}/sleep.pid.tmp; mv ${record}/sleep.pid.tmp ${record}/sleep.pid; wait`;
      const run = await engine.run({
        agents: [{ id: 'cmd', driver: 'coding', config: { command: ['sh', '-c', script], budget: { wallMs } } }],
        tasks: [{ id: 'fix', prompt: 'x', agent: 'cmd', retry: { maxAttempts: 2, backoff: { initialMs: 0 } } }],
      });
      await engine.stop();
      const attempts = run.tasks[0]!.attempts;
      // Not retried: a budget stop is final.
      expect(attempts).toHaveLength(1);
      expect(attempts[0]!.error).toMatchObject({ kind: 'budget_exhausted', message: 'sh stopped: budget exhausted: the wall-time share of this attempt is used up' });
      if (!existsSync(join(record, 'sleep.pid'))) continue;
      expect(sh(repo, 'git', 'show', `tutti/${run.id}/fix:out.txt`)).toBe('42');
      expect(isRunning(Number(readFileSync(join(record, 'sleep.pid'), 'utf8')))).toBe(false);
      checked = true;
      break;
    }
    expect(checked).toBe(true);
  }, 120_000);
});

describe('task budgets (plan field budget; seed 000 loopPolicy.budgetLimits)', () => {
  it('a task’s budget is its own account: its retry is refused once spent, before the CLI starts; other tasks are not charged', async () => {
    // Each claude session reports 150 budgeted tokens; the task may use 150 in all.
    const { engine, runs } = await setup(WORKS);
    const run = await engine.run({
      agents: [{ id: 'coder', driver: 'coding', maxConcurrency: 1, config: { cli: ['claude'] } }],
      tasks: [
        { id: 'capped', prompt: 'fix it', agent: 'coder', budget: { tokens: 150 }, validate: [['node', '-e', 'process.exit(1)']], retry: { maxAttempts: 3, backoff: { initialMs: 0 } }, continueOnFailure: true },
        { id: 'free', prompt: 'other', agent: 'coder', dependsOn: [] },
      ],
    });
    const capped = run.tasks.find((t) => t.id === 'capped')!;
    expect(capped.attempts.map((a) => a.status)).toEqual(['failed', 'failed']);
    expect(capped.attempts[1]!.error).toMatchObject({ kind: 'budget_exhausted', message: 'budget exhausted: 150 tokens of 150 tokens spent' });
    expect(run.tasks.find((t) => t.id === 'free')!.status).toBe('succeeded');
    // Two sessions in all: the capped task's first attempt and the free task.
    expect(runs()).toHaveLength(2);
    await engine.stop();
  });

  it('rejects a budget without a limit before anything runs', async () => {
    const { engine } = await setup({ entries: [] });
    await expect(engine.validatePlan({ tasks: [{ id: 't', prompt: 'x', agent: 'test', budget: { softFraction: 0.5 } }] })).rejects.toMatchObject({ code: 'ERR_INVALID_PLAN' });
    await engine.stop();
  });
});

describe('--budget-* flags', () => {
  it('become the coding agent’s budget (and part of its id: agents are shared across runs)', () => {
    const plan = codingGoalPlan('fix it', { agentCli: 'claude,codex', budgetUsd: 0.5, budgetTokens: 20000, budgetMs: 60000 });
    expect(plan.agents![0]).toMatchObject({ id: 'coding-claude-codex.usd0.5-tok20000-ms60000', config: { cli: ['claude', 'codex'], budget: { usd: 0.5, tokens: 20000, wallMs: 60000 } } });
    expect(plan.tasks[0]!.agent).toBe('coding-claude-codex.usd0.5-tok20000-ms60000');
    expect(() => codingGoalPlan('fix it', { agent: 'mine', budgetUsd: 1 })).toThrow(/put budget in the agent's config/);
  });
});
