/** Row shapes of the merge queue and the quota ledger, and their mapping to records: the same columns on every backend. */
import type { MergeEntry, QuotaRecord } from './coordination-types.js';

export interface MergeRow {
  id: number;
  repo: string;
  target: string;
  run_id: string;
  task_id: string;
  owner_task_id: string;
  owner_attempt: number;
  branch: string;
  head: string;
  status: MergeEntry['status'];
  enqueued_at: number;
  started_at: number | null;
  finished_at: number | null;
  merged_sha: string | null;
  message: string | null;
}

export interface QuotaRow {
  cli: string;
  account: string;
  state: QuotaRecord['state'];
  until: number;
  known: number | boolean;
  message: string;
  strikes: number;
  updated_at: number;
}

/** Maps a merge queue row (both backends use the same columns). */
export function toMergeEntry(r: MergeRow): MergeEntry {
  return {
    id: Number(r.id),
    repo: r.repo,
    target: r.target,
    runId: r.run_id,
    taskId: r.task_id,
    ownerTaskId: r.owner_task_id,
    ownerAttempt: Number(r.owner_attempt),
    branch: r.branch,
    head: r.head,
    status: r.status,
    enqueuedAt: Number(r.enqueued_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    mergedSha: r.merged_sha,
    message: r.message,
  };
}

/** Maps a quota ledger row (both backends). */
export function toQuotaRecord(r: QuotaRow): QuotaRecord {
  return { cli: r.cli, account: r.account, state: r.state, until: Number(r.until), known: Boolean(r.known), message: r.message, strikes: Number(r.strikes), updatedAt: Number(r.updated_at) };
}
