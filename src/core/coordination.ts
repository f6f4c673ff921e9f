/**
 * Coordination records shared by attempts in different processes: merge queue entries and the
 * quota ledger of coding-agent CLIs. The store persists them (`store/coordination-types.ts`); the
 * engine hands drivers a client over them (`agents/types.ts` `AttemptCoordination`).
 */
export const MERGE_STATUSES = ['queued', 'merging', 'merged', 'conflict', 'failed', 'abandoned'] as const;
/**
 * `queued` → `merging` (its turn came) → `merged` | `conflict` (the branch does not merge onto the
 * current target) | `failed` (validation after the merge failed, or the target could not be
 * advanced) | `abandoned` (its attempt ended or died before the merge finished).
 */
export type MergeStatus = (typeof MERGE_STATUSES)[number];

/** Statuses of entries still waiting or merging. */
export const OPEN_MERGE_STATUSES: ReadonlySet<MergeStatus> = new Set(['queued', 'merging']);

/** How a merge ended (the statuses `CoordinationStore.finishMerge` accepts). */
export type MergeEnd = Exclude<MergeStatus, 'queued' | 'merging'>;

/** A merge to queue. */
export interface NewMerge {
  /** The repository's identity: its git common dir, absolute. */
  repo: string;
  /** Target branch (short name, e.g. `main`). */
  target: string;
  /** The run of the task whose work is merged (and of the owner attempt). */
  runId: string;
  /** The task whose work is merged. */
  taskId: string;
  /** The attempt doing the merge: the task's own attempt, or that of a merge step. */
  owner: { taskId: string; n: number };
  /** The branch being merged. */
  branch: string;
  /** The branch's head when queued (a commit sha). */
  head: string;
  /** Epoch ms. */
  now: number;
}

/** A merge queue entry. Times are epoch ms. */
export interface MergeEntry {
  /** Increasing: the queue's order. */
  id: number;
  repo: string;
  target: string;
  runId: string;
  taskId: string;
  ownerTaskId: string;
  ownerAttempt: number;
  branch: string;
  head: string;
  status: MergeStatus;
  enqueuedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** The target's commit after the merge (`merged` only). */
  mergedSha: string | null;
  /** One line: why it ended so (a conflict's files, the failing command…). */
  message: string | null;
}

export const QUOTA_STATES = ['rate_limited', 'capacity', 'out_of_credits'] as const;
/** Why a CLI cannot be called now: a usage limit, the provider at capacity or overloaded, or no credits left. */
export type QuotaState = (typeof QUOTA_STATES)[number];

/** What the ledger knows of one CLI and account. */
export interface QuotaRecord {
  /** `claude`, `codex`, `gemini`, `cursor`. */
  cli: string;
  /** Which credentials: a fingerprint of the API key in use, or `default` (the CLI's own login). */
  account: string;
  state: QuotaState;
  /** Epoch ms before which the CLI is not called. */
  until: number;
  /** Whether `until` came from the CLI (false: tutti's backoff for an unknown reset). */
  known: boolean;
  /** What the CLI said, one line. */
  message: string;
  /** Consecutive limits without a success in between (grows the backoff of unknown resets). */
  strikes: number;
  updatedAt: number;
}
