/**
 * Workspaces of coding tasks: a git worktree per task under `<dataDir>/worktrees/<runId>/<taskId>`
 * on its own branch (`tutti/<runId>/<taskId>` unless told otherwise), or the repository itself
 * (`in-place`). A small JSON file beside the worktree remembers the branch, the commit it started
 * from and its **target** (the branch its work is merged into, and kept up to date with), so every
 * later attempt of the task — a loop iteration, a retry, a rewind after a rejection, a resume
 * after a crash — continues in the same place, and reconciliation can tell whose it is.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync, rmdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { TuttiError } from '../core/errors.js';
import { safeSegment } from '../runtime/node-runtime.js';
import { currentBranch, git, isValidBranchName, listWorktrees, repoRoot, revParse } from './git.js';
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
  /**
   * Branch to work on: checked out when it exists, else created from the target's tip.
   * @default `tutti/<runId>/<taskId>` (worktree mode), the current branch (in place)
   */
  branch?: string;
  /** `false`: never create a branch (the branch, or its `origin/` twin, must exist). @default true */
  newBranch?: boolean;
  /**
   * The branch the task's work is merged into and kept up to date with; new branches start from its
   * tip. @default the branch checked out in the repository when the workspace is created
   */
  target?: string;
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
  /** Commit the task's branch started from. */
  base: string;
  /** The branch the task's work is merged into (merge queue, PR base); null when the repository was on a detached HEAD. */
  target: string | null;
  /** Repository-relative files copied in (excluded from commits). */
  copied: string[];
  /** True when this call created the workspace (run the setup command then). */
  created: boolean;
  metaPath: string;
}

interface WorkspaceMeta {
  version: 2;
  mode: WorkspaceMode;
  runId: string;
  taskId: string;
  repoRoot: string;
  dir: string;
  branch: string | null;
  base: string;
  target: string | null;
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

/** Reads a workspace's meta file (version 1 files too: their `baseBranch` is the target); null when absent or unreadable. */
export function readWorkspaceMeta(path: string): WorkspaceMeta | null {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Omit<WorkspaceMeta, 'version'> & { version: number; baseBranch?: string | null };
    if (!m || typeof m.base !== 'string') return null;
    if (m.version === 1) return { ...m, version: 2, target: m.baseBranch ?? null };
    return m.version === 2 ? (m as WorkspaceMeta) : null;
  } catch {
    return null;
  }
}

/** The meta file of a task's workspace (it outlives the worktree directory, for later attempts). */
export function workspaceMetaPath(dataDir: string, runId: string, taskId: string): string {
  return metaPathOf(dataDir, runId, taskId);
}

function writeMeta(path: string, meta: WorkspaceMeta): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(meta, null, 2)}\n`);
}

function fail(message: string, details?: Record<string, unknown>): never {
  throw new TuttiError('ERR_WORKSPACE', message, details ? { details } : undefined);
}

function toWorkspace(meta: WorkspaceMeta, created: boolean, metaPath: string): Workspace {
  return { mode: meta.mode, dir: meta.dir, repoRoot: meta.repoRoot, branch: meta.branch, base: meta.base, target: meta.target, copied: meta.copied, created, metaPath };
}

/**
 * Creates the task's workspace, or returns the one an earlier attempt created (restoring its
 * directory when it was removed: after a success, a failure, or by hand).
 * @throws TuttiError `ERR_WORKSPACE`: not a git repository, no commit yet, an invalid branch name,
 *   a branch that must exist and does not (`newBranch: false`), a branch checked out elsewhere, a
 *   dirty tree for in-place work, git failures.
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
    // The directory went away: restore it on the task's branch, or on a new one from the base
    // when that branch was deleted (it had no commit of the task).
    await git(['worktree', 'prune'], root);
    mkdirSync(dirname(dir), { recursive: true });
    if (await revParse(root, `refs/heads/${meta.branch!}`)) await addWorktree(root, dir, meta.branch!);
    else await git(['worktree', 'add', '-b', meta.branch!, dir, meta.base], root);
    meta.copied = copyInto(root, dir, spec.copyFiles ?? ['.env']);
    writeMeta(metaPath, meta);
    return toWorkspace(meta, false, metaPath);
  }
  if (existsSync(dir)) fail(`${dir} exists but is not a worktree tutti made for task ${spec.taskId} of run ${spec.runId}; move it away`, { dir });
  const target = spec.target ?? (await currentBranch(root));
  if (spec.target !== undefined && !(await revParse(root, `refs/heads/${spec.target}`))) fail(`target branch ${spec.target} does not exist`, { branch: spec.target });
  const branch = spec.branch ?? defaultBranchName(spec.runId, spec.taskId);
  if (!(await isValidBranchName(root, branch))) fail(`'${branch}' is not a valid git branch name`, { branch });
  let base: string;
  mkdirSync(dirname(dir), { recursive: true });
  const local = await revParse(root, `refs/heads/${branch}`);
  if (local) {
    // An existing branch (named by the user, or this task's own from an earlier attempt whose meta
    // file is gone) is checked out as it is.
    base = local;
    await addWorktree(root, dir, branch);
  } else if (!newBranch) {
    const remote = await revParse(root, `refs/remotes/origin/${branch}`);
    if (!remote) fail(`branch ${branch} does not exist (and --no-new-branch forbids creating it)`, { branch });
    base = remote;
    await git(['worktree', 'add', dir, branch], root);
  } else {
    const start = target ? await revParse(root, `refs/heads/${target}`) : await revParse(root, 'HEAD');
    if (!start) fail(`the repository ${root} has no commit yet: commit something first, the task's branch starts from ${target ?? 'HEAD'}`, { repo: root });
    base = start;
    await git(['worktree', 'add', '-b', branch, dir, base], root);
  }
  const copied = copyInto(root, dir, spec.copyFiles ?? ['.env']);
  const m: WorkspaceMeta = { version: 2, mode, runId: spec.runId, taskId: spec.taskId, repoRoot: root, dir, branch, base, target: target === branch ? null : target, copied, createdAt: Date.now() };
  writeMeta(metaPath, m);
  return toWorkspace(m, true, metaPath);
}

/** `git worktree add DIR BRANCH` for an existing branch, saying where it is checked out when git refuses. */
async function addWorktree(root: string, dir: string, branch: string): Promise<void> {
  const r = await git(['worktree', 'add', dir, branch], root, { allowFail: true });
  if (r.code === 0) return;
  const elsewhere = (await listWorktrees(root)).find((w) => w.branch === branch && !w.prunable);
  if (elsewhere) fail(`branch ${branch} is checked out at ${elsewhere.path}: a task's worktree needs it to itself (check out another branch there, or choose another --branch)`, { branch, path: elsewhere.path });
  fail(`git worktree add ${dir} ${branch} failed: ${r.stderr.trim().split('\n').pop() ?? `exit ${r.code}`}`, { branch });
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
  const target = spec.target ?? (await currentBranch(root));
  if (spec.branch && spec.branch !== (await currentBranch(root))) {
    if (!(await isValidBranchName(root, spec.branch))) fail(`'${spec.branch}' is not a valid git branch name`, { branch: spec.branch });
    const exists = await revParse(root, `refs/heads/${spec.branch}`);
    if (!newBranch && !exists && !(await revParse(root, `refs/remotes/origin/${spec.branch}`))) fail(`branch ${spec.branch} does not exist (and --no-new-branch forbids creating it)`, { branch: spec.branch });
    await git(exists || !newBranch ? ['switch', spec.branch] : ['switch', '-c', spec.branch], root);
  }
  const head = await revParse(root, 'HEAD');
  if (!head) fail(`the repository ${root} has no commit yet: commit something first`, { repo: root });
  const branch = await currentBranch(root);
  const m: WorkspaceMeta = {
    version: 2,
    mode: 'in-place',
    runId: spec.runId,
    taskId: spec.taskId,
    repoRoot: root,
    dir: root,
    branch,
    base: head,
    target: target === branch ? null : target,
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

/** Whether `sha` is contained in some branch, tag, remote-tracking branch or attempt ref (`refs/tutti/…`). */
export async function reachableFromKeptRef(repo: string, sha: string): Promise<boolean> {
  const r = await git(['for-each-ref', '--count=1', '--contains', sha, '--format=%(refname)', 'refs/heads', 'refs/tags', 'refs/remotes', 'refs/tutti'], repo, { allowFail: true });
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
