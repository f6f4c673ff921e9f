/**
 * Workspace steps around the agent: the setup command of a new worktree, and what happens to the
 * worktree when an attempt ends (kept for the next iteration, or removed once nothing would be lost).
 */
import { rmSync } from 'node:fs';
import { errorMessage } from '../../../../core/errors.js';
import type { AttemptError } from '../../../../core/model.js';
import type { AttemptContext } from '../../../types.js';
import { toArgv } from '../../../../workspace/argv.js';
import { git, revParse } from '../../../../workspace/git.js';
import { runValidation } from '../../../../workspace/validate.js';
import { removalBlocker, removeWorkspace, type Workspace } from '../../../../workspace/worktree.js';

/** Log of the setup command, beside the attempt's log. */
export function setupLogPath(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.setup.log`;
}

/**
 * Runs the setup command in a new worktree. On failure the worktree (and the branch it created)
 * is discarded, so the next attempt starts over and runs setup again.
 * @returns null when setup passed, else why not.
 */
export async function setupWorkspace(
  ctx: AttemptContext,
  signal: AbortSignal,
  ws: Workspace,
  setup: string | string[],
  timeoutMs: number,
  opts: { killGraceMs: number; baseEnv: NodeJS.ProcessEnv },
): Promise<{ cancelled: boolean; error?: AttemptError } | null> {
  let argv: string[];
  try {
    argv = toArgv(setup);
  } catch (e) {
    await discardWorkspace(ws);
    return { cancelled: false, error: { kind: 'non_retryable', message: `invalid setup command: ${errorMessage(e)}`, retryable: false } };
  }
  ctx.emit({ stream: 'info', text: `[tutti] setup: ${argv.join(' ')}` });
  const v = await runValidation({
    commands: [argv],
    cwd: ws.dir,
    env: { ...opts.baseEnv, ...ctx.task.env, ...ctx.env },
    timeoutMs,
    logPath: setupLogPath(ctx.logPath),
    maxLogBytes: ctx.maxLogBytes,
    killGraceMs: opts.killGraceMs,
    signal,
  });
  if (v.ok) return null;
  await discardWorkspace(ws);
  if (v.aborted) return { cancelled: true };
  const f = v.failure!;
  return { cancelled: false, error: { kind: 'exit_code', message: `setup failed: \`${f.command}\` ${f.reason}${f.outputTail ? `\n${f.outputTail.trim().slice(-2000)}` : ''}` } };
}

/** Removes a workspace nothing was done in: the worktree, its meta file, and the branch it created. */
export async function discardWorkspace(ws: Workspace): Promise<void> {
  if (ws.mode !== 'worktree') {
    rmSync(ws.metaPath, { force: true });
    return;
  }
  await git(['worktree', 'remove', '--force', ws.dir], ws.repoRoot, { allowFail: true });
  const tip = ws.branch ? await revParse(ws.repoRoot, `refs/heads/${ws.branch}`) : null;
  if (ws.branch && tip === ws.base) await git(['branch', '-D', ws.branch], ws.repoRoot, { allowFail: true });
  rmSync(ws.metaPath, { force: true });
}

/**
 * What happens to the workspace when an attempt ends.
 * - not final (another iteration may come): kept as it is;
 * - succeeded, final failure or cancel: the directory is removed once nothing would be lost (its
 *   commits are on its branch or its attempt refs); the meta file stays, so a later attempt of the
 *   task (a rewind after a rejection, a merge step) restores the worktree on the same branch;
 *   after a failure, a branch with no commit of the task is deleted.
 * @returns why the worktree was kept, or null.
 */
export async function cleanupWorkspace(ws: Workspace, o: { final: boolean; succeeded: boolean; keep: boolean; createdBranch: boolean }): Promise<string | null> {
  if (!o.final) return null;
  if (o.keep) return 'keepWorktree is set';
  if (ws.mode === 'in-place') {
    // Its meta file only: the repository itself stays as it is.
    if (o.succeeded) await removeWorkspace(ws);
    return null;
  }
  const blocker = await removalBlocker(ws).catch((e: unknown) => errorMessage(e));
  if (o.succeeded) {
    if (blocker) return blocker;
    await git(['worktree', 'remove', '--force', ws.dir], ws.repoRoot);
    return null;
  }
  if (blocker) return blocker;
  await git(['worktree', 'remove', '--force', ws.dir], ws.repoRoot);
  const tip = ws.branch ? await revParse(ws.repoRoot, `refs/heads/${ws.branch}`) : null;
  if (o.createdBranch && ws.branch && tip === ws.base) await git(['branch', '-D', ws.branch], ws.repoRoot, { allowFail: true });
  return null;
}
