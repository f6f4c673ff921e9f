/**
 * PostgreSQL side of the logs contract (`LogStore` in `store/types.ts`): table `logs` from
 * migration 2 (`migrations.ts`). The level is stored as its severity rank so `minLevel` is one range condition;
 * `seq` comes from a sequence, so a sequence number is never reused after pruning.
 * The shapes are declared structurally here (identical to `store/types.ts`).
 */
import type { PoolClient } from 'pg';
import { TuttiError } from '../../core/errors.js';
import { query } from './tx.js';

type Conn = Pick<PoolClient, 'query'>;

type Level = 'debug' | 'info' | 'warn' | 'error' | 'critical';
const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error', 'critical'];

interface NewEntry {
  id: string;
  ts: number;
  level: Level;
  source: string;
  message: string;
  sessionId: string | null;
  taskId: string | null;
  agentId: string | null;
  data: unknown;
  error: { name: string; message: string; stack?: string } | null;
}

interface Entry extends NewEntry {
  seq: number;
}

interface Filter {
  sessionId?: string;
  taskId?: string;
  agentId?: string;
  source?: string;
  levels?: readonly Level[];
  minLevel?: Level;
  since?: number;
  until?: number;
}

interface Query extends Filter {
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

interface LogRow {
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

const toEntry = (r: LogRow): Entry => ({
  seq: r.seq,
  id: r.id,
  ts: r.ts,
  level: LEVELS[r.severity] ?? 'critical',
  source: r.source,
  message: r.message,
  sessionId: r.session_id,
  taskId: r.task_id,
  agentId: r.agent_id,
  data: r.data === null ? null : (JSON.parse(r.data) as unknown),
  error: r.error === null ? null : (JSON.parse(r.error) as Entry['error']),
});

function severity(level: Level): number {
  const i = LEVELS.indexOf(level);
  if (i < 0) throw new TuttiError('ERR_INVALID_INPUT', `unknown log level '${String(level)}': use one of ${LEVELS.join(', ')}`, { details: { level } });
  return i;
}


/** See `LogStore.appendLogs` (one statement: all or nothing). */
export async function appendLogs(c: Conn, entries: readonly NewEntry[]): Promise<number> {
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

function where(filter: Filter): { sql: string; params: unknown[] } {
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

export async function queryLogs(c: Conn, q: Query = {}): Promise<Entry[]> {
  const { sql, params } = where(q);
  const dir = q.order === 'desc' ? 'DESC' : 'ASC';
  const limit = Math.max(1, Math.min(Math.floor(q.limit ?? 100), 10_000));
  const offset = Math.max(0, Math.floor(q.offset ?? 0));
  const rows = await query<LogRow>(c, `SELECT * FROM logs ${sql} ORDER BY ts ${dir}, seq ${dir} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`, [...params, limit, offset]);
  return rows.map(toEntry);
}

export async function countLogs(c: Conn, filter: Filter = {}): Promise<{ total: number; byLevel: Record<Level, number>; bySource: Record<string, number> }> {
  const { sql, params } = where(filter);
  const rows = await query<{ severity: number; source: string; n: number }>(c, `SELECT severity, source, count(*) AS n FROM logs ${sql} GROUP BY severity, source`, params);
  const byLevel = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<Level, number>;
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    byLevel[LEVELS[r.severity] ?? 'critical'] += r.n;
    bySource[r.source] = (bySource[r.source] ?? 0) + r.n;
    total += r.n;
  }
  return { total, byLevel, bySource };
}

/** See `LogStore.pruneLogs` (inside the caller's transaction). */
export async function pruneLogs(c: Conn, retention: { before?: number; keep?: number }): Promise<number> {
  let deleted = 0;
  if (retention.before !== undefined) deleted += (await query(c, `DELETE FROM logs WHERE ts < $1 RETURNING 1`, [retention.before])).length;
  if (retention.keep !== undefined) {
    const keep = Math.max(0, Math.floor(retention.keep));
    deleted += (await query(c, `DELETE FROM logs WHERE seq NOT IN (SELECT seq FROM logs ORDER BY ts DESC, seq DESC LIMIT $1) RETURNING 1`, [keep])).length;
  }
  return deleted;
}
