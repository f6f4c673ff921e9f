/**
 * The boundary guard of a coding attempt (`workspace/boundary.ts`): which trees it watches — the
 * repository's main checkout and the run's worktrees nobody is at work in — and the comparison
 * afterwards, leaving out HEAD moves the merge queue made.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AttemptCoordination } from '../../../types.js';
import { activeMarker, compareSnapshots, reportedOutside, snapshotTree, type BoundaryChange, type TreeSnapshot } from '../../../../workspace/boundary.js';
import { listWorktrees } from '../../../../workspace/git.js';
import { worktreePath, type Workspace } from '../../../../workspace/worktree.js';

/** What the guard recorded before the agent started. */
export interface Guard {
  trees: TreeSnapshot[];
  startedAt: number;
}

/** The trees an attempt must leave alone: the main checkout (when the attempt has a worktree) and the run's idle worktrees. */
async function guardedTrees(ws: Workspace, dataDir: string, runId: string): Promise<string[]> {
  if (ws.mode !== 'worktree') return [];
  const own = resolve(ws.dir);
  const listed = await listWorktrees(ws.repoRoot);
  const main = listed.find((w) => !w.bare && !w.prunable)?.path;
  const runDir = resolve(worktreePath(dataDir, runId, 'x'), '..');
  const idle = existsSync(runDir)
    ? readdirSync(runDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(runDir, d.name))
        .filter((d) => resolve(d) !== own && existsSync(join(d, '.git')) && !existsSync(activeMarker(d)))
    : [];
  return [...new Set([...(main && resolve(main) !== own ? [main] : []), ...idle])];
}

export async function takeGuard(ws: Workspace, dataDir: string, runId: string): Promise<Guard> {
  const trees = await guardedTrees(ws, dataDir, runId);
  return { trees: await Promise.all(trees.map((t) => snapshotTree(t))), startedAt: Date.now() };
}

/**
 * Changes outside the attempt's worktree since the guard was taken, and files the agent's CLI
 * reported writing there. A HEAD that moved to a commit the merge queue landed is not a change.
 */
export async function checkGuard(guard: Guard, ws: Workspace, reportedFiles: readonly string[], coordination: AttemptCoordination | undefined): Promise<BoundaryChange[]> {
  if (!guard.trees.length) return [];
  // HEADs the merge queue moved (this run's merges and other runs'): not the agent's doing.
  const landed = new Set<string>();
  if (coordination) for (const m of await coordination.listMerges({ allRuns: true })) if (m.mergedSha) landed.add(m.mergedSha);
  const changes: BoundaryChange[] = [];
  for (const before of guard.trees) {
    if (!existsSync(before.dir)) continue;
    changes.push(...compareSnapshots(before, await snapshotTree(before.dir), landed));
  }
  changes.push(
    ...reportedOutside(
      ws.dir,
      guard.trees.map((t) => t.dir),
      reportedFiles,
      ws.dir,
    ),
  );
  return changes;
}
