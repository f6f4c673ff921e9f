/**
 * Types of seed 000's programmatic orchestration API (`tutti/orchestration`), with the seed's
 * names. See docs/memory.md and `../shared/seeds/000-orchestration-api-memory-plane.md`.
 */
import type { Engine } from '../../core/engine.js';
import type { AgentSelector } from '../../core/plan/schema.js';
import type { MemoryProvenance, MemoryScope } from '../../store/memory-types.js';
import type { Store } from '../../store/types.js';
import type { Embedder } from '../embedders/types.js';
import type { MemoryEntryInput, MemorySearchResult } from '../memory-plane.js';

/**
 * `'test'`: the deterministic test driver does each run (it completes without doing work);
 * `'safe-exec'`: a coding agent (capability `code` by default) does it through the engine, in a
 * git worktree when `cwd` is a repository, with argv-only processes (never a shell string).
 */
export type OrchestratorBackend = 'test' | 'safe-exec';

/** Settings of {@link createOrchestrator}. Everything is optional. */
export interface OrchestratorConfig {
  /** @default 'safe-exec' */
  backend?: OrchestratorBackend;
  /** Data dir of the engine (database, logs, blobs). @default `~/.tutti` */
  dataDir?: string;
  /** A store, or the SQLite file to open. @default `<dataDir>/tutti.db` */
  store?: Store | { sqlite: string };
  /**
   * Use this engine (its store, drivers, agents) instead of creating one. The caller starts and
   * stops it; for memory in prompts it should have `attemptHooks: createMemoryHooks(plane)`.
   */
  engine?: Engine;
  /** The embedder of the memory plane. @default the bundled local model, loaded on first use */
  embedder?: Embedder;
  /** `safe-exec`: who does the task (an agent id, or a selector). @default { capabilities: ['code'] } */
  agent?: string | AgentSelector;
  /** Work dir of runs without `cwd`. @default process.cwd() */
  workDir?: string;
  /** Results retrieved into the task prompt when memory was seeded. @default 5 */
  memoryTopK?: number;
  /**
   * Commands for `loopPolicy.successCriteria` flags (a command line without shell, or argv).
   * @default the `cwd` repository's package scripts (see {@link SuccessCriteria})
   */
  validation?: { tests?: string | string[]; lint?: string | string[]; typecheck?: string | string[] };
}

/** A memory entry: `{ key, value, metadata }` (seed 000). */
export type MemoryEntry = MemoryEntryInput;

/**
 * Success criteria as the reference writes them: each flag set to true adds a validation command
 * run in the workspace after the agent (the attempt passes only if it exits 0). The command is
 * `OrchestratorConfig.validation[flag]` when given, else the `cwd` repository's package script
 * (`test`; `lint`; `typecheck`, `type-check` or `tsc`) run with its package manager
 * (`npm run …`, or pnpm/yarn/bun by `packageManager` or lock file). A flag with no command is
 * refused (`ERR_INVALID_INPUT` naming it). `custom` is called with each successful attempt's
 * output in this process; `false` fails the attempt (it is retried per the policy).
 */
export interface SuccessCriteria {
  tests?: boolean;
  lint?: boolean;
  typecheck?: boolean;
  custom?: (result: unknown) => boolean;
}

/** The failure classes of `retryPolicy.onFailureClass`. */
export type FailureClass = 'transient' | 'permanent' | 'budget';

/** Retry of a task: the reference's fields (`maxAttempts`, `backoffMs`, `onFailureClass`) or tutti's (`initialDelayMs`, `maxDelayMs`, `factor`). */
export interface RetryPolicy {
  /** Attempts in all; wins over `maxIterations`. */
  maxAttempts?: number;
  /** Fixed delay between attempts, ms (the reference's). Not with `initialDelayMs`/`maxDelayMs`/`factor`. */
  backoffMs?: number;
  /**
   * Which failures are retried: `'transient'` — timeouts, crashes, spawn errors, rate limits,
   * exceptions, output limits; `'permanent'` — every failure (a failing command or validation,
   * invalid output, no changes too); `'budget'` — every failure until `budgetLimits` is used up
   * (it needs `budgetLimits`; `maxAttempts` then defaults to 1000). @default every failure
   */
  onFailureClass?: FailureClass;
  /** First delay, ms (exponential backoff). @default 1000 */
  initialDelayMs?: number;
  /** Longest delay, ms. @default 60000 */
  maxDelayMs?: number;
  /** Multiplier per failure. @default 2 */
  factor?: number;
}

/**
 * Budgets of a task (all its attempts together): the reference's `timeMs`, `tokens`, `costUsd`, or
 * tutti's `maxDurationMs`, `maxTokens`, `maxCostUsd` (one name per limit). The time also bounds each
 * attempt (its process group is killed past it). Tokens and USD are enforced by coding agents (the
 * `safe-exec` backend), which report usage; the `test` backend spends none.
 */
export interface BudgetLimits {
  timeMs?: number;
  tokens?: number;
  costUsd?: number;
  maxDurationMs?: number;
  maxTokens?: number;
  maxCostUsd?: number;
}

/** Loop controls of a task (seed 000 "PR2"). */
export interface LoopPolicy {
  /**
   * Attempts in all (the first included) when an attempt fails, e.g. its validation fails; each
   * new attempt gets the previous failure as feedback. @default 1
   */
  maxIterations?: number;
  /** Flags (the reference's {@link SuccessCriteria}), or statements added to the acceptance criteria in the agent's prompt (tutti). */
  successCriteria?: SuccessCriteria | string[];
  retryPolicy?: RetryPolicy;
  budgetLimits?: BudgetLimits;
}

/** Provenance of a run (the reference's `RunProvenance`): kept in its metadata and its memories' provenance. */
export interface RunProvenance {
  runId?: string;
  assignmentId?: string;
  cardId?: string;
  [key: string]: unknown;
}

/** Input of `orchestrateTask` (seed 000). Unknown fields are refused (`ERR_INVALID_INPUT`). */
export interface OrchestrateTaskInput {
  description: string;
  /**
   * The reference's strategy: `adaptive` (its default), `parallel`, `sequential` or `balanced`.
   * A run of this API has one agent task, so every strategy executes alike; it is kept in the
   * run's metadata. Other values are refused.
   */
  strategy?: string;
  /** The reference's priority: `low`, `medium` (default), `high` or `critical` → run priority -1, 0, 1, 2 (higher runs first). */
  priority?: string;
  /** Seeded into the run's memory before its first task starts. */
  initialMemoryEntries?: MemoryEntry[];
  loopPolicy?: LoopPolicy;
  /** The repository or directory to work in. @default the orchestrator's workDir */
  cwd?: string;
  /** Globs (from the repository root) the agent may change. */
  allowedPaths?: string[];
  /** Globs the agent must not change. */
  forbiddenPaths?: string[];
  acceptanceCriteria?: string[];
  /** Kept in the run's metadata and in the provenance of its memories. */
  provenance?: Record<string, unknown>;
  /** Commands run in the workspace after the agent; the attempt passes only if each exits 0 (tutti). */
  validate?: Array<string | string[]>;
}

/** What `orchestrateTask` returns. */
export interface RunHandle {
  runId: string;
}

/** Phase of a run (the reference's `RunPhase`): the engine's run status, with `queued` read as `pending`. */
export type RunPhase = 'pending' | 'running' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled' | 'expired' | 'unknown';

/** A run status (seed 000). `phase` is `'unknown'` for an unknown id. */
export interface RunStatus {
  phase: RunPhase;
  /** 0–100: finished tasks / tasks. */
  progress: number;
  error?: string;
  finished?: boolean;
}

/** A memory write of a run (the reference's `{ key?, namespace? }`, and what tutti keeps). */
export interface MemoryWrite {
  id: string;
  kind: 'entry' | 'learning';
  key: string | null;
  /** The entry's `metadata.namespace` (the client's `memorySeed[].namespace`), else null. */
  namespace: string | null;
  text: string;
  provenance: MemoryProvenance | null;
  /** ISO time. */
  createdAt: string;
}

/** A commit made by a run (the reference's `{ sha?, message? }`, plus its branch). */
export interface RunCommit {
  sha: string;
  /** Its subject line. */
  message: string;
  /** The branch it was made on, '' when unknown. */
  branch: string;
}

/** A validation log of a run (the reference's `{ name?, output?, passed? }`, plus its path). */
export interface RunTestLog {
  /** The commands it ran, e.g. `npm run test && npm run lint`. */
  name: string;
  /** Absolute path of the log file. */
  path: string;
  passed: boolean;
}

/** What a run produced; every list is an array, empty when there is nothing. */
export interface RunArtifacts {
  /** Commits made by the run's coding attempts, oldest first. */
  commits: RunCommit[];
  /** Validation logs, one per attempt that ran validation. */
  testLogs: RunTestLog[];
  /** Memories seeded or recorded for the run, oldest first. */
  memoryWrites: MemoryWrite[];
}

/** One search result: seed 000's `{ value, score?, metadata? }` and more. */
export type MemoryResult = MemorySearchResult;

/** The orchestrator of seed 000. */
export interface Orchestrator {
  readonly backend: OrchestratorBackend;
  /** Starts a run; resolves once it is durable (memory seeded first). @throws TuttiError `ERR_INVALID_INPUT` */
  orchestrateTask(input: OrchestrateTaskInput): Promise<RunHandle>;
  getRunStatus(runId: string): Promise<RunStatus>;
  cancelRun(runId: string): Promise<void>;
  getRunArtifacts(runId: string): Promise<RunArtifacts>;
  seedMemory(runId: string, entries: MemoryEntry[]): Promise<void>;
  recordLearning(runId: string, learning: string, score?: number, provenance?: Record<string, unknown>): Promise<void>;
  searchMemory(scope: MemoryScope, query: string, topK?: number): Promise<MemoryResult[]>;
  /** The run's seeded entries and learnings (the reference's `harvestMemory`). */
  harvestMemory(runId: string): Promise<ClientHarvestResult>;
  /** What the run's last successful attempt reported (a `summary`/`message` of its output, its text, or the driver's summary), if anything (beyond the seed). */
  getRunSummary(runId: string): Promise<string | undefined>;
  /** Waits for a run to end (a convenience beyond the seed). @throws TuttiError `ERR_TIMEOUT`, `ERR_RUN_NOT_FOUND` */
  waitForRun(runId: string, options?: { timeoutMs?: number }): Promise<RunStatus>;
  /** Stops the engine it created (running attempts end `interrupted` and resume later) and releases the store. */
  close(): Promise<void>;
}

/** Input of the generic client's `startRun` (seed 000). Unknown fields are refused. */
export interface StartRunInput {
  taskDescription: string;
  cwd?: string;
  /** `namespace` is kept in the entry's metadata. */
  memorySeed?: Array<{ key?: string; value: unknown; namespace?: string; metadata?: Record<string, unknown> }>;
  acceptanceCriteria?: string[];
  allowedPaths?: string[];
  forbiddenPaths?: string[];
  provenance?: Record<string, unknown>;
  loopPolicy?: LoopPolicy;
}

/** The client's status state (the reference's `RunStatusState`). */
export type RunStatusState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';

/** The client's run status (seed 000). */
export interface ClientRunStatus {
  runId: string;
  /** `pending` reads as queued, `awaiting_approval` as running, `expired` as failed. */
  status: RunStatusState;
  progress: number;
  error?: string;
  finished?: boolean;
  /** The last successful attempt's summary, when there is one. */
  summary?: string;
  commits?: RunCommit[];
}

/** What the client's `cancel` answers (the reference's `CancelRunResult`). */
export interface CancelRunResult {
  /** False when the cancel could not be recorded (`error` says why); an unknown or finished run is a success (nothing to do). */
  success: boolean;
  error?: string;
}

/** A learning of a run as `harvest` returns it (the reference's `RunLearning`). */
export interface RunLearning {
  learning: string;
  score?: number;
  provenance?: Record<string, unknown>;
}

/** A run's memory (the reference's `ClientHarvestResult`): its seeded entries and its learnings, oldest first. */
export interface ClientHarvestResult {
  entries: Array<{ key?: string; value: string; metadata?: Record<string, unknown> }>;
  learnings: RunLearning[];
}

export interface OrchestrationClient {
  startRun(input: StartRunInput): Promise<RunHandle>;
  getStatus(runId: string): Promise<ClientRunStatus>;
  /** Best effort: `{ success: true }` once the cancel is recorded (a no-op for unknown or finished runs). */
  cancel(runId: string): Promise<CancelRunResult>;
  /** Seeds the run's memory (`seedMemory`). */
  seed(runId: string, entries: MemoryEntry[]): Promise<void>;
  recordLearning(runId: string, learning: string, score?: number, provenance?: Record<string, unknown>): Promise<void>;
  /** `searchMemory`; a scope without `runId` is global. */
  search(scope: MemoryScope | { runId?: string }, query: string, topK?: number): Promise<MemoryResult[]>;
  /** The run's seeded entries and learnings, with provenance. */
  harvest(runId: string): Promise<ClientHarvestResult>;
  close(): Promise<void>;
}
