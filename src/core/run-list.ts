/**
 * Lists of runs as people see them: the store's page of runs (newest first), each with its tasks
 * counted by status and, for runs that say they go on, whether a live engine holds them. Used by
 * the engine (`Engine.listRuns`, the API, the dashboard) and by `tutti list`, which reads the store
 * without an engine.
 */
import type { RunFilter, Store } from '../store/types.js';
import { interruptionOf } from './interrupted.js';
import { runCounts, runSummary, type RunSummary } from './run-view.js';

/**
 * @param now epoch ms (for the workers' heartbeats).
 * @returns at most `filter.limit` summaries, newest first (creation time, then id).
 */
export async function listRunSummaries(store: Store, filter: RunFilter, now: number): Promise<RunSummary[]> {
  const runs = await store.listRuns(filter);
  if (!runs.length) return [];
  const open = runs.filter((r) => r.status === 'queued' || r.status === 'running').map((r) => r.id);
  const [counts, running, workers] = await Promise.all([
    store.countTasksOfRuns(runs.map((r) => r.id)),
    open.length ? store.listRunningAttempts(open) : Promise.resolve([]),
    open.length ? store.listWorkers() : Promise.resolve([]),
  ]);
  return runs.map((r) =>
    runSummary(
      r,
      runCounts(counts.get(r.id) ?? {}),
      interruptionOf(r, running.filter((a) => a.runId === r.id), workers, now),
    ),
  );
}
