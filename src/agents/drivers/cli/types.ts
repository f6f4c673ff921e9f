/**
 * The coding-agent CLIs tutti drives headless (Claude Code, Codex, Gemini CLI, Cursor): what an
 * adapter for one CLI provides, the events parsed from its output, and how a run of it ended.
 */
import type { Usage } from '../../../core/model.js';

export const CLI_NAMES = ['claude', 'codex', 'gemini', 'cursor'] as const;
/** A supported coding-agent CLI. */
export type CliName = (typeof CLI_NAMES)[number];

export function isCliName(s: string): s is CliName {
  return (CLI_NAMES as readonly string[]).includes(s);
}

/** One thing a CLI reported, normalised across CLIs. */
export type CliEvent =
  | { kind: 'session'; sessionId: string; model?: string }
  | { kind: 'message'; role: 'assistant' | 'user'; text: string }
  /** A tool call: `input` is its arguments as JSON (cut at ~4 KB), `detail` the one that says most (path, command). */
  | { kind: 'tool_use'; tool: string; id?: string; detail?: string; input?: string }
  /** A tool's answer: `content` is what it returned (cut at ~4 KB). */
  | { kind: 'tool_result'; id?: string; ok: boolean; detail?: string; content?: string }
  | { kind: 'file_change'; path: string; change: 'add' | 'update' | 'delete' }
  | { kind: 'usage'; usage: Usage; cumulative: boolean }
  /**
   * The CLI's machine-readable quota state (Claude `rate_limit_event`): `rejected` means the
   * request was refused until `resetAt` (epoch ms); `window` names the limit (five_hour, seven_day…).
   */
  | { kind: 'quota'; status: 'allowed' | 'warning' | 'rejected'; resetAt?: number; window?: string }
  /** The CLI is retrying its service: `network` when it got no HTTP answer, else the HTTP status. */
  | { kind: 'retry'; network: boolean; status?: number; message?: string }
  | { kind: 'error'; message: string; fatal: boolean }
  /** The end of the session; `subtype` is the CLI's own word for how it ended (Claude `error_max_budget_usd`). */
  | { kind: 'result'; ok: boolean; text?: string; subtype?: string };

/** How one run of a CLI ended, as tutti classifies it. */
export type CliOutcomeKind =
  | 'succeeded'
  /** The program is not on PATH (or not executable). */
  | 'not_installed'
  /** It runs but has no credentials (or they were refused). */
  | 'auth'
  /** A usage limit or quota; `resetAt` when the output said when it resets. */
  | 'rate_limited'
  /** The model or service is at capacity or overloaded (HTTP 529/503); `resetAt` when the text says when to try again. */
  | 'capacity'
  /** The workspace, organisation or account is out of credits (credit balance too low, spend cap). */
  | 'out_of_credits'
  /** It cannot reach its service (no network): retrying forever helps nobody. */
  | 'unavailable'
  /** Killed by tutti's hard timeout. */
  | 'timeout'
  /** Died by a signal, or exited non-zero without a recognisable reason. */
  | 'crashed'
  /** Exited 0 but its output was not the documented event stream. */
  | 'invalid_output'
  /** The agent itself reported failure (an error result). */
  | 'failed'
  /** Aborted by cancel or a task timeout. */
  | 'cancelled'
  /** Stopped by tutti because the attempt used up its share of the run's budget. */
  | 'budget';

/** The kinds that move a fallback chain to its next CLI. */
export const FALLBACK_KINDS: ReadonlySet<CliOutcomeKind> = new Set(['not_installed', 'auth', 'rate_limited', 'capacity', 'out_of_credits', 'unavailable']);

export interface CliOutcome {
  cli: CliName;
  kind: CliOutcomeKind;
  /** One line for people. */
  message: string;
  /** Epoch ms when a rate limit (or a capacity or credit stop) ends, when the CLI said. */
  resetAt?: number;
  exitCode: number | null;
  sessionId?: string;
  usage: Usage;
  /** The agent's final message (its answer/summary). */
  finalText?: string;
  /** Files the agent reported changing (from its tool events). */
  filesChanged: string[];
  /** Events parsed, by kind. */
  counts: Record<string, number>;
  logBytes: number;
  ms: number;
}

/** Settings of one CLI invocation. */
export interface CliInvocation {
  prompt: string;
  cwd: string;
  model?: string;
  /** Replaces the adapter's default permission/sandbox flags (agent config). */
  flags?: readonly string[];
  /** Extra argv appended (agent config). */
  extraArgs: readonly string[];
  /** File where the CLI may write its final message (Codex `-o`). */
  lastMessageFile: string;
  /** The attempt's USD share of a budget: CLIs that can cap their own spending get it (Claude `--max-budget-usd`). */
  maxBudgetUsd?: number;
  /**
   * Continue this CLI session instead of starting one (the `sessionId` of an earlier outcome).
   * Only for adapters with `supportsResume`.
   */
  resumeSessionId?: string;
}

/** How a CLI's run is parsed while it goes. */
export interface CliParser {
  /** One line of stdout. */
  line(text: string): CliEvent[];
}

/** What tutti knows about one CLI: how to call it headless and how to read what it says. */
export interface CliAdapter {
  name: CliName;
  /** Program looked up on PATH. */
  program: string;
  /** Human name. */
  title: string;
  /** npm package (null when not on npm). */
  npmPackage: string | null;
  /** argv after the program, and what goes to stdin (then closed). */
  command(inv: CliInvocation): { args: string[]; stdin?: string };
  /** Whether stdout is a JSON event stream (else plain text). */
  structured: boolean;
  /** Whether `command()` can continue an earlier session (`CliInvocation.resumeSessionId`). */
  supportsResume: boolean;
  newParser(): CliParser;
  /**
   * Classifies a finished run from its exit, events and output tails. Generic patterns (rate
   * limits, auth, network) are applied by the caller when this returns null.
   */
  classify(r: { exitCode: number | null; events: readonly CliEvent[]; stdoutTail: string; stderrTail: string; now: number }): Pick<CliOutcome, 'kind' | 'message' | 'resetAt'> | null;
  /**
   * A check before the run that answers quickly when the CLI would otherwise hang (Codex without
   * credentials keeps waiting for the network): argv after the program and how to read its exit.
   */
  preflight?: { args: string[]; authenticated(exitCode: number | null, stdout: string, env: NodeJS.ProcessEnv): boolean };
  /** How `tutti doctor` asks whether it is authenticated. */
  authProbe: { args: string[] | null; interpret(exitCode: number | null, stdout: string, stderr: string, env: NodeJS.ProcessEnv, home: string): AuthState };
}

/** Whether a CLI has credentials, as far as can be told without calling its service. */
export interface AuthState {
  authenticated: boolean | null;
  /** How it is (or is not) authenticated, one line. */
  detail: string;
}
