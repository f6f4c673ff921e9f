import { describe, expect, it } from 'vitest';
import type { Backoff, RetryPolicy } from '../plan/schema.js';
import { backoffDelay, retryAt } from './retry.js';

const noJitter: Backoff = { initialMs: 1000, factor: 2, maxMs: 10_000, jitter: 0 };
const policy = (maxAttempts: number, backoff: Backoff = noJitter): RetryPolicy => ({ maxAttempts, backoff });

describe('backoffDelay', () => {
  it('grows by the factor after each failure, from initialMs', () => {
    expect([1, 2, 3, 4].map((f) => backoffDelay(noJitter, f))).toEqual([1000, 2000, 4000, 8000]);
    expect(backoffDelay({ ...noJitter, factor: 3 }, 3)).toBe(9000);
  });

  it('is capped at maxMs', () => {
    expect(backoffDelay(noJitter, 5)).toBe(10_000);
    expect(backoffDelay(noJitter, 60)).toBe(10_000);
  });

  it('treats failures below 1 as the first', () => {
    expect(backoffDelay(noJitter, 0)).toBe(1000);
  });

  it('spreads the delay by at most ± jitter', () => {
    const b: Backoff = { ...noJitter, jitter: 0.2 };
    expect(backoffDelay(b, 2, () => 0)).toBe(1600);
    expect(backoffDelay(b, 2, () => 0.5)).toBe(2000);
    expect(backoffDelay(b, 2, () => 0.999999)).toBe(2400);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(b, 3);
      expect(d).toBeGreaterThanOrEqual(3200);
      expect(d).toBeLessThanOrEqual(4800);
    }
  });

  it('jitter applies to the capped delay and never goes negative', () => {
    expect(backoffDelay({ ...noJitter, jitter: 0.5 }, 10, () => 0.999999)).toBe(15_000);
    expect(backoffDelay({ initialMs: 0, factor: 2, maxMs: 0, jitter: 1 }, 1, () => 0)).toBe(0);
  });
});

describe('retryAt', () => {
  const now = 1_000_000;

  it('schedules the next attempt after the backoff while attempts remain', () => {
    expect(retryAt(policy(3), 1, null, now)).toBe(now + 1000);
    expect(retryAt(policy(3), 2, { kind: 'exit_code', message: 'x' }, now)).toBe(now + 2000);
  });

  it('gives up once failures reach maxAttempts', () => {
    expect(retryAt(policy(3), 3, null, now)).toBeNull();
    expect(retryAt(policy(1), 1, null, now)).toBeNull();
  });

  it('never retries an error marked retryable: false', () => {
    expect(retryAt(policy(5), 1, { kind: 'non_retryable', message: 'bad input', retryable: false }, now)).toBeNull();
    expect(retryAt(policy(5), 1, { kind: 'exit_code', message: 'flaky', retryable: true }, now)).toBe(now + 1000);
  });

  it('with retryOn, retries only failures of those kinds', () => {
    const transient = { ...policy(5), retryOn: ['timeout', 'crashed'] as const } as ReturnType<typeof policy>;
    expect(retryAt(transient, 1, { kind: 'timeout', message: 'slow' }, now)).toBe(now + 1000);
    expect(retryAt(transient, 1, { kind: 'exit_code', message: 'tests fail' }, now)).toBeNull();
  });

  it('waits at least retryAfterMs, and the backoff when it is longer', () => {
    expect(retryAt(policy(5), 1, { kind: 'rate_limited', message: 'slow', retryAfterMs: 30_000 }, now)).toBe(now + 30_000);
    expect(retryAt(policy(5), 3, { kind: 'rate_limited', message: 'slow', retryAfterMs: 100 }, now)).toBe(now + 4000);
  });

  it('uses the injected random source for jitter', () => {
    const jittery = policy(3, { ...noJitter, jitter: 0.5 });
    expect(retryAt(jittery, 1, null, now, () => 0)).toBe(now + 500);
    expect(retryAt(jittery, 1, null, now, () => 0.5)).toBe(now + 1000);
  });
});
