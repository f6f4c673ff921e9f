/**
 * Seed 003's orchestration logger: levels debug/info/warn/error/critical, a source, structured
 * context (sessionId, taskId, agentId, data), queries and statistics. Entries are redacted (secret
 * keys and token-looking text) when logged and persisted through the store's logs group, capped
 * by count and age.
 *
 * Logging is synchronous and never throws: entries are buffered and written in one transaction on
 * the next turn of the event loop. Queries flush first, so they see everything logged before them.
 */
import { TuttiError, errorMessage } from '../../core/errors.js';
import { randomToken } from '../../core/ids.js';
import { redactText, redactValue } from '../../server/redact.js';
import { LOG_LEVELS, type LogCounts, type LogEntry, type LogError, type LogLevel, type LogQuery, type LogStore, type NewLogEntry } from '../../store/types.js';

export type { LogLevel };

/** Structured context of a log entry (seed 003). */
export interface LogContext {
  sessionId?: string;
  taskId?: string;
  agentId?: string;
  /** Any JSON data (redacted before it is stored). */
  data?: Record<string, unknown>;
}

/** A log entry as the seed shows it (`timestamp` ISO-8601). */
export interface OrchestrationLogEntry {
  id: string;
  timestamp: string;
  level: LogLevel;
  source: string;
  message: string;
  sessionId?: string;
  taskId?: string;
  agentId?: string;
  data?: Record<string, unknown>;
  error?: LogError;
}

/** `query` filter: every field narrows. Times are epoch ms or Date. */
export interface LogQueryOptions {
  sessionId?: string;
  taskId?: string;
  agentId?: string;
  source?: string;
  /** One level or several, exactly. */
  level?: LogLevel | LogLevel[];
  /** This level or more severe. */
  minLevel?: LogLevel;
  /** Entries at or after this time. */
  since?: number | Date;
  /** Entries before this time. */
  until?: number | Date;
  /** @default 'asc' (oldest first) */
  order?: 'asc' | 'desc';
  /** @default 100 (at most 10000) */
  limit?: number;
  /** @default 0 */
  offset?: number;
}

/** `getStatistics` (seed 003): `errorRate` = (error + critical) / total, 0 when there is no entry. */
export interface LogStatistics {
  total: number;
  byLevel: Record<LogLevel, number>;
  bySource: Record<string, number>;
  errorRate: number;
}

export interface OrchestrationLoggerOptions {
  /** Where entries are persisted: a store, or a function resolving one (opened on first use). */
  store: LogStore | (() => Promise<LogStore>);
  /** Entries kept at most (the newest). @default 10000 */
  maxEntries?: number;
  /** Entries older than this are deleted, ms. @default 7 days */
  retentionMs?: number;
  /** Entries below this level are dropped. @default 'debug' */
  minLevel?: LogLevel;
  /** Exact strings to mask as well (tokens of the host). */
  secrets?: readonly string[];
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Also receives every entry (e.g. a console or pino sink). */
  sink?: (entry: OrchestrationLogEntry) => void;
}

const rank = (l: LogLevel): number => LOG_LEVELS.indexOf(l);
const DAY_MS = 24 * 3600 * 1000;
const time = (t: number | Date | undefined): number | undefined => (t === undefined ? undefined : typeof t === 'number' ? t : t.getTime());

function toSeed(e: LogEntry): OrchestrationLogEntry {
  return {
    id: e.id,
    timestamp: new Date(e.ts).toISOString(),
    level: e.level,
    source: e.source,
    message: e.message,
    ...(e.sessionId !== null ? { sessionId: e.sessionId } : {}),
    ...(e.taskId !== null ? { taskId: e.taskId } : {}),
    ...(e.agentId !== null ? { agentId: e.agentId } : {}),
    ...(e.data !== null && typeof e.data === 'object' ? { data: e.data as Record<string, unknown> } : {}),
    ...(e.error ? { error: e.error } : {}),
  };
}

/**
 * The logger. Create it with {@link createOrchestrationLogger}.
 * @example
 * orchestrationLogger.info('orchestrator', 'Task plan created', { sessionId: 'session-123', data: { stepCount: 5 } });
 * const stats = await orchestrationLogger.getStatistics('session-123');
 */
export class OrchestrationLogger {
  #options: OrchestrationLoggerOptions;
  #maxEntries: number;
  #retentionMs: number;
  readonly #now: () => number;
  #store: Promise<LogStore> | null = null;
  #buffer: NewLogEntry[] = [];
  #flushing: Promise<void> | null = null;
  #scheduled = false;
  #counter = 0;
  #sincePrune = Number.POSITIVE_INFINITY;
  /** The last error of a background write (entries stay buffered and are retried). */
  lastWriteError: unknown = null;

  constructor(options: OrchestrationLoggerOptions) {
    this.#options = options;
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#retentionMs = options.retentionMs ?? 7 * DAY_MS;
    this.#now = options.now ?? Date.now;
    this.#check();
  }

  #check(): void {
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) throw new TuttiError('ERR_INVALID_OPTIONS', 'maxEntries is a positive integer');
    if (!(this.#retentionMs > 0)) throw new TuttiError('ERR_INVALID_OPTIONS', 'retentionMs is a positive number of ms');
  }

  /**
   * Changes the cap, retention, minimum level, extra secrets or sink (e.g. of the shared
   * `orchestrationLogger`). The store cannot be changed. @throws TuttiError `ERR_INVALID_OPTIONS`
   */
  configure(options: Omit<Partial<OrchestrationLoggerOptions>, 'store' | 'now'>): this {
    const next = { ...this.#options, ...options, store: this.#options.store };
    const max = next.maxEntries ?? 10_000;
    const retention = next.retentionMs ?? 7 * DAY_MS;
    if (!Number.isInteger(max) || max < 1) throw new TuttiError('ERR_INVALID_OPTIONS', 'maxEntries is a positive integer');
    if (!(retention > 0)) throw new TuttiError('ERR_INVALID_OPTIONS', 'retentionMs is a positive number of ms');
    this.#options = next;
    this.#maxEntries = max;
    this.#retentionMs = retention;
    return this;
  }

  debug(source: string, message: string, context?: LogContext): void {
    this.log('debug', source, message, context);
  }

  info(source: string, message: string, context?: LogContext): void {
    this.log('info', source, message, context);
  }

  warn(source: string, message: string, context?: LogContext): void {
    this.log('warn', source, message, context);
  }

  /** Seed signature: `error(source, message, error, context)`; the error may be omitted. */
  error(source: string, message: string, error?: unknown, context?: LogContext): void {
    this.log('error', source, message, context, error);
  }

  critical(source: string, message: string, error?: unknown, context?: LogContext): void {
    this.log('critical', source, message, context, error);
  }

  /** Logs one entry (redacted). Never throws; an unknown level is logged as `error`. */
  log(level: LogLevel, source: string, message: string, context: LogContext = {}, error?: unknown): void {
    const lvl: LogLevel = LOG_LEVELS.includes(level) ? level : 'error';
    if (rank(lvl) < rank(this.#options.minLevel ?? 'debug')) return;
    const ts = this.#now();
    const secrets = this.#options.secrets ?? [];
    const entry: NewLogEntry = {
      id: `log-${ts}-${this.#counter++}-${randomToken(3)}`,
      ts,
      level: lvl,
      source: String(source),
      message: redactText(String(message), secrets),
      sessionId: context.sessionId ?? null,
      taskId: context.taskId ?? null,
      agentId: context.agentId ?? null,
      data: context.data === undefined ? null : redactValue(jsonCopy(context.data), secrets),
      error: error === undefined || error === null ? null : errorOf(error, secrets),
    };
    this.#buffer.push(entry);
    this.#options.sink?.(toSeed({ ...entry, seq: 0 }));
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.flush().catch((e: unknown) => {
        this.lastWriteError = e;
      });
    });
  }

  #getStore(): Promise<LogStore> {
    const s = this.#options.store;
    this.#store ??= typeof s === 'function' ? s() : Promise.resolve(s);
    return this.#store;
  }

  /** Writes buffered entries (and applies retention now and then). @throws the store's error (entries stay buffered). */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#buffer.length === 0) return;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#flushing = (async () => {
      try {
        const store = await this.#getStore();
        await store.appendLogs(batch);
        this.lastWriteError = null;
        this.#sincePrune += batch.length;
        // Prune when a tenth of the cap was written since the last prune (and on the first write).
        if (this.#sincePrune >= Math.max(1, Math.floor(this.#maxEntries / 10))) {
          this.#sincePrune = 0;
          await store.pruneLogs({ before: this.#now() - this.#retentionMs, keep: this.#maxEntries });
        }
      } catch (e) {
        // Kept for the next flush, but never more than the cap (the oldest go first).
        this.#buffer = [...batch, ...this.#buffer];
        if (this.#buffer.length > this.#maxEntries) this.#buffer = this.#buffer.slice(-this.#maxEntries);
        throw e;
      }
    })();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
  }

  /** Entries matching the filter (flushes first). @throws TuttiError `ERR_INVALID_INPUT` for an unknown level. */
  async query(options: LogQueryOptions = {}): Promise<OrchestrationLogEntry[]> {
    await this.flush();
    const store = await this.#getStore();
    return (await store.queryLogs(toStoreQuery(options))).map(toSeed);
  }

  /** Error and critical entries, of one session or all, oldest first (at most `limit`, default 1000). */
  async getErrors(sessionId?: string, limit = 1000): Promise<OrchestrationLogEntry[]> {
    return this.query({ ...(sessionId !== undefined ? { sessionId } : {}), minLevel: 'error', limit });
  }

  /** The newest `n` entries, oldest first (seed: `getRecent(50)`). */
  async getRecent(n = 100): Promise<OrchestrationLogEntry[]> {
    return (await this.query({ order: 'desc', limit: n })).reverse();
  }

  /** Entries of a session, oldest first (at most `limit`, default 1000). */
  async getSessionLogs(sessionId: string, limit = 1000): Promise<OrchestrationLogEntry[]> {
    const newest = await this.query({ sessionId, order: 'desc', limit });
    return newest.reverse();
  }

  /** Counts by level and source and the error rate, of one session or all. */
  async getStatistics(sessionId?: string): Promise<LogStatistics> {
    await this.flush();
    const store = await this.#getStore();
    const c: LogCounts = await store.countLogs(sessionId !== undefined ? { sessionId } : {});
    return { ...c, errorRate: c.total ? (c.byLevel.error + c.byLevel.critical) / c.total : 0 };
  }

  /** Applies retention now. @returns entries deleted */
  async prune(): Promise<number> {
    await this.flush();
    const store = await this.#getStore();
    return store.pruneLogs({ before: this.#now() - this.#retentionMs, keep: this.#maxEntries });
  }
}

/** A JSON copy of log data; what JSON cannot hold (cycles, BigInt) is replaced by a note, never thrown. */
function jsonCopy(data: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(data) ?? 'null') as unknown;
  } catch (e) {
    return { unserializable: errorMessage(e) };
  }
}

function errorOf(error: unknown, secrets: readonly string[]): LogError {
  if (error instanceof Error) {
    return { name: error.name, message: redactText(error.message, secrets), ...(error.stack ? { stack: redactText(error.stack, secrets) } : {}) };
  }
  return { name: 'Error', message: redactText(errorMessage(error), secrets) };
}

function toStoreQuery(o: LogQueryOptions): LogQuery {
  const q: LogQuery = {};
  if (o.sessionId !== undefined) q.sessionId = o.sessionId;
  if (o.taskId !== undefined) q.taskId = o.taskId;
  if (o.agentId !== undefined) q.agentId = o.agentId;
  if (o.source !== undefined) q.source = o.source;
  if (o.level !== undefined) q.levels = Array.isArray(o.level) ? o.level : [o.level];
  if (o.minLevel !== undefined) q.minLevel = o.minLevel;
  const since = time(o.since);
  const until = time(o.until);
  if (since !== undefined) q.since = since;
  if (until !== undefined) q.until = until;
  if (o.order) q.order = o.order;
  if (o.limit !== undefined) q.limit = o.limit;
  if (o.offset !== undefined) q.offset = o.offset;
  return q;
}

/** Creates a logger over a store (see {@link OrchestrationLoggerOptions}). @throws TuttiError `ERR_INVALID_OPTIONS` */
export function createOrchestrationLogger(options: OrchestrationLoggerOptions): OrchestrationLogger {
  return new OrchestrationLogger(options);
}
