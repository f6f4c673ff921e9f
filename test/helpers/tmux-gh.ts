/** Shared by the seed 004 tests: whether tmux is here, a private tmux server's teardown, and a scripted gh. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const hasTmux = (() => {
  try {
    execFileSync('tmux', ['-V']);
    return true;
  } catch {
    return false;
  }
})();

/** Ends a private tmux server (`tmux -L socket`), if one was started. */
export function killTmuxServer(socket: string): void {
  if (!hasTmux) return;
  try {
    execFileSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
  } catch {
    // no server was started
  }
}

/** What a scripted gh knows of a PR. */
export interface ScriptedPr {
  number: number;
  branch: string;
  state?: 'OPEN' | 'CLOSED' | 'MERGED';
}

/**
 * A directory holding a `gh` that is installed and logged in, and answers `pr view N --json …`
 * for the given PRs (others: "no pull requests found", exit 1).
 */
export function scriptedGhDir(prs: readonly ScriptedPr[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'tutti-gh-'));
  const cases = prs
    .map((p) => `      ${p.number}) echo '${JSON.stringify({ number: p.number, headRefName: p.branch, url: `https://github.com/o/r/pull/${p.number}`, state: p.state ?? 'OPEN' })}'; exit 0;;`)
    .join('\n');
  writeFileSync(
    join(dir, 'gh'),
    `#!/bin/sh
case "$1 $2" in
  "--version ") echo "gh version 9.9.9"; exit 0;;
  "auth status") exit 0;;
  "pr view")
    case "$3" in
${cases}
      *) echo "no pull requests found for branch \\"$3\\"" >&2; exit 1;;
    esac;;
esac
exit 0
`,
  );
  chmodSync(join(dir, 'gh'), 0o755);
  return dir;
}
