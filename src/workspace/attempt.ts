/**
 * Attempts on a task's branch. Every attempt of a coding task — a loop iteration, a retry, a
 * rewind after a rejection, a resume after a crash — starts from what happened before:
 *
 * - `continue` (the default): from the tip of the task's branch, which holds the earlier attempts'
 *   work; when the target branch moved on meanwhile (other tasks merged), it is merged in first, and
 *   a conflict is left in the worktree for the agent to resolve (its prompt says which files);
 * - `fresh`: from the target's current tip; earlier attempts' work stays under their refs only.
 *
 * Whatever it does, each attempt's commits stay reachable under a ref of its own,
 * `refs/tutti/<run>/<task>/<n>` (the attempt's last commit), so a later reset of the branch never
 * loses them and every attempt can be shown and diffed (`git diff <attemptBase> <ref>`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changedPaths, commitAll, touchedPaths } from './commit.js';
import { git, identityArgs, revParse } from './git.js';
import type { Workspace } from './worktree.js';

/** How an attempt starts relative to the earlier attempts of its task (docs/coding-agents.md). */
export type AttemptStart = 'continue' | 'fresh';

/** A ref-safe segment: what git refuses in ref names becomes `-`. */
function segment(s: string): string {
  return (
    s
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[.-]+/, '')
      .replace(/(\.lock|\.)+$/i, '') || 'x'
  );
}

/** `refs/tutti/<run>/<task>/<n>`: where an attempt's last commit is kept. */
export function attemptRef(runId: string, taskId: string, n: number): string {
  return `refs/tutti/${segment(runId)}/${segment(taskId)}/${n}`;
}

/** Points an attempt's ref at `sha` (creating or moving it). */
export async function setAttemptRef(repo: string, ref: string, sha: string): Promise<void> {
  await git(['update-ref', ref, sha], repo);
}

/** A merge of the target into the task's branch that stopped on conflicts, left for the agent. */
export interface PendingMerge {
  /** The target's commit being merged in. */
  from: string;
  target: string;
  /** Repository-relative paths with conflicts. */
  files: string[];
}

/** What {@link startAttempt} did before the agent runs. */
export interface AttemptStartResult {
  /** The commit the attempt starts from: its diff base. */
  base: string;
  /** The commit that checkpointed an interrupted attempt's leftovers, if any. */
  checkpoint: string | null;
  /** The target's commit merged into the branch before the agent (cleanly). */
  updatedFrom: string | null;
  /** A conflicting merge of the target, left for the agent to resolve. */
  conflict: PendingMerge | null;
}

/**
 * Gets the workspace ready for attempt `n`.
 * @param interrupted the previous attempt (`n - 1`) was cut short (engine killed or stopped): its
 *   leftovers are committed as a checkpoint and its ref moved there, before anything else.
 * @throws TuttiError `ERR_WORKSPACE` when git fails.
 */
export async function startAttempt(ws: Workspace, o: { runId: string; taskId: string; n: number; start: AttemptStart; interrupted: boolean; checkpointMessage: string }): Promise<AttemptStartResult> {
  let checkpoint: string | null = null;
  if (o.interrupted && o.n > 1) {
    // A merge the interrupted agent was resolving is committed as it stands (nothing is lost); the
    // files it had in conflict are checked for markers again at the end of this attempt.
    const mergingFrom = await revParse(ws.dir, 'MERGE_HEAD');
    const unresolved = mergingFrom ? await conflictedFiles(ws.dir) : [];
    const made = await commitAll(ws.dir, o.checkpointMessage, ws.copied);
    const head = (await revParse(ws.dir, 'HEAD'))!;
    if (made) checkpoint = made;
    await setAttemptRef(ws.repoRoot, attemptRef(o.runId, o.taskId, o.n - 1), head);
    if (mergingFrom && ws.target) {
      const left = filesWithMarkers(ws.dir, unresolved);
      if (left.length) return { base: head, checkpoint, updatedFrom: null, conflict: { from: mergingFrom, target: ws.target, files: left } };
    }
  } else if (await mergeInProgress(ws.dir)) {
    // Left by an attempt that failed or was cancelled mid-resolution: start clean from its commit.
    await git(['merge', '--abort'], ws.dir, { allowFail: true });
  }
  const targetTip = ws.target && ws.mode === 'worktree' ? await revParse(ws.repoRoot, `refs/heads/${ws.target}`) : null;
  if (o.start === 'fresh' && targetTip && o.n > 1) {
    await git(['reset', '--hard', '--quiet', targetTip], ws.dir);
    await git(['clean', '-fdq', ...ws.copied.flatMap((f) => ['-e', `/${f}`])], ws.dir);
    return { base: targetTip, checkpoint, updatedFrom: null, conflict: null };
  }
  const head = (await revParse(ws.dir, 'HEAD'))!;
  if (!targetTip || (await isAncestor(ws.dir, targetTip, head))) return { base: head, checkpoint, updatedFrom: null, conflict: null };
  // The target moved on since the branch last saw it: bring its changes in first.
  const r = await git([...(await identityArgs(ws.dir)), 'merge', '--no-edit', '--no-verify', '--quiet', '-m', `Merge ${ws.target} into ${ws.branch ?? 'the task branch'} before attempt ${o.n}`, targetTip], ws.dir, { allowFail: true });
  if (r.code === 0) return { base: (await revParse(ws.dir, 'HEAD'))!, checkpoint, updatedFrom: targetTip, conflict: null };
  const files = await conflictedFiles(ws.dir);
  if (!files.length) {
    // Not a conflict (a hook, an untracked file in the way…): undo and let the merge queue report it later.
    await git(['merge', '--abort'], ws.dir, { allowFail: true });
    return { base: head, checkpoint, updatedFrom: null, conflict: null };
  }
  return { base: head, checkpoint, updatedFrom: null, conflict: { from: targetTip, target: ws.target!, files } };
}

/** Whether `a` is an ancestor of (or equal to) `b`. */
export async function isAncestor(dir: string, a: string, b: string): Promise<boolean> {
  return (await git(['merge-base', '--is-ancestor', a, b], dir, { allowFail: true })).code === 0;
}

/** Whether a merge is in progress in the worktree (MERGE_HEAD exists). */
export async function mergeInProgress(dir: string): Promise<boolean> {
  return (await revParse(dir, 'MERGE_HEAD')) !== null;
}

/** Paths with unresolved conflicts (unmerged index entries). */
export async function conflictedFiles(dir: string): Promise<string[]> {
  const r = await git(['diff', '--name-only', '--diff-filter=U', '-z'], dir, { allowFail: true });
  return r.stdout.split('\0').filter(Boolean);
}

const MARKER = /^(<{7}|>{7}) /m;

/** Files among `paths` that still hold conflict markers (`<<<<<<< ` / `>>>>>>> ` lines). */
export function filesWithMarkers(dir: string, paths: readonly string[]): string[] {
  return paths.filter((p) => {
    try {
      return MARKER.test(readFileSync(join(dir, p), 'utf8'));
    } catch {
      return false;
    }
  });
}

/**
 * The paths an attempt changed: between its base and HEAD, except that when HEAD merges the
 * target (a conflict the agent resolved), a path counts only where HEAD differs from both sides —
 * the target's own changes are not the agent's.
 */
export async function attemptTouched(dir: string, base: string, mergedFrom: string | null): Promise<string[]> {
  const own = touchedPaths(await changedPaths(dir, base));
  if (!mergedFrom) return own;
  const vsTarget = new Set(touchedPaths(await changedPaths(dir, mergedFrom)));
  return own.filter((p) => vsTarget.has(p));
}

/** The conflicting hunks of a merge in progress, for the agent's prompt (trimmed). */
export async function conflictDiff(dir: string, maxChars = 6000): Promise<string> {
  const r = await git(['diff', '--no-color'], dir, { allowFail: true });
  const text = r.stdout.trim();
  return text.length > maxChars ? `${text.slice(0, maxChars)}\n… (${text.length - maxChars} more characters)` : text;
}
