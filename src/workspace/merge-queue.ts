/**
 * Landing a task's validated branch in its target through the durable merge queue
 * (`core/coordination.ts`): one merge into a (repository, target branch) at a time, in queue order,
 * across processes and workers. When its turn comes, the branch is brought onto the target's
 * current tip (the target merged into it, in the task's worktree), the task's validation runs again
 * on that result when the target had moved, and only then does the target advance — to exactly the
 * tree that was validated (a fast-forward). This is how GitHub's and GitLab's merge queues keep a
 * branch green; tutti runs it locally, in the store.
 *
 * A conflict, or validation failing on the merged result, ends the entry and is returned for the
 * caller to send back to the agent; nothing reaches the target then.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AttemptCoordination } from '../agents/types.js';
import type { MergeEnd, MergeEntry } from '../core/coordination.js';
import { errorMessage } from '../core/errors.js';
import { conflictDiff, conflictedFiles, isAncestor } from './attempt.js';
import { git, identityArgs, listWorktrees, revParse } from './git.js';
import type { ValidationResult } from './validate.js';

export interface LandOptions {
  /** The worktree holding the branch (the merge of the target into it happens there). */
  dir: string;
  /** Any directory of the repository (its main checkout). */
  repoRoot: string;
  branch: string;
  target: string;
  /** The task whose work this is. */
  taskId: string;
  coordination: AttemptCoordination;
  /** Runs the task's validation in `dir`; called only when the target had moved on. Null: no validation. */
  validate: (() => Promise<ValidationResult>) | null;
  signal: AbortSignal;
  /** Progress lines (`waiting to merge into main: 2 ahead`). */
  info: (line: string) => void;
  /** How often a waiting entry asks for its turn, ms. @default 250 */
  pollMs?: number;
}

/** How landing ended. */
export type LandResult =
  | { status: 'merged'; sha: string; entry: MergeEntry | null; message: string }
  | { status: 'conflict'; files: string[]; diff: string; entry: MergeEntry; message: string }
  | { status: 'failed'; entry: MergeEntry; message: string; validation?: ValidationResult; retryable: boolean }
  | { status: 'cancelled'; entry: MergeEntry | null; message: string };

/** The repository's identity for the merge queue: its git common dir, absolute. */
export async function repositoryId(dir: string): Promise<string> {
  return (await git(['rev-parse', '--path-format=absolute', '--git-common-dir'], dir)).stdout.trim();
}

/** Waits `ms`, or less when `signal` aborts (never rejects). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).catch(() => undefined);

/** Times the target may move outside the queue (a person pushing) before landing gives up. */
const MAX_RACES = 5;

/**
 * Lands `branch` in `target` through the merge queue. Never throws for git or validation
 * failures: they are results (a thrown error means the store failed).
 */
export async function landBranch(o: LandOptions): Promise<LandResult> {
  const head = await revParse(o.dir, 'HEAD');
  const tip0 = await revParse(o.repoRoot, `refs/heads/${o.target}`);
  if (!head) throw new Error(`${o.dir} has no HEAD`);
  if (!tip0) return { status: 'cancelled', entry: null, message: `target branch ${o.target} does not exist: nothing merged` };
  if (await isAncestor(o.dir, head, tip0)) return { status: 'merged', sha: tip0, entry: null, message: `${o.branch} is already in ${o.target}` };

  const repo = await repositoryId(o.repoRoot);
  const entry = await o.coordination.enqueueMerge({ repo, target: o.target, taskId: o.taskId, branch: o.branch, head });
  const end = async (status: MergeEnd, message: string, sha: string | null = null) => o.coordination.finishMerge(entry.id, { status, message, mergedSha: sha });
  try {
    // 1. Wait for its turn.
    let said = '';
    for (;;) {
      if (o.signal.aborted) return { status: 'cancelled', entry: await end('abandoned', 'the attempt was stopped while it waited to merge'), message: 'stopped while waiting to merge' };
      const turn = await o.coordination.acquireMerge(entry.id);
      if (turn.position === 0) break;
      const line = `waiting to merge into ${o.target}: ${turn.position} ahead (next: ${turn.ahead!.runId}/${turn.ahead!.taskId})`;
      if (line !== said) o.info(line);
      said = line;
      await sleep(o.pollMs ?? 250, o.signal);
    }
    o.info(`merging ${o.branch} into ${o.target}`);
    for (let race = 0; ; race++) {
      // 2. Onto the current target.
      const tip = (await revParse(o.repoRoot, `refs/heads/${o.target}`))!;
      const before = (await revParse(o.dir, 'HEAD'))!;
      const moved = !(await isAncestor(o.dir, tip, before));
      if (moved) {
        const r = await git([...(await identityArgs(o.dir)), 'merge', '--no-edit', '--no-verify', '--quiet', '-m', `Merge ${o.target} into ${o.branch}`, tip], o.dir, { allowFail: true });
        if (r.code !== 0) {
          const files = await conflictedFiles(o.dir);
          const diff = files.length ? await conflictDiff(o.dir) : '';
          await git(['merge', '--abort'], o.dir, { allowFail: true });
          const why = files.length ? `conflicts with ${o.target} in ${files.join(', ')}` : `git merge failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`;
          const e = await end(files.length ? 'conflict' : 'failed', why);
          return files.length ? { status: 'conflict', files, diff, entry: e, message: why } : { status: 'failed', entry: e, message: why, retryable: true };
        }
        // 3. Validation again, on what would land.
        if (o.validate) {
          o.info(`${o.target} moved on: validating the merged result`);
          const v = await o.validate();
          if (v.aborted) return { status: 'cancelled', entry: await end('abandoned', 'the attempt was stopped during validation after the merge'), message: 'stopped during validation' };
          if (!v.ok) {
            const why = `validation failed after merging ${o.target}: \`${v.failure!.command}\` ${v.failure!.reason}`;
            return { status: 'failed', entry: await end('failed', why), message: why, validation: v, retryable: true };
          }
        }
      }
      // 4. Advance the target to exactly what was validated.
      const sha = (await revParse(o.dir, 'HEAD'))!;
      const advanced = await advanceTarget(o.repoRoot, o.target, tip, sha);
      if (advanced === 'moved') {
        if (race >= MAX_RACES) return { status: 'failed', entry: await end('failed', `${o.target} kept moving outside the merge queue`), message: `${o.target} kept moving outside the merge queue`, retryable: true };
        continue;
      }
      if (advanced !== 'ok') return { status: 'failed', entry: await end('failed', advanced), message: advanced, retryable: false };
      const message = `merged ${o.branch} into ${o.target} (${sha.slice(0, 12)})`;
      return { status: 'merged', sha, entry: await end('merged', message, sha), message };
    }
  } catch (e) {
    await end('failed', `merge failed: ${errorMessage(e)}`).catch(() => undefined);
    throw e;
  }
}

/**
 * Moves `target` from `from` to `to` (a descendant): a fast-forward in the checkout that has it
 * (its files follow), or a compare-and-swap of the ref when nobody has it checked out.
 * @returns 'ok', 'moved' (the target is no longer at `from`), or why it cannot.
 */
async function advanceTarget(repo: string, target: string, from: string, to: string): Promise<'ok' | 'moved' | string> {
  const checkout = (await listWorktrees(repo)).find((w) => w.branch === target && !w.bare && !w.prunable);
  if (!checkout) {
    const r = await git(['update-ref', `refs/heads/${target}`, to, from], repo, { allowFail: true });
    return r.code === 0 ? 'ok' : 'moved';
  }
  if ((await revParse(checkout.path, 'HEAD')) !== from) return 'moved';
  const r = await git(['merge', '--ff-only', '--quiet', to], checkout.path, { allowFail: true });
  if (r.code === 0) return 'ok';
  if ((await revParse(checkout.path, 'HEAD')) !== from) return 'moved';
  const said = (r.stderr || r.stdout).trim().split('\n').filter(Boolean);
  return `cannot advance ${target} in ${checkout.path}: ${said.slice(0, 4).join(' ') || `git merge exited ${r.code}`} — commit or stash those changes, then merge ${to.slice(0, 12)} yourself (git merge --ff-only ${to.slice(0, 12)})`;
}
