/**
 * What each simulated CLI module implements: reading its argv as the real CLI does (probes, a run,
 * or a usage error), and an emitter that prints the session in the CLI's own headless format.
 * The runner (runner.ts) does the work (files, commands) and calls the emitter as it goes.
 */
import { randomUUID } from 'node:crypto';
import type { SimCli, SimOutcome, SimScenarioResolved } from './scenario.js';

/** Tokens of one message or a whole session. */
export interface SimTokens {
  input: number;
  cacheWrite: number;
  cacheRead: number;
  output: number;
}

/** A tool call the simulated agent makes (paths absolute). */
export type SimTool =
  | { kind: 'write'; path: string; content: string; created: boolean }
  | { kind: 'edit'; path: string; find: string; replace: string }
  | { kind: 'delete'; path: string }
  | { kind: 'read'; path: string }
  | { kind: 'shell'; command: string };

export interface SimToolResult {
  ok: boolean;
  /** What the tool printed or returned (file content, command output, error). */
  output: string;
  /** Shell commands. */
  exitCode?: number;
}

/** What argv asks for. */
export type SimParsed =
  | { kind: 'version' }
  | { kind: 'auth' }
  /** The interactive program (no headless flag): `tutti live` starts it in tmux. */
  | { kind: 'interactive' }
  | { kind: 'usage'; message: string; exitCode: number }
  | {
      kind: 'run';
      prompt: string;
      /** Session id to continue (claude --resume, codex exec resume, gemini --resume, cursor-agent --resume). */
      resume?: string;
      model?: string;
      /** Codex -o. */
      lastMessageFile?: string;
      /** Claude --max-budget-usd. */
      maxBudgetUsd?: number;
      /** The agent's working directory when argv names one (codex -C). */
      cwd?: string;
      /**
       * How the CLI confines its own file tools (not shell commands): writes outside the cwd and
       * `extraRoots` are refused, all writes when `readOnly`. Absent: not confined.
       */
      confine?: { extraRoots: string[]; readOnly: boolean };
      /** What the real CLI prints on stderr at start for these flags (e.g. a sandbox warning). */
      notice?: string;
    };

/** Everything an emitter knows about the invocation. */
export interface SimContext {
  cli: SimCli;
  argv: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  prompt: string;
  sessionId: string;
  resumed: boolean;
  model: string;
  /** Epoch ms at start. */
  startedAt: number;
  lastMessageFile?: string;
  maxBudgetUsd?: number;
  settings: SimScenarioResolved['clis'][SimCli];
  /** Tokens the whole session reports (split over its messages where the CLI reports per message). */
  total: SimTokens;
  /** API calls (assistant messages) the session is planned to make, for the split. */
  plannedMessages: number;
  /** Tokens chattered messages reported on top of `total` (grows while the session runs). */
  extra: SimTokens;
}

/** How the process ends after `finish`. */
export interface SimEnd {
  exitCode: number;
  stderr?: string;
}

export interface SimEmitter {
  start(): void;
  text(text: string, usage?: SimTokens): void;
  /** @returns the tool call's id. */
  toolStart(tool: SimTool, usage?: SimTokens): string;
  toolEnd(id: string, tool: SimTool, result: SimToolResult): void;
  /** One retry of an unreachable service (`network` outcome). */
  retry(attempt: number): void;
  /** Prints the end of the session for `outcome` (not network, crash, hang, invalid_output). */
  finish(outcome: SimOutcome, finalText: string): SimEnd;
}

export interface SimProtocol {
  cli: SimCli;
  /** What `--version` prints (stdout). */
  version: string;
  defaultModel: string;
  /** A new session id in the CLI's format. */
  newSessionId(): string;
  parse(argv: readonly string[], readStdin: () => string): SimParsed;
  /** Answers an auth probe. */
  authProbe(loggedIn: boolean): SimEnd & { stdout: string };
  /** The tool result text when `tool` is refused by the CLI's confinement. */
  denial(tool: SimTool, roots: readonly string[]): string;
  /** The answer to resuming an unknown session. */
  unknownSession(id: string, ctx: Pick<SimContext, 'cwd'>): SimEnd & { stdout?: string };
  emitter(ctx: SimContext): SimEmitter;
}

/** Writes one JSON event line to stdout (on a full pipe Node queues the rest: the runner exits only once it is written). */
export function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

export const uuid = (): string => randomUUID();

/** A zero-token record. */
export const NO_TOKENS: SimTokens = { input: 0, cacheWrite: 0, cacheRead: 0, output: 0 };

/**
 * A realistic small session when the scenario does not say: 42 new input tokens, 2,048 written to
 * and 56,000 read from the prompt cache, 310 output tokens.
 */
export const DEFAULT_TOKENS: SimTokens = { input: 42, cacheWrite: 2048, cacheRead: 56_000, output: 310 };

export function addTokens(a: SimTokens, b: SimTokens): SimTokens {
  return { input: a.input + b.input, cacheWrite: a.cacheWrite + b.cacheWrite, cacheRead: a.cacheRead + b.cacheRead, output: a.output + b.output };
}

/** `total` split in `parts` (the last part takes the remainders). */
export function splitTokens(total: SimTokens, parts: number, index: number): SimTokens {
  const n = Math.max(1, parts);
  const part = (v: number) => (index === n - 1 ? v - Math.floor(v / n) * (n - 1) : Math.floor(v / n));
  return { input: part(total.input), cacheWrite: part(total.cacheWrite), cacheRead: part(total.cacheRead), output: part(total.output) };
}

/**
 * USD of `t` at Claude Sonnet list prices (per million tokens: input 3, cache write 3.75, cache
 * read 0.30, output 15): what the simulator reports as cost when the scenario gives none.
 */
export function priceUsd(t: SimTokens): number {
  return Math.round((t.input * 3 + t.cacheWrite * 3.75 + t.cacheRead * 0.3 + t.output * 15) * 1e3) / 1e9;
}

/** Epoch ms of a rate limit's reset for `outcome` (default: in one hour). */
export function resetEpochMs(outcome: Extract<SimOutcome, { kind: 'rate_limit' }>, now: number): number {
  if (outcome.resetAt) {
    const t = Date.parse(outcome.resetAt);
    if (!Number.isNaN(t)) return t;
  }
  return now + Math.round((outcome.resetInSeconds ?? 3600) * 1000);
}

/** Value of `--flag VALUE` or `--flag=VALUE` in argv (the last one wins). */
export function flagValue(argv: readonly string[], ...names: string[]): string | undefined {
  let v: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) v = argv[i + 1];
      else if (a.startsWith(`${n}=`)) v = a.slice(n.length + 1);
    }
  }
  return v;
}
