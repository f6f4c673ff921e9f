/**
 * The diff of a coding attempt: `git diff attemptBase attemptRef` in the repository's main
 * checkout, read from the refs the coding driver records on the attempt's output (`repoRoot`,
 * `attemptBase`, `attemptRef` — kept forever under `refs/tutti/<run>/<task>/<n>`). Size-capped.
 */
import { isAbsolute } from 'node:path';
import { TuttiError } from '../../core/errors.js';
import { git } from '../../workspace/git.js';

/** What a diff needs from a coding attempt's output. */
export interface AttemptCommits {
  /** Absolute path of the repository's main checkout. */
  repoRoot: string;
  /** The commit the attempt started from. */
  base: string;
  /** `refs/tutti/<runId>/<taskId>/<n>` (or a commit id): the attempt's last commit. */
  ref: string;
}

export interface DiffFile {
  path: string;
  /** Set for a rename or copy: the path before. */
  oldPath?: string;
  /** Lines added and removed; null for a binary file. */
  additions: number | null;
  deletions: number | null;
}

export interface AttemptDiff extends AttemptCommits {
  files: DiffFile[];
  /** Unified diff (git's format), at most `maxBytes` of it, cut at a line end. */
  diff: string;
  /** Bytes of the whole unified diff. */
  bytes: number;
  truncated: boolean;
}

/** Default and largest unified diff sent, bytes. */
export const DEFAULT_DIFF_BYTES = 1024 * 1024;
export const MAX_DIFF_BYTES = 16 * 1024 * 1024;

const COMMIT = /^[0-9a-f]{7,64}$/;
const TUTTI_REF = /^refs\/tutti\/[A-Za-z0-9._:-]+(\/[A-Za-z0-9._:-]+)+$/;

/** The attempt's commits from its output; null when it is not a coding attempt that committed. */
export function attemptCommitsOf(output: unknown): AttemptCommits | null {
  if (!output || typeof output !== 'object') return null;
  const o = output as Record<string, unknown>;
  const { repoRoot, attemptBase, attemptRef } = o;
  if (typeof repoRoot !== 'string' || !isAbsolute(repoRoot) || repoRoot.includes('\u0000')) return null;
  if (typeof attemptBase !== 'string' || !COMMIT.test(attemptBase)) return null;
  if (typeof attemptRef !== 'string' || !(COMMIT.test(attemptRef) || TUTTI_REF.test(attemptRef))) return null;
  return { repoRoot, base: attemptBase, ref: attemptRef };
}

/** `git diff --numstat -z`: `add\tdel\tpath\0`, or `add\tdel\t\0old\0new\0` for a rename. */
function parseNumstat(out: string): DiffFile[] {
  const parts = out.split('\u0000');
  const files: DiffFile[] = [];
  for (let i = 0; i < parts.length; i++) {
    const m = /^(-|\d+)\t(-|\d+)\t(.*)$/s.exec(parts[i]!);
    if (!m) continue;
    const count = (s: string) => (s === '-' ? null : Number(s));
    if (m[3] === '') {
      files.push({ oldPath: parts[i + 1]!, path: parts[i + 2]!, additions: count(m[1]!), deletions: count(m[2]!) });
      i += 2;
    } else files.push({ path: m[3]!, additions: count(m[1]!), deletions: count(m[2]!) });
  }
  return files;
}

/**
 * The files and unified diff between the attempt's base and its last commit.
 * @param maxBytes most of the unified diff returned (bytes of UTF-8).
 * @throws TuttiError `ERR_WORKSPACE` when the repository or a commit is gone (git's message).
 */
export async function attemptDiff(c: AttemptCommits, maxBytes = DEFAULT_DIFF_BYTES): Promise<AttemptDiff> {
  const range = [c.base, c.ref, '--'];
  const [numstat, unified] = await Promise.all([
    git(['-c', 'core.quotepath=false', 'diff', '--no-color', '--no-ext-diff', '--find-renames', '--numstat', '-z', ...range], c.repoRoot),
    git(['-c', 'core.quotepath=false', 'diff', '--no-color', '--no-ext-diff', '--find-renames', ...range], c.repoRoot),
  ]);
  const whole = Buffer.from(unified.stdout, 'utf8');
  let diff = unified.stdout;
  const truncated = whole.length > maxBytes;
  if (truncated) {
    const cut = whole.subarray(0, maxBytes).toString('utf8');
    diff = cut.slice(0, Math.max(0, cut.lastIndexOf('\n') + 1));
  }
  return { ...c, files: parseNumstat(numstat.stdout), diff, bytes: whole.length, truncated };
}

/** @throws TuttiError `ERR_WORKSPACE` (409) when the attempt has no commits to show. */
export function requireCommits(output: unknown, what: string): AttemptCommits {
  const c = attemptCommitsOf(output);
  if (!c) throw new TuttiError('ERR_WORKSPACE', `${what} has no commits to diff (not a coding attempt, or it ended before committing)`);
  return c;
}
