/**
 * The worktree of another task of the run, for steps that check or land its work (`tutti.check`
 * with `in`, `tutti.merge`): found through the task's workspace meta file, restored on its branch
 * when its directory was removed. A task that worked without a worktree (an agent writing into the
 * run's work dir) has none: steps then use the work dir, as before worktrees existed.
 */
import { readWorkspaceMeta, prepareWorkspace, workspaceMetaPath, type Workspace } from '../../workspace/worktree.js';

/** The task's worktree (restored if needed), or null when it has none. @throws TuttiError `ERR_WORKSPACE` when git fails. */
export async function taskWorkspace(dataDir: string, runId: string, taskId: string): Promise<Workspace | null> {
  const meta = readWorkspaceMeta(workspaceMetaPath(dataDir, runId, taskId));
  if (!meta || meta.mode !== 'worktree') return null;
  return prepareWorkspace({ repoDir: meta.repoRoot, dataDir, runId, taskId, ...(meta.branch ? { branch: meta.branch } : {}), ...(meta.target ? { target: meta.target } : {}) });
}
