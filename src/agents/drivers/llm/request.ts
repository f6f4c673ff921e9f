/**
 * One chat completion over HTTP with Node's global fetch: streamed (SSE) or not, validated with
 * zod, retried on 429, 408, 5xx and network errors with the server's `Retry-After` honoured up to
 * a cap. Failures come out classified (`auth`, `rate_limited` with `retryAfterMs`, …) for the
 * engine to decide what happens next.
 */
import { MAX_LLM_RESPONSE_BYTES, parseJsonLimited } from '../../../core/limits.js';
import type { AttemptError } from '../../../core/model.js';
import { chunkSchema, completionSchema, errorMessageOf, sseData, type WireUsage } from './wire.js';

export interface ChatRequest {
  url: string;
  /** Request headers (the Authorization header included): never logged. */
  headers: Record<string, string>;
  body: Record<string, unknown>;
  stream: boolean;
}

export interface RetrySettings {
  maxRetries: number;
  retryBaseMs: number;
  maxRetryDelayMs: number;
  requestTimeoutMs: number;
}

export interface ChatDeps {
  fetch: typeof fetch;
  /** Waits `ms`, resolving early when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  now(): number;
  random(): number;
  /** A line for the attempt log. */
  log(line: string): void;
  /** Streamed text as it arrives. */
  onDelta?(text: string): void;
}

export interface ChatAnswer {
  content: string;
  finishReason: string | null;
  usage: WireUsage | null;
  model: string | undefined;
  id: string | undefined;
  /** HTTP requests made, retries included. */
  requests: number;
}

/** A classified failure of the request (after any retries). */
export class ChatError extends Error {
  readonly failure: AttemptError;
  constructor(failure: AttemptError) {
    super(failure.message);
    this.name = 'ChatError';
    this.failure = failure;
  }
}

/** The attempt was aborted (cancel, task timeout, shutdown). */
export class ChatAborted extends Error {
  constructor() {
    super('aborted');
    this.name = 'ChatAborted';
  }
}

/**
 * The wait a response asks for, ms: `retry-after-ms`, else `Retry-After` as seconds or as an HTTP
 * date (relative to `now`). Undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Pick<Headers, 'get'>, now: number): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms !== null && /^\s*\d+(\.\d+)?\s*$/.test(ms)) return Math.ceil(Number(ms));
  const value = headers.get('retry-after');
  if (value === null) return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.ceil(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

type Round = { ok: ChatAnswer } | { retry: AttemptError & { status?: number }; after: number | undefined } | { fail: AttemptError };

const RETRY_STATUSES = new Set([408, 409, 429]);
/** Characters of an error body kept in messages. */
const ERROR_TEXT = 500;

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, ERROR_TEXT);
}

async function readError(res: Response): Promise<string> {
  const text = await res.text().catch(() => '');
  return oneLine(errorMessageOf(text) ?? text) || res.statusText || 'no details';
}

function classifyStatus(status: number, url: string, detail: string): { retry: boolean; error: AttemptError } {
  const message = `HTTP ${status} from ${url}: ${detail}`;
  if (status === 401 || status === 403) return { retry: false, error: { kind: 'auth', message, retryable: false } };
  if (status === 429) return { retry: true, error: { kind: 'rate_limited', message } };
  if (RETRY_STATUSES.has(status) || status >= 500) return { retry: true, error: { kind: 'exception', message } };
  return { retry: false, error: { kind: 'exception', message, retryable: false } };
}

/** The body as text, or null when it is larger than `max` bytes (reading stops there). */
async function readTextLimited(res: Response, max: number): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readCompletion(res: Response, requests: number): Promise<Round> {
  const text = await readTextLimited(res, MAX_LLM_RESPONSE_BYTES);
  if (text === null) return { fail: { kind: 'invalid_output', message: `the answer is larger than ${MAX_LLM_RESPONSE_BYTES} bytes` } };
  let json: unknown;
  try {
    json = parseJsonLimited(text, { what: 'LLM response' });
  } catch (e) {
    return { fail: { kind: 'invalid_output', message: /nested deeper/.test((e as Error).message) ? (e as Error).message : `the answer is not JSON: ${oneLine(text).slice(0, 200)}` } };
  }
  const r = completionSchema.safeParse(json);
  if (!r.success) return { fail: { kind: 'invalid_output', message: `the answer is not a chat completion: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}` } };
  const choice = r.data.choices[0]!;
  const content = choice.message.content ?? '';
  const refused = !content && Boolean(choice.message.refusal);
  return {
    ok: { content: refused ? choice.message.refusal! : content, finishReason: refused ? 'refusal' : (choice.finish_reason ?? null), usage: r.data.usage ?? null, model: r.data.model, id: r.data.id, requests },
  };
}

async function readStream(res: Response, deps: ChatDeps, requests: number): Promise<Round> {
  let content = '';
  let finishReason: string | null = null;
  let usage: WireUsage | null = null;
  let model: string | undefined;
  let id: string | undefined;
  let done = false;
  try {
    for await (const data of sseData(res.body!)) {
      if (data.trim() === '[DONE]') {
        done = true;
        break;
      }
      let json: unknown;
      try {
        json = parseJsonLimited(data, { what: 'streamed LLM event' });
      } catch (e) {
        return { fail: { kind: 'invalid_output', message: /nested deeper/.test((e as Error).message) ? (e as Error).message : `a streamed event is not JSON: ${oneLine(data).slice(0, 200)}` } };
      }
      const error = errorMessageOf(data);
      if (error !== undefined) return { retry: { kind: 'exception', message: `the server reported an error mid-stream: ${oneLine(error)}` }, after: undefined };
      const r = chunkSchema.safeParse(json);
      if (!r.success) return { fail: { kind: 'invalid_output', message: `a streamed event is not a chat.completion.chunk: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}` } };
      const chunk = r.data;
      model ??= chunk.model;
      id ??= chunk.id;
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices ?? []) {
        if ((choice.index ?? 0) !== 0) continue;
        const piece = choice.delta?.content ?? choice.delta?.refusal ?? '';
        if (piece) {
          if (content.length + piece.length > MAX_LLM_RESPONSE_BYTES) return { fail: { kind: 'invalid_output', message: `the streamed answer is larger than ${MAX_LLM_RESPONSE_BYTES} characters` } };
          content += piece;
          deps.onDelta?.(piece);
        }
        if (choice.delta?.refusal && !choice.delta.content) finishReason = 'refusal';
        if (choice.finish_reason) finishReason = finishReason === 'refusal' ? 'refusal' : choice.finish_reason;
      }
    }
  } catch (e) {
    return { retry: { kind: 'exception', message: `the stream broke: ${(e as Error).message}` }, after: undefined };
  }
  if (!done && finishReason === null) return { retry: { kind: 'exception', message: 'the stream ended before the answer was complete' }, after: undefined };
  return { ok: { content, finishReason, usage, model, id, requests } };
}

async function round(req: ChatRequest, settings: RetrySettings, deps: ChatDeps, signal: AbortSignal, requests: number): Promise<Round> {
  const timeout = AbortSignal.timeout(settings.requestTimeoutMs);
  let res: Response;
  try {
    res = await deps.fetch(req.url, { method: 'POST', headers: req.headers, body: JSON.stringify(req.body), signal: AbortSignal.any([signal, timeout]) });
  } catch (e) {
    if (signal.aborted) throw new ChatAborted();
    const why = timeout.aborted ? `no answer within ${settings.requestTimeoutMs} ms` : `${(e as Error).message}${(e as { cause?: { code?: string } }).cause?.code ? ` (${(e as { cause: { code: string } }).cause.code})` : ''}`;
    return { retry: { kind: 'exception', message: `cannot reach ${req.url}: ${why}` }, after: undefined };
  }
  deps.log(`HTTP ${res.status} ${res.headers.get('content-type') ?? ''}`.trim());
  if (!res.ok) {
    const after = parseRetryAfter(res.headers, deps.now());
    const c = classifyStatus(res.status, req.url, await readError(res));
    return c.retry ? { retry: { ...c.error, status: res.status }, after } : { fail: c.error };
  }
  let out: Round;
  try {
    const isStream = (res.headers.get('content-type') ?? '').includes('text/event-stream');
    out = req.stream && isStream && res.body ? await readStream(res, deps, requests) : await readCompletion(res, requests);
  } catch (e) {
    out = { retry: { kind: 'exception', message: `reading the answer failed: ${timeout.aborted ? `no answer within ${settings.requestTimeoutMs} ms` : (e as Error).message}` }, after: undefined };
  }
  if (signal.aborted) throw new ChatAborted();
  return out;
}

/**
 * Sends the request until it succeeds, fails for good, or retries run out.
 * @throws ChatError with the classified failure; ChatAborted when `signal` aborts.
 */
export async function chatCompletion(req: ChatRequest, settings: RetrySettings, deps: ChatDeps, signal: AbortSignal): Promise<ChatAnswer> {
  for (let i = 0; ; i++) {
    if (signal.aborted) throw new ChatAborted();
    deps.log(`POST ${req.url} (request ${i + 1}${req.stream ? ', streamed' : ''})`);
    const r = await round(req, settings, deps, signal, i + 1);
    if ('ok' in r) return r.ok;
    if ('fail' in r) throw new ChatError(r.fail);
    const backoff = Math.round(settings.retryBaseMs * 2 ** i * (0.8 + 0.4 * deps.random()));
    const wait = r.after ?? backoff;
    const { status: _status, ...failure } = r.retry;
    if (i >= settings.maxRetries || wait > settings.maxRetryDelayMs) {
      const reason = i >= settings.maxRetries ? `gave up after ${i + 1} request${i ? 's' : ''}` : `the server asks to wait ${wait} ms, more than maxRetryDelayMs ${settings.maxRetryDelayMs}`;
      deps.log(`${failure.message}; ${reason}`);
      throw new ChatError({ ...failure, message: `${failure.message} (${reason})`, ...(failure.kind === 'rate_limited' ? { retryAfterMs: wait } : r.after !== undefined ? { retryAfterMs: r.after } : {}) });
    }
    deps.log(`${failure.message}; retrying in ${wait} ms`);
    await deps.sleep(wait, signal);
  }
}
