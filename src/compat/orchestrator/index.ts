/**
 * `tutti/orchestrator`: seed 003's orchestration layer over the one engine — the `orchestrator`
 * facade, the `stateManager` (plans goals, registers agents, selects them by a scheduling policy, reports sessions),
 * the `orchestrationLogger` (persisted, redacted, queryable), dynamic agent registration from
 * detected tools, and the shapes of its REST API. Importing this module opens nothing and starts
 * nothing: the shared `orchestrator` creates its engine (data dir `~/.tutti` unless configured)
 * on `initialize()` or its first call.
 */
import { createOrchestrator } from './orchestrator.js';

export { Orchestrator, createOrchestrator, type OrchestratorOptions, type GoalPlanner, type LlmSettings } from './orchestrator.js';
export {
  OrchestrationLogger,
  createOrchestrationLogger,
  type OrchestrationLoggerOptions,
  type OrchestrationLogEntry,
  type LogContext,
  type LogQueryOptions,
  type LogStatistics,
  type LogLevel,
} from './logger.js';
export { defaultPolicy, priorityFirstPolicy, isEligible, hasCapacity, type SchedulingPolicy, type PolicyRequest } from './policy.js';
export { KNOWN_TOOLS, detectInstalledTools, agentsForTools, pathLookup, type ToolAgentSpec, type ToolLookup } from './tools.js';
export { CAPABILITY_CATALOGUE, DEFAULT_AGENTS } from './capabilities.js';
export { createContextHooks, CONTEXT_KEY, SESSION_MARK } from './context.js';
export { decomposeGoal, createDeterministicDriver, DETERMINISTIC_DRIVER } from './deterministic.js';
export { sessionStatusOf, blockedSteps, agentInfoOf, agentStatsOf, isParallelizable, type AgentStats } from './shapes.js';
export type * from './types.js';

/**
 * The shared orchestrator of seed 003 (`import { orchestrator } from 'tutti/orchestrator'`).
 * Call `orchestrator.configure({ dataDir })` before first use to choose where it keeps its data.
 */
export const orchestrator = createOrchestrator();

/** The shared orchestrator's logger (persisted in its store). */
export const orchestrationLogger = orchestrator.logger;

/** The shared orchestrator's state manager (seed 003 `stateManager`; durable in its store). */
export const stateManager = orchestrator.stateManager;

export type { StateSessions, StateSession, StateWrite } from '../../memory/state-sessions.js';
