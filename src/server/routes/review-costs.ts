/**
 * Tokens, cost and time a run's attempts spent, per attempt, task and run, against the budgets
 * that bound them: a task's own `budget` (plan), else its coding agent's `config.budget` (which
 * all of the run's attempts by that agent share). Read-only sums of what the attempts reported.
 * A run's own agents (`scope: run`, e.g. those `--agent-cli` makes) are removed from the registry
 * when the run ends: their budget is then read from what their attempts recorded (`output.budget`).
 */
import type { AgentRecord } from '../../agents/types.js';
import type { AttemptRecord, TaskRecord } from '../../core/model.js';
import { usageTokens } from '../../agents/drivers/cli/budget.js';
import type { MergeEntry } from '../../store/coordination-types.js';

/** What was spent. Tokens as the CLIs report them; `tokens` = what token budgets count (new input + cache writes + output, `usageTokens`). */
export interface Spent {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  tokens: number;
  /** USD; null when no attempt reported a cost. */
  costUsd: number | null;
  /** Attempt wall time, ms (finished attempts; running ones up to now). */
  wallMs: number;
}

/** Budget limits: USD, tokens (new input + cache writes + output), wall ms. */
export interface Limits {
  usd?: number;
  tokens?: number;
  wallMs?: number;
}

export interface BudgetView {
  /** `task`: the task's own budget; `agent`: its coding agent's, shared by the run's attempts by that agent. */
  scope: 'task' | 'agent';
  taskId?: string;
  agentId?: string;
  limits: Limits;
  spent: Spent;
}

export interface AttemptCost {
  n: number;
  agentId: string;
  status: string;
  spent: Spent;
  /** A coding attempt that recorded commits to diff. */
  hasDiff: boolean;
}

export interface TaskCost {
  taskId: string;
  spent: Spent;
  /** The budget bounding this task (null: none). */
  budget: BudgetView | null;
  attempts: AttemptCost[];
}

export interface RunReview {
  runId: string;
  spent: Spent;
  /** Every distinct budget of the run: tasks' own, then agents'. */
  budgets: BudgetView[];
  tasks: TaskCost[];
  /** The run's merge queue entries, oldest first (times ISO-8601). */
  merges: MergeView[];
}

export interface MergeView {
  id: number;
  taskId: string;
  target: string;
  branch: string;
  status: MergeEntry['status'];
  enqueuedAt: string;
  finishedAt: string | null;
  mergedSha: string | null;
  message: string | null;
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function limitsOf(v: unknown): Limits | null {
  if (!v || typeof v !== 'object') return null;
  const b = v as Record<string, unknown>;
  const l: Limits = {};
  if (typeof b.usd === 'number') l.usd = b.usd;
  if (typeof b.tokens === 'number') l.tokens = b.tokens;
  if (typeof b.wallMs === 'number') l.wallMs = b.wallMs;
  return Object.keys(l).length ? l : null;
}

/** The sum of what these attempts reported. */
export function spentOf(attempts: readonly AttemptRecord[], now: number): Spent {
  const s: Spent = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, tokens: 0, costUsd: null, wallMs: 0 };
  for (const a of attempts) {
    const u = (a.usage ?? {}) as Record<string, unknown>;
    s.inputTokens += num(u.inputTokens);
    s.outputTokens += num(u.outputTokens);
    s.cacheReadTokens += num(u.cacheReadTokens);
    s.cacheWriteTokens += num(u.cacheWriteTokens);
    if (typeof u.costUsd === 'number') s.costUsd = (s.costUsd ?? 0) + u.costUsd;
    s.wallMs += Math.max(0, (a.finishedAt ?? now) - a.startedAt);
  }
  s.tokens = usageTokens({ inputTokens: s.inputTokens, cacheWriteTokens: s.cacheWriteTokens, outputTokens: s.outputTokens });
  return s;
}

/**
 * The review of a run's spending.
 * @param hasDiff whether an attempt's output records commits to diff.
 */
export function reviewOf(
  runId: string,
  tasks: readonly TaskRecord[],
  attempts: readonly AttemptRecord[],
  agents: readonly AgentRecord[],
  merges: readonly MergeEntry[],
  hasDiff: (output: unknown) => boolean,
  now: number,
): RunReview {
  const agentsById = new Map(agents.map((a) => [a.id, a]));
  const byTask = new Map<string, AttemptRecord[]>();
  for (const a of attempts) (byTask.get(a.taskId) ?? byTask.set(a.taskId, []).get(a.taskId)!).push(a);
  const agentBudgets = new Map<string, BudgetView>();
  const agentBudget = (agentId: string): BudgetView | null => {
    const recorded = attempts.filter((a) => a.agentId === agentId).map((a) => (a.output as { budget?: { scope?: string; limits?: unknown } } | null)?.budget).find((b) => b?.scope === 'agent');
    const limits = limitsOf((agentsById.get(agentId)?.config as Record<string, unknown> | undefined)?.budget) ?? limitsOf(recorded?.limits);
    if (!limits) return null;
    let b = agentBudgets.get(agentId);
    if (!b) agentBudgets.set(agentId, (b = { scope: 'agent', agentId, limits, spent: spentOf(attempts.filter((a) => a.agentId === agentId), now) }));
    return b;
  };
  const taskBudgets: BudgetView[] = [];
  const taskCosts = tasks.map((t): TaskCost => {
    const own = byTask.get(t.id) ?? [];
    const spent = spentOf(own, now);
    const ownLimits = limitsOf(t.spec.budget);
    let budget: BudgetView | null = null;
    if (ownLimits) taskBudgets.push((budget = { scope: 'task', taskId: t.id, limits: ownLimits, spent }));
    else {
      const agentId = own[own.length - 1]?.agentId ?? t.spec.agent?.id;
      if (agentId) budget = agentBudget(agentId);
    }
    return {
      taskId: t.id,
      spent,
      budget,
      attempts: own.map((a) => ({ n: a.n, agentId: a.agentId, status: a.status, spent: spentOf([a], now), hasDiff: hasDiff(a.output) })),
    };
  });
  return {
    runId,
    spent: spentOf(attempts, now),
    budgets: [...taskBudgets, ...agentBudgets.values()],
    tasks: taskCosts,
    merges: merges.map((m) => ({
      id: m.id,
      taskId: m.taskId,
      target: m.target,
      branch: m.branch,
      status: m.status,
      enqueuedAt: new Date(m.enqueuedAt).toISOString(),
      finishedAt: m.finishedAt === null ? null : new Date(m.finishedAt).toISOString(),
      mergedSha: m.mergedSha,
      message: m.message,
    })),
  };
}
