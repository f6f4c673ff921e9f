/** Folding of the grouped counts every backend's `stats()` reads (one shape for SQLite and PostgreSQL). */
import type { RunStatus } from '../core/model.js';
import type { StoreStats } from './types.js';

/** `template, status, n` rows → template → status → n. */
export function byTemplate(rows: ReadonlyArray<{ template: unknown; status: RunStatus; n: number | string }>): StoreStats['runsByTemplate'] {
  const out: StoreStats['runsByTemplate'] = {};
  for (const r of rows) {
    if (typeof r.template !== 'string') continue;
    (out[r.template] ??= {})[r.status] = Number(r.n);
  }
  return out;
}

/** Human attempts by status → decisions: an approval is a succeeded one, a rejection a failed one. */
export function decisionCounts(rows: ReadonlyArray<{ status: string; n: number | string }>): StoreStats['decisions'] {
  const n = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
  return { approved: n('succeeded'), rejected: n('failed') };
}
