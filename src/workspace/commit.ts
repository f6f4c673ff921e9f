/**
 * What the agent left, as commits: everything in the workspace is committed by the engine (the
 * agent may have committed some of it itself), and the attempt's changes are read back from git.
 */
import { git, identityArgs } from './git.js';

/** A commit made during an attempt. */
export interface CommitInfo {
  sha: string;
  subject: string;
  author: string;
}

/** One changed path between two commits (a rename lists both paths). */
export interface ChangedPath {
  path: string;
  /** git's status letter: A added, M modified, D deleted, R renamed (new path), T type change. */
  status: string;
  /** For renames and copies, the old path. */
  from?: string;
}

/**
 * Stages everything in `dir` except `exclude` (files the engine copied in) and commits it.
 * Hooks are skipped (`--no-verify`): the task's validation commands are the checks.
 * @returns the new commit, or null when there was nothing to commit.
 * @throws TuttiError `ERR_WORKSPACE` when git fails.
 */
export async function commitAll(dir: string, message: string, exclude: readonly string[] = []): Promise<string | null> {
  await git(['add', '-A', '--', '.', ...exclude.map((p) => `:(exclude,top,literal)${p}`)], dir);
  const staged = await git(['diff', '--cached', '--quiet'], dir, { allowFail: true });
  if (staged.code === 0) return null;
  await git([...(await identityArgs(dir)), 'commit', '--no-verify', '--quiet', '-m', message], dir);
  return (await git(['rev-parse', 'HEAD'], dir)).stdout.trim();
}

/** Commits in `from..to`, oldest first. */
export async function commitsBetween(dir: string, from: string, to = 'HEAD'): Promise<CommitInfo[]> {
  const r = await git(['log', '--reverse', '--format=%H%x1f%s%x1f%an', `${from}..${to}`], dir);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [sha = '', subject = '', author = ''] = l.split('\x1f');
      return { sha, subject, author };
    });
}

/** Paths changed between two commits (renames detected). */
export async function changedPaths(dir: string, from: string, to = 'HEAD'): Promise<ChangedPath[]> {
  const r = await git(['diff', '--name-status', '-z', '-M', from, to], dir);
  const parts = r.stdout.split('\0');
  const out: ChangedPath[] = [];
  for (let i = 0; i < parts.length; ) {
    const status = parts[i++];
    if (!status) break;
    if (status.startsWith('R') || status.startsWith('C')) {
      const old = parts[i++]!;
      const path = parts[i++]!;
      out.push({ path, status: status[0]!, from: old });
    } else out.push({ path: parts[i++]!, status: status[0]! });
  }
  return out;
}

/** Every path touched by the changes, renamed-from paths included (what path rules check). */
export function touchedPaths(changes: readonly ChangedPath[]): string[] {
  const set = new Set<string>();
  for (const c of changes) {
    set.add(c.path);
    if (c.from) set.add(c.from);
  }
  return [...set];
}

/**
 * Moves the workspace's branch back to `to`, keeping the dropped commits reachable under
 * `keepRef` (e.g. `refs/tutti/rejected/<run>/<task>/<n>`), so nothing is lost. Untracked files
 * are cleaned except `keepFiles` (files the engine copied in).
 */
export async function rewindBranch(dir: string, to: string, keepRef: string, keepFiles: readonly string[] = []): Promise<void> {
  const head = (await git(['rev-parse', 'HEAD'], dir)).stdout.trim();
  if (head === to) return;
  await git(['update-ref', keepRef, head], dir);
  await git(['reset', '--hard', '--quiet', to], dir);
  await git(['clean', '-fdq', ...keepFiles.flatMap((f) => ['-e', `/${f}`])], dir);
}
