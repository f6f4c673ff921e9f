/**
 * Reconciliation: the worktrees git knows (`git worktree list`) and the ones tutti's data dir holds,
 * compared with the store. A worktree whose task is finished (or whose run the store does not know)
 * is an orphan: reported, and removable only when nothing would be lost.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { git, listWorktrees } from './git.js';
import { readWorkspaceMeta, removalBlocker, removeWorkspace, type WorkspaceMode } from './worktree.js';

export { listWorktrees, type GitWorktree } from './git.js';

/** What the store says about a task: still to run (keep its workspace), finished, or unknown. */
export type TaskLiveness = 'active' | 'finished' | 'unknown';

/** A tutti workspace of this repository and what became of its task. */
export interface TrackedWorkspace {
  path: string;
  runId: string;
  taskId: string;
  branch: string | null;
  mode: WorkspaceMode;
  state: TaskLiveness;
}

export interface OrphanWorktree {
  path: string;
  runId: string | null;
  taskId: string | null;
  branch: string | null;
  /** `task_finished`, `unknown_run`, `missing_directory` (git lists it, the directory is gone) or `not_registered` (a directory git does not list). */
  reason: 'task_finished' | 'unknown_run' | 'missing_directory' | 'not_registered';
  /** Null when it can be removed without losing work, else why not. */
  blocker: string | null;
}

export interface Reconciliation {
  repoRoot: string;
  /** Workspaces of tasks still to run. */
  active: TrackedWorkspace[];
  orphans: OrphanWorktree[];
}

/**
 * Compares the repository's worktrees under `<dataDir>/worktrees` with the store.
 * @param lookup what the store knows about a task.
 */
export async function reconcileWorktrees(opts: { repoDir: string; dataDir: string; lookup: (runId: string, taskId: string) => Promise<TaskLiveness> }): Promise<Reconciliation> {
  const top = (await git(['rev-parse', '--show-toplevel'], opts.repoDir)).stdout.trim();
  const base = resolve(opts.dataDir, 'worktrees');
  const listed = (await listWorktrees(top)).filter((w) => w.path.startsWith(`${base}/`));
  const byPath = new Map(listed.map((w) => [w.path, w] as const));
  const active: TrackedWorkspace[] = [];
  const orphans: OrphanWorktree[] = [];
  const seen = new Set<string>();
  for (const metaPath of metaFiles(base)) {
    const meta = readWorkspaceMeta(metaPath);
    if (!meta || meta.repoRoot !== top) continue;
    seen.add(meta.dir);
    const state = await opts.lookup(meta.runId, meta.taskId);
    const entry = { path: meta.dir, runId: meta.runId, taskId: meta.taskId, branch: meta.branch };
    if (meta.mode === 'worktree' && !existsSync(meta.dir) && !byPath.has(meta.dir) && state !== 'active') {
      // The worktree was removed when its task ended; only its note remained.
      rmSync(metaPath, { force: true });
      continue;
    }
    if (meta.mode === 'worktree' && !byPath.has(meta.dir) && existsSync(meta.dir)) {
      orphans.push({ ...entry, reason: 'not_registered', blocker: 'git does not list it as a worktree: inspect and remove it by hand' });
      continue;
    }
    if (state === 'active') {
      active.push({ ...entry, mode: meta.mode, state });
      continue;
    }
    const missing = meta.mode === 'worktree' && !existsSync(meta.dir);
    const blocker = missing ? null : await removalBlocker({ dir: meta.dir, copied: meta.copied, repoRoot: top }).catch((e: unknown) => (e as Error).message);
    orphans.push({ ...entry, reason: missing ? 'missing_directory' : state === 'finished' ? 'task_finished' : 'unknown_run', blocker });
  }
  for (const w of listed) {
    if (seen.has(w.path)) continue;
    orphans.push({ path: w.path, runId: null, taskId: null, branch: w.branch, reason: w.prunable ? 'missing_directory' : 'unknown_run', blocker: w.prunable ? null : 'no tutti record of it: inspect and remove it with git worktree remove' });
  }
  return { repoRoot: top, active, orphans };
}

function metaFiles(base: string): string[] {
  if (!existsSync(base)) return [];
  const out: string[] = [];
  for (const run of readdirSync(base, { withFileTypes: true })) {
    if (!run.isDirectory()) continue;
    for (const f of readdirSync(join(base, run.name))) if (f.endsWith('.tutti.json')) out.push(join(base, run.name, f));
  }
  return out;
}

/**
 * Removes the orphans that can go without losing work (their branches stay).
 * @returns the paths removed.
 */
export async function pruneOrphans(rec: Reconciliation): Promise<string[]> {
  const removed: string[] = [];
  for (const o of rec.orphans) {
    if (o.blocker !== null) continue;
    if (o.runId && o.taskId) {
      const metaPath = `${o.path}.tutti.json`;
      const meta = readWorkspaceMeta(metaPath);
      if (!meta) continue;
      const why = await removeWorkspace({ mode: meta.mode, dir: meta.dir, copied: meta.copied, repoRoot: rec.repoRoot, metaPath });
      if (why === null) removed.push(o.path);
    } else if (o.reason === 'missing_directory') {
      await git(['worktree', 'prune'], rec.repoRoot);
      removed.push(o.path);
    }
  }
  return removed;
}
