/**
 * Plan defaults as plain values, free of the schema library: the store and the CLI's read-only
 * commands use them without loading the plan schema (`tutti list` starts faster).
 */
import type { RetryPolicy } from './schema.js';

/** Default time a run may wait for an approval before it expires: 7 days (seed 001's sessionTtlDays), ms. */
export const DEFAULT_APPROVAL_TTL_MS = 7 * 24 * 3600 * 1000;

/** One attempt; when `maxAttempts` is raised: 1 s backoff doubling up to 60 s, ±20% jitter. */
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 1, backoff: { initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.2 } };
