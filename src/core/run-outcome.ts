/**
 * How a run whose tasks have all ended is judged (docs/architecture.md, "When a run fails"). Both
 * stores apply it where a run ends, so the status, the `run:*` event and the CLI's exit code agree.
 */

/** The status and error of a run whose every task is in a terminal status. */
export type EndedRunOutcome = { status: 'completed' } | { status: 'failed'; error: string };

/**
 * The run status rule:
 * - a task that fails without `continueOnFailure` fails the run at once (the store's `endRun`);
 * - once every task has ended, the run is `completed` when at least one task succeeded or none
 *   failed (optional failures are allowed: `counts.failed` says how many), and `failed` when some
 *   task failed and none succeeded: a run where every task failed, or every task that was not
 *   skipped failed, is never `completed`.
 * A run with no task at all is `completed`. The CLI exits 0 for `completed` and 1 otherwise.
 * @param failed tasks ending `failed`.
 * @param succeeded tasks ending `succeeded` (approvals granted count too).
 */
export function endedRunOutcome(failed: number, succeeded: number): EndedRunOutcome {
  if (failed > 0 && succeeded === 0) return { status: 'failed', error: `every task failed or was skipped (${failed} failed)` };
  return { status: 'completed' };
}
