/** Tokens and cost, and a budget with what was spent of it (over budget in red). */
import type { BudgetView, Spent } from '../../types';

const usd = (n: number) => `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
const tokens = (n: number) => n.toLocaleString('en-US');

/**
 * `5,345 tokens (+12,000 cache reads) · $0.0422`: the tokens budgets count (new input, cache writes
 * and output), then the cache reads they do not count.
 */
export function spentText(s: Spent): string {
  return `${tokens(s.tokens)} tokens${s.cacheReadTokens ? ` (+${tokens(s.cacheReadTokens)} cache reads)` : ''} · ${s.costUsd === null ? 'cost not reported' : usd(s.costUsd)}`;
}

/** The parts of a budget, each `spent of limit (percent)`. */
function parts(b: BudgetView): Array<{ label: string; used: number; limit: number; text: string }> {
  const out: Array<{ label: string; used: number; limit: number; text: string }> = [];
  if (b.limits.usd !== undefined) out.push({ label: 'USD', used: b.spent.costUsd ?? 0, limit: b.limits.usd, text: `${usd(b.spent.costUsd ?? 0)} of ${usd(b.limits.usd)}` });
  if (b.limits.tokens !== undefined) out.push({ label: 'tokens', used: b.spent.tokens, limit: b.limits.tokens, text: `${tokens(b.spent.tokens)} of ${tokens(b.limits.tokens)} tokens` });
  if (b.limits.wallMs !== undefined) out.push({ label: 'time', used: b.spent.wallMs, limit: b.limits.wallMs, text: `${Math.round(b.spent.wallMs / 1000)} s of ${Math.round(b.limits.wallMs / 1000)} s` });
  return out;
}

export function BudgetLine({ budget, testId }: { budget: BudgetView; testId?: string }) {
  const who = budget.scope === 'task' ? `task ${budget.taskId} budget` : `agent ${budget.agentId} budget (shared by its attempts in this run)`;
  return (
    <div className="budget" data-testid={testId}>
      <span className="muted">{who}:</span>
      {parts(budget).map((p) => {
        const pct = Math.round((p.used * 100) / p.limit);
        return (
          <span key={p.label} className={`budget-part ${pct > 100 ? 'over' : pct >= 80 ? 'near' : ''}`} data-over={pct > 100}>
            <span className="meter">
              <span style={{ width: `${Math.min(100, pct)}%` }} />
            </span>
            {p.text} ({pct}%){pct > 100 ? ' — over budget' : ''}
          </span>
        );
      })}
    </div>
  );
}
