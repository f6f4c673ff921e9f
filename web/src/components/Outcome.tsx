/**
 * A run's outcome as parts, never a bare percentage: a bar with one segment per terminal status
 * (succeeded green, failed red, cancelled grey, skipped light grey) and running blue, the rest
 * empty; and the same in words. A failed run never shows a full green bar.
 */
import { STATUS_COLOURS } from '../format';
import type { RunCounts } from '../types';

const PARTS: Array<[keyof RunCounts, string]> = [
  ['succeeded', 'succeeded'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
  ['skipped', 'skipped'],
  ['running', 'running'],
];

/** `2/5 succeeded · 1 failed · 1 skipped` (the CLI says it the same way). */
export function outcomeText(c: RunCounts): string {
  const words = [`${c.succeeded}/${c.total} succeeded`];
  for (const [key, label] of [...PARTS.slice(1), ['awaitingApproval', 'awaiting approval'], ['blocked', 'blocked']] as Array<[keyof RunCounts, string]>) {
    if (c[key] > 0) words.push(`${c[key]} ${label}`);
  }
  return words.join(' · ');
}

export function OutcomeBar({ counts, big = false }: { counts: RunCounts; big?: boolean }) {
  const total = Math.max(1, counts.total);
  return (
    <span className={`outcome ${big ? 'big' : ''}`} data-testid="outcome-bar" title={outcomeText(counts)}>
      {PARTS.filter(([k]) => counts[k] > 0).map(([k]) => (
        <span key={k} data-part={k} style={{ width: `${(counts[k] * 100) / total}%`, background: STATUS_COLOURS[k] }} />
      ))}
    </span>
  );
}

/** The status people should see: `interrupted` when no live engine holds a run that says it goes on. */
export function shownStatus(r: { status: string; interrupted: unknown }): string {
  return r.interrupted ? 'interrupted' : r.status;
}
