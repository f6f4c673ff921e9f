/**
 * Retry decisions: whether a failed attempt is retried and when (exponential backoff with
 * jitter, as BullMQ and Temporal do). Pure; `random` is injected for tests.
 */
import type { AttemptError } from '../model.js';
import type { Backoff, RetryPolicy } from '../plan/schema.js';

/**
 * Delay before the attempt following `failures` failures: `min(maxMs, initialMs × factor^(failures-1))`
 * spread by ± `jitter`. In ms; never negative.
 */
export function backoffDelay(backoff: Backoff, failures: number, random: () => number = Math.random): number {
  const base = Math.min(backoff.maxMs, backoff.initialMs * Math.pow(backoff.factor, Math.max(0, failures - 1)));
  const spread = base * backoff.jitter * (random() * 2 - 1);
  return Math.max(0, Math.round(base + spread));
}

/** Wait after a rate limit that gave no reset time, ms. */
export const DEFAULT_RATE_LIMIT_WAIT_MS = 60_000;

/**
 * When a rate-limited attempt's task may run again (epoch ms), or null when the error is not a
 * rate limit. Rate limits park a task without counting a failure (seed 004's quota handling).
 */
export function rateLimitedUntil(error: AttemptError | null, now: number): number | null {
  if (error?.kind !== 'rate_limited') return null;
  return now + (error.retryAfterMs ?? DEFAULT_RATE_LIMIT_WAIT_MS);
}

/**
 * @param failures failed attempts including this one.
 * A policy with `retryOn` retries only failures of those kinds.
 * @returns the time of the next attempt (epoch ms), or null when the task has failed for good.
 */
export function retryAt(policy: RetryPolicy, failures: number, error: AttemptError | null, now: number, random: () => number = Math.random): number | null {
  if (error?.retryable === false) return null;
  if (failures >= policy.maxAttempts) return null;
  if (policy.retryOn && error && !(policy.retryOn as readonly string[]).includes(error.kind)) return null;
  const delay = backoffDelay(policy.backoff, failures, random);
  return now + Math.max(delay, error?.retryAfterMs ?? 0);
}
