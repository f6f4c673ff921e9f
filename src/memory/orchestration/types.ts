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
}

/** A memory entry: `{ key, value, metadata }` (seed 000). */
export type MemoryEntry = MemoryEntryInput;

/** Loop controls of a task (seed 000 "PR2"). */
export interface LoopPolicy {
  /**
   * Attempts in all (the first included) when an attempt fails, e.g. its validation fails; each
   * new attempt gets the previous failure as feedback. @default 1
   */
  maxIterations?: number;
  /** What must hold when the task is done: added to the acceptance criteria in the agent's prompt. */
  successCriteria?: string[];
  /** Backoff between attempts; `maxAttempts` here wins over `maxIterations`. */
  retryPolicy?: { maxAttempts?: number; initialDelayMs?: number; maxDelayMs?: number; factor?: number };
  /**
   * `maxDurationMs` bounds each attempt (the process group is killed past it). `maxCostUsd` and
   * `maxTokens` are recorded in the run's metadata (enforced when the engine's budgets are on).
   */
  budgetLimits?: { maxDurationMs?: number; maxCostUsd?: number; maxTokens?: number };
}

/** Input of `orchestrateTask` (seed 000). */
export interface OrchestrateTaskInput {
  description: string;
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
  /** Commands run in the workspace after the agent; the attempt passes only if each exits 0. */
  validate?: Array<string | string[]>;
}

/** What `orchestrateTask` returns. */
export interface RunHandle {
  runId: string;
}

/** A run status (seed 000). `phase` is the engine's run status, or `'unknown'` for an unknown id. */
export interface RunStatus {
  phase: 'queued' | 'running' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled' | 'expired' | 'unknown';
  /** 0–100: finished tasks / tasks. */
  progress: number;
  error?: string;
  finished?: boolean;
}

/** A memory write of a run. */
export interface MemoryWrite {
  id: string;
  kind: 'entry' | 'learning';
  key: string | null;
  text: string;
  provenance: MemoryProvenance | null;
  /** ISO time. */
  createdAt: string;
}

/** What a run produced; every list is an array, empty when there is nothing. */
export interface RunArtifacts {
  /** Commit shas made by the run's coding attempts, oldest first. */
  commits: string[];
  /** Absolute paths of validation logs. */
  testLogs: string[];
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
  /** What the run's last successful attempt reported (a `summary`/`message` of its output, its text, or the driver's summary), if anything (beyond the seed). */
  getRunSummary(runId: string): Promise<string | undefined>;
  /** Waits for a run to end (a convenience beyond the seed). @throws TuttiError `ERR_TIMEOUT`, `ERR_RUN_NOT_FOUND` */
  waitForRun(runId: string, options?: { timeoutMs?: number }): Promise<RunStatus>;
  /** Stops the engine it created (running attempts end `interrupted` and resume later) and releases the store. */
  close(): Promise<void>;
}

/** Input of the generic client's `startRun` (seed 000). */
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

/** The client's run status (seed 000). */
export interface ClientRunStatus {
  runId: string;
  /** `awaiting_approval` reads as running; `expired` as failed. */
  status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';
  progress: number;
  error?: string;
  finished?: boolean;
  /** The last successful attempt's summary, when there is one. */
  summary?: string;
  commits?: string[];
}

export interface OrchestrationClient {
  startRun(input: StartRunInput): Promise<RunHandle>;
  getStatus(runId: string): Promise<ClientRunStatus>;
  /** Best effort; resolves `undefined`. */
  cancel(runId: string): Promise<void>;
  close(): Promise<void>;
}
