/**
 * `tutti/farm`: the task farm of seed 002 (`mai-orchestration-framework`) as a thin adapter over
 * the tutti engine. Farm tasks are queued in an {@link Orchestrator} and executed as tasks of
 * engine runs, one run per batch; priorities, parallelism, agent selection and capacity are the
 * engine's. Importing this module has no side effects.
 *
 * @example
 * import { Orchestrator, createFarmTask, isOverallSuccess } from 'tutti/farm';
 * const orchestrator = new Orchestrator();
 * const ids = orchestrator.queueBatch([
 *   createFarmTask('test', 'Unit tests', 'All pass'),
 *   createFarmTask('review', 'Code review', 'Approved'),
 * ]);
 * const results = await orchestrator.executeBatch(ids, { parallel: 3, failFast: false, timeout: 60_000 });
 * console.log(results.summary, isOverallSuccess(results));
 * await orchestrator.close();
 */
export { Orchestrator, defaultFarmExecutor, type OrchestratorOptions } from './orchestrator.js';
export { createFarmTask, isOverallSuccess, summarize, renderPrompt, PRIORITY_RANK, MAX_TASK_TYPE_LENGTH, type FarmTaskOptions } from './task.js';
export {
  AgentDispatcher,
  defaultFarmAgents,
  parseFarmAgent,
  ALL_TASK_TYPES,
  SEED_TASK_TYPES,
  FARM_AGENT_TYPE,
  MAX_AGENT_CAPABILITIES,
  type AgentDispatcherOptions,
  type FarmAgentInput,
} from './agents.js';
export { LoggingEventHandler, formatFarmEvent } from './events.js';
export { DEFAULT_PARALLEL } from './batch.js';
export { parseFarmState, parseFarmTask, type FarmState, type ParsedFarmState } from './state.js';
export type {
  FarmTask,
  FarmPriority,
  SeedTaskType,
  FarmStatus,
  FarmResult,
  FarmBatchResults,
  BatchOptions,
  FarmAgent,
  FarmCapacity,
  FarmExecutionContext,
  FarmExecutor,
  FarmExecutorOutcome,
  FarmEvent,
  FarmEventType,
  FarmEventHandler,
} from './types.js';
