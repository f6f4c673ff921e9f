/**
 * The coordination part of the Store contract: what attempts running in different processes (or on
 * different machines sharing a PostgreSQL store) must agree on beyond their own rows.
 *
 * - The **merge queue**: merges into one target branch of one repository happen one at a time, in
 *   the order they were queued, across processes and workers (docs/coding-agents.md, "Merge
 *   queue"). An entry belongs to the attempt doing the merge; it stays at the head of its queue
 *   only while that attempt runs, so a crashed worker never blocks the queue: the next `acquire`
 *   marks the dead owner's entry `abandoned` and moves on. Follows the shape of GitHub's and
 *   GitLab's merge queues (bring the change onto the current target, re-validate, then advance).
 * - The **quota ledger**: what each coding-agent CLI (per account) said about its limits — rate
 *   limited, at capacity, out of credits — and until when, so no task calls a CLI before its known
 *   reset, across tasks, runs and engine restarts.
 *
 * Policy (when to park, how long for an unknown reset) lives outside the store: the store keeps
 * and orders records, nothing more.
 */
import type { EventRecord } from '../core/model.js';
import type { MergeEnd, MergeEntry, NewMerge, QuotaRecord } from '../core/coordination.js';

export { MERGE_STATUSES, OPEN_MERGE_STATUSES, QUOTA_STATES } from '../core/coordination.js';
export type { MergeEnd, MergeEntry, MergeStatus, NewMerge, QuotaRecord, QuotaState } from '../core/coordination.js';

/** Where an entry stands after {@link CoordinationStore.acquireMerge}. */
export interface MergeTurn {
  entry: MergeEntry;
  /** 0: its turn (now `merging`); n: open entries ahead of it. */
  position: number;
  /** The first open entry ahead of it (null at position 0). */
  ahead: MergeEntry | null;
  /** Events the call appended (entries of dead owners abandoned, this one started). */
  events: EventRecord[];
}

export interface MergeFilter {
  runId?: string;
  /** The task whose work is merged. */
  taskId?: string;
  repo?: string;
  target?: string;
  /** Only `queued` and `merging` entries. */
  open?: boolean;
  /** Newest entries, at most this many (returned oldest first). @default 500 */
  limit?: number;
}

/** The coordination operations every backend implements (see the module comment). */
export interface CoordinationStore {
  /**
   * Queues a merge. Idempotent per owner attempt: queuing again returns its entry unchanged.
   * Appends `merge:queued` to the run's events.
   */
  enqueueMerge(merge: NewMerge): Promise<{ entry: MergeEntry; events: EventRecord[] }>;
  /**
   * Asks for the entry's turn, in one transaction: open entries ahead of it whose owner attempt no
   * longer runs become `abandoned`; if it is then the first open entry of its (repo, target), it
   * becomes `merging` (`merge:started`). Calling it again while `merging` is a no-op at position 0.
   * @throws TuttiError `ERR_INVALID_INPUT` for an unknown id, `ERR_INVALID_TRANSITION` when the entry already ended.
   */
  acquireMerge(id: number, now: number): Promise<MergeTurn>;
  /**
   * Ends an entry (`merge:finished`). Ending one already ended changes nothing.
   * @throws TuttiError `ERR_INVALID_INPUT` for an unknown id.
   */
  finishMerge(id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }, now: number): Promise<{ entry: MergeEntry; events: EventRecord[] }>;
  /** Entries, oldest first. */
  listMerges(filter?: MergeFilter): Promise<MergeEntry[]>;

  /** Every ledger record (expired ones included: `until` says). */
  listQuotas(): Promise<QuotaRecord[]>;
  /** Inserts or replaces the record of (cli, account). */
  recordQuota(record: QuotaRecord): Promise<void>;
  /** Forgets (cli, account) — after a successful call. @returns whether a record existed. */
  clearQuota(cli: string, account: string): Promise<boolean>;
}
