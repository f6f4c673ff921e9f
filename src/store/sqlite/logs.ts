/**
 * SQLite side of the logs contract (`LogStore` in `store/types.ts`): table `logs` from migration 4.
 * The level is stored as its severity rank so `minLevel` is one range condition; `seq` is an
 * AUTOINCREMENT key, so a sequence number is never reused after pruning.
 */
import type { SqliteDatabase, SqliteStatement } from './driver.js';
import { severity, toLogEntry, type LogRow } from '../log-rows.js';
import { LOG_LEVELS, type LogCounts, type LogEntry, type LogFilter, type LogLevel, type LogQuery, type LogRetention, type NewLogEntry } from '../types.js';

const insertCache = new WeakMap<SqliteDatabase, SqliteStatement>();

/** See `LogStore.appendLogs`. */
export function appendLogs(db: SqliteDatabase, entries: readonly NewLogEntry[]): number {
  const rows = entries.map((e) => ({
    id: e.id,
    ts: e.ts,
    severity: severity(e.level),
    source: e.source,
    message: e.message,
    session_id: e.sessionId,
    task_id: e.taskId,
    agent_id: e.agentId,
    data: e.data === null || e.data === undefined ? null : JSON.stringify(e.data),
    error: e.error ? JSON.stringify(e.error) : null,
  }));
  if (!rows.length) return 0;
  let insert = insertCache.get(db);
  if (!insert) {
    insert = db.prepare(
      `INSERT OR IGNORE INTO logs (id, ts, severity, source, message, session_id, task_id, agent_id, data, error)
       VALUES (@id, @ts, @severity, @source, @message, @session_id, @task_id, @agent_id, @data, @error)`,
    );
    insertCache.set(db, insert);
  }
  const stmt = insert;
  return db.transaction(() => rows.reduce((n, r) => n + stmt.run(r).changes, 0)).immediate();
}

/** The WHERE clause of a filter and its parameters. */
function where(filter: LogFilter): { sql: string; params: Record<string, unknown> } {
  const parts: string[] = [];
  const params: Record<string, unknown> = {};
  const eq = (column: string, value: string | undefined): void => {
    if (value === undefined) return;
    parts.push(`${column} = @${column}`);
    params[column] = value;
  };
  eq('session_id', filter.sessionId);
  eq('task_id', filter.taskId);
  eq('agent_id', filter.agentId);
  eq('source', filter.source);
  if (filter.levels !== undefined) {
    const ranks = [...new Set(filter.levels.map(severity))];
    // An empty list selects nothing, as an empty IN () would.
    parts.push(ranks.length ? `severity IN (${ranks.join(', ')})` : '0');
  }
  if (filter.minLevel !== undefined) {
    parts.push('severity >= @min_severity');
    params.min_severity = severity(filter.minLevel);
  }
  if (filter.since !== undefined) {
    parts.push('ts >= @since');
    params.since = filter.since;
  }
  if (filter.until !== undefined) {
    parts.push('ts < @until');
    params.until = filter.until;
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params };
}

const stmtCache = new WeakMap<SqliteDatabase, Map<string, SqliteStatement>>();

function cached(db: SqliteDatabase, sql: string): SqliteStatement {
  let byText = stmtCache.get(db);
  if (!byText) stmtCache.set(db, (byText = new Map()));
  let stmt = byText.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    // Filters vary in shape, not in number: the cache stays small, but bound it anyway.
    if (byText.size > 256) byText.clear();
    byText.set(sql, stmt);
  }
  return stmt;
}

/** See `LogStore.queryLogs`. */
export function queryLogs(db: SqliteDatabase, query: LogQuery = {}): LogEntry[] {
  const { sql, params } = where(query);
  const dir = query.order === 'desc' ? 'DESC' : 'ASC';
  const limit = Math.max(1, Math.min(Math.floor(query.limit ?? 100), 10_000));
  const offset = Math.max(0, Math.floor(query.offset ?? 0));
  const stmt = cached(db, `SELECT * FROM logs ${sql} ORDER BY ts ${dir}, seq ${dir} LIMIT @limit OFFSET @offset`);
  return (stmt.all({ ...params, limit, offset }) as LogRow[]).map(toLogEntry);
}

/** See `LogStore.countLogs`. */
export function countLogs(db: SqliteDatabase, filter: LogFilter = {}): LogCounts {
  const { sql, params } = where(filter);
  const rows = cached(db, `SELECT severity, source, COUNT(*) AS n FROM logs ${sql} GROUP BY severity, source`).all(params) as Array<{ severity: number; source: string; n: number }>;
  const byLevel = Object.fromEntries(LOG_LEVELS.map((l) => [l, 0])) as Record<LogLevel, number>;
  const bySource: Record<string, number> = {};
  let total = 0;
  for (const r of rows) {
    const level = LOG_LEVELS[r.severity] ?? 'critical';
    byLevel[level] += r.n;
    bySource[r.source] = (bySource[r.source] ?? 0) + r.n;
    total += r.n;
  }
  return { total, byLevel, bySource };
}

/** See `LogStore.pruneLogs`. */
export function pruneLogs(db: SqliteDatabase, retention: LogRetention): number {
  return db
    .transaction(() => {
      let deleted = 0;
      if (retention.before !== undefined) deleted += cached(db, `DELETE FROM logs WHERE ts < ?`).run(retention.before).changes;
      if (retention.keep !== undefined) {
        const keep = Math.max(0, Math.floor(retention.keep));
        deleted += cached(db, `DELETE FROM logs WHERE seq NOT IN (SELECT seq FROM logs ORDER BY ts DESC, seq DESC LIMIT ?)`).run(keep).changes;
      }
      return deleted;
    })
    .immediate();
}
