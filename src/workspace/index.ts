/** Workspaces of coding tasks: git worktrees, path guards, commits, validation, merge-back, PRs, reconciliation. */
export { splitCommandLine, toArgv, formatArgv } from './argv.js';
export { git, repoRoot, revParse, currentBranch, type GitOptions, type GitResult } from './git.js';
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
  type Workspace,
  type WorkspaceSpec,
  type WorkspaceMode,
} from './worktree.js';
export { listWorktrees, reconcileWorktrees, pruneOrphans, type GitWorktree, type Reconciliation, type OrphanWorktree, type TrackedWorkspace, type TaskLiveness } from './reconcile.js';
export { mergeBack, type MergeResult } from './merge.js';
export { openPullRequest, pullRequestInfo, fetchPullRequestBranch, type GhOptions, type PullRequestInfo, type PullRequestOptions, type PullRequestResult } from './pr.js';
