/** Worktrees, branches, copied files, path rules, commits, removal safety, reconciliation, merge-back — on real git repositories. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AttemptCoordination } from '../../src/agents/types.js';
import type { MergeEntry } from '../../src/core/coordination.js';
import { isTuttiError } from '../../src/core/errors.js';
import {
  changedPaths,
  checkPaths,
  commitAll,
  commitsBetween,
  defaultBranchName,
  listWorktrees,
  landBranch,
  prepareWorkspace,
  pruneOrphans,
  reconcileWorktrees,
  removeWorkspace,
  rewindBranch,
  touchedPaths,
  type ValidationResult,
  type Workspace,
} from '../../src/workspace/index.js';
import { gitRepo, sh, tmp } from './helpers.js';

const ws = (repoDir: string, dataDir: string, extra: Partial<Parameters<typeof prepareWorkspace>[0]> = {}) =>
  prepareWorkspace({ repoDir, dataDir, runId: 'run_1', taskId: 'fix', ...extra });

async function rejects(p: Promise<unknown>, re: RegExp): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  expect(isTuttiError(err, 'ERR_WORKSPACE'), String(err)).toBe(true);
  expect((err as Error).message).toMatch(re);
}

describe('worktrees', () => {
  it('creates tutti/<runId>/<taskId> under <dataDir>/worktrees, copies .env without committing it, and reuses it', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n', '.gitignore': 'node_modules\n' });
    writeFileSync(join(repo, '.env'), 'SECRET=1\n');
    const data = tmp();
    const w = await ws(repo, data);
    expect(w).toMatchObject({ mode: 'worktree', branch: 'tutti/run_1/fix', target: 'main', created: true, copied: ['.env'] });
    expect(w.dir).toBe(join(data, 'worktrees', 'run_1', 'fix'));
    expect(readFileSync(join(w.dir, '.env'), 'utf8')).toBe('SECRET=1\n');
    expect(sh(w.dir, 'git', 'branch', '--show-current')).toBe('tutti/run_1/fix');

    writeFileSync(join(w.dir, 'a.txt'), 'changed\n');
    const sha = await commitAll(w.dir, 'agent work', w.copied);
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(sh(w.dir, 'git', 'show', '--name-only', '--format=', 'HEAD')).toBe('a.txt');
    expect(await commitAll(w.dir, 'nothing', w.copied)).toBeNull();

    const again = await ws(repo, data);
    expect(again).toMatchObject({ created: false, dir: w.dir, base: w.base });
  });

  it('checks out an existing --branch, creates a missing one from the target, and refuses a missing one with --no-new-branch', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    sh(repo, 'git', 'checkout', '-q', '-b', 'feature');
    writeFileSync(join(repo, 'f.txt'), 'feature work\n');
    sh(repo, 'git', 'add', '-A');
    sh(repo, 'git', 'commit', '-q', '-m', 'feature work');
    const featureTip = sh(repo, 'git', 'rev-parse', 'HEAD');
    sh(repo, 'git', 'checkout', '-q', 'main');
    const w = await ws(repo, tmp(), { branch: 'feature' });
    expect(w).toMatchObject({ branch: 'feature', base: featureTip, target: 'main', created: true });
    expect(readFileSync(join(w.dir, 'f.txt'), 'utf8')).toBe('feature work\n');
    // The branch is now checked out in that worktree: another task cannot have it too.
    await rejects(ws(repo, tmp(), { branch: 'feature' }), /branch feature is checked out at /);
    const fresh = await ws(repo, tmp(), { branch: 'brand-new' });
    expect(fresh).toMatchObject({ branch: 'brand-new', base: sh(repo, 'git', 'rev-parse', 'main') });
    await rejects(ws(repo, tmp(), { branch: 'nope', newBranch: false }), /does not exist \(and --no-new-branch forbids creating it\)/);
  });

  it("adopts the task's own branch when its meta file is gone, and starts new branches from the target's tip", async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const data = tmp();
    const w = await ws(repo, data);
    writeFileSync(join(w.dir, 'a.txt'), 'attempt 1\n');
    const sha = await commitAll(w.dir, 'attempt 1', w.copied);
    sh(repo, 'git', 'worktree', 'remove', '--force', w.dir);
    rmSync(w.metaPath);
    const again = await ws(repo, data);
    expect(again).toMatchObject({ branch: 'tutti/run_1/fix', base: sha, created: true });
    expect(readFileSync(join(again.dir, 'a.txt'), 'utf8')).toBe('attempt 1\n');
    // Another branch as target: new task branches start from its tip.
    sh(repo, 'git', 'branch', 'release');
    const other = await ws(repo, data, { taskId: 'other', target: 'release' });
    expect(other).toMatchObject({ target: 'release', base: sh(repo, 'git', 'rev-parse', 'release') });
    await rejects(ws(repo, data, { taskId: 'third', target: 'missing' }), /target branch missing does not exist/);
  });

  it('makes branch names git accepts from any run and task id', () => {
    expect(defaultBranchName('run:a..b', 'x.lock')).toBe('tutti/run-a.b/x');
  });

  it('works in place only on a clean tree; --no-new-branch without --branch means the current checkout', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    writeFileSync(join(repo, 'a.txt'), 'dirty\n');
    await rejects(ws(repo, tmp(), { mode: 'in-place' }), /uncommitted changes/);
    sh(repo, 'git', 'checkout', '--', 'a.txt');
    const w = await ws(repo, tmp(), { newBranch: false });
    expect(w).toMatchObject({ mode: 'in-place', dir: repo, branch: 'main' });
  });

  it('outside a repository says so', async () => {
    await rejects(ws(tmp(), tmp()), /not inside a git repository/);
  });
});

describe('path rules', () => {
  it('matches directories, globs, braces; renames count both paths', async () => {
    expect(checkPaths(['src/a.ts', 'src/deep/b.ts', 'README.md'], ['src/', '*.md'], undefined)).toEqual([]);
    expect(checkPaths(['lib/x.ts', 'src/a.ts'], ['src'], undefined)).toEqual([{ path: 'lib/x.ts', reason: 'outside allowedPaths' }]);
    expect(checkPaths(['dist/app.js', 'src/a.test.ts'], undefined, ['dist/', '**/*.test.{ts,js}'])).toEqual([
      { path: 'dist/app.js', reason: 'forbidden by dist/' },
      { path: 'src/a.test.ts', reason: 'forbidden by **/*.test.{ts,js}' },
    ]);
    expect(checkPaths(['a/b/c.ts'], ['a/*.ts'], undefined)).toHaveLength(1);
    expect(() => checkPaths(['a'], ['../x'], undefined)).toThrow(/climbs out/);

    const repo = gitRepo({ 'old/name.txt': 'x\n' });
    const before = sh(repo, 'git', 'rev-parse', 'HEAD');
    mkdirSync(join(repo, 'src'));
    sh(repo, 'git', 'mv', 'old/name.txt', 'src/name.txt');
    await commitAll(repo, 'move');
    const touched = touchedPaths(await changedPaths(repo, before));
    expect(touched.sort()).toEqual(['old/name.txt', 'src/name.txt']);
    expect(checkPaths(touched, ['src/'], undefined)).toEqual([{ path: 'old/name.txt', reason: 'outside allowedPaths' }]);
  });

  it('a rewound branch keeps the rejected commits under a ref', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const before = sh(repo, 'git', 'rev-parse', 'HEAD');
    writeFileSync(join(repo, 'bad.txt'), 'x\n');
    const bad = await commitAll(repo, 'bad');
    await rewindBranch(repo, before, 'refs/tutti/rejected/t/1');
    expect(sh(repo, 'git', 'rev-parse', 'HEAD')).toBe(before);
    expect(existsSync(join(repo, 'bad.txt'))).toBe(false);
    expect(sh(repo, 'git', 'rev-parse', 'refs/tutti/rejected/t/1')).toBe(bad);
    expect(await commitsBetween(repo, before, 'refs/tutti/rejected/t/1')).toMatchObject([{ sha: bad, subject: 'bad' }]);
  });
});

describe('removal and reconciliation', () => {
  it('removes a worktree only when nothing would be lost', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const data = tmp();
    const w = await ws(repo, data);
    writeFileSync(join(w.dir, 'wip.txt'), 'uncommitted\n');
    expect(await removeWorkspace(w)).toMatch(/uncommitted changes \(wip.txt\)/);
    await commitAll(w.dir, 'wip');
    // Detach HEAD and drop the branch: the commit is reachable from no kept ref.
    sh(w.dir, 'git', 'checkout', '-q', '--detach');
    sh(repo, 'git', 'branch', '-D', 'tutti/run_1/fix');
    expect(await removeWorkspace(w)).toMatch(/not reachable from any branch or tag/);
    sh(repo, 'git', 'tag', 'keep', sh(w.dir, 'git', 'rev-parse', 'HEAD'));
    expect(await removeWorkspace(w)).toBeNull();
    expect(existsSync(w.dir)).toBe(false);
    expect((await listWorktrees(repo)).map((x) => x.path)).toEqual([repo]);
  });

  it('reports worktrees of finished or unknown tasks as orphans and prunes the safe ones', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const data = tmp();
    const live = await prepareWorkspace({ repoDir: repo, dataDir: data, runId: 'run_live', taskId: 't' });
    const done = await prepareWorkspace({ repoDir: repo, dataDir: data, runId: 'run_done', taskId: 't' });
    const dirty = await prepareWorkspace({ repoDir: repo, dataDir: data, runId: 'run_gone', taskId: 't' });
    writeFileSync(join(dirty.dir, 'x.txt'), 'x\n');
    const lookup = async (runId: string) => (runId === 'run_live' ? 'active' : runId === 'run_done' ? 'finished' : 'unknown') as 'active' | 'finished' | 'unknown';
    const rec = await reconcileWorktrees({ repoDir: repo, dataDir: data, lookup });
    expect(rec.active.map((a) => a.path)).toEqual([live.dir]);
    const byPath = new Map(rec.orphans.map((o) => [o.path, o]));
    expect(byPath.get(done.dir)).toMatchObject({ reason: 'task_finished', blocker: null, branch: 'tutti/run_done/t' });
    expect(byPath.get(dirty.dir)).toMatchObject({ reason: 'unknown_run' });
    expect(byPath.get(dirty.dir)!.blocker).toMatch(/uncommitted/);
    expect(await pruneOrphans(rec)).toEqual([done.dir]);
    expect(existsSync(done.dir)).toBe(false);
    expect(existsSync(dirty.dir)).toBe(true);
    // The branch of the pruned worktree stays: its commits are safe.
    expect(sh(repo, 'git', 'branch', '--list', 'tutti/run_done/t')).toContain('tutti/run_done/t');

    // A worktree directory deleted by hand: git lists it as prunable, reconciliation reports it.
    rmSync(live.dir, { recursive: true, force: true });
    const rec2 = await reconcileWorktrees({ repoDir: repo, dataDir: data, lookup: async () => 'finished' });
    expect(rec2.orphans.find((o) => o.path === live.dir)).toMatchObject({ reason: 'missing_directory', blocker: null });
  });
});

/** A merge queue of one process (the store-backed one is covered by the store conformance suite). */
function memoryQueue(): AttemptCoordination & { entries: MergeEntry[] } {
  const entries: MergeEntry[] = [];
  const open = (e: MergeEntry) => e.status === 'queued' || e.status === 'merging';
  return {
    entries,
    async enqueueMerge(m) {
      const e: MergeEntry = { id: entries.length + 1, ...m, runId: 'r', ownerTaskId: m.taskId, ownerAttempt: 1, status: 'queued', enqueuedAt: Date.now(), startedAt: null, finishedAt: null, mergedSha: null, message: null };
      entries.push(e);
      return e;
    },
    async acquireMerge(id) {
      const me = entries.find((e) => e.id === id)!;
      const ahead = entries.filter((e) => open(e) && e.id !== id && (e.status === 'merging' || e.id < id));
      if (!ahead.length) me.status = 'merging';
      return { entry: me, position: ahead.length, ahead: ahead[0] ?? null };
    },
    async finishMerge(id, end) {
      const me = entries.find((e) => e.id === id)!;
      if (open(me)) Object.assign(me, { status: end.status, message: end.message, mergedSha: end.mergedSha ?? null, finishedAt: Date.now() });
      return me;
    },
    listMerges: async () => entries,
    quotas: async () => [],
    recordQuota: async () => undefined,
    clearQuota: async () => undefined,
  };
}

function validation(ok: boolean, calls: string[]): () => Promise<ValidationResult> {
  return async () => {
    calls.push('validate');
    return ok ? { ok, aborted: false, results: [] } : { ok, aborted: false, results: [], failure: { command: 'npm test', reason: 'exited with code 1', outputTail: 'boom' } };
  };
}

describe('landing a branch through the merge queue', () => {
  const land = (w: Workspace, target: string, q: AttemptCoordination, validate: (() => Promise<ValidationResult>) | null = null) =>
    landBranch({ dir: w.dir, repoRoot: w.repoRoot, branch: w.branch!, target, taskId: 'fix', coordination: q, validate, signal: new AbortController().signal, info: () => undefined, pollMs: 5 });

  it('fast-forwards the clean checkout of the target (files follow); a dirty file the merge would touch blocks it, one it would not does not', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n', 'c.txt': 'c\n' });
    const w = await ws(repo, tmp());
    writeFileSync(join(w.dir, 'a.txt'), 'task\n');
    const tip = (await commitAll(w.dir, 'task'))!;
    writeFileSync(join(repo, 'a.txt'), 'local edit\n');
    const q = memoryQueue();
    const blocked = await land(w, 'main', q);
    expect(blocked).toMatchObject({ status: 'failed', retryable: false });
    expect(blocked.message).toMatch(/cannot advance main in .*commit or stash/);
    expect(q.entries[0]).toMatchObject({ status: 'failed' });
    sh(repo, 'git', 'checkout', '--', 'a.txt');
    writeFileSync(join(repo, 'c.txt'), 'unrelated local edit\n');
    const calls: string[] = [];
    const ok = await land(w, 'main', memoryQueue(), validation(true, calls));
    expect(ok).toMatchObject({ status: 'merged', sha: tip });
    expect(calls).toEqual([]); // main had not moved: the branch's own validation stands
    expect(sh(repo, 'git', 'rev-parse', 'main')).toBe(tip);
    expect(readFileSync(join(repo, 'a.txt'), 'utf8')).toBe('task\n');
    expect(readFileSync(join(repo, 'c.txt'), 'utf8')).toBe('unrelated local edit\n');
    // Landing again: already there, no queue entry.
    const q2 = memoryQueue();
    expect(await land(w, 'main', q2)).toMatchObject({ status: 'merged', sha: tip, entry: null });
    expect(q2.entries).toEqual([]);
  });

  it('brings the branch onto a target that moved on and validates the result before advancing it; a conflict or a failing validation lands nothing', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n', 'b.txt': 'b\n' });
    sh(repo, 'git', 'branch', 'release');
    const w = await ws(repo, tmp(), { target: 'release' });
    writeFileSync(join(w.dir, 'a.txt'), 'task\n');
    await commitAll(w.dir, 'task');
    // release moves on elsewhere (nobody has it checked out).
    sh(repo, 'git', 'checkout', '-q', 'release');
    writeFileSync(join(repo, 'b.txt'), 'release change\n');
    sh(repo, 'git', 'commit', '-qam', 'release change');
    const moved = sh(repo, 'git', 'rev-parse', 'HEAD');
    sh(repo, 'git', 'checkout', '-q', 'main');

    const calls: string[] = [];
    const failing = await land(w, 'release', memoryQueue(), validation(false, calls));
    expect(failing).toMatchObject({ status: 'failed', retryable: true });
    expect(failing.message).toBe('validation failed after merging release: `npm test` exited with code 1');
    expect(sh(repo, 'git', 'rev-parse', 'release')).toBe(moved);

    // The branch keeps the merge of release (the next attempt fixes the code on top of it, and its own
    // validation judges that tree), so landing it now needs no second validation.
    expect(sh(w.dir, 'git', 'log', '-1', '--format=%s')).toBe('Merge release into tutti/run_1/fix');
    const ok = await land(w, 'release', memoryQueue(), validation(true, calls));
    expect(ok.status).toBe('merged');
    expect(calls).toEqual(['validate']);
    const landed = sh(repo, 'git', 'rev-parse', 'release');
    expect(landed).toBe((ok as { sha: string }).sha);
    expect(sh(repo, 'git', 'show', 'release:a.txt')).toBe('task');
    expect(sh(repo, 'git', 'show', 'release:b.txt')).toBe('release change');

    // A conflicting change on the target: nothing lands, the branch is left as it was.
    sh(repo, 'git', 'checkout', '-q', 'release');
    writeFileSync(join(repo, 'a.txt'), 'release rewrote a\n');
    sh(repo, 'git', 'commit', '-qam', 'conflicting');
    sh(repo, 'git', 'checkout', '-q', 'main');
    writeFileSync(join(w.dir, 'a.txt'), 'task again\n');
    const branchTip = (await commitAll(w.dir, 'task again'))!;
    const q = memoryQueue();
    const conflict = await land(w, 'release', q);
    expect(conflict).toMatchObject({ status: 'conflict', files: ['a.txt'] });
    expect((conflict as { diff: string }).diff).toContain('<<<<<<<');
    expect(q.entries[0]).toMatchObject({ status: 'conflict', message: 'conflicts with release in a.txt' });
    expect(sh(w.dir, 'git', 'rev-parse', 'HEAD')).toBe(branchTip);
    expect(sh(w.dir, 'git', 'status', '--porcelain')).toBe('');
  });

  it('waits for the entries ahead of it', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const w = await ws(repo, tmp());
    writeFileSync(join(w.dir, 'b.txt'), 'b\n');
    await commitAll(w.dir, 'b');
    const q = memoryQueue();
    const first = await q.enqueueMerge({ repo: 'x', target: 'main', taskId: 'other', branch: 'o', head: 'h' });
    await q.acquireMerge(first.id);
    const lines: string[] = [];
    const landing = landBranch({ dir: w.dir, repoRoot: repo, branch: w.branch!, target: 'main', taskId: 'fix', coordination: q, validate: null, signal: new AbortController().signal, info: (l) => lines.push(l), pollMs: 5 });
    while (!lines.some((l) => l.startsWith('waiting to merge into main: 1 ahead'))) await new Promise((r) => setTimeout(r, 5));
    expect(sh(repo, 'git', 'rev-parse', 'main')).not.toBe(sh(w.dir, 'git', 'rev-parse', 'HEAD'));
    await q.finishMerge(first.id, { status: 'merged', message: 'done' });
    expect((await landing).status).toBe('merged');
    expect(sh(repo, 'git', 'rev-parse', 'main')).toBe(sh(w.dir, 'git', 'rev-parse', 'HEAD'));
  });
});
