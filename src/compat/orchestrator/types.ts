/**
 * Seed 003's shapes (`../../../../shared/seeds/003-orchestration-layer.md` in the design notes):
 * agents with capability objects, sessions with their plan, logs. Times are ISO-8601 strings in
 * the session objects (as the seed's JSON shows) and epoch ms elsewhere.
 */

/** A capability of a seed agent. Only `name` is matched; the rest describes it. */
export interface AgentCapability {
  name: string;
  description?: string;
  domains?: string[];
  tools?: string[];
}

/** `active` agents take work; `busy` ones are at capacity (derived); `offline`/`disabled` take none. */
export type SeedAgentStatus = 'active' | 'busy' | 'paused' | 'offline' | 'disabled';

/** An agent as seed 003 registers it (`registerAgent`). */
export interface AgentDefinition {
  id: string;
  name: string;
  /** `planner`, `researcher`, `coder`, `reviewer`, `specialist`… */
  type: string;
  description?: string;
  capabilities: Array<AgentCapability | string>;
  /** Higher wins ties after load (seed default policy). @default 0 */
  priority?: number;
  /** @default 'active' */
  status?: SeedAgentStatus;
  /** Ignored on registration: tutti counts the load itself. */
  currentLoad?: number;
  /** Attempts at once (tutti's `maxConcurrency`). @default 3 */
  maxLoad?: number | null;
  metadata?: Record<string, unknown>;
  /**
   * tutti extension: the driver executing the agent's tasks. Default: the orchestrator's default
   * (`deterministic` on an orchestrator-made engine, `llm` when `llm` is configured, else `test`).
   */
  driver?: string;
  /** tutti extension: driver settings. */
  config?: Record<string, unknown>;
}

/** A registered agent with its live load (read from the engine's store). */
export interface AgentInfo {
  id: string;
  name: string;
  type: string;
  description: string;
  capabilities: Array<Required<Pick<AgentCapability, 'name' | 'description' | 'domains'>> & { tools: string[] }>;
  priority: number;
  status: SeedAgentStatus;
  currentLoad: number;
  /** null: unbounded. */
  maxLoad: number | null;
  metadata: Record<string, unknown>;
  /** tutti: the driver. */
  driver: string;
}

/** One step of a plan (seed 003 plus `dependencies`, ids of earlier steps). */
export interface PlanStep {
  id: string;
  title: string;
  /** Who should do it (agent type), or null for any agent with the capabilities. */
  agentType: string | null;
  requiredCapabilities: string[];
  dependencies: string[];
  /** What the agent is asked (default: the title). */
  description?: string;
  /** tutti extension: exactly this agent (set by a custom scheduling policy or the caller). */
  agentId?: string;
  /** tutti extension: the task's `input` (JSON; e.g. a test-driver script). */
  input?: unknown;
}

export interface TaskPlan {
  goal: string;
  steps: PlanStep[];
  /** Whether some steps may run at once (some dependency level holds more than one step). */
  parallelizable: boolean;
}

/** Seed session statuses: `planning` (queued), `executing`, `awaiting_approval`, `completed`, `failed`, `cancelled`, `expired`. */
export type SessionStatus = 'planning' | 'executing' | 'awaiting_approval' | 'completed' | 'failed' | 'cancelled' | 'expired';

/** Why a step of a session is not running: the engine's blocked reason, in words. */
export interface BlockedStep {
  taskId: string;
  /** Engine blocked-reason kind: `dependencies`, `no_capable_agent`, `agent_capacity`… */
  kind: string;
  /** One precise sentence (`step-3 waits on step-1, which is blocked: no registered agent has capabilities [x]`). */
  reason: string;
}

/** What `getOrchestrationStatus` answers (seed 003's GET /sessions/:id shape, plus `blocked`). */
export interface OrchestrationStatus {
  sessionId: string;
  status: SessionStatus;
  /** Engine task ids of the steps. */
  jobIds: string[];
  completedTasks: number;
  totalTasks: number;
  /** Output of each succeeded step, by step id. */
  results: Record<string, unknown>;
  /** `stepId: message` for failed steps, then `stepId: blocked: reason` for steps that cannot start. */
  errors: string[];
  /** ISO-8601. */
  startTime: string;
  /** tutti extension: steps not running and why (empty when all run or ended). */
  blocked: BlockedStep[];
}

/** What `orchestrate` answers (seed 003's POST /orchestrate shape). */
export interface OrchestrationSession extends OrchestrationStatus {
  plan: TaskPlan;
}

/** `orchestrate` options (seed 003), with tutti's extensions marked. */
export interface OrchestrateOptions {
  userId?: string;
  chatId?: string;
  /** Shared context every step receives; each step's result is added to it for later steps. */
  initialContext?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  /**
   * tutti extension: the session id (the run id), e.g. of a `stateManager` session created
   * first. @default `orch-<epoch ms>-<random>`
   */
  sessionId?: string;
  /** tutti extension: the plan's steps (skips the planner). */
  steps?: Array<Partial<PlanStep> & { title: string }>;
}
