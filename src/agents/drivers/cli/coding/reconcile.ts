/** Worktree reconciliation against an engine's store: which tutti worktrees belong to tasks still to run. */
import type { Engine } from '../../../../core/engine.js';
import { isTerminalRunStatus } from '../../../../core/model.js';
import { reconcileWorktrees, type Reconciliation, type TaskLiveness } from '../../../../workspace/reconcile.js';

const FINISHED_TASK = new Set(['succeeded', 'failed', 'cancelled', 'skipped']);

/** Reconciles the worktrees of the repository containing `repoDir` with the engine's store. */
export async function reconcileWithEngine(engine: Pick<Engine, 'getRun'>, repoDir: string, dataDir: string): Promise<Reconciliation> {
  const runs = new Map<string, Awaited<ReturnType<Engine['getRun']>>>();
  const lookup = async (runId: string, taskId: string): Promise<TaskLiveness> => {
    if (!runs.has(runId)) runs.set(runId, await engine.getRun(runId));
    const run = runs.get(runId);
    if (!run) return 'unknown';
    if (isTerminalRunStatus(run.status)) return 'finished';
    const task = run.tasks.find((t) => t.id === taskId);
    if (!task) return 'unknown';
    return FINISHED_TASK.has(task.status) ? 'finished' : 'active';
  };
  return reconcileWorktrees({ repoDir, dataDir, lookup });
}
