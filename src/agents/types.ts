/**
 * The agent and driver contracts. An agent is a registered worker identity; a driver is how its
 * attempts execute (ARCHITECTURE.md §7). The engine core depends on these interfaces only.
 */
import type { MergeEnd, MergeEntry, QuotaRecord } from '../core/coordination.js';
import type { AttemptError, Usage } from '../core/model.js';
import type { TaskSpec } from '../core/plan/schema.js';

export const AGENT_STATUSES = ['active', 'paused', 'disabled'] as const;
/** `active` agents receive work; `paused` ones keep running attempts but get no new ones; `disabled` ones are ignored. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/** A registered agent, as the store keeps it. */
export interface AgentRecord {
  id: string;
  name: string;
  /** A role (`coder`, `researcher`) or the driver name. */
  type: string;
  driver: string;
  capabilities: string[];
  /** Attempts at once; null: unlimited. */
  maxConcurrency: number | null;
  /** Higher preferred among equally loaded agents. */
  priority: number;
  status: AgentStatus;
  /** Driver settings, JSON. */
  config: Record<string, unknown>;
  /** Attempts running now, across every worker sharing the store. */
  running: number;
  /**
   * The run this agent belongs to (agents a run declared with `scope: run`, such as those
   * `--agent-cli` makes): only that run's tasks may use it, and it is removed once the run ended.
   * Null or absent: any run's tasks may use it.
   */
  runId?: string | null;
  createdAt: number;
  updatedAt: number;
}

/** A line of progress or output from an attempt. */
export interface AttemptOutputLine {
  stream: 'stdout' | 'stderr' | 'info';
  text: string;
}

/** Everything a driver gets to execute one attempt. */
export interface AttemptContext {
  runId: string;
  taskId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** `runId/taskId/attemptNo`: stable across re-deliveries of this attempt, for de-duplicating side effects. */
  idempotencyKey: string;
  task: TaskSpec;
  agent: AgentRecord;
  /** Directory the attempt works in (absolute). Exists. */
  workDir: string;
  /** Absolute path where the driver writes the attempt's log (it creates the file when it has output). */
  logPath: string;
  /** The log path of attempt `n` of the same task (e.g. the previous one, to read what it left). */
  attemptLogPath?(n: number): string;
  /** Cap on log bytes kept; output past it is dropped with a marker. */
  maxLogBytes: number;
  /**
   * What happened before: the previous attempt's failure (message and output tail) or a reviewer's
   * feedback. Drivers that build prompts include it. Null on a first attempt.
   */
  feedback: string | null;
  /** Extra environment (TUTTI_RUN_ID, TUTTI_TASK_ID, TUTTI_ATTEMPT, TUTTI_IDEMPOTENCY_KEY and the task's env). */
  env: Record<string, string>;
  /** Progress and output lines, as they happen (not persisted as events). */
  emit(line: AttemptOutputLine): void;
  /** False when nobody listens to live output: drivers may skip decoding it. */
  streamOutput: boolean;
  /** Reports a spawned process so a restarted engine can kill it if this process dies. */
  onProcess?(info: { pid: number }): void;
  /** The merge queue and the CLI quota ledger, shared with every attempt of the store (absent in bare driver tests). */
  coordination?: AttemptCoordination;
}

/**
 * Coordination with other attempts, across processes and workers, through the engine's store
 * (`core/coordination.ts`): merges into a branch one at a time in queue order, and what
 * coding-agent CLIs said about their limits. Merge entries made here belong to this attempt.
 */
export interface AttemptCoordination {
  /** Queues a merge of `branch` (at `head`) into `target`, owned by this attempt; queuing again returns the same entry. */
  enqueueMerge(merge: { repo: string; target: string; taskId: string; branch: string; head: string }): Promise<MergeEntry>;
  /** Asks for the entry's turn: position 0 means it is now `merging`. */
  acquireMerge(id: number): Promise<{ entry: MergeEntry; position: number; ahead: MergeEntry | null }>;
  finishMerge(id: number, end: { status: MergeEnd; message: string; mergedSha?: string | null }): Promise<MergeEntry>;
  /** Entries of this attempt's run (of every run with `allRuns`), oldest first; at most the newest 500. */
  listMerges(filter?: { taskId?: string; repo?: string; target?: string; open?: boolean; allRuns?: boolean }): Promise<MergeEntry[]>;
  /** Every quota ledger record. */
  quotas(): Promise<QuotaRecord[]>;
  recordQuota(record: QuotaRecord): Promise<void>;
  clearQuota(cli: string, account: string): Promise<void>;
}

/** What a driver reports when an attempt ends. */
export interface AttemptResult {
  status: 'succeeded' | 'failed' | 'cancelled';
  /** JSON-serialisable result (function return value, parsed agent output…). */
  output?: unknown;
  /** One human line. */
  summary?: string;
  exitCode?: number | null;
  error?: AttemptError;
  usage?: Usage;
  /** The agent CLI's own session id, when it has one. */
  sessionId?: string;
  /** Bytes written to the log (0: no log file). */
  logBytes?: number;
}

/**
 * How an agent executes attempts. Implementations must honour `signal`: on abort, stop the work
 * (for processes: SIGTERM, grace, SIGKILL of the whole group) and resolve with status `cancelled`
 * only when nothing it started remains.
 */
export interface AgentDriver {
  /** Name used in agent definitions (`driver: exec`). */
  readonly name: string;
  /** Default `maxConcurrency` of agents of this driver; null: unlimited. */
  readonly defaultMaxConcurrency: number | null;
  /**
   * Whether an agent of this driver can run the task: null if it can, else the reason.
   * @param explicit the task names this agent by id or type (some drivers take only explicit work).
   */
  accepts(task: TaskSpec, agent: Pick<AgentRecord, 'config' | 'id'>, explicit: boolean): string | null;
  /** Throws with a clear message when an agent's `config` is unusable. */
  validateConfig?(config: Record<string, unknown>): void;
  execute(ctx: AttemptContext, signal: AbortSignal): Promise<AttemptResult>;
}

/** Driver lookup by name. */
export interface DriverRegistry {
  get(name: string): AgentDriver | undefined;
  names(): string[];
}

/** What a task function receives. */
export interface FunctionContext {
  /** The task's `input` (JSON). */
  input: unknown;
  runId: string;
  taskId: string;
  attempt: number;
  idempotencyKey: string;
  /** The agent executing the attempt. */
  agent: AgentRecord;
  /** The previous attempt's failure, or a reviewer's rejection feedback (null on a first attempt). */
  feedback: string | null;
  /** The attempt's prompt, when the task has one. */
  prompt: string | undefined;
  workDir: string;
  /** Aborted on cancel, timeout or shutdown. */
  signal: AbortSignal;
  /** A progress line (live only). */
  log(text: string): void;
  /** The merge queue and quota ledger (see {@link AttemptCoordination}); absent outside an engine. */
  coordination?: AttemptCoordination;
}

/** An in-process task function. */
export type TaskFunction = (ctx: FunctionContext) => unknown;

/** A mutable name → function map. */
export type FunctionRegistry = Map<string, TaskFunction>;

