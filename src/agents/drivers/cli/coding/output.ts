/** A coding attempt's artifacts, kept in its output (`tutti status RUN --json`, the API, the dashboard). */
import type { CommitInfo } from '../../../../workspace/commit.js';
import type { PullRequestResult } from '../../../../workspace/pr.js';
import type { CommandResult } from '../../../../workspace/validate.js';
import type { BudgetAmounts } from '../budget.js';
import type { AgentStep } from './agent-step.js';

/** How the attempt's merge into its target went (merge queue). */
export interface MergeOutcome {
  status: 'merged' | 'conflict' | 'failed' | 'cancelled';
  target: string;
  /** The target's commit after the merge. */
  sha?: string;
  /** Merge queue entry id. */
  entry?: number;
  message: string;
  /** Files in conflict. */
  files?: string[];
}

export interface CodingOutput {
  /** Commits made during this attempt, oldest first (a merge of the target into the branch included). */
  commits: Array<Pick<CommitInfo, 'sha' | 'subject'>>;
  /** The validation log (absolute path), when validation ran. */
  testLog: string | null;
  /** The repository's main checkout (absolute). */
  repoRoot: string | null;
  branch: string | null;
  /** The commit the task's branch started from. */
  base: string | null;
  /** The branch the task's work is merged into. */
  target: string | null;
  /** `refs/tutti/<run>/<task>/<n>`: this attempt's last commit, kept forever. */
  attemptRef: string | null;
  /** The commit this attempt started from: `git diff <attemptBase> <attemptRef>` is its work. */
  attemptBase: string | null;
  /** The checkpoint commit of an interrupted earlier attempt, made before this one started. */
  checkpoint?: string;
  head: string | null;
  workspace: string | null;
  changedFiles: string[];
  validation: CommandResult[];
  cli: string | null;
  clis: AgentStep['clis'];
  sessionId?: string;
  /** The CLI session this attempt continued (after an interrupted attempt). */
  resumedSession?: string;
  agentMessage?: string;
  merge?: MergeOutcome;
  pr?: PullRequestResult;
  /** Changes the agent made outside its worktree, and the evidence file. */
  boundary?: { changes: Array<{ tree: string; path: string | null; what: string }>; evidence: string };
  /** Why the worktree was kept, when it was. */
  worktreeKept?: string;
  /**
   * With a budget: the share this attempt reserved, the soft-limit lines it emitted, and the budget
   * itself (its limits, and whose account: the task's own, or its agent's for the run) — kept here
   * because a run's own agents (`--agent-cli`) are removed with their config once the run ended.
   */
  budget?: { share: BudgetAmounts; soft: string[]; limits: BudgetAmounts; scope: 'task' | 'agent' };
  /** Marks the JSON line the engine appends to feedback (stripped from prompts). */
  tutti: 'coding-attempt';
}

export function emptyOutput(): CodingOutput {
  return {
    commits: [],
    testLog: null,
    repoRoot: null,
    branch: null,
    base: null,
    target: null,
    attemptRef: null,
    attemptBase: null,
    head: null,
    workspace: null,
    changedFiles: [],
    validation: [],
    cli: null,
    clis: [],
    tutti: 'coding-attempt',
  };
}

/** Test log of an attempt, beside its log. */
export function testLogPath(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.validate.log`;
}

/** Evidence of a boundary violation, beside the attempt's log. */
export function boundaryLogPath(logPath: string): string {
  return `${logPath.replace(/\.log$/, '')}.boundary.md`;
}
