/**
 * Compact JSON encodings shared by every backend, so rows stay small (W7: ≤ 2 KB per task).
 * A task spec is stored without the fields that equal their defaults.
 */
import type { TaskSpec } from '../core/plan/schema.js';
import { DEFAULT_RETRY } from '../core/plan/defaults.js';

type StoredSpec = Partial<TaskSpec>;

function sameRetry(a: TaskSpec['retry'], b: TaskSpec['retry']): boolean {
  return (
    a.maxAttempts === b.maxAttempts &&
    a.backoff.initialMs === b.backoff.initialMs &&
    a.backoff.factor === b.backoff.factor &&
    a.backoff.maxMs === b.backoff.maxMs &&
    a.backoff.jitter === b.backoff.jitter &&
    (a.retryOn ?? []).join() === (b.retryOn ?? []).join()
  );
}

/** Encodes a spec, dropping defaults (title = task id, default retry, no timeout, continueOnFailure false). */
export function encodeSpec(spec: TaskSpec, taskId: string): string {
  const out: StoredSpec = { ...spec };
  if (out.title === taskId) delete out.title;
  if (sameRetry(spec.retry, DEFAULT_RETRY)) delete out.retry;
  if (out.timeoutMs === null) delete out.timeoutMs;
  if (out.continueOnFailure === false) delete out.continueOnFailure;
  return JSON.stringify(out);
}

/** Inverse of {@link encodeSpec}. */
export function decodeSpec(json: string, taskId: string): TaskSpec {
  const s = JSON.parse(json) as StoredSpec;
  return {
    ...s,
    title: s.title ?? taskId,
    retry: s.retry ?? DEFAULT_RETRY,
    timeoutMs: s.timeoutMs ?? null,
    continueOnFailure: s.continueOnFailure ?? false,
  };
}

/** JSON text or null for null/undefined. */
export function toJson(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}

export function fromJson<T>(text: string | null | undefined): T | null {
  return text === null || text === undefined ? null : (JSON.parse(text) as T);
}

/** A JSON array column that is NULL when empty. */
export function toJsonList(list: readonly string[]): string | null {
  return list.length === 0 ? null : JSON.stringify(list);
}

export function fromJsonList(text: string | null | undefined): string[] {
  return text ? (JSON.parse(text) as string[]) : [];
}
