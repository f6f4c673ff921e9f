/**
 * Pull requests through GitHub's `gh`: push the task's branch and create (or update) its PR. When
 * `gh` is missing or not authenticated, or the repository has no `origin`, nothing is pushed and
 * the result says so, with the branch left for the user.
 */
import { execFile } from 'node:child_process';
import { git, gitEnv } from './git.js';

export interface PullRequestOptions {
  /** The workspace (any directory of the repository). */
  dir: string;
  branch: string;
  /** Base branch of a new PR; gh's default when null. */
  base: string | null;
  title: string;
  body: string;
  /** `create` makes a PR when none exists; `update` only pushes to an existing one. */
  mode: 'create' | 'update';
  /** The gh program. @default 'gh' */
  gh?: string;
  /** Per command, ms. @default 120000 */
  timeoutMs?: number;
  /** Extra environment of gh and git (e.g. GH_CONFIG_DIR). */
  env?: Record<string, string>;
}

export interface PullRequestResult {
  status: 'created' | 'updated' | 'skipped';
  url?: string;
  /** One line for the user. */
  message: string;
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env: Record<string, string> = {}): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: gitEnv({ GH_PROMPT_DISABLED: '1', NO_COLOR: '1', ...env }), timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? ((err as NodeJS.ErrnoException).code ?? 1) : 0;
      resolve({ code: typeof code === 'number' || typeof code === 'string' ? code : 1, stdout, stderr });
    });
  });
}

const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';

/** Pushes the branch and creates or updates its PR. Never throws for gh or network problems. */
export async function openPullRequest(o: PullRequestOptions): Promise<PullRequestResult> {
  const gh = o.gh ?? 'gh';
  const t = o.timeoutMs ?? 120_000;
  const left = `branch ${o.branch} is left for you (git push -u origin ${o.branch})`;
  const version = await run(gh, ['--version'], o.dir, t, o.env);
  if (version.code === 'ENOENT') return { status: 'skipped', message: `no PR: gh (GitHub CLI) is not installed; ${left}` };
  const auth = await run(gh, ['auth', 'status'], o.dir, t, o.env);
  if (auth.code !== 0) return { status: 'skipped', message: `no PR: gh is not authenticated (run gh auth login); ${left}` };
  const remote = await git(['remote', 'get-url', 'origin'], o.dir, { allowFail: true, ...(o.env ? { env: o.env } : {}) });
  if (remote.code !== 0) return { status: 'skipped', message: `no PR: the repository has no 'origin' remote; ${left}` };
  const push = await git(['push', '--quiet', '-u', 'origin', `${o.branch}:${o.branch}`], o.dir, { allowFail: true, timeoutMs: t, ...(o.env ? { env: o.env } : {}) });
  if (push.code !== 0) return { status: 'skipped', message: `no PR: git push failed (${firstLine(push.stderr)}); ${left}` };
  const view = await run(gh, ['pr', 'view', o.branch, '--json', 'url,state', '--jq', 'select(.state == "OPEN") | .url'], o.dir, t, o.env);
  const existing = view.code === 0 ? view.stdout.trim() : '';
  if (existing) return { status: 'updated', url: existing, message: `pushed ${o.branch}; PR updated: ${existing}` };
  if (o.mode === 'update') return { status: 'skipped', message: `pushed ${o.branch}; no open PR for it and --no-new-pr forbids creating one` };
  const args = ['pr', 'create', '--head', o.branch, '--title', o.title, '--body', o.body, ...(o.base ? ['--base', o.base] : [])];
  const created = await run(gh, args, o.dir, t, o.env);
  if (created.code !== 0) return { status: 'skipped', message: `pushed ${o.branch}; gh pr create failed: ${firstLine(created.stderr) || created.code}` };
  const url = created.stdout.trim().split('\n').pop()?.trim() ?? '';
  return { status: 'created', url, message: `PR created: ${url}` };
}
