/**
 * Running git: argv arrays only (never a shell string), a timeout, an environment cleaned of the
 * variables that would point git at another repository, and failures as typed errors.
 */
import { execFile } from 'node:child_process';
import { TuttiError } from '../core/errors.js';

export interface GitOptions {
  /** Kill git after this long, ms. @default 120000 */
  timeoutMs?: number;
  /** Extra environment (merged over the cleaned process environment). */
  env?: Record<string, string>;
  /** Resolve with the exit code instead of throwing when git fails. @default false */
  allowFail?: boolean;
  /** Written to git's stdin (then closed). @default none: stdin is closed at once */
  input?: string;
}

export interface GitResult {
  stdout: string;
  stderr: string;
  /** Exit code (0 on success). */
  code: number;
}

/** Variables that would make git act on a repository other than `cwd`'s. */
const REPO_ENV = ['GIT_DIR', 'GIT_WORK_TREE', 'GIT_INDEX_FILE', 'GIT_OBJECT_DIRECTORY', 'GIT_ALTERNATE_OBJECT_DIRECTORIES', 'GIT_COMMON_DIR', 'GIT_PREFIX'];

/** The environment git runs with: no repository overrides, no prompts, stable (C locale) messages. */
export function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of REPO_ENV) delete env[k];
  return { ...env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C', ...extra };
}

/**
 * Runs `git args…` in `cwd`.
 * @throws TuttiError `ERR_WORKSPACE` when git cannot start or exits non-zero (unless `allowFail`).
 */
export function git(args: readonly string[], cwd: string, options: GitOptions = {}): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd, env: gitEnv(options.env), timeout: options.timeoutMs ?? 120_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout, stderr, code: 0 });
        const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean };
        if (typeof e.code === 'number' && options.allowFail) return resolve({ stdout, stderr, code: e.code });
        const why = e.code === 'ENOENT' ? 'git is not installed' : e.killed ? `timed out after ${options.timeoutMs ?? 120_000} ms` : lastLine(stderr) || e.message;
        reject(new TuttiError('ERR_WORKSPACE', `git ${args.slice(0, 2).join(' ')} failed in ${cwd}: ${why}`, { cause: err, details: { args: [...args], cwd, stderr: stderr.slice(-2000) } }));
      },
    );
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

function lastLine(s: string): string {
  const lines = s.trim().split('\n');
  return (lines.find((l) => /^(fatal|error):/.test(l)) ?? lines[lines.length - 1] ?? '').trim();
}

/** `git rev-parse` of one revision; null when it does not resolve. */
export async function revParse(cwd: string, rev: string): Promise<string | null> {
  const r = await git(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], cwd, { allowFail: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

/**
 * The top level of the work tree containing `dir`.
 * @throws TuttiError `ERR_WORKSPACE` when `dir` is not inside a git work tree.
 */
export async function repoRoot(dir: string): Promise<string> {
  const r = await git(['rev-parse', '--show-toplevel'], dir, { allowFail: true }).catch((e: unknown) => {
    throw new TuttiError('ERR_WORKSPACE', `${dir}: ${(e as Error).message}`, { cause: e });
  });
  if (r.code !== 0) throw new TuttiError('ERR_WORKSPACE', `${dir} is not inside a git repository (coding tasks work on git repositories; run git init, or point the task's cwd at one)`, { details: { dir } });
  return r.stdout.trim();
}

/** The branch checked out in `dir`, or null on a detached HEAD. */
export async function currentBranch(dir: string): Promise<string | null> {
  const r = await git(['symbolic-ref', '--quiet', '--short', 'HEAD'], dir, { allowFail: true });
  return r.code === 0 ? r.stdout.trim() : null;
}

/** Whether `name` is a valid branch name for git. */
export async function isValidBranchName(dir: string, name: string): Promise<boolean> {
  const r = await git(['check-ref-format', '--branch', name], dir, { allowFail: true });
  return r.code === 0;
}

/**
 * `-c user.name/-c user.email` arguments when the repository has no committer identity, so the
 * engine can commit in repositories (and CI machines) without one. Empty when one is configured.
 */
export async function identityArgs(dir: string): Promise<string[]> {
  const r = await git(['config', '--get', 'user.email'], dir, { allowFail: true });
  if (r.code === 0 && r.stdout.trim()) return [];
  return ['-c', 'user.name=tutti', '-c', 'user.email=tutti@localhost'];
}

/** One entry of `git worktree list --porcelain`. */
export interface GitWorktree {
  path: string;
  head: string | null;
  /** Short branch name, or null when detached. */
  branch: string | null;
  bare: boolean;
  locked: boolean;
  /** git reports its directory missing. */
  prunable: boolean;
}

/** Lists the worktrees of the repository containing `dir`. */
export async function listWorktrees(dir: string): Promise<GitWorktree[]> {
  const r = await git(['worktree', 'list', '--porcelain'], dir);
  const out: GitWorktree[] = [];
  let cur: GitWorktree | null = null;
  for (const line of r.stdout.split('\n')) {
    if (line.startsWith('worktree ')) {
      cur = { path: line.slice(9), head: null, branch: null, bare: false, locked: false, prunable: false };
      out.push(cur);
    } else if (!cur) continue;
    else if (line.startsWith('HEAD ')) cur.head = line.slice(5);
    else if (line.startsWith('branch ')) cur.branch = line.slice(7).replace(/^refs\/heads\//, '');
    else if (line === 'bare') cur.bare = true;
    else if (line.startsWith('locked')) cur.locked = true;
    else if (line.startsWith('prunable')) cur.prunable = true;
  }
  return out;
}
