/**
 * A driver that leaves what the coding driver leaves, in a real git repository, for the review
 * views to read: per attempt a commit on `tutti/<run>/<task>/<n>` made in a worktree, kept under
 * `refs/tutti/<run>/<task>/<n>`; a log holding a Claude Code stream-json session (the captured
 * fixture) after the driver's `=== tutti: … ===` header; the attempt output of the coding-driver
 * contract (repoRoot, attemptRef, attemptBase, head, branch, commits, changedFiles, validation,
 * clis) and the session's usage. Its task input: `{ files: { path: content }, message, fail? }`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AgentDriver, AttemptResult } from '../../src/agents/types.js';

const FIXTURE = resolve(import.meta.dirname, '../fixtures/cli/claude/success.jsonl');

const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'agent', GIT_AUTHOR_EMAIL: 'agent@example.com', GIT_COMMITTER_NAME: 'agent', GIT_COMMITTER_EMAIL: 'agent@example.com' } }).trim();

/** A repository with one commit: `src/sum.js` (subtracting instead of adding) and a test. */
export function makeRepo(): string {
  const repo = mkdtempSync(join(tmpdir(), 'tutti-review-repo-'));
  git(repo, 'init', '-q', '-b', 'main');
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src/sum.js'), 'export function sum(a, b) {\n  return a - b;\n}\n');
  writeFileSync(join(repo, 'test.js'), "import { sum } from './src/sum.js';\nif (sum(1, 2) !== 3) throw new Error('expected 3');\n");
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'sum: first version');
  return repo;
}

interface Input {
  files: Record<string, string>;
  message: string;
  /** Fail this attempt number (validation fails), after committing. */
  failAttempt?: number;
}

export function contractCoder(): AgentDriver {
  return {
    name: 'contract-coder',
    defaultMaxConcurrency: null,
    accepts: (_task, _agent, explicit) => (explicit ? null : 'only named tasks'),
    async execute(ctx): Promise<AttemptResult> {
      const repo = String(ctx.agent.config.repo);
      const input = ctx.task.input as Input;
      const base = git(repo, 'rev-parse', 'main');
      const branch = `tutti/${ctx.runId}/${ctx.taskId}/${ctx.attempt}`;
      const wt = mkdtempSync(join(tmpdir(), 'tutti-review-wt-'));
      rmSync(wt, { recursive: true });
      git(repo, 'worktree', 'add', '-q', '-b', branch, wt, base);
      for (const [path, content] of Object.entries(input.files)) {
        mkdirSync(dirname(join(wt, path)), { recursive: true });
        writeFileSync(join(wt, path), content);
      }
      git(wt, 'add', '-A');
      git(wt, 'commit', '-q', '-m', input.message);
      const head = git(wt, 'rev-parse', 'HEAD');
      const attemptRef = `refs/tutti/${ctx.runId}/${ctx.taskId}/${ctx.attempt}`;
      git(repo, 'update-ref', attemptRef, head);
      const changedFiles = git(repo, 'diff', '--name-only', base, head).split('\n').filter(Boolean);
      git(repo, 'worktree', 'remove', '--force', wt);
      // The log as the coding driver writes it: a header per CLI run, then its stdout.
      const log = `\n=== tutti: claude -p <prompt> --output-format stream-json --verbose ===\n${readFileSync(FIXTURE, 'utf8')}\n=== tutti: npm test (validation) ===\nok\n`;
      mkdirSync(dirname(ctx.logPath), { recursive: true });
      writeFileSync(ctx.logPath, log);
      const failed = input.failAttempt === ctx.attempt;
      const output = {
        repoRoot: repo,
        attemptRef,
        attemptBase: base,
        head,
        branch,
        commits: [{ sha: head, subject: input.message }],
        changedFiles,
        validation: [{ command: 'node test.js', exitCode: failed ? 1 : 0, timedOut: false, ms: 140 }],
        clis: [{ cli: 'claude', kind: 'succeeded', message: 'Fixed: sum() subtracted instead of adding.', exitCode: 0, sessionId: '0b7c1f9e-2d5a-4c3e-9f61-7d2e8a1b4c90', ms: 18234 }],
      };
      const usage = { inputTokens: 4300, outputTokens: 145, cacheReadTokens: 12000, cacheWriteTokens: 900, costUsd: 0.04217 };
      if (failed) return { status: 'failed', output, usage, logBytes: Buffer.byteLength(log), exitCode: 1, error: { kind: 'exit_code', message: 'validation failed: node test.js exited 1' } };
      return { status: 'succeeded', output, usage, logBytes: Buffer.byteLength(log), summary: `committed ${head.slice(0, 8)}` };
    },
  };
}
