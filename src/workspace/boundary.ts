/**
 * The worktree boundary: an attempt may change its own worktree and nothing else of the
 * repository. Before the agent starts, tutti records the state of the repository's other trees —
 * the main checkout and the run's idle worktrees — and compares them after it ends: a file that
 * appeared, changed or went away there, or a HEAD that moved (other than by tutti's own merge
 * queue), is a `boundary_violation`. CLIs' own tool events naming a file outside the worktree (an
 * Edit or Write with an absolute path into the main checkout) count too.
 *
 * What it cannot see: writes outside the repository (`/tmp`, the home directory), writes into
 * git-ignored paths, and writes into the worktree of another task whose agent is running at the
 * same time (the two cannot be told apart); CLI sandboxes (docs/coding-agents.md) confine those.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { git } from './git.js';

/**
 * `<worktree>.tutti.active`: present while an attempt or a step works in that worktree, so the
 * boundary checks of other attempts leave it out (its changes are that worker's own).
 */
export function activeMarker(dir: string): string {
  return `${dir}.tutti.active`;
}

/** Marks a worktree as at work (`who`: the attempt's idempotency key). */
export function markActive(dir: string, who: string): void {
  writeFileSync(activeMarker(dir), `${who}\n`);
}

export function clearActive(dir: string): void {
  rmSync(activeMarker(dir), { force: true });
}

/** The state of one tree: its HEAD and every path git reports as changed or untracked, with a content hash. */
export interface TreeSnapshot {
  dir: string;
  head: string | null;
  /** Path → `<status> <hash>` (hash `-` for a deleted file). */
  entries: Map<string, string>;
}

/** One change found outside the attempt's worktree. */
export interface BoundaryChange {
  /** The tree it happened in. */
  tree: string;
  /** Repository-relative path, or null for a HEAD that moved. */
  path: string | null;
  /** `added`, `modified`, `deleted`, `head moved from X to Y`, or `written by the agent's <tool>`. */
  what: string;
}

async function hashes(dir: string, paths: readonly string[]): Promise<string[]> {
  const present = paths.filter((p) => existsSync(join(dir, p)));
  const out = new Map<string, string>();
  if (present.length) {
    const r = await git(['hash-object', '--no-filters', '--stdin-paths'], dir, { allowFail: true, input: `${present.join('\n')}\n` });
    const lines = r.stdout.trim().split('\n');
    present.forEach((p, i) => out.set(p, lines[i] ?? '?'));
  }
  return paths.map((p) => out.get(p) ?? '-');
}

/** Records a tree's HEAD and the content of every changed or untracked path. */
export async function snapshotTree(dir: string): Promise<TreeSnapshot> {
  const head = (await git(['rev-parse', '--verify', '--quiet', 'HEAD'], dir, { allowFail: true })).stdout.trim() || null;
  const r = await git(['status', '--porcelain=v1', '-z', '--untracked-files=all', '--ignore-submodules=all'], dir, { allowFail: true });
  const fields = r.stdout.split('\0');
  const rows: Array<[string, string]> = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.length < 4) continue;
    rows.push([f.slice(3), f.slice(0, 2)]);
    if (f[0] === 'R' || f[0] === 'C') i++;
  }
  const hs = await hashes(
    dir,
    rows.map(([p]) => p),
  );
  return { dir, head, entries: new Map(rows.map(([p, st], i) => [p, `${st} ${hs[i]}`])) };
}

/**
 * What changed between two snapshots of one tree.
 * @param allowedHeads HEADs the tree may have moved to (commits tutti's merge queue landed).
 */
export function compareSnapshots(before: TreeSnapshot, after: TreeSnapshot, allowedHeads: ReadonlySet<string> = new Set()): BoundaryChange[] {
  const out: BoundaryChange[] = [];
  if (before.head !== after.head && !(after.head && allowedHeads.has(after.head))) {
    out.push({ tree: after.dir, path: null, what: `HEAD moved from ${before.head?.slice(0, 12) ?? 'nothing'} to ${after.head?.slice(0, 12) ?? 'nothing'}` });
  }
  for (const [p, v] of after.entries) {
    const was = before.entries.get(p);
    if (was === v) continue;
    out.push({ tree: after.dir, path: p, what: was === undefined ? (v.startsWith('??') ? 'added' : 'modified') : v.endsWith(' -') ? 'deleted' : 'modified' });
  }
  for (const p of before.entries.keys()) if (!after.entries.has(p)) out.push({ tree: after.dir, path: p, what: 'reverted' });
  return out;
}

/**
 * Files a CLI reported writing (absolute paths from its tool events) that lie inside one of
 * `guarded` (the main checkout, other worktrees) and not inside `own`.
 */
export function reportedOutside(own: string, guarded: readonly string[], files: readonly string[], cwd: string): BoundaryChange[] {
  const out: BoundaryChange[] = [];
  const inside = (root: string, p: string) => {
    const rel = relative(root, p);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  for (const f of files) {
    const abs = isAbsolute(f) ? resolve(f) : resolve(cwd, f);
    if (inside(own, abs)) continue;
    const tree = guarded.find((g) => inside(g, abs));
    if (tree) out.push({ tree, path: relative(tree, abs), what: 'written by the agent (its own tool events say so)' });
  }
  return out;
}

/**
 * Writes the evidence of a violation next to the attempt log: the changes, and for each tree the
 * diff of the tracked paths and the first lines of untracked files.
 * @returns the evidence file's path.
 */
export async function writeBoundaryEvidence(path: string, changes: readonly BoundaryChange[]): Promise<string> {
  const lines = ['# Changes outside the attempt\'s worktree', ''];
  for (const c of changes) lines.push(`- ${c.tree}${c.path ? `/${c.path}` : ''}: ${c.what}`);
  const byTree = new Map<string, string[]>();
  for (const c of changes) if (c.path) byTree.set(c.tree, [...(byTree.get(c.tree) ?? []), c.path]);
  for (const [tree, paths] of byTree) {
    const d = await git(['diff', '--no-color', 'HEAD', '--', ...paths], tree, { allowFail: true });
    if (d.stdout.trim()) lines.push('', `## git diff in ${tree}`, '', d.stdout.trimEnd());
    for (const p of paths) {
      const tracked = (await git(['ls-files', '--error-unmatch', '--', p], tree, { allowFail: true })).code === 0;
      if (tracked) continue;
      try {
        const text = readFileSync(join(tree, p), 'utf8');
        lines.push('', `## ${tree}/${p} (untracked)`, '', text.length > 4000 ? `${text.slice(0, 4000)}\n…` : text);
      } catch {
        // gone again, or not text
      }
    }
  }
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}
