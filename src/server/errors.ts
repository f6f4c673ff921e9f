/**
 * The one place HTTP statuses are decided (Hono's `HTTPException` + one `onError`): every error a
 * route throws becomes `{ error: { code, message, details? } }` with a 4xx status when the request
 * was at fault, so bad input never produces a 500.
 */
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isTuttiError, type ErrorCode } from '../core/errors.js';

/** Codes the HTTP layer adds to the engine's {@link ErrorCode}s. */
export type HttpErrorCode =
  | ErrorCode
  | 'ERR_UNAUTHORIZED'
  | 'ERR_ROUTE_NOT_FOUND'
  | 'ERR_METHOD_NOT_ALLOWED'
  | 'ERR_PAYLOAD_TOO_LARGE'
  | 'ERR_UNSUPPORTED_MEDIA_TYPE'
  | 'ERR_MISDIRECTED_REQUEST'
  | 'ERR_CROSS_SITE_REQUEST'
  | 'ERR_TOO_MANY_STREAMS'
  | 'ERR_NOT_READY'
  | 'ERR_INTERNAL';

/** The JSON body of every error response. */
export interface ErrorBody {
  error: { code: HttpErrorCode; message: string; details?: Record<string, unknown> };
}

/** One invalid field: its dotted path (`plan.tasks.0.id`, `query.limit`) and what is wrong. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** An error a route throws to answer with a given status and code. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, code: HttpErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'HttpError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** HTTP status of each engine error code. Unlisted codes are server faults (500). */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  ERR_INVALID_PLAN: 400,
  ERR_DUPLICATE_TASK: 400,
  ERR_UNKNOWN_DEPENDENCY: 400,
  ERR_CYCLE: 400,
  ERR_NO_CAPABLE_AGENT: 400,
  ERR_INVALID_INPUT: 400,
  ERR_UNKNOWN_DRIVER: 400,
  ERR_UNKNOWN_FUNCTION: 400,
  ERR_IMPORT: 400,
  ERR_RUN_NOT_FOUND: 404,
  ERR_TASK_NOT_FOUND: 404,
  ERR_AGENT_NOT_FOUND: 404,
  ERR_INVALID_TRANSITION: 409,
  ERR_STALE_LEASE: 409,
  ERR_NOT_AWAITING_APPROVAL: 409,
  ERR_VERSION_CONFLICT: 409,
  ERR_LOCK_HELD: 409,
  ERR_WORKSPACE: 409,
  ERR_EMBEDDING_MISMATCH: 400,
  ERR_UNKNOWN_TEMPLATE: 400,
  // Another service failed: the embedding provider, the planner's agent.
  ERR_EMBEDDER: 502,
  ERR_PLANNER_FAILED: 502,
  // A configured limit (seed 001's maximum of live sessions): retry once some finish.
  ERR_LIMIT_EXCEEDED: 429,
  ERR_ENGINE_STOPPED: 503,
  ERR_STORE_CLOSED: 503,
  ERR_STORE_CORRUPT: 503,
  ERR_STORE_UNREADABLE: 503,
  ERR_STORE_MIGRATION: 503,
  ERR_TIMEOUT: 504,
};

/**
 * The status for a TuttiError code. Codes added to the engine later (approvals, memory) fall back
 * on their name: `…_NOT_FOUND` → 404, `ERR_INVALID_…`/`ERR_NOT_…` → 400/409.
 */
export function statusOfCode(code: string): number {
  const known = STATUS_BY_CODE[code as ErrorCode];
  if (known) return known;
  if (code.endsWith('_NOT_FOUND')) return 404;
  if (code.startsWith('ERR_INVALID_')) return 400;
  if (code.startsWith('ERR_NOT_') || code.includes('CONFLICT')) return 409;
  return 500;
}

/** Fastify's own client errors (body parsing, content type, size) by their `code`. */
const FASTIFY_CODES: Record<string, { status: number; code: HttpErrorCode }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'ERR_PAYLOAD_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'ERR_INVALID_INPUT' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'ERR_INVALID_INPUT' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'ERR_INVALID_INPUT' },
};

interface ZodLikeIssue {
  instancePath?: string;
  message?: string;
  params?: { issue?: { path?: PropertyKey[]; message?: string } };
}

/** Field errors from fastify-type-provider-zod's validation error, prefixed with the part (`body`, `query`…). */
function fieldIssues(err: { validation?: unknown; validationContext?: string }): FieldIssue[] {
  const part = err.validationContext ?? 'request';
  const list = Array.isArray(err.validation) ? (err.validation as ZodLikeIssue[]) : [];
  return list.slice(0, 50).map((v) => {
    const path = v.params?.issue?.path;
    const dotted = Array.isArray(path) ? path.map(String).join('.') : (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    return { path: dotted ? `${part}.${dotted}` : part, message: v.params?.issue?.message ?? v.message ?? 'invalid' };
  });
}

/** Maps any thrown value to a status and body. `internal` is true for a server fault (to log). */
export function toHttpError(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof HttpError) {
    return { status: err.status, body: { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }, internal: err.status >= 500 };
  }
  if (isTuttiError(err)) {
    const status = statusOfCode(err.code);
    const json = err.toJSON();
    return { status, body: { error: status >= 500 && status !== 503 && status !== 504 ? { code: json.code, message: json.message } : json }, internal: status >= 500 && status !== 503 };
  }
  const e = err as { code?: string; statusCode?: number; message?: string; validation?: unknown; validationContext?: string } | null;
  if (e && (hasZodFastifySchemaValidationErrors(err) || Array.isArray(e.validation))) {
    const issues = fieldIssues(e);
    const first = issues[0];
    const message = `invalid request: ${first ? `${first.path}: ${first.message}` : 'bad input'}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ''}`;
    return { status: 400, body: { error: { code: 'ERR_INVALID_INPUT', message, details: { issues } } }, internal: false };
  }
  const known = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return { status: known.status, body: { error: { code: known.code, message: e?.message ?? 'bad request' } }, internal: false };
  if (e && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    const code: HttpErrorCode = e.statusCode === 404 ? 'ERR_ROUTE_NOT_FOUND' : e.statusCode === 413 ? 'ERR_PAYLOAD_TOO_LARGE' : e.statusCode === 415 ? 'ERR_UNSUPPORTED_MEDIA_TYPE' : 'ERR_INVALID_INPUT';
    return { status: e.statusCode, body: { error: { code, message: e.message ?? 'bad request' } }, internal: false };
  }
  return { status: 500, body: { error: { code: 'ERR_INTERNAL', message: 'internal server error (see the server log)' } }, internal: true };
}
