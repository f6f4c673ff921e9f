/**
 * The quota ledger as the CLI chain sees it: before a CLI is called, what the store's ledger
 * (`core/coordination.ts`) knows of its limits — for this account — and until when; after, what
 * it said (rate limited, at capacity, out of credits) is recorded, and a success clears it. So no
 * task calls a CLI before its known reset, across tasks, runs and engine restarts.
 *
 * A limit whose reset the CLI did not say gets a backoff that grows with consecutive limits
 * (`strikes`): rate limits 1 min → 2 → 4 … ≤ 1 h; capacity 30 s → 1 min … ≤ 15 min; out of credits
 * 30 min each time (credits come back when someone adds them, not by waiting).
 */
import { createHash } from 'node:crypto';
import type { AttemptCoordination } from '../../types.js';
import type { QuotaRecord, QuotaState } from '../../../core/coordination.js';
import type { CliName, CliOutcome } from './types.js';

/** Environment variables holding each CLI's credentials, in the order the CLI prefers them. */
const CREDENTIAL_VARS: Readonly<Record<CliName, readonly string[]>> = {
  claude: ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_AUTH_TOKEN'],
  codex: ['CODEX_API_KEY', 'OPENAI_API_KEY'],
  gemini: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
  cursor: ['CURSOR_API_KEY'],
};

/**
 * Which account a CLI call spends: `key:<sha256 of the credential, 12 hex>` when an API key is in
 * the environment (so two keys have two ledgers, and the key itself is never stored), else
 * `default` (the CLI's own login).
 */
export function accountOf(cli: CliName, env: NodeJS.ProcessEnv): string {
  for (const v of CREDENTIAL_VARS[cli]) {
    const value = env[v];
    if (value) return `key:${createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
  }
  return 'default';
}

/** The ledger states of the CLI outcomes that park a CLI. */
export const QUOTA_OUTCOMES: Readonly<Partial<Record<CliOutcome['kind'], QuotaState>>> = {
  rate_limited: 'rate_limited',
  capacity: 'capacity',
  out_of_credits: 'out_of_credits',
};

const BACKOFF: Readonly<Record<QuotaState, { first: number; max: number; grow: boolean }>> = {
  rate_limited: { first: 60_000, max: 3_600_000, grow: true },
  capacity: { first: 30_000, max: 900_000, grow: true },
  out_of_credits: { first: 1_800_000, max: 1_800_000, grow: false },
};

/** How long a CLI is left alone after a limit whose reset is unknown, ms. */
export function unknownResetWait(state: QuotaState, strikes: number): number {
  const b = BACKOFF[state];
  return b.grow ? Math.min(b.max, b.first * 2 ** Math.max(0, strikes - 1)) : b.first;
}

/** Words for a state, as `status` says them. */
const WORDS: Readonly<Record<QuotaState, string>> = { rate_limited: 'rate-limited', capacity: 'at capacity', out_of_credits: 'out of credits' };

/** `claude rate-limited until 16:00 UTC` (the date too when it is not today). */
export function describeQuota(q: Pick<QuotaRecord, 'cli' | 'state' | 'until' | 'known'>, now: number): string {
  const until = new Date(q.until);
  const sameDay = until.toISOString().slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  const time = `${until.toISOString().slice(11, 16)} UTC`;
  return `${q.cli} ${WORDS[q.state]} until ${sameDay ? time : `${until.toISOString().slice(0, 10)} ${time}`}${q.known ? '' : ' (reset not given: backing off)'}`;
}

/** The chain's view of the ledger for one attempt. */
export interface QuotaGate {
  /** The record that forbids calling `cli` now, or null. */
  blocked(cli: CliName): Promise<QuotaRecord | null>;
  /** Records what a CLI run said (a limit) or clears the CLI (a success). @returns the record written, if any. */
  note(outcome: CliOutcome): Promise<QuotaRecord | null>;
}

/** A gate over the attempt's coordination client, for the accounts `env` selects. */
export function quotaGate(coordination: AttemptCoordination, env: NodeJS.ProcessEnv, now: () => number = Date.now): QuotaGate {
  const find = async (cli: CliName) => (await coordination.quotas()).find((q) => q.cli === cli && q.account === accountOf(cli, env)) ?? null;
  return {
    async blocked(cli) {
      const q = await find(cli);
      return q && q.until > now() ? q : null;
    },
    async note(outcome) {
      const state = QUOTA_OUTCOMES[outcome.kind];
      const account = accountOf(outcome.cli, env);
      if (!state) {
        if (outcome.kind === 'succeeded' && (await find(outcome.cli))) await coordination.clearQuota(outcome.cli, account);
        return null;
      }
      const t = now();
      const prev = await find(outcome.cli);
      const strikes = prev && prev.state === state ? prev.strikes + 1 : 1;
      const known = outcome.resetAt !== undefined && outcome.resetAt > t;
      const record: QuotaRecord = {
        cli: outcome.cli,
        account,
        state,
        until: known ? outcome.resetAt! : t + unknownResetWait(state, strikes),
        known,
        message: outcome.message.slice(0, 500),
        strikes,
        updatedAt: t,
      };
      await coordination.recordQuota(record);
      return record;
    },
  };
}
