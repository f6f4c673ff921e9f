/** Workspaces of coding tasks: git worktrees, attempts and their refs, path guards, the boundary, commits, validation, the merge queue, PRs, reconciliation. */
export { splitCommandLine, toArgv, formatArgv } from './argv.js';
export { git, repoRoot, revParse, currentBranch, listWorktrees, type GitOptions, type GitResult, type GitWorktree } from './git.js';
export { checkPaths, globToRegExp, matchesAny, normaliseRepoPath, type PathViolation } from './paths.js';
export { commitAll, commitsBetween, changedPaths, touchedPaths, rewindBranch, type CommitInfo, type ChangedPath } from './commit.js';
export { runValidation, type ValidationOptions, type ValidationResult, type CommandResult } from './validate.js';
export {
  prepareWorkspace,
  removeWorkspace,
  removalBlocker,
  reachableFromKeptRef,
  defaultBranchName,
  worktreePath,
  readWorkspaceMeta,
  workspaceMetaPath,
  type Workspace,
  type WorkspaceSpec,
  type WorkspaceMode,
} from './worktree.js';
export { reconcileWorktrees, pruneOrphans, type Reconciliation, type OrphanWorktree, type TrackedWorkspace, type TaskLiveness } from './reconcile.js';
export { landBranch, repositoryId, type LandOptions, type LandResult } from './merge-queue.js';
export { attemptRef, startAttempt, attemptTouched, conflictedFiles, type AttemptStart, type AttemptStartResult, type PendingMerge } from './attempt.js';
export { snapshotTree, compareSnapshots, type TreeSnapshot, type BoundaryChange } from './boundary.js';
export { openPullRequest, pullRequestInfo, fetchPullRequestBranch, type GhOptions, type PullRequestInfo, type PullRequestOptions, type PullRequestResult } from './pr.js';
