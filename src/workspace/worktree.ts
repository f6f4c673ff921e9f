/**
 * Workspaces of coding tasks: a git worktree per task under `<dataDir>/worktrees/<runId>/<taskId>`
 * on its own branch (`tutti/<runId>/<taskId>` unless told otherwise), or the repository itself
 * (`in-place`). A small JSON file beside the worktree remembers the base commit and branch, so the
 * next iteration of the task continues in the same place and reconciliation can tell whose it is.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TuttiError } from '../core/errors.js';
import { safeSegment } from '../runtime/node-runtime.js';
import { currentBranch, git, isValidBranchName, repoRoot, revParse } from './git.js';
import { normaliseRepoPath } from './paths.js';

export type WorkspaceMode = 'worktree' | 'in-place';

export interface WorkspaceSpec {
  /** Any directory inside the repository. */
  repoDir: string;
  /** The engine's data dir; worktrees live under `<dataDir>/worktrees`. */
  dataDir: string;
  runId: string;
  taskId: string;
  /** @default 'worktree' */
  mode?: WorkspaceMode;
  /** Branch to work on. @default `tutti/<runId>/<taskId>` (worktree mode), the current branch (in place) */
  branch?: string;
  /** Create the branch (it must not exist), or use an existing one (it must exist). @default true */
  newBranch?: boolean;
  /** Files copied from the repository into a new worktree when they exist (never committed). @default ['.env'] */
  copyFiles?: readonly string[];
}

/** What {@link prepareWorkspace} set up. */
export interface Workspace {
  mode: WorkspaceMode;
  /** Where the agent works (absolute). */
  dir: string;
  repoRoot: string;
  /** The branch the work lands on; null only for a detached in-place checkout. */
  branch: string | null;
  /** Commit the task started from. */
  base: string;
  /** Branch checked out in the repository when the task started (merge-back target). */
  baseBranch: string | null;
  /** Repository-relative files copied in (excluded from commits). */
  copied: string[];
  /** True when this call created the workspace (run the setup command then). */
  created: boolean;
  metaPath: string;
}

interface WorkspaceMeta {
  version: 1;
  mode: WorkspaceMode;
  runId: string;
  taskId: string;
  repoRoot: string;
  dir: string;
  branch: string | null;
  base: string;
  baseBranch: string | null;
  copied: string[];
  createdAt: number;
}

/** The default branch of a task: `tutti/<runId>/<taskId>`, with characters git refuses replaced by `-`. */
export function defaultBranchName(runId: string, taskId: string): string {
  const seg = (s: string) =>
    s
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/\.{2,}/g, '.')
      .replace(/^[.-]+/, '')
      .replace(/(\.lock|\.)+$/i, '') || 'x';
  return `tutti/${seg(runId)}/${seg(taskId)}`;
}

/** `<dataDir>/worktrees/<runId>/<taskId>` (file-name-safe segments). */
export function worktreePath(dataDir: string, runId: string, taskId: string): string {
  return join(dataDir, 'worktrees', safeSegment(runId), safeSegment(taskId));
}

function metaPathOf(dataDir: string, runId: string, taskId: string): string {
  return `${worktreePath(dataDir, runId, taskId)}.tutti.json`;
}

/** Reads a workspace's meta file; null when absent or unreadable. */
export function readWorkspaceMeta(path: string): WorkspaceMeta | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as WorkspaceMeta;
    return m && m.version === 1 && typeof m.base === 'string' ? m : null;
  } catch {
    return null;
  }
}

function writeMeta(path: string, meta: WorkspaceMeta): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
}

function fail(message: string, details?: Record<string, unknown>): never {
  throw new TuttiError('ERR_WORKSPACE', message, details ? { details } : undefined);
}

function toWorkspace(meta: WorkspaceMeta, created: boolean, metaPath: string): Workspace {
  return { mode: meta.mode, dir: meta.dir, repoRoot: meta.repoRoot, branch: meta.branch, base: meta.base, baseBranch: meta.baseBranch, copied: meta.copied, created, metaPath };
}

/**
 * Creates the task's workspace, or returns the one an earlier iteration created.
 * @throws TuttiError `ERR_WORKSPACE`: not a git repository, no commit yet, branch exists (new) or
 *   is missing (`newBranch: false`), a dirty tree for in-place work, git failures.
 */
export async function prepareWorkspace(spec: WorkspaceSpec): Promise<Workspace> {
  const root = await repoRoot(spec.repoDir);
  const metaPath = metaPathOf(spec.dataDir, spec.runId, spec.taskId);
  const meta = readWorkspaceMeta(metaPath);
  const newBranch = spec.newBranch ?? true;
  // Never creating a branch and naming none means: the current checkout.
  const mode: WorkspaceMode = spec.mode === 'in-place' || (!newBranch && !spec.branch) ? 'in-place' : 'worktree';
  if (mode === 'in-place') return prepareInPlace(spec, root, metaPath, meta, newBranch);

  const dir = worktreePath(spec.dataDir, spec.runId, spec.taskId);
  if (meta && meta.mode === 'worktree') {
    if (existsSync(join(dir, '.git'))) return toWorkspace(meta, false, metaPath);
    // The directory went away (removed after a failure, or by hand): restore it on the task's
    // branch, or on a new one from the base when that branch was deleted as empty.
    await git(['worktree', 'prune'], root);
    mkdirSync(dirname(dir), { recursive: true });
    if (await revParse(root, `refs/heads/${meta.branch!}`)) await git(['worktree', 'add', dir, meta.branch!], root);
    else await git(['worktree', 'add', '-b', meta.branch!, dir, meta.base], root);
    meta.copied = copyInto(root, dir, spec.copyFiles ?? ['.env']);
    writeMeta(metaPath, meta);
    return toWorkspace(meta, false, metaPath);
  }
  if (existsSync(dir)) fail(`${dir} exists but is not a worktree tutti made for task ${spec.taskId} of run ${spec.runId}; move it away`, { dir });
  const baseBranch = await currentBranch(root);
  let branch: string;
  let base: string;
  if (newBranch) {
    branch = spec.branch ?? defaultBranchName(spec.runId, spec.taskId);
    if (!(await isValidBranchName(root, branch))) fail(`'${branch}' is not a valid git branch name`, { branch });
    if (await revParse(root, `refs/heads/${branch}`)) fail(`branch ${branch} already exists: use --no-new-branch to work on it, or choose another --branch`, { branch });
    const head = await revParse(root, 'HEAD');
    if (!head) fail(`the repository ${root} has no commit yet: commit something first, the task's branch starts from HEAD`, { repo: root });
    base = head;
    mkdirSync(dirname(dir), { recursive: true });
    await git(['worktree', 'add', '-b', branch, dir, base], root);
  } else {
    branch = spec.branch!;
    const local = await revParse(root, `refs/heads/${branch}`);
    const remote = local ? null : await revParse(root, `refs/remotes/origin/${branch}`);
    if (!local && !remote) fail(`branch ${branch} does not exist (and --no-new-branch forbids creating it)`, { branch });
    base = (local ?? remote)!;
    mkdirSync(dirname(dir), { recursive: true });
    await git(['worktree', 'add', dir, branch], root);
  }
  const copied = copyInto(root, dir, spec.copyFiles ?? ['.env']);
  const m: WorkspaceMeta = { version: 1, mode, runId: spec.runId, taskId: spec.taskId, repoRoot: root, dir, branch, base, baseBranch, copied, createdAt: Date.now() };
  writeMeta(metaPath, m);
  return toWorkspace(m, true, metaPath);
}

async function prepareInPlace(spec: WorkspaceSpec, root: string, metaPath: string, meta: WorkspaceMeta | null, newBranch: boolean): Promise<Workspace> {
  const status = await git(['status', '--porcelain'], root);
  if (status.stdout.trim()) {
    fail(`${root} has uncommitted changes: commit or stash them before an in-place (--no-worktree) task, or let the task work in its own worktree`, { repo: root });
  }
  if (meta && meta.mode === 'in-place') {
    if (meta.branch && (await currentBranch(root)) !== meta.branch) await git(['switch', meta.branch], root);
    return toWorkspace(meta, false, metaPath);
  }
  const baseBranch = await currentBranch(root);
  if (spec.branch && spec.branch !== baseBranch) {
    if (!(await isValidBranchName(root, spec.branch))) fail(`'${spec.branch}' is not a valid git branch name`, { branch: spec.branch });
    const exists = await revParse(root, `refs/heads/${spec.branch}`);
    if (newBranch && exists) fail(`branch ${spec.branch} already exists: use --no-new-branch to work on it`, { branch: spec.branch });
    if (!newBranch && !exists && !(await revParse(root, `refs/remotes/origin/${spec.branch}`))) fail(`branch ${spec.branch} does not exist (and --no-new-branch forbids creating it)`, { branch: spec.branch });
    await git(newBranch ? ['switch', '-c', spec.branch] : ['switch', spec.branch], root);
  }
  const head = await revParse(root, 'HEAD');
  if (!head) fail(`the repository ${root} has no commit yet: commit something first`, { repo: root });
  const m: WorkspaceMeta = {
    version: 1,
    mode: 'in-place',
    runId: spec.runId,
    taskId: spec.taskId,
    repoRoot: root,
    dir: root,
    branch: await currentBranch(root),
    base: head,
    baseBranch,
    copied: [],
    createdAt: Date.now(),
  };
  writeMeta(metaPath, m);
  return toWorkspace(m, true, metaPath);
}

/** Copies existing, untracked-in-the-worktree files; returns the repository-relative paths copied. */
function copyInto(root: string, dir: string, files: readonly string[]): string[] {
  const copied: string[] = [];
  for (const f of files) {
    const rel = normaliseRepoPath(f);
    if (!rel || isAbsolute(f) || rel.split('/').includes('..')) fail(`copy file '${f}' must be a path inside the repository`, { file: f });
    const from = join(root, rel);
    const to = join(dir, rel);
    if (!existsSync(from) || existsSync(to)) continue;
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, errorOnExist: false, force: false });
    copied.push(rel);
  }
  return copied;
}

/** Why a workspace may not be removed yet; null when it may. */
export async function removalBlocker(ws: Pick<Workspace, 'dir' | 'copied' | 'repoRoot'>): Promise<string | null> {
  if (!existsSync(ws.dir)) return null;
  const status = await git(['status', '--porcelain', '-z'], ws.dir);
  const copied = new Set(ws.copied);
  const dirty = status.stdout
    .split('\0')
    .filter(Boolean)
    .map((l) => l.slice(3))
    .filter((p) => !copied.has(p) && ![...copied].some((c) => p.startsWith(`${c}/`)));
  if (dirty.length) return `it has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? '…' : ''})`;
  const head = await revParse(ws.dir, 'HEAD');
  if (head && !(await reachableFromKeptRef(ws.repoRoot, head))) return `its commit ${head.slice(0, 12)} is not reachable from any branch or tag`;
  return null;
}

/** Whether `sha` is contained in some branch, tag or remote-tracking branch. */
export async function reachableFromKeptRef(repo: string, sha: string): Promise<boolean> {
  const r = await git(['for-each-ref', '--count=1', '--contains', sha, '--format=%(refname)', 'refs/heads', 'refs/tags', 'refs/remotes'], repo, { allowFail: true });
  return r.code === 0 && r.stdout.trim().length > 0;
}

/**
 * Removes a worktree (and its meta file) once nothing would be lost: no uncommitted change and its
 * HEAD reachable from a kept ref. In-place workspaces only lose their meta file.
 * @returns null when removed, else why it was kept.
 */
export async function removeWorkspace(ws: Pick<Workspace, 'mode' | 'dir' | 'copied' | 'repoRoot' | 'metaPath'>): Promise<string | null> {
  if (ws.mode === 'in-place') {
    rmSync(ws.metaPath, { force: true });
    removeEmptyParents(dirname(ws.metaPath), ws.metaPath.slice(0, ws.metaPath.lastIndexOf('/worktrees/') + '/worktrees'.length));
    return null;
  }
  const blocker = await removalBlocker(ws);
  if (blocker) return blocker;
  if (existsSync(ws.dir)) await git(['worktree', 'remove', '--force', ws.dir], ws.repoRoot);
  else await git(['worktree', 'prune'], ws.repoRoot);
  rmSync(ws.metaPath, { force: true });
  removeEmptyParents(dirname(ws.dir), ws.dir.slice(0, ws.dir.lastIndexOf('/worktrees/') + '/worktrees'.length));
  return null;
}

function removeEmptyParents(dir: string, stopAt: string): void {
  let d = resolve(dir);
  while (d.startsWith(stopAt) && d !== stopAt) {
    try {
      if (readdirSync(d).length) return;
      rmdirSync(d);
    } catch {
      return;
    }
    d = dirname(d);
  }
}
