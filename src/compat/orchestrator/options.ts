/** Options of the seed 003 orchestrator (`createOrchestrator`). */
import type { CreateEngineOptions } from '../../create-engine.js';
import type { Engine } from '../../core/engine.js';
import type { StepRetry } from './deterministic.js';
import type { OrchestrationLogger, OrchestrationLoggerOptions } from './logger.js';
import type { SchedulingPolicy } from './policy.js';
import type { ToolAgentSpec, ToolLookup } from './tools.js';
import type { AgentInfo, PlanStep } from './types.js';

/** Turns a goal into steps (a custom planner). */
export type GoalPlanner = (goal: string, context: { agents: readonly AgentInfo[]; initialContext: Record<string, unknown> }) => Promise<Array<Partial<PlanStep> & { title: string }>>;

/** Settings of the `llm` driver used by the default agents (an OpenAI-compatible endpoint). */
export interface LlmSettings {
  baseUrl: string;
  model: string;
  /** Name of the environment variable holding the API key. */
  apiKeyEnv?: string;
  [key: string]: unknown;
}

export interface OrchestratorOptions {
  /** An existing engine (started by its owner; not stopped by `close()`). Default: one created by the orchestrator. */
  engine?: Engine;
  /** Data dir of the engine the orchestrator creates. @default `~/.tutti` (createEngine's default) */
  dataDir?: string;
  /** Store of the engine the orchestrator creates. @default `<dataDir>/tutti.db` */
  store?: CreateEngineOptions['store'];
  /** Other options of the engine the orchestrator creates (workDir, pollMs…). */
  engineOptions?: Omit<CreateEngineOptions, 'dataDir' | 'store' | 'drivers' | 'attemptHooks'>;
  /**
   * When set, the default agents use the `llm` driver with these settings and the planner agent
   * drafts plans with the model. When not set (the default), the planner and the agents are the
   * deterministic ones of `deterministic.ts` (offline, same goal → same plan).
   */
  llm?: LlmSettings;
  /** A custom planner instead of the planner agent. */
  planner?: GoalPlanner;
  /** Ranks candidate agents. @default {@link defaultPolicy} (least loaded, priority, fewest capabilities) */
  policy?: SchedulingPolicy;
  /** Registers agents for the tools this lookup finds (e.g. `pathLookup(process.env.PATH ?? '')`) on `initialize()`. */
  toolLookup?: ToolLookup;
  /** Tools looked for. @default KNOWN_TOOLS */
  tools?: readonly ToolAgentSpec[];
  /** Register the four default agents on `initialize()`. @default true */
  defaultAgents?: boolean;
  /** The logger, or options of the one created over the engine's store. */
  logger?: OrchestrationLogger | Omit<OrchestrationLoggerOptions, 'store'>;
  /** Longest wait for the planner, ms. @default 120000 */
  planTimeoutMs?: number;
  /**
   * Fault tolerance (seed 003): attempts per step in all; a retry goes to a different capable
   * agent when there is one (the engine prefers agents that have not failed the step).
   * @default { maxAttempts: 2, initialBackoffMs: 1000 }
   */
  retry?: Partial<StepRetry>;
  /** Mirror the engine events of sessions (task started, failed, blocked…) into the logger. @default true */
  mirrorEvents?: boolean;
}
