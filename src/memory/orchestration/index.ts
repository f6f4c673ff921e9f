/**
 * `tutti/orchestration`: seed 000's programmatic orchestration API and memory plane, over the one
 * engine. Side-effect free: importing it opens no database, starts no server, CLI, timer or agent,
 * and reads no environment; the first call does.
 *
 * The free functions (`getRunStatus`, `cancelRun`, `getRunArtifacts`, `seedMemory`,
 * `recordLearning`, `searchMemory`) act on the orchestrator made last by
 * {@link createOrchestrator}, or — when none was made — on one over the default data dir
 * (`~/.tutti`), created on first use. Statuses, artifacts and memory are read from the engine's
 * durable store.
 *
 * @example
 * import { createOrchestrator, getRunStatus } from 'tutti/orchestration';
 * const orchestrator = createOrchestrator({ backend: 'test' });
 * const { runId } = await orchestrator.orchestrateTask({
 *   description: 'Your task description',
 *   initialMemoryEntries: [{ key: 'ctx', value: 'some context', metadata: {} }],
 * });
 * const status = await getRunStatus(runId);
 */
import type { MemoryScope } from '../../store/memory-types.js';
import { createTracked, currentOrchestrator } from './current.js';
import type { ClientHarvestResult, MemoryEntry, MemoryResult, Orchestrator, OrchestratorConfig, RunArtifacts, RunStatus } from './types.js';

export type {
  BudgetLimits,
  CancelRunResult,
  ClientHarvestResult,
  ClientRunStatus,
  FailureClass,
  LoopPolicy,
  RetryPolicy,
  RunCommit,
  RunLearning,
  RunPhase,
  RunStatusState,
  RunTestLog,
  SuccessCriteria,
  MemoryEntry,
  MemoryResult,
  MemoryWrite,
  OrchestrateTaskInput,
  OrchestrationClient,
  Orchestrator,
  OrchestratorBackend,
  OrchestratorConfig,
  RunArtifacts,
  RunHandle,
  RunStatus,
  StartRunInput,
} from './types.js';
export type { MemoryScope, MemoryScope as MemorySearchScope, MemoryProvenance } from '../../store/memory-types.js';
export type { RunProvenance } from './types.js';
export { createOrchestrationClient, type OrchestrationClientOptions, type OrchestrationClientOptions as CreateOrchestrationClientOptions } from './client.js';
export { CRITERIA_SCRIPTS, packageManagerOf } from './validation.js';
export { MemoryPlane, type MemorySearchResult, type MemoryEntryInput, type LearningInput, type MemoryPlaneOptions } from '../memory-plane.js';
export { createMemoryHooks, formatMemoryContext, MEMORY_HEADING, type MemoryHooksOptions } from '../context.js';
export { LEARNING_MARKER } from '../learnings.js';
export { createLocalEmbedder, LOCAL_MODEL_ID } from '../embedders/local.js';
export { createOpenAIEmbedder, type OpenAIEmbedderOptions } from '../embedders/openai.js';
export { createHashEmbedder } from '../embedders/hash.js';
export { createEmbedder, embedderConfigSchema, type EmbedderConfig } from '../embedders/index.js';
export type { Embedder } from '../embedders/types.js';
export { StateManager, StateTransaction, type SetStateInput, type StateManagerOptions } from '../state.js';
export { createStateSessions, type StateSessions } from '../state-sessions.js';

/**
 * Creates an orchestrator (seed 000) and makes it the one the free functions use.
 * @param config `backend`: `'test'` (the deterministic test driver: a run completes without doing
 *   work) or `'safe-exec'` (a coding agent through the engine; the default); `dataDir`, `store`,
 *   `engine`, `embedder`, `agent`, `workDir`.
 * @throws TuttiError `ERR_INVALID_OPTIONS` for an unknown backend.
 */
export function createOrchestrator(config: OrchestratorConfig = {}): Orchestrator {
  return createTracked(config);
}

const orchestrator = currentOrchestrator;

/** Status of a run: `{ phase, progress (0–100), error?, finished? }`; an unknown id answers phase `'unknown'`, progress 0, finished false (no throw). */
export function getRunStatus(runId: string): Promise<RunStatus> {
  return orchestrator().getRunStatus(runId);
}

/** Best-effort cancel: resolves `undefined` (as the reference's); a no-op for unknown or finished runs. */
export function cancelRun(runId: string): Promise<void> {
  return orchestrator().cancelRun(runId);
}

/** `{ commits, testLogs, memoryWrites }` of a run, arrays (empty when none, also for unknown runs). */
export function getRunArtifacts(runId: string): Promise<RunArtifacts> {
  return orchestrator().getRunArtifacts(runId);
}

/** Preloads run context: entries stored in the run's scope, committed when this resolves. @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH` */
export function seedMemory(runId: string, entries: MemoryEntry[]): Promise<void> {
  return orchestrator().seedMemory(runId, entries);
}

/** Records a learning of a run, with an optional score and provenance. @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH` */
export function recordLearning(runId: string, learning: string, score?: number, provenance?: Record<string, unknown>): Promise<void> {
  return orchestrator().recordLearning(runId, learning, score, provenance);
}

/**
 * Searches memory by meaning and words: `{ runId }` sees only that run's entries and learnings,
 * `'global'` sees all. Best first, at most `topK` (default 5); each result has `value`, `score`, `metadata`.
 * @throws TuttiError `ERR_INVALID_INPUT`, `ERR_EMBEDDER`, `ERR_EMBEDDING_MISMATCH`
 */
export function searchMemory(scope: MemoryScope, query: string, topK = 5): Promise<MemoryResult[]> {
  return orchestrator().searchMemory(scope, query, topK);
}

/** A run's seeded entries and learnings with their provenance, oldest first (the reference's `harvestMemory`). */
export function harvestMemory(runId: string): Promise<ClientHarvestResult> {
  return orchestrator().harvestMemory(runId);
}
