/**
 * Typed errors with stable codes. Every error tutti throws on purpose is a {@link TuttiError}
 * whose `code` is one of {@link ErrorCode}; messages say what to do about it.
 * Modelled on LangGraph's `lc_error_code` and Temporal's coded errors.
 */
import type { AttemptErrorKind } from './model.js';

/** Stable error codes. Never rename one: scripts and the REST API match on them. */
export type ErrorCode =
  | 'ERR_INVALID_PLAN'
  | 'ERR_DUPLICATE_TASK'
  | 'ERR_UNKNOWN_DEPENDENCY'
  | 'ERR_CYCLE'
  | 'ERR_NO_CAPABLE_AGENT'
  | 'ERR_INVALID_INPUT'
  | 'ERR_INVALID_OPTIONS'
  | 'ERR_INVALID_TRANSITION'
  | 'ERR_RUN_NOT_FOUND'
  | 'ERR_TASK_NOT_FOUND'
  | 'ERR_AGENT_NOT_FOUND'
  | 'ERR_UNKNOWN_DRIVER'
  | 'ERR_UNKNOWN_FUNCTION'
  | 'ERR_STALE_LEASE'
  | 'ERR_STORE_CLOSED'
  | 'ERR_STORE_MIGRATION'
  | 'ERR_ENGINE_STOPPED'
  | 'ERR_IMPORT'
  | 'ERR_TIMEOUT'
  /** A git workspace could not be prepared (not a repository, branch exists or is missing, dirty tree). */
  | 'ERR_WORKSPACE'
  | 'ERR_NOT_AWAITING_APPROVAL'
  /** A compare-and-set on state found another version (memory plane). */
  | 'ERR_VERSION_CONFLICT'
  /** A state lock is held by another owner, or a write required a lock its writer does not hold. */
  | 'ERR_LOCK_HELD'
  /** Vectors of different embedding models or dimensions would be mixed in one memory. */
  | 'ERR_EMBEDDING_MISMATCH'
  /** The embedding provider failed (HTTP error, bad response, model load failure). */
  | 'ERR_EMBEDDER'
  /** `--template NAME` names no built-in template and no template file. */
  | 'ERR_UNKNOWN_TEMPLATE'
  /** The planner's agent did not produce a valid plan within its corrections. */
  | 'ERR_PLANNER_FAILED'
  /** A configured limit was reached (e.g. seed 001's maximum of live sessions). */
  | 'ERR_LIMIT_EXCEEDED';

/** Base class of every error tutti throws deliberately. */
export class TuttiError extends Error {
  /** The stable code; see {@link ErrorCode}. */
  readonly code: ErrorCode;
  /** Structured details (offending ids, field errors…), JSON-serialisable. */
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TuttiError';
    this.code = code;
    this.details = options?.details;
  }

  /** A JSON form for the CLI's `--json` and the REST API. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

/** One problem found in a plan, with the JSON path of the offending field. */
export interface PlanIssue {
  code: ErrorCode;
  path: string;
  message: string;
  /** Task ids involved (the duplicated id, the tasks of a cycle…). */
  tasks?: string[];
}

/**
 * A plan was rejected before anything ran. `code` is the first issue's code; `issues` lists all
 * of them (duplicate ids, unknown dependencies, cycles, tasks no agent can run, schema errors).
 */
export class PlanValidationError extends TuttiError {
  readonly issues: PlanIssue[];
  constructor(issues: PlanIssue[]) {
    const first = issues[0];
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? 's' : ''})` : '';
    super(first?.code ?? 'ERR_INVALID_PLAN', `invalid plan: ${first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'unknown problem'}${more}`, {
      details: { issues },
    });
    this.name = 'PlanValidationError';
    this.issues = issues;
  }
}

/** A write carried a fencing token that no longer holds the lease (another worker re-claimed the attempt). */
export class StaleLeaseError extends TuttiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('ERR_STALE_LEASE', message, details ? { details } : undefined);
    this.name = 'StaleLeaseError';
  }
}

/** A state change not allowed by the state machines of the model. */
export class InvalidTransitionError extends TuttiError {
  constructor(entity: 'run' | 'task' | 'attempt', from: string, to: string, id?: string) {
    super('ERR_INVALID_TRANSITION', `${entity}${id ? ` ${id}` : ''} cannot go from '${from}' to '${to}'`, { details: { entity, from, to, id } });
    this.name = 'InvalidTransitionError';
  }
}

/**
 * Thrown by a driver or function to say the attempt must not be retried (bad input, a permanent
 * condition). Follows inngest-js's `NonRetriableError`.
 */
export class NonRetryableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NonRetryableError';
  }
}

/** Thrown by a driver or function to ask for a retry no sooner than `retryAfterMs` from now. */
export class RetryAfterError extends Error {
  /** Delay before the next attempt, in ms. */
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryAfterError';
    this.retryAfterMs = retryAfterMs;
  }
}

/**
 * Thrown by a driver or function to fail the attempt with a classified error kind (a step that found
 * a merge conflict fails with `merge_conflict`, a check with `validation_failed`), retryable unless
 * `retryable: false`.
 */
export class AttemptFailure extends Error {
  readonly kind: AttemptErrorKind;
  readonly retryable: boolean;
  constructor(kind: AttemptErrorKind, message: string, options?: { retryable?: boolean; cause?: unknown }) {
    super(message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'AttemptFailure';
    this.kind = kind;
    this.retryable = options?.retryable ?? true;
  }
}

/** Type guard: `e` is a TuttiError (with the given code, when one is passed). */
export function isTuttiError(e: unknown, code?: ErrorCode): e is TuttiError {
  return e instanceof TuttiError && (code === undefined || e.code === code);
}

/** A one-line description of any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'string') return e;
  try {
    return JSON.stringify(e);
  } catch {
    return String(e);
  }
}
