/**
 * The little git the template steps need: is the work dir in a repository, and commit these paths
 * (only these: whatever else the user staged stays staged). argv only, never a shell.
 */
import { execFile } from 'node:child_process';

interface GitOut {
  code: number;
  stdout: string;
  stderr: string;
}

function git(cwd: string, args: string[], env: NodeJS.ProcessEnv): Promise<GitOut> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Whether `dir` is inside a git work tree (false when git is missing). */
export async function inGitRepo(dir: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const r = await git(dir, ['rev-parse', '--is-inside-work-tree'], env);
  return r.code === 0 && r.stdout.trim() === 'true';
}

/**
 * Creates a repository in `dir` (`git init`); with `nested: false`, only when `dir` is not already
 * inside one. @returns whether one was created (false too when git is missing)
 */
export async function ensureGitRepo(dir: string, env: NodeJS.ProcessEnv, options: { nested?: boolean } = {}): Promise<boolean> {
  if (!options.nested && (await inGitRepo(dir, env))) return false;
  const r = await git(dir, ['init', '-q'], env);
  return r.code === 0;
}

/**
 * Commits `paths` (relative to `dir`; `.` for everything under it) when `dir` is in a git
 * repository and they changed. Uses the configured identity, else `tutti <tutti@localhost>`.
 * @returns the new commit's hash, or null (not a repository, or nothing changed)
 * @throws Error when git refuses (a hook failed, a path outside the repository…)
 */
export async function commitPaths(dir: string, paths: readonly string[], message: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  if (paths.length === 0 || !(await inGitRepo(dir, env))) return null;
  const add = await git(dir, ['add', '-A', '--', ...paths], env);
  if (add.code !== 0) throw new Error(`git add failed: ${add.stderr.trim().split('\n')[0]}`);
  const staged = await git(dir, ['diff', '--cached', '--quiet', '--', ...paths], env);
  if (staged.code === 0) return null;
  const identity = (await git(dir, ['config', 'user.email'], env)).stdout.trim() ? [] : ['-c', 'user.name=tutti', '-c', 'user.email=tutti@localhost'];
  const commit = await git(dir, [...identity, 'commit', '-q', '--no-verify', '-m', message, '--', ...paths], env);
  if (commit.code !== 0) throw new Error(`git commit failed: ${(commit.stderr || commit.stdout).trim().split('\n')[0]}`);
  return (await git(dir, ['rev-parse', 'HEAD'], env)).stdout.trim() || null;
}

/**
 * Paths git reports as changed or untracked under `dir`, as `:(top)`-prefixed pathspecs (usable
 * from any directory of the repository). Empty outside a repository.
 */
export async function dirtyPaths(dir: string, env: NodeJS.ProcessEnv): Promise<Set<string>> {
  const r = await git(dir, ['status', '--porcelain', '-z', '--untracked-files=all', '--', '.'], env);
  const out = new Set<string>();
  if (r.code !== 0) return out;
  const fields = r.stdout.split('\0');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length < 4) continue;
    out.add(`:(top)${f.slice(3)}`);
    // A rename or copy is followed by its source path.
    if (f[0] === 'R' || f[0] === 'C') i++;
  }
  return out;
}
