/**
 * PostgreSQL side of the logs contract (`LogStore` in `store/types.ts`): table `logs` from
 * migration 2 (`migrations.ts`). The level is stored as its severity rank so `minLevel` is one range condition;
 * `seq` comes from a sequence, so a sequence number is never reused after pruning.
 */
import type { PoolClient } from 'pg';
import { severity, toLogEntry, type LogRow } from '../log-rows.js';
import { LOG_LEVELS, type LogCounts, type LogEntry, type LogFilter, type LogLevel, type LogQuery, type LogRetention, type NewLogEntry } from '../types.js';
import { query } from './tx.js';

type Conn = Pick<PoolClient, 'query'>;

/** See `LogStore.appendLogs` (one statement: all or nothing). */
export async function appendLogs(c: Conn, entries: readonly NewLogEntry[]): Promise<number> {
  if (!entries.length) return 0;
  const ranks = entries.map((e) => severity(e.level));
  const rows = await query(
    c,
    `INSERT INTO logs (id, ts, severity, source, message, session_id, task_id, agent_id, data, error)
     SELECT u.id, u.ts, u.severity, u.source, u.message, u.session_id, u.task_id, u.agent_id, u.data, u.error FROM unnest($1::text[], $2::bigint[], $3::smallint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[]) WITH ORDINALITY AS u
       (id, ts, severity, source, message, session_id, task_id, agent_id, data, error, ord)
     ORDER BY ord
     ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [
      entries.map((e) => e.id),
      entries.map((e) => e.ts),
      ranks,
      entries.map((e) => e.source),
      entries.map((e) => e.message),
      entries.map((e) => e.sessionId),
      entries.map((e) => e.taskId),
      entries.map((e) => e.agentId),
      entries.map((e) => (e.data === null || e.data === undefined ? null : JSON.stringify(e.data))),
      entries.map((e) => (e.error ? JSON.stringify(e.error) : null)),
    ],
  );
  return rows.length;
}

function where(filter: LogFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (cond: (p: string) => string, value: unknown): void => {
    params.push(value);
    parts.push(cond(`$${params.length}`));
  };
  if (filter.sessionId !== undefined) add((p) => `session_id = ${p}`, filter.sessionId);
  if (filter.taskId !== undefined) add((p) => `task_id = ${p}`, filter.taskId);
  if (filter.agentId !== undefined) add((p) => `agent_id = ${p}`, filter.agentId);
  if (filter.source !== undefined) add((p) => `source = ${p}`, filter.source);
  if (filter.levels !== undefined) add((p) => `severity = ANY(${p}::smallint[])`, [...new Set(filter.levels.map(severity))]);
  if (filter.minLevel !== undefined) add((p) => `severity >= ${p}`, severity(filter.minLevel));
  if (filter.since !== undefined) add((p) => `ts >= ${p}`, filter.since);
  if (filter.until !== undefined) add((p) => `ts < ${p}`, filter.until);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

export async function queryLogs(c: Conn, q: LogQuery = {}): Promise<LogEntry[]> {
  const { sql, params } = where(q);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const rows = await query<LogRow>(c, `SELECT * FROM logs ${sql} ORDER BY ts ${dir}, seq ${dir} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]);
  return rows.map(toLogEntry);
}

export async function countLogs(c: Conn, filter: LogFilter = {}): Promise<LogCounts> {
  const { sql, params } = where(filter);
  const rows = await query<{ severity: number; source: string; n: number }>(c, `SELECT severity, source, count(*) AS n FROM logs ${sql} GROUP BY severity, source`, params);
  const byLevel = Object.fromEntries(LOG_LEVELS.map((l) => [l, 0])) as Record<LogLevel, number>;
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    byLevel[LOG_LEVELS[r.severity] ?? 'critical'] += r.n;
    bySource[r.source] = (bySource[r.source] ?? 0) + r.n;
    total += r.n;
  }
  return { total, byLevel, bySource };
}

/** See `LogStore.pruneLogs` (inside the caller's transaction). */
export async function pruneLogs(c: Conn, retention: LogRetention): Promise<number> {
  let deleted = 0;
  if (retention.before !== undefined) deleted += (await query(c, `DELETE FROM logs WHERE ts < $1 RETURNING 1`, [retention.before])).length;
  if (retention.keep !== undefined) {
    const keep = Math.max(0, Math.floor(retention.keep));
    deleted += (await query(c, `DELETE FROM logs WHERE seq NOT IN (SELECT seq FROM logs ORDER BY ts DESC, seq DESC LIMIT $1) RETURNING 1`, [keep])).length;
  }
  return deleted;
}
