/**
 * Seed 004's `--pr N`: PR N's head branch is read with gh and fetched from origin, work is pushed
 * onto it (never forced), and a closed PR or a missing gh is said, not ignored. A scripted gh and
 * a local bare origin stand in for GitHub; git is real.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchPullRequestBranch, openPullRequest, pullRequestInfo } from '../../src/workspace/index.js';
import { scriptedGhDir } from '../helpers/tmux-gh.js';
import { gitRepo, sh, tmp } from './helpers.js';

/** A gh that knows PR 7 (open, head `feature-x`) and PR 8 (merged). */
function scriptedGh(): string {
  return join(scriptedGhDir([{ number: 7, branch: 'feature-x' }, { number: 8, branch: 'old', state: 'MERGED' }]), 'gh');
}

/** A repository whose origin (a bare repository) has the PR branch `feature-x`. */
function repoWithPrBranch(): { repo: string; origin: string } {
  const repo = gitRepo({ 'a.txt': 'a\n' });
  const origin = tmp('tutti-origin-');
  sh(origin, 'git', 'init', '-q', '--bare');
  sh(repo, 'git', 'remote', 'add', 'origin', origin);
  sh(repo, 'git', 'push', '-q', 'origin', 'main');
  sh(repo, 'git', 'checkout', '-q', '-b', 'feature-x');
  writeFileSync(join(repo, 'a.txt'), 'feature\n');
  sh(repo, 'git', 'commit', '-qam', 'feature');
  sh(repo, 'git', 'push', '-q', 'origin', 'feature-x');
  sh(repo, 'git', 'checkout', '-q', 'main');
  sh(repo, 'git', 'branch', '-q', '-D', 'feature-x');
  return { repo, origin };
}

describe('PR N', () => {
  it('reads PR N, fetches its head branch, and pushes work onto it', async () => {
    const gh = scriptedGh();
    const { repo, origin } = repoWithPrBranch();
    expect(await pullRequestInfo({ dir: repo, gh, number: 7 })).toEqual({ number: 7, branch: 'feature-x', url: 'https://github.com/o/r/pull/7', state: 'OPEN' });
    const pr = await fetchPullRequestBranch({ dir: repo, gh, number: 7 });
    expect(pr).toMatchObject({ branch: 'feature-x' });
    // Work on the PR's branch (what the workspace does with it), then update the PR.
    sh(repo, 'git', 'checkout', '-q', '-b', 'tutti/r/t', 'origin/feature-x');
    writeFileSync(join(repo, 'b.txt'), 'fix\n');
    sh(repo, 'git', 'add', 'b.txt');
    sh(repo, 'git', 'commit', '-qm', 'review fix');
    const r = await openPullRequest({ dir: repo, gh, branch: 'tutti/r/t', base: null, title: 't', body: 'b', mode: 7 });
    expect(r).toEqual({ status: 'updated', url: 'https://github.com/o/r/pull/7', message: 'pushed tutti/r/t onto feature-x; PR 7 updated: https://github.com/o/r/pull/7' });
    expect(sh(origin, 'git', 'log', '-1', '--format=%s', 'feature-x')).toBe('review fix');
  });

  it('a merged PR, an unknown PR, diverged work and a missing gh are reported, nothing is forced', async () => {
    const gh = scriptedGh();
    const { repo, origin } = repoWithPrBranch();
    expect(await fetchPullRequestBranch({ dir: repo, gh, number: 8 })).toEqual({ error: 'PR 8 is merged: only an open PR can be updated (https://github.com/o/r/pull/8)' });
    expect(await pullRequestInfo({ dir: repo, gh, number: 9 })).toEqual({ error: 'cannot read PR 9: no pull requests found for branch "9"' });
    // Work that does not descend from the PR's head is not pushed over it.
    sh(repo, 'git', 'checkout', '-q', '-b', 'elsewhere');
    writeFileSync(join(repo, 'c.txt'), 'c\n');
    sh(repo, 'git', 'add', 'c.txt');
    sh(repo, 'git', 'commit', '-qm', 'unrelated');
    const r = await openPullRequest({ dir: repo, gh, branch: 'elsewhere', base: null, title: 't', body: 'b', mode: 7 });
    expect(r.status).toBe('skipped');
    expect(r.message).toMatch(/^PR 7 not updated: git push onto feature-x failed/);
    expect(sh(origin, 'git', 'log', '-1', '--format=%s', 'feature-x')).toBe('feature');
    expect(await pullRequestInfo({ dir: repo, gh: join(tmp(), 'no-gh'), number: 7 })).toEqual({ error: 'cannot read PR 7: gh (GitHub CLI) is not installed' });
  });
});
