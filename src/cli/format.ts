/** Human output of runs, tasks and events (the `--json` forms are the RunView objects as they are). */
import type { BlockedReason, EventRecord } from '../core/model.js';
import { describeBlockedReason, type RunSummary, type RunView, type TaskView } from '../core/run-view.js';

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

function elapsed(v: Pick<RunSummary, 'startedAt' | 'finishedAt' | 'createdAt'>): string {
  const start = Date.parse(v.startedAt ?? v.createdAt);
  const end = v.finishedAt ? Date.parse(v.finishedAt) : Date.now();
  return formatDuration(end - start);
}

export function runLine(r: RunSummary): string {
  return `${r.id}  ${r.status.padEnd(17)} ${String(r.progress).padStart(3)}%  ${r.counts.total} tasks  ${elapsed(r).padStart(7)}  ${r.name}`;
}

function taskLine(t: TaskView): string {
  const last = t.attempts[t.attempts.length - 1];
  const attempts = t.attempts.length ? `${t.attempts.length} attempt${t.attempts.length > 1 ? 's' : ''}` : '';
  const agent = last ? `@${last.agentId}` : '';
  const why = t.blockedReason ? describeBlocked(t.blockedReason) : (last?.error?.message ?? '');
  return `  ${t.id.padEnd(28)} ${t.status.padEnd(17)} ${attempts.padEnd(11)} ${agent.padEnd(12)} ${why}`.trimEnd();
}

/** @param onlyUnsucceeded list only tasks that did not succeed (the end-of-run report). */
export function runDetails(v: RunView, maxTasks = 200, onlyUnsucceeded = false): string {
  const c = v.counts;
  const lines = [
    `run ${v.id}  ${v.name}`,
    `status ${v.status}  progress ${v.progress}%  elapsed ${elapsed(v)}`,
    `tasks ${c.total}: ${c.succeeded} succeeded, ${c.failed} failed, ${c.running} running, ${c.ready} ready, ${c.pending} pending, ${c.blocked} blocked, ${c.skipped} skipped, ${c.cancelled} cancelled`,
  ];
  if (v.error) lines.push(`error ${v.error}`);
  const listed = onlyUnsucceeded ? v.tasks.filter((t) => t.status !== 'succeeded') : v.tasks;
  const shown = listed.slice(0, maxTasks);
  for (const t of shown) lines.push(taskLine(t));
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
