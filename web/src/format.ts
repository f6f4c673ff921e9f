/** Human text for statuses, blocked reasons, durations and times. */
import type { BlockedReason } from './types';

export const STATUS_COLOURS: Record<string, string> = {
  pending: '#9ca3af',
  ready: '#93c5fd',
  queued: '#93c5fd',
  running: '#3b82f6',
  succeeded: '#22c55e',
  completed: '#22c55e',
  failed: '#ef4444',
  cancelled: '#6b7280',
  skipped: '#cbd5e1',
  blocked: '#f59e0b',
  awaiting_approval: '#a855f7',
  expired: '#78716c',
  interrupted: '#f97316',
  merged: '#22c55e',
  merging: '#3b82f6',
  conflict: '#ef4444',
  abandoned: '#6b7280',
};

export function describeBlocked(r: BlockedReason | null): string {
  if (!r) return '';
  const list = (v: unknown) => (Array.isArray(v) ? v.join(', ') : '');
  const when = (v: unknown) => (typeof v === 'number' ? new Date(v).toLocaleTimeString() : '');
  switch (r.kind) {
    case 'dependencies':
      return `waiting on ${list(r.waitingOn)}`;
    case 'no_capable_agent':
      return `no capable agent: ${String(r.message ?? '')}`;
    case 'agent_capacity':
      return `agents at capacity: ${list(r.agents)}`;
    case 'concurrency_limit':
      return `${String(r.scope)} concurrency limit ${String(r.limit)}`;
    case 'retry_backoff':
      return `retry at ${when(r.until)}`;
    case 'rate_limited':
      return `rate-limited until ${when(r.until)}`;
    case 'budget_exhausted':
      return `budget exhausted: ${String(r.message ?? '')}`;
    case 'awaiting_approval':
      return 'awaiting approval';
    case 'queued':
      return 'queued for a worker';
    default:
      return r.kind;
  }
}

export function duration(fromIso: string | null, toIso: string | null): string {
  if (!fromIso) return '';
  const ms = (toIso ? Date.parse(toIso) : Date.now()) - Date.parse(fromIso);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const m = Math.floor(ms / 60_000);
  return m < 60 ? `${m} min ${Math.round((ms % 60_000) / 1000)} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function time(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '';
}
