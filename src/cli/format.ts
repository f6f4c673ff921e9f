/** Human output of runs, tasks and events (the `--json` forms are the RunView objects as they are). */
import type { BlockedReason, EventRecord } from '../core/model.js';
import { describeBlockedReason, type RunCounts, type RunSummary, type RunView, type TaskView } from '../core/run-view.js';

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 2 : 1)}s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return m < 60 ? `${m}m${String(rest).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A blocked reason in words for a terminal line (at most 5 task ids named); '' for none. */
export function describeBlocked(r: BlockedReason | null): string {
  return r ? describeBlockedReason(r, 5) : '';
}

/** Elapsed from start to end; an interrupted run stops its clock at its last change (nothing executes it). */
function elapsed(v: Pick<RunSummary, 'startedAt' | 'finishedAt' | 'createdAt' | 'updatedAt' | 'interrupted'>): string {
  const start = Date.parse(v.startedAt ?? v.createdAt);
  const end = v.finishedAt ? Date.parse(v.finishedAt) : v.interrupted ? Date.parse(v.updatedAt) : Date.now();
  return formatDuration(Math.max(0, end - start));
}

/** The status people see: `interrupted` when no live engine holds a run that says it goes on. */
export function shownStatus(r: Pick<RunSummary, 'status' | 'interrupted'>): string {
  return r.interrupted ? 'interrupted' : r.status;
}

/**
 * The outcome so far, e.g. `1/4 succeeded · 2 failed · 1 skipped`: succeeded of all tasks, then
 * every other status that has tasks (never a bare percentage, which says nothing of success).
 */
export function outcomeText(c: RunCounts): string {
  const parts = [`${c.succeeded}/${c.total} succeeded`];
  const more: Array<[number, string]> = [
    [c.failed, 'failed'],
    [c.skipped, 'skipped'],
    [c.cancelled, 'cancelled'],
    [c.running, 'running'],
    [c.awaitingApproval, 'awaiting approval'],
    [c.blocked, 'blocked'],
    [c.ready, 'ready'],
    [c.pending, 'pending'],
  ];
  for (const [n, what] of more) if (n > 0) parts.push(`${n} ${what}`);
  return parts.join(' · ');
}

/**
 * Rows as aligned columns: each column as wide as its widest cell (long ids never break the
 * layout), two spaces between columns, the last column unpadded. `right` lists right-aligned columns.
 */
export function formatTable(rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 && !right.includes(i) ? cell : right.includes(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

/** `tutti list`: a header and one aligned line per run. */
export function runTable(runs: readonly RunSummary[]): string[] {
  return formatTable(
    [['RUN', 'STATUS', 'TASKS', 'ELAPSED', 'CREATED', 'NAME'], ...runs.map((r) => [r.id, shownStatus(r), outcomeText(r.counts), elapsed(r), r.createdAt.slice(0, 19).replace('T', ' '), r.name])],
    [3],
  );
}

/** One line of a run (after `tutti resume`). */
export function runLine(r: RunSummary): string {
  return `${r.id}  ${shownStatus(r)}  ${outcomeText(r.counts)}  ${elapsed(r)}  ${r.name}`;
}

function taskRow(t: TaskView): string[] {
  const last = t.attempts[t.attempts.length - 1];
  const attempts = t.attempts.length ? `${t.attempts.length} attempt${t.attempts.length > 1 ? 's' : ''}` : '';
  const agent = last ? `@${last.agentId}` : '';
  const why = t.blockedReason ? describeBlocked(t.blockedReason) : (last?.error?.message ?? '');
  return [t.id, t.status, attempts, agent, why.replace(/\s*\n\s*/g, ' ')];
}

/** The status line of a run: status, outcome, and for an interrupted run what to do. */
export function statusLines(v: RunSummary): string[] {
  const lines = [`status ${shownStatus(v)}  elapsed ${elapsed(v)}`, `tasks ${outcomeText(v.counts)}`];
  if (v.interrupted) lines.push(`interrupted: ${v.interrupted.reason}; ${v.interrupted.hint}`);
  else if (v.status === 'completed' && v.counts.failed > 0) lines.push(`completed with ${v.counts.failed} optional task${v.counts.failed > 1 ? 's' : ''} failed (continueOnFailure)`);
  return lines;
}

/** @param onlyUnsucceeded list only tasks that did not succeed (the end-of-run report). */
export function runDetails(v: RunView, maxTasks = 200, onlyUnsucceeded = false): string {
  const lines = [`run ${v.id}  ${v.name}`, ...statusLines(v)];
  if (v.error) lines.push(`error ${v.error}`);
  const listed = onlyUnsucceeded ? v.tasks.filter((t) => t.status !== 'succeeded') : v.tasks;
  const shown = listed.slice(0, maxTasks);
  for (const line of formatTable(shown.map(taskRow))) lines.push(`  ${line}`);
  if (listed.length > shown.length) lines.push(`  … ${listed.length - shown.length} more tasks (tutti status ${v.id} --json for all)`);
  return lines.join('\n');
}

export function eventLine(e: EventRecord): string {
  const who = e.taskId ? ` ${e.taskId}${e.attempt ? `#${e.attempt}` : ''}` : '';
  const data = e.data && Object.keys(e.data).length ? ` ${JSON.stringify(e.data)}` : '';
  return `${new Date(e.ts).toISOString()} ${String(e.seq).padStart(5)} ${e.type}${who}${data}`;
}

/** The run's merge queue, one line per entry: `merge queue: fix → main merged 1a2b3c4d5e6f`. */
export function mergeQueueLines(v: RunView): string[] {
  return (v.merges ?? []).map((m) => {
    const where = m.status === 'queued' && m.position !== undefined ? ` (${m.position} ahead)` : '';
    const what = m.status === 'merged' && m.mergedSha ? ` ${m.mergedSha.slice(0, 12)}` : m.message && m.status !== 'merged' ? `: ${m.message}` : '';
    return `merge queue: ${m.taskId} → ${m.target} ${m.status}${where}${what}`;
  });
}
