/**
 * PRs through gh: without gh, with gh not authenticated (the real gh here, and a scripted one), and
 * without an origin remote, nothing is pushed, the message says why, and the branch is left.
 * With a scripted authenticated gh and a local bare origin, the branch is pushed and a PR created.
 */
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProgram } from '../../src/agents/drivers/cli/probe.js';
import { openPullRequest } from '../../src/workspace/index.js';
import { gitRepo, sh, tmp } from './helpers.js';

function scriptedGh(authOk: boolean, prUrl = 'https://github.com/o/r/pull/7'): { gh: string; log: string } {
  const dir = tmp('tutti-gh-');
  const log = join(dir, 'calls.log');
  const gh = join(dir, 'gh');
  writeFileSync(
    gh,
    `#!/bin/sh
echo "$*" >> "${log}"
case "$1 $2" in
  "--version ") echo "gh version 9.9.9"; exit 0;;
  "auth status") ${authOk ? 'exit 0' : 'echo "You are not logged into any GitHub hosts. Run gh auth login to authenticate." >&2; exit 1'};;
  "pr view") exit 1;;
  "pr create") echo "${prUrl}"; exit 0;;
esac
exit 0
`,
  );
  chmodSync(gh, 0o755);
  return { gh, log };
}

function repoWithBranch(): string {
  const repo = gitRepo({ 'a.txt': 'a\n' });
  sh(repo, 'git', 'checkout', '-q', '-b', 'tutti/r/t');
  writeFileSync(join(repo, 'a.txt'), 'b\n');
  sh(repo, 'git', 'commit', '-qam', 'work');
  return repo;
}

const base = { branch: 'tutti/r/t', base: 'main', title: 'Fix', body: 'body', mode: 'create' as const };

describe('openPullRequest', () => {
  it('without gh installed: no PR, the branch is left', async () => {
    const repo = repoWithBranch();
    const r = await openPullRequest({ ...base, dir: repo, gh: join(tmp(), 'no-gh-here') });
    expect(r).toEqual({ status: 'skipped', message: 'no PR: gh (GitHub CLI) is not installed; branch tutti/r/t is left for you (git push -u origin tutti/r/t)' });
    expect(sh(repo, 'git', 'rev-parse', '--abbrev-ref', 'HEAD')).toBe('tutti/r/t');
  });

  it.skipIf(!findProgram('gh', process.env))('with the real gh, not authenticated here: says to log in, pushes nothing', async () => {
    const repo = repoWithBranch();
    const origin = tmp('tutti-origin-');
    sh(origin, 'git', 'init', '-q', '--bare');
    sh(repo, 'git', 'remote', 'add', 'origin', origin);
    // A config dir of its own, and no token: whatever the developer's own gh login is.
    const r = await openPullRequest({ ...base, dir: repo, env: { GH_CONFIG_DIR: tmp('tutti-ghcfg-'), GH_TOKEN: '', GITHUB_TOKEN: '', GH_ENTERPRISE_TOKEN: '' } });
    expect(r.status).toBe('skipped');
    expect(r.message).toBe('no PR: gh is not authenticated (run gh auth login); branch tutti/r/t is left for you (git push -u origin tutti/r/t)');
    expect(sh(origin, 'git', 'branch', '--list')).toBe('');
  });

  it('with gh authenticated but no origin: says so', async () => {
    const repo = repoWithBranch();
    const { gh } = scriptedGh(true);
    expect(await openPullRequest({ ...base, dir: repo, gh })).toMatchObject({ status: 'skipped', message: expect.stringContaining("has no 'origin' remote") });
  });

  it('with gh authenticated: pushes the branch and creates the PR; --no-new-pr only pushes', async () => {
    const repo = repoWithBranch();
    const origin = tmp('tutti-origin-');
    sh(origin, 'git', 'init', '-q', '--bare');
    sh(repo, 'git', 'remote', 'add', 'origin', origin);
    const { gh, log } = scriptedGh(true);
    const r = await openPullRequest({ ...base, dir: repo, gh });
    expect(r).toEqual({ status: 'created', url: 'https://github.com/o/r/pull/7', message: 'PR created: https://github.com/o/r/pull/7' });
    expect(sh(origin, 'git', 'rev-parse', 'tutti/r/t')).toBe(sh(repo, 'git', 'rev-parse', 'tutti/r/t'));
    expect(sh(tmp(), 'cat', log)).toContain('pr create --head tutti/r/t --title Fix --body body --base main');
    const u = await openPullRequest({ ...base, dir: repo, gh, mode: 'update' });
    expect(u).toMatchObject({ status: 'skipped', message: expect.stringContaining('--no-new-pr forbids creating one') });
  });
});
