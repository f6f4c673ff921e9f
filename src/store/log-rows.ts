/**
 * The `logs` table's row and its mapping to `LogEntry`, shared by `sqlite/logs.ts` and
 * `postgres/logs.ts`. Levels are stored as their severity rank (index in `LOG_LEVELS`) so that
 * `minLevel` is one range condition.
 */
import { TuttiError } from '../core/errors.js';
import { LOG_LEVELS, type LogEntry, type LogLevel } from './types.js';

/** A row of `logs`; `data` and `error` are JSON text. */
export interface LogRow {
  seq: number;
  id: string;
  ts: number;
  severity: number;
  source: string;
  message: string;
  session_id: string | null;
  task_id: string | null;
  agent_id: string | null;
  data: string | null;
  error: string | null;
}

export const toLogEntry = (r: LogRow): LogEntry => ({
  seq: r.seq,
  id: r.id,
  ts: r.ts,
  level: LOG_LEVELS[r.severity] ?? 'critical',
  source: r.source,
  message: r.message,
  sessionId: r.session_id,
  taskId: r.task_id,
  agentId: r.agent_id,
  data: r.data === null ? null : (JSON.parse(r.data) as unknown),
  error: r.error === null ? null : (JSON.parse(r.error) as LogEntry['error']),
});

/** The stored rank of a level. @throws TuttiError `ERR_INVALID_INPUT` for an unknown level. */
export function severity(level: LogLevel): number {
  const i = LOG_LEVELS.indexOf(level);
  if (i < 0) throw new TuttiError('ERR_INVALID_INPUT', `unknown log level '${String(level)}': use one of ${LOG_LEVELS.join(', ')}`, { details: { level } });
  return i;
}
