/**
 * Real input: ESLint in fix mode is the agent (a `coding` agent with a command) on a git
 * repository made here, validated by ESLint in check mode, through the tutti binary: worktree,
 * commit, validation and merge-back. And the same tool failing validation loops, then fails, with
 * ESLint's own report as the feedback.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunView } from '../../src/core/run-view.js';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { runCli } from '../helpers/cli.js';
import { gitRepo, sh, tmp } from './helpers.js';

const ESLINT = resolve(import.meta.dirname, '../../node_modules/.bin/eslint');
const CONFIG = "export default [{ files: ['**/*.js'], rules: { 'prefer-const': 'error', 'no-var': 'error', 'no-unused-vars': 'error' } }];\n";

function lintRepo(src: string): string {
  return gitRepo({ 'eslint.config.mjs': CONFIG, 'src/app.js': src });
}

function config(): string {
  const dir = tmp('tutti-e2e-config-');
  const file = join(dir, 'tutti.config.yaml');
  writeFileSync(file, `agents:\n  - id: lint-fixer\n    driver: coding\n    config: { command: ['${ESLINT}', '--fix', 'src'] }\n`);
  return file;
}

function eslintCheck(dir: string): number {
  try {
    sh(dir, ESLINT, 'src');
    return 0;
  } catch (e) {
    return (e as { status: number }).status;
  }
}

describe('a real tool as the coding agent', () => {
  it('eslint --fix in a worktree, committed, validated by eslint, merged back into main', async () => {
    const repo = lintRepo('var total = 1;\nlet count = 2;\nconsole.log(total, count);\n');
    expect(eslintCheck(repo)).toBe(1);
    const data = tmp('tutti-e2e-data-');
    mkdirSync(data, { recursive: true });
    const r = await runCli(['run', '--json', '--config', config(), '--agent', 'lint-fixer', '--validate', `${ESLINT} src`, '--merge', 'fix the lint errors'], { dataDir: data, cwd: repo });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const run = JSON.parse(r.stdout) as RunView;
    const attempt = run.tasks[0]!.attempts[0]!;
    const out = attempt.output as CodingOutput;
    expect(out.commits).toHaveLength(1);
    expect(out.changedFiles).toEqual(['src/app.js']);
    expect(out.merge).toMatchObject({ status: 'merged', target: 'main' });
    expect(out.validation).toMatchObject([{ command: `${ESLINT} src`, exitCode: 0 }]);
    // main now has eslint's fix, checked in its check mode; the task's branch stays; no worktree is left.
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toBe('const total = 1;\nconst count = 2;\nconsole.log(total, count);\n');
    expect(eslintCheck(repo)).toBe(0);
    expect(sh(repo, 'git', 'log', '-1', '--format=%s')).toBe('fix the lint errors');
    expect(sh(repo, 'git', 'rev-parse', 'main')).toBe(sh(repo, 'git', 'rev-parse', `tutti/${run.id}/main`));
    expect(sh(repo, 'git', 'worktree', 'list').split('\n')).toHaveLength(1);
    expect(sh(repo, 'git', 'status', '--porcelain')).toBe('');
  });

  it('what eslint cannot fix fails validation each iteration, with its report as the feedback', async () => {
    const repo = lintRepo('var total = 1;\nfunction unused(a) { return 1; }\nconsole.log(total);\n');
    const data = tmp('tutti-e2e-data-');
    const r = await runCli(['run', '--json', '--config', config(), '--agent', 'lint-fixer', '--validate', `${ESLINT} src`, '--max-iterations', '2', 'fix the lint errors'], { dataDir: data, cwd: repo });
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout) as RunView;
    const [a1, a2] = run.tasks[0]!.attempts;
    expect(a1!.error!.message).toMatch(/^validation failed: `.*eslint src` exited with code 1\n/);
    expect(a1!.error!.message).toContain("'unused' is defined but never used");
    // Iteration 1 committed the fixable part; iteration 2 had nothing left to change but the branch has it, so it validated again.
    expect((a1!.output as CodingOutput).commits).toHaveLength(1);
    expect((a2!.output as CodingOutput).commits).toHaveLength(0);
    expect(a2!.error!.message).toContain("'unused' is defined but never used");
    // main is untouched; the branch with the partial fix is left for the user.
    expect(readFileSync(join(repo, 'src/app.js'), 'utf8')).toContain('var total');
    expect(sh(repo, 'git', 'show', `tutti/${run.id}/main:src/app.js`)).toContain('const total');
  });
});
