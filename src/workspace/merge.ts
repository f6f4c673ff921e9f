/**
 * Merge-back: a validated task branch merged into the branch the task started from. Only when it
 * cannot disturb anyone: in the checkout that has the target branch when that checkout is clean, or
 * as a fast-forward of a branch nobody has checked out. Otherwise the branch is left as it is.
 */
import { currentBranch, git, identityArgs, revParse } from './git.js';
import { listWorktrees } from './reconcile.js';

export interface MergeResult {
  merged: boolean;
  /** What happened, one line. */
  message: string;
  /** The target branch's commit after the merge. */
  head?: string;
}

/**
 * Merges `branch` into `into`.
 * @param repo any directory of the repository.
 */
export async function mergeBack(repo: string, branch: string, into: string | null): Promise<MergeResult> {
  if (!into) return { merged: false, message: `the task started on a detached HEAD: branch ${branch} left for you to merge` };
  if (into === branch) return { merged: false, message: `the task worked on ${into} itself: nothing to merge` };
  const tip = await revParse(repo, `refs/heads/${branch}`);
  const target = await revParse(repo, `refs/heads/${into}`);
  if (!tip || !target) return { merged: false, message: `branch ${!tip ? branch : into} is gone: nothing merged` };
  const checkout = (await listWorktrees(repo)).find((w) => w.branch === into && !w.bare && !w.prunable);
  if (!checkout) {
    const ff = await git(['merge-base', '--is-ancestor', target, tip], repo, { allowFail: true });
    if (ff.code !== 0) return { merged: false, message: `${into} moved on and is not checked out anywhere: merge ${branch} by hand` };
    await git(['update-ref', `refs/heads/${into}`, tip, target], repo);
    return { merged: true, message: `fast-forwarded ${into} to ${branch}`, head: tip };
  }
  if ((await currentBranch(checkout.path)) !== into) return { merged: false, message: `${into} is not checked out at ${checkout.path}: branch ${branch} left` };
  const dirty = await git(['status', '--porcelain', '--untracked-files=no'], checkout.path);
  if (dirty.stdout.trim()) return { merged: false, message: `${checkout.path} has uncommitted changes: branch ${branch} left for you to merge into ${into}` };
  const r = await git([...(await identityArgs(checkout.path)), 'merge', '--no-edit', '--quiet', branch], checkout.path, { allowFail: true });
  if (r.code !== 0) {
    await git(['merge', '--abort'], checkout.path, { allowFail: true });
    return { merged: false, message: `merging ${branch} into ${into} conflicts: branch left for you to merge` };
  }
  return { merged: true, message: `merged ${branch} into ${into}`, head: (await revParse(checkout.path, 'HEAD')) ?? undefined };
}
