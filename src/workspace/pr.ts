/**
 * Pull requests through GitHub's `gh`: push the task's branch and create (or update) its PR, or
 * update a given PR (seed 004's `--pr N`: its head branch is found and fetched with gh/git, the
 * work is pushed onto it). When `gh` is missing or not authenticated, or the repository has no
 * `origin`, nothing is pushed and the result says so, with the branch left for the user. Every gh
 * call runs in a process group of its own, killed whole past its timeout.
 */
import { runBrief } from '../agents/drivers/cli/probe.js';
import { git, gitEnv } from './git.js';

/** Common settings of the gh calls. */
export interface GhOptions {
  /** The workspace (any directory of the repository). */
  dir: string;
  /** The gh program. @default 'gh' */
  gh?: string;
  /** Per command, ms. @default 120000 */
  timeoutMs?: number;
  /** Extra environment of gh and git (e.g. GH_CONFIG_DIR). */
  env?: Record<string, string>;
}

export interface PullRequestOptions extends GhOptions {
  branch: string;
  /** Base branch of a new PR; gh's default when null. */
  base: string | null;
  title: string;
  body: string;
  /**
   * `create` makes a PR when none exists for the branch; `update` only pushes to an existing one;
   * a number updates that PR: the branch is pushed onto the PR's head branch (never forced).
   */
  mode: 'create' | 'update' | number;
}

export interface PullRequestResult {
  status: 'created' | 'updated' | 'skipped';
  url?: string;
  /** One line for the user. */
  message: string;
}

/** What gh says of a PR. */
export interface PullRequestInfo {
  number: number;
  /** Its head branch (where its commits are pushed). */
  branch: string;
  url: string;
  /** `OPEN`, `CLOSED` or `MERGED`. */
  state: string;
}

function run(o: GhOptions, args: string[]) {
  return runBrief(o.gh ?? 'gh', args, gitEnv({ GH_PROMPT_DISABLED: '1', NO_COLOR: '1', ...o.env }), o.timeoutMs ?? 120_000, { cwd: o.dir });
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/** Why gh cannot be used here (not installed, not authenticated), or null when it can. */
async function ghProblem(o: GhOptions): Promise<string | null> {
  const version = await run(o, ['--version']);
  if (version.spawnError === 'ENOENT') return 'gh (GitHub CLI) is not installed';
  if (version.code !== 0) return `gh --version failed: ${firstLine(version.stderr) || (version.timedOut ? 'timed out' : `exit ${version.code}`)}`;
  const auth = await run(o, ['auth', 'status']);
  if (auth.code !== 0) return 'gh is not authenticated (run gh auth login)';
  return null;
}

/**
 * PR `number` of the repository: its head branch, URL and state.
 * @returns the PR, or `{ error }` saying why it could not be read (gh missing, not logged in, no such PR).
 */
export async function pullRequestInfo(o: GhOptions & { number: number }): Promise<PullRequestInfo | { error: string }> {
  const problem = await ghProblem(o);
  if (problem) return { error: `cannot read PR ${o.number}: ${problem}` };
  const view = await run(o, ['pr', 'view', String(o.number), '--json', 'number,headRefName,url,state']);
  if (view.code !== 0) return { error: `cannot read PR ${o.number}: ${firstLine(view.stderr) || (view.timedOut ? 'gh timed out' : `gh exit ${view.code}`)}` };
  try {
    const j = JSON.parse(view.stdout) as { number?: unknown; headRefName?: unknown; url?: unknown; state?: unknown };
    if (typeof j.headRefName !== 'string' || !j.headRefName) return { error: `cannot read PR ${o.number}: gh gave no head branch` };
    return { number: typeof j.number === 'number' ? j.number : o.number, branch: j.headRefName, url: typeof j.url === 'string' ? j.url : '', state: typeof j.state === 'string' ? j.state : 'OPEN' };
  } catch {
    return { error: `cannot read PR ${o.number}: gh answered no JSON` };
  }
}

/**
 * Makes PR `number`'s head branch available to work on: fetched from `origin` into
 * `refs/remotes/origin/<branch>` (a worktree on `<branch>` then tracks it).
 * @returns the PR, or `{ error }`.
 */
export async function fetchPullRequestBranch(o: GhOptions & { number: number }): Promise<PullRequestInfo | { error: string }> {
  const pr = await pullRequestInfo(o);
  if ('error' in pr) return pr;
  if (pr.state !== 'OPEN') return { error: `PR ${o.number} is ${pr.state.toLowerCase()}: only an open PR can be updated (${pr.url})` };
  const fetched = await git(['fetch', '--quiet', 'origin', `+refs/heads/${pr.branch}:refs/remotes/origin/${pr.branch}`], o.dir, { allowFail: true, timeoutMs: o.timeoutMs ?? 120_000, ...(o.env ? { env: o.env } : {}) });
  if (fetched.code !== 0) return { error: `cannot fetch the branch ${pr.branch} of PR ${o.number} from origin: ${firstLine(fetched.stderr)}` };
  return pr;
}

/** Pushes the branch and creates or updates its PR, or updates PR `mode` (a number). Never throws for gh or network problems. */
export async function openPullRequest(o: PullRequestOptions): Promise<PullRequestResult> {
  const left = `branch ${o.branch} is left for you (git push -u origin ${o.branch})`;
  const problem = await ghProblem(o);
  if (problem) return { status: 'skipped', message: `no PR: ${problem}; ${left}` };
  const remote = await git(['remote', 'get-url', 'origin'], o.dir, { allowFail: true, ...(o.env ? { env: o.env } : {}) });
  if (remote.code !== 0) return { status: 'skipped', message: `no PR: the repository has no 'origin' remote; ${left}` };
  const t = o.timeoutMs ?? 120_000;
  if (typeof o.mode === 'number') {
    const pr = await pullRequestInfo({ ...o, number: o.mode });
    if ('error' in pr) return { status: 'skipped', message: `${pr.error}; ${left}` };
    if (pr.state !== 'OPEN') return { status: 'skipped', message: `PR ${pr.number} is ${pr.state.toLowerCase()}; ${left}` };
    const push = await git(['push', '--quiet', 'origin', `${o.branch}:refs/heads/${pr.branch}`], o.dir, { allowFail: true, timeoutMs: t, ...(o.env ? { env: o.env } : {}) });
    if (push.code !== 0) return { status: 'skipped', message: `PR ${pr.number} not updated: git push onto ${pr.branch} failed (${firstLine(push.stderr)}); ${left}` };
    return { status: 'updated', url: pr.url, message: `pushed ${o.branch} onto ${pr.branch}; PR ${pr.number} updated: ${pr.url}` };
  }
  const push = await git(['push', '--quiet', '-u', 'origin', `${o.branch}:${o.branch}`], o.dir, { allowFail: true, timeoutMs: t, ...(o.env ? { env: o.env } : {}) });
  if (push.code !== 0) return { status: 'skipped', message: `no PR: git push failed (${firstLine(push.stderr)}); ${left}` };
  const view = await run(o, ['pr', 'view', o.branch, '--json', 'url,state', '--jq', 'select(.state == "OPEN") | .url']);
  const existing = view.code === 0 ? view.stdout.trim() : '';
  if (existing) return { status: 'updated', url: existing, message: `pushed ${o.branch}; PR updated: ${existing}` };
  if (o.mode === 'update') return { status: 'skipped', message: `pushed ${o.branch}; no open PR for it and --no-new-pr forbids creating one` };
  const args = ['pr', 'create', '--head', o.branch, '--title', o.title, '--body', o.body, ...(o.base ? ['--base', o.base] : [])];
  const created = await run(o, args);
  if (created.code !== 0) return { status: 'skipped', message: `pushed ${o.branch}; gh pr create failed: ${firstLine(created.stderr) || (created.timedOut ? 'timed out' : String(created.code))}` };
  const url = created.stdout.trim().split('\n').pop()?.trim() ?? '';
  return { status: 'created', url, message: `PR created: ${url}` };
}
