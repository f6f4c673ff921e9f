/** Worktrees, branches, copied files, path rules, commits, removal safety, reconciliation, merge-back — on real git repositories. */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isTuttiError } from '../../src/core/errors.js';
import {
  changedPaths,
  checkPaths,
  commitAll,
  commitsBetween,
  defaultBranchName,
  listWorktrees,
  mergeBack,
  prepareWorkspace,
  pruneOrphans,
  reconcileWorktrees,
  removeWorkspace,
  rewindBranch,
  touchedPaths,
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
    expect(w).toMatchObject({ mode: 'worktree', branch: 'tutti/run_1/fix', baseBranch: 'main', created: true, copied: ['.env'] });
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

  it('refuses an existing branch unless --no-new-branch, and a missing one with it', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    sh(repo, 'git', 'branch', 'feature');
    await rejects(ws(repo, tmp(), { branch: 'feature' }), /already exists: use --no-new-branch/);
    const w = await ws(repo, tmp(), { branch: 'feature', newBranch: false });
    expect(w.branch).toBe('feature');
    await rejects(ws(repo, tmp(), { branch: 'nope', newBranch: false }), /does not exist \(and --no-new-branch forbids creating it\)/);
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

describe('merge-back', () => {
  it('merges into the checked-out base when it is clean, and leaves the branch when it is not', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    const w = await ws(repo, tmp());
    writeFileSync(join(w.dir, 'b.txt'), 'b\n');
    const tip = await commitAll(w.dir, 'b');
    writeFileSync(join(repo, 'a.txt'), 'local edit\n');
    expect(await mergeBack(repo, w.branch!, 'main')).toMatchObject({ merged: false, message: expect.stringMatching(/uncommitted changes/) });
    sh(repo, 'git', 'checkout', '--', 'a.txt');
    expect(await mergeBack(repo, w.branch!, 'main')).toMatchObject({ merged: true, head: tip });
    expect(readFileSync(join(repo, 'b.txt'), 'utf8')).toBe('b\n');
  });

  it('fast-forwards a base nobody has checked out, and refuses one that moved on', async () => {
    const repo = gitRepo({ 'a.txt': 'a\n' });
    sh(repo, 'git', 'branch', 'release');
    const w = await ws(repo, tmp());
    writeFileSync(join(w.dir, 'b.txt'), 'b\n');
    const tip = await commitAll(w.dir, 'b');
    expect(await mergeBack(repo, w.branch!, 'release')).toMatchObject({ merged: true, head: tip });
    expect(sh(repo, 'git', 'rev-parse', 'release')).toBe(tip);
    sh(repo, 'git', 'branch', 'other', 'HEAD');
    sh(repo, 'git', 'commit', '-q', '--allow-empty', '-m', 'main moves');
    sh(repo, 'git', 'branch', '-f', 'other', 'HEAD');
    expect(await mergeBack(repo, w.branch!, 'other')).toMatchObject({ merged: false, message: expect.stringMatching(/moved on/) });
  });
});
