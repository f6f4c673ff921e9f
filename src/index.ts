/**
 * tutti: a durable orchestration engine for AI agents.
 *
 * This entry only re-exports: importing it opens no database, starts no timer and reads no
 * environment. Create an engine with {@link createEngine} and call `start()`.
 */
export { createEngine, defaultDataDir, engineDataDir, type CreateEngineOptions } from './create-engine.js';
export { Engine, type CreateRunOptions, type EngineDeps, type StopOptions } from './core/engine.js';
export type { EngineOptions, ResolvedEngineOptions } from './core/options.js';
export { resolveEngineOptions } from './core/options.js';
export {
  TuttiError,
  PlanValidationError,
  StaleLeaseError,
  InvalidTransitionError,
  NonRetryableError,
  RetryAfterError,
  isTuttiError,
  type ErrorCode,
  type PlanIssue,
} from './core/errors.js';
export type { EngineEventMap, PersistedEventPayloads, PersistedEventType, TypedEventRecord, AttemptOutputEvent } from './core/events.js';
export {
  RUN_STATUSES,
  TASK_STATUSES,
  ATTEMPT_STATUSES,
  canTransitionRun,
  canTransitionTask,
  canTransitionAttempt,
  isTerminalRunStatus,
  isTerminalTaskStatus,
  idempotencyKey,
  type RunStatus,
  type TaskStatus,
  type AttemptStatus,
  type BlockedReason,
  type AttemptError,
  type AttemptErrorKind,
  type Usage,
  type RunRecord,
  type TaskRecord,
  type AttemptRecord,
  type EventRecord,
  type AttemptRef,
} from './core/model.js';
export { planSchema, planJsonSchema, type Plan, type PlanInput, type TaskSpec, type AgentInput, type AgentDefinition, type AgentSelector, type RetryPolicy, type Backoff } from './core/plan/schema.js';
export { parsePlanText, parsePlanObject } from './core/plan/parse.js';
export { validatePlan, normalisePlan, checkPlan, type ValidatedPlan, type PlannedTask, type AgentMatcher } from './core/plan/validate.js';
export { topologicalOrder, criticalPath } from './core/plan/graph.js';
export type { RunView, RunSummary, TaskView, AttemptView, RunCounts } from './core/run-view.js';
export type { AgentDriver, AgentRecord, AgentStatus, AttemptContext, AttemptResult, DriverRegistry } from './agents/types.js';
export { createExecDriver, createFunctionDriver, createTestDriver, createDriverRegistry, type FunctionContext, type TaskFunction, type TestScript } from './agents/drivers/index.js';
export {
  createCodingAgentDrivers,
  createCodingDriver,
  createCliDriver,
  codingPlan,
  analyzeTask,
  TaskDispatcher,
  usableClis,
  reconcileWithEngine,
  probeCli,
  CLI_NAMES,
  CLI_ADAPTERS,
  codingAgentConfigSchema,
  cliAgentConfigSchema,
  runCli,
  runChain,
  chainError,
  composePrompt,
  parseResetTime,
  type CliName,
  type CliOutcome,
  type CliEvent,
  type CodingOutput,
  type CodingDriverOptions,
  type CodingAgentConfig,
  type CodingRunInput,
  type AgentSpec,
  type TaskDispatcherOptions,
  type CreatedAgent,
} from './agents/drivers/cli/index.js';
export {
  prepareWorkspace,
  removeWorkspace,
  reconcileWorktrees,
  pruneOrphans,
  checkPaths,
  splitCommandLine,
  runValidation,
  landBranch,
  attemptRef,
  openPullRequest,
  type Workspace,
  type WorkspaceSpec,
  type Reconciliation,
  type OrphanWorktree,
  type PathViolation,
  type ValidationResult,
  type PullRequestResult,
  type LandResult,
} from './workspace/index.js';
export { SqliteStore, openSqliteStore, type SqliteStoreOptions } from './store/sqlite/index.js';
// PostgreSQL: pg is loaded on first use only (docs/scale-out.md).
export { lazyPostgresStore, openPostgresStore, type LazyPostgresStore } from './store/postgres/lazy.js';
export type { PostgresStore, PostgresStoreOptions } from './store/postgres/index.js';
export type { Store, NewRun, AttemptProcess, ClaimRequest, ClaimResult, AttemptFinish, StartedAttempt, RunFilter, WorkerRecord, CancelResult, StoreStats } from './store/types.js';
export { importWfCommons, WFCOMMONS_AGENT_IDS, type WfCommonsImportOptions, type WfCommonsImport, type WfCommonsStats, type WfCommonsDriver } from './core/plan/wfcommons.js';
export { ANY_CAPABILITY, matchesSelector, chooseAgent, type Chooser, type ClaimCandidate, type ClaimDecision, type ClaimInput } from './core/scheduler/select.js';
export { createLlmDriver, llmAgentConfigSchema, costUsd, parseRetryAfter, type LlmDriverOptions, type LlmAgentConfig, type PriceTable, type ModelPrice } from './agents/drivers/llm/index.js';
export {
  renderTemplate,
  listTemplates,
  BUILTIN_TEMPLATES,
  parseUserTemplate,
  renderUserTemplate,
  parseParamAssignments,
  singleTemplate,
  devTeamTemplate,
  batchTemplate,
  devTeamPhase,
  DEV_TEAM_TASKS,
  DEV_TEAM_FILES,
  STEP_FUNCTIONS,
  type Template,
  type TemplateInfo,
  type UserTemplate,
  type SingleParams,
  type DevTeamParams,
  type BatchParams,
} from './templates/index.js';
export { generatePlan, createRunFromGoal, PlannerError, type PlannerOptions, type GeneratedPlan } from './planner/index.js';
