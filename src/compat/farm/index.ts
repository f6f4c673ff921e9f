/**
 * `tutti/farm`: the task farm of seed 002 (`mai-orchestration-framework`, with the
 * `mai-orchestration-core` exports it re-exports) as a thin adapter over the tutti engine. Farm
 * tasks are queued in an {@link Orchestrator} and executed as tasks of engine runs, one run per
 * batch; priorities, parallelism, agent selection and capacity are the engine's. Code written for
 * the reference runs with only its import changed (docs/seeds-compatibility.md lists every
 * name). Importing this module has no side effects.
 *
 * @example
 * import { Orchestrator, createFarmTask, isOverallSuccess } from 'tutti/farm';
 * const orchestrator = new Orchestrator();
 * const ids = orchestrator.queueBatch([
 *   createFarmTask('test', 'Unit tests', 'All pass'),
 *   createFarmTask('review', 'Code review', 'Approved'),
 * ]);
 * const results = await orchestrator.executeBatch(ids, { parallel: 3, failFast: false, timeout: 60_000 });
 * console.log(results.summary, results.successCount, isOverallSuccess(results));
 * await orchestrator.close();
 */
export { Orchestrator, defaultFarmExecutor, type OrchestratorOptions } from './orchestrator.js';
export {
  createFarmTask,
  createFarmResult,
  isSuccessResult,
  getPriorityOrder,
  sortByPriority,
  renderPrompt,
  PRIORITY_RANK,
  MAX_TASK_TYPE_LENGTH,
  NO_AGENT,
  type FarmTaskOptions,
} from './task.js';
export { ResultAggregator, aggregateResults, isOverallSuccess, formatResultsMarkdown, summarize } from './results.js';
export { AgentRegistry, createAgentStatus, markAgentRunning, markAgentComplete, markAgentFailed, calculateAgentDuration } from './agent-status.js';
export {
  AgentDispatcher,
  defaultFarmAgents,
  defaultOutputDir,
  parseFarmAgent,
  ALL_TASK_TYPES,
  SEED_TASK_TYPES,
  FARM_AGENT_TYPE,
  MAX_AGENT_CAPABILITIES,
  type AgentDispatcherOptions,
  type FarmAgentInput,
} from './agents.js';
export {
  OrchestrationEventEmitter,
  LoggingEventHandler,
  formatFarmEvent,
  createTaskQueuedEvent,
  createTaskStartedEvent,
  createTaskProgressEvent,
  createTaskCompletedEvent,
  createTaskFailedEvent,
  createBatchCompletedEvent,
} from './events.js';
export { DEFAULT_PARALLEL } from './batch.js';
export { JsonMap, parseFarmState, parseFarmTask, type FarmState, type OrchestrationState, type ParsedFarmState } from './state.js';
export type {
  FarmTask,
  FarmPriority,
  SeedTaskType,
  TaskType,
  TaskPriority,
  FarmStatus,
  ResultStatus,
  FarmResult,
  AggregatedResults,
  FarmBatchResults,
  BatchOptions,
  FarmAgent,
  AgentConfig,
  FarmCapacity,
  DispatchResult,
  AgentStatus,
  AgentStatusType,
  FarmExecutionContext,
  FarmExecutor,
  FarmExecutorOutcome,
  FarmEvent,
  OrchestrationEvent,
  FarmEventType,
  FarmEventHandler,
  OrchestrationEventHandler,
} from './types.js';
