/**
 * `tutti --agent-cli … --pr` / `--no-new-pr` through the binary: with a scripted authenticated
 * `gh` first on PATH the validated branch is pushed to origin and its PR created or updated; with
 * the real `gh`, not authenticated here, the run still succeeds, says clearly why there is no PR,
 * pushes nothing and leaves the branch.
 */
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findProgram } from '../../src/agents/drivers/cli/probe.js';
import type { RunView } from '../../src/core/run-view.js';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import type { SimCli } from '../../src/testing/index.js';
import { runCli } from '../helpers/cli.js';
import { sim } from '../sim/helpers.js';
import { gitRepo, sh, tmp } from './helpers.js';

const TEST_JS = "const a = require('./answer.js');\nif (a !== 42) { console.error(`expected 42, got ${a}`); process.exit(1); }\n";

/** A repository with a bare `origin`, and the env of a simulated claude that fixes answer.js. */
function setup(clis: SimCli[] = ['claude']) {
  const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': TEST_JS });
  const origin = tmp('tutti-origin-');
  sh(origin, 'git', 'init', '-q', '--bare');
  sh(repo, 'git', 'remote', 'add', 'origin', origin);
  const s = sim({ entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }, { say: 'The answer is 42 now.' }] }] }, clis);
  // No gh login of the developer's: a config dir of its own and no tokens.
  const env = { ...s.env, HOME: tmp('tutti-home-'), GH_CONFIG_DIR: tmp('tutti-ghcfg-'), GH_TOKEN: '', GITHUB_TOKEN: '', GH_ENTERPRISE_TOKEN: '' };
  return { repo, origin, bin: s.binDir, env, runs: () => s.calls().filter((c) => c.kind === 'run') };
}

/** An authenticated gh stand-in in `bin` (first on PATH): logs its calls; `pr view` finds `existing`. */
function scriptedGh(bin: string, existing: string | null): string {
  const log = join(tmp('tutti-gh-'), 'calls.log');
  writeFileSync(
    join(bin, 'gh'),
    `#!/bin/sh
echo "$*" >> "${log}"
case "$1 $2" in
  "--version ") echo "gh version 9.9.9"; exit 0;;
  "auth status") exit 0;;
  "pr view") ${existing ? `echo "${existing}"; exit 0` : 'echo "no pull requests found" >&2; exit 1'};;
  "pr create") echo "https://github.com/o/r/pull/7"; exit 0;;
esac
exit 0
`,
  );
  chmodSync(join(bin, 'gh'), 0o755);
  return log;
}

function finalOutput(stdout: string): { run: RunView; out: CodingOutput } {
  const run = JSON.parse(stdout) as RunView;
  const attempts = run.tasks[0]!.attempts;
  return { run, out: attempts[attempts.length - 1]!.output as CodingOutput };
}

describe('tutti --pr / --no-new-pr', () => {
  it('with an authenticated gh: pushes the validated branch and creates its PR', async () => {
    const { repo, origin, bin, env, runs } = setup();
    const log = scriptedGh(bin, null);
    const r = await runCli(['--agent-cli', 'claude', '--validate', 'node test.js', '--pr', '--json', 'fix the answer'], { dataDir: tmp(), cwd: repo, env });
    expect(r.code).toBe(0);
    const { run, out } = finalOutput(r.stdout);
    const branch = `tutti/${run.id}/main`;
    expect(out.pr).toEqual({ status: 'created', url: 'https://github.com/o/r/pull/7', message: 'PR created: https://github.com/o/r/pull/7' });
    expect(run.tasks[0]!.attempts[0]!.summary).toContain(', https://github.com/o/r/pull/7');
    expect(sh(origin, 'git', 'rev-parse', branch)).toBe(sh(repo, 'git', 'rev-parse', branch));
    expect(readFileSync(log, 'utf8')).toContain(`pr create --head ${branch} --title fix the answer --body`);
    // One claude session did the work, with the goal as its prompt, outside the repository's checkout.
    expect(runs()).toHaveLength(1);
    expect(runs()[0]!.prompt).toContain('fix the answer');
    expect(runs()[0]!.cwd).not.toBe(repo);
  });

  it('--no-new-pr updates the open PR of the branch, and never creates one', async () => {
    const a = setup();
    scriptedGh(a.bin, 'https://github.com/o/r/pull/3');
    const r = await runCli(['--agent-cli', 'claude', '--branch', 'feature', '--no-new-pr', '--json', 'fix the answer'], { dataDir: tmp(), cwd: a.repo, env: a.env });
    expect(r.code).toBe(0);
    expect(finalOutput(r.stdout).out.pr).toEqual({ status: 'updated', url: 'https://github.com/o/r/pull/3', message: 'pushed feature; PR updated: https://github.com/o/r/pull/3' });
    expect(sh(a.origin, 'git', 'rev-parse', 'feature')).toBe(sh(a.repo, 'git', 'rev-parse', 'feature'));

    const b = setup();
    const log = scriptedGh(b.bin, null);
    const r2 = await runCli(['--agent-cli', 'claude', '--pr', '--no-new-pr', '--json', 'fix the answer'], { dataDir: tmp(), cwd: b.repo, env: b.env });
    expect(r2.code).toBe(0);
    const { run, out } = finalOutput(r2.stdout);
    expect(out.pr).toEqual({ status: 'skipped', message: `pushed tutti/${run.id}/main; no open PR for it and --no-new-pr forbids creating one` });
    expect(readFileSync(log, 'utf8')).not.toContain('pr create');
  });

  it.skipIf(!findProgram('gh', process.env))('with the real gh, not authenticated here: a clear message, nothing pushed, the branch left, the run still succeeds', async () => {
    const { repo, origin, env } = setup();
    const r = await runCli(['--agent-cli', 'claude', '--validate', 'node test.js', '--pr', 'fix the answer'], { dataDir: tmp(), cwd: repo, env });
    expect(r.code).toBe(0);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    const branch = `tutti/${runId}/main`;
    const message = `no PR: gh is not authenticated (run gh auth login); branch ${branch} is left for you (git push -u origin ${branch})`;
    // Said while it runs, and in the final report.
    expect(r.stderr).toContain(`[tutti] ${message}`);
    expect(r.stdout).toContain(message);
    expect(sh(origin, 'git', 'branch', '--list')).toBe('');
    expect(sh(repo, 'git', 'show', `${branch}:answer.js`)).toBe('module.exports = 42;');
  });
});
