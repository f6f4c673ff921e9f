/**
 * Budgets of coding runs (seed 000's `loopPolicy.budgetLimits`): wall time (ms), tokens and USD
 * that all attempts of one run by one coding agent may spend together.
 *
 * Each attempt **reserves** its share before its agent is dispatched, so attempts running in
 * parallel can never together overshoot: a share is granted only from what is neither spent nor
 * reserved by another attempt. An attempt that finds nothing left waits while others hold
 * reservations (what they do not use comes back when they settle) and fails with
 * `budget exhausted` when nobody does. While the agent works its usage is checked against its
 * share: crossing `softFraction` of a limit emits a soft-limit line once per run, and going past
 * the share stops the agent (the hard stop); the engine then commits what it left (partial output
 * kept on the task's branch) and fails the attempt for good. What an attempt really spent is
 * settled when it ends and kept in `<dataDir>/budgets/` so a resumed run continues its count.
 *
 * Scope: reservations are coordinated within one engine process (the spent totals are durable).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Usage } from '../../../core/model.js';

const amountsShape = {
  usd: z.number().positive().max(1_000_000).optional().describe('US dollars, as the CLIs report cost.'),
  tokens: z.number().int().positive().optional().describe('New input + cache-write + output tokens (cache reads are not counted: they are cheap, and a USD limit covers their cost).'),
  wallMs: z.number().int().positive().optional().describe('Agent wall time, ms: from each attempt’s dispatch to its end (validation included), summed over attempts.'),
};

/** `budget` of a coding agent's config. */
export const budgetLimitsSchema = z
  .strictObject({
    ...amountsShape,
    softFraction: z.number().gt(0).max(1).optional().describe('Fraction of a limit that emits the soft-limit line. Default 0.8.'),
    perAttempt: z.strictObject(amountsShape).optional().describe('Most one attempt may reserve (lets attempts run in parallel). Default: everything left.'),
  })
  .refine((b) => b.usd !== undefined || b.tokens !== undefined || b.wallMs !== undefined, { message: 'a budget needs usd, tokens or wallMs' })
  .describe('What all attempts of a run by this agent may spend together.');
export type BudgetLimits = z.infer<typeof budgetLimitsSchema>;

export const BUDGET_DIMENSIONS = ['usd', 'tokens', 'wallMs'] as const;
export type BudgetDimension = (typeof BUDGET_DIMENSIONS)[number];
/** An amount per dimension (USD, tokens, ms). */
export type BudgetAmounts = Partial<Record<BudgetDimension, number>>;

/** Default fraction of a limit at which the soft-limit line is emitted. */
export const DEFAULT_SOFT_FRACTION = 0.8;

const LABEL: Record<BudgetDimension, (n: number) => string> = {
  usd: (n) => `USD ${n.toFixed(4)}`,
  tokens: (n) => `${Math.round(n)} tokens`,
  wallMs: (n) => `${Math.round(n)} ms`,
};

/**
 * Tokens a token budget counts of a usage record: new input + cache writes + output. Cache reads
 * are left out: they cost a tenth of new input, a long session re-reads its whole context on every
 * turn, and a USD budget (which uses the CLI's reported cost) already covers them.
 */
export function usageTokens(u: Usage): number {
  return (u.inputTokens ?? 0) + (u.cacheWriteTokens ?? 0) + (u.outputTokens ?? 0);
}

interface Account {
  limits: BudgetLimits;
  spent: Required<BudgetAmounts>;
  reserved: Required<BudgetAmounts>;
  holders: number;
  soft: Set<BudgetDimension>;
  waiters: Set<() => void>;
  file: string | null;
}

/** Why no share could be granted. */
export interface BudgetRefusal {
  exhausted: true;
  /** `budget exhausted: USD 0.0300 of USD 0.0300 spent`. */
  message: string;
  spent: BudgetAmounts;
}

/** A share of a run's budget held by one attempt. */
export interface BudgetGrant {
  exhausted: false;
  /** What this attempt may use, per limited dimension. */
  share: BudgetAmounts;
  /**
   * Checks live usage of the attempt (and its elapsed ms): emits soft-limit lines through the
   * reserve's `onSoft`, and returns why the agent must stop when its share is used up, else null.
   */
  check(used: Usage): string | null;
  /** Ms left of the wall-time share (Infinity when wall time is not limited). */
  wallLeftMs(): number;
  /** Returns the share and records what the attempt really spent. Idempotent. */
  settle(used: Usage): void;
}

/** Per run (and agent) budget accounts of one engine process. */
export class BudgetLedger {
  readonly #accounts = new Map<string, Account>();

  /** @param dir where spent totals persist (null: memory only). */
  constructor(private readonly dir: string | null, private readonly now: () => number = Date.now) {}

  #account(key: string, limits: BudgetLimits): Account {
    let a = this.#accounts.get(key);
    if (!a) {
      const file = this.dir ? join(this.dir, `${encodeURIComponent(key)}.json`) : null;
      const saved = file ? readSaved(file) : null;
      a = {
        limits,
        spent: { usd: saved?.spent.usd ?? 0, tokens: saved?.spent.tokens ?? 0, wallMs: saved?.spent.wallMs ?? 0 },
        reserved: { usd: 0, tokens: 0, wallMs: 0 },
        holders: 0,
        soft: new Set(saved?.soft ?? []),
        waiters: new Set(),
        file,
      };
      this.#accounts.set(key, a);
    }
    a.limits = limits;
    return a;
  }

  /** What an account has spent so far (for reports and tests); null when it never spent. */
  spent(key: string): BudgetAmounts | null {
    const a = this.#accounts.get(key);
    if (a) return { ...a.spent };
    const saved = this.dir ? readSaved(join(this.dir, `${encodeURIComponent(key)}.json`)) : null;
    return saved ? { ...saved.spent } : null;
  }

  /**
   * Reserves a share for one attempt: waits while the rest is reserved by others, refuses when
   * nothing is left and nobody holds a reservation.
   * @param onSoft called once per run and dimension when spending crosses the soft fraction.
   * @returns null when `signal` aborted the wait.
   */
  async reserve(key: string, limits: BudgetLimits, signal: AbortSignal, onSoft: (line: string) => void): Promise<BudgetGrant | BudgetRefusal | null> {
    const a = this.#account(key, limits);
    for (;;) {
      if (signal.aborted) return null;
      const limited = BUDGET_DIMENSIONS.filter((d) => limits[d] !== undefined);
      const available = Object.fromEntries(limited.map((d) => [d, limits[d]! - a.spent[d] - a.reserved[d]])) as BudgetAmounts;
      const empty = limited.filter((d) => available[d]! <= (d === 'usd' ? 1e-9 : 0));
      if (empty.length === 0) return this.#grant(key, a, limited, available, onSoft);
      if (a.holders === 0) {
        const d = empty[0]!;
        return { exhausted: true, message: `budget exhausted: ${LABEL[d](a.spent[d])} of ${LABEL[d](limits[d]!)} spent`, spent: { ...a.spent } };
      }
      // Others hold the rest: wait until one settles (what it did not use comes back), or the abort.
      await new Promise<void>((resolve) => {
        const wake = () => {
          a.waiters.delete(wake);
          signal.removeEventListener('abort', wake);
          resolve();
        };
        a.waiters.add(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  #grant(key: string, a: Account, limited: readonly BudgetDimension[], available: BudgetAmounts, onSoft: (line: string) => void): BudgetGrant {
    const share: BudgetAmounts = {};
    for (const d of limited) share[d] = Math.min(available[d]!, a.limits.perAttempt?.[d] ?? Infinity);
    for (const d of limited) a.reserved[d] += share[d]!;
    a.holders++;
    const started = this.now();
    const fraction = a.limits.softFraction ?? DEFAULT_SOFT_FRACTION;
    let settled = false;
    const live = (u: Usage): Required<BudgetAmounts> => ({ usd: u.costUsd ?? 0, tokens: usageTokens(u), wallMs: this.now() - started });
    const soft = (used: Required<BudgetAmounts>) => {
      for (const d of limited) {
        const limit = a.limits[d]!;
        if (a.soft.has(d) || a.spent[d] + used[d] < fraction * limit) continue;
        a.soft.add(d);
        onSoft(`budget soft limit: ${LABEL[d](a.spent[d] + used[d])} of ${LABEL[d](limit)} spent (${Math.round(fraction * 100)}%)`);
      }
    };
    return {
      exhausted: false,
      share,
      check: (u) => {
        const used = live(u);
        soft(used);
        for (const d of limited) if (d !== 'wallMs' && used[d] > share[d]!) return `budget exhausted: this attempt used ${LABEL[d](used[d])} of its share of ${LABEL[d](share[d]!)} (run limit ${LABEL[d](a.limits[d]!)})`;
        return null;
      },
      wallLeftMs: () => (share.wallMs === undefined ? Infinity : Math.max(0, share.wallMs - (this.now() - started))),
      settle: (u) => {
        if (settled) return;
        settled = true;
        const used = live(u);
        soft(used);
        for (const d of limited) a.reserved[d] -= share[d]!;
        for (const d of BUDGET_DIMENSIONS) a.spent[d] += used[d];
        a.holders--;
        this.#save(a);
        for (const w of [...a.waiters]) w();
        // An idle account lives on in its file: a long-lived worker does not keep every run's in memory.
        if (a.file && a.holders === 0 && a.waiters.size === 0 && this.#accounts.get(key) === a) this.#accounts.delete(key);
      },
    };
  }

  #save(a: Account): void {
    if (!a.file) return;
    try {
      mkdirSync(join(a.file, '..'), { recursive: true });
      writeFileSync(`${a.file}.tmp`, JSON.stringify({ spent: a.spent, soft: [...a.soft] }));
      renameSync(`${a.file}.tmp`, a.file);
    } catch {
      // Durability of the count is best effort: the in-process account stays right.
    }
  }
}

function readSaved(file: string): { spent: BudgetAmounts; soft: BudgetDimension[] } | null {
  try {
    const j = JSON.parse(readFileSync(file, 'utf8')) as { spent?: BudgetAmounts; soft?: unknown };
    const spent: BudgetAmounts = {};
    for (const d of BUDGET_DIMENSIONS) if (typeof j.spent?.[d] === 'number' && Number.isFinite(j.spent[d])) spent[d] = j.spent[d];
    const soft = Array.isArray(j.soft) ? j.soft.filter((d): d is BudgetDimension => (BUDGET_DIMENSIONS as readonly unknown[]).includes(d)) : [];
    return { spent, soft };
  } catch {
    return null;
  }
}
