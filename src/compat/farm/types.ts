/**
 * The vocabulary of the seed 002 task farm (`tutti/farm`): tasks, results, batches, agents and
 * events with the field names of the reference implementation (`mai-orchestration-core` and
 * `mai-orchestration-framework`), plus tutti's own (marked). Durations are ms; tutti's timestamps
 * are ISO-8601 strings, the reference's `AgentStatus` times are `Date`s.
 */

/**
 * Dispatch priority of a farm task. Mapped onto the engine's integer task priority
 * (high 1, normal 0, low -1), so the engine's ready-queue order gives high → normal → low.
 */
export type FarmPriority = 'high' | 'normal' | 'low';

/** The task types of the seed. Any other non-empty string (at most 64 characters) works too. */
export type SeedTaskType = 'implementation' | 'test' | 'review' | 'research';

/** The reference's name of a task type. */
export type TaskType = SeedTaskType;
/** The reference's name of a priority. */
export type TaskPriority = FarmPriority;

/** A unit of farm work, made by {@link createFarmTask}. */
export interface FarmTask {
  /** `task-` followed by a time-sortable, random suffix; unique. */
  readonly taskId: string;
  /** What kind of work: `implementation`, `test`, `review`, `research` or any other type. It is the capability an agent needs. */
  readonly type: SeedTaskType | (string & {});
  /** What to do (the reference's field; the same text as `title`). */
  readonly description: string;
  /** What must be true when the task is done (the reference's field; the same text as `acceptance`). */
  readonly successCriteria: string;
  /** Paths or notes the agent should look at. @default [] */
  readonly context: readonly string[];
  /** Rules the agent must keep; they go into its prompt. @default [] */
  readonly constraints: readonly string[];
  /** @default 'normal' */
  readonly priority: FarmPriority;
  /** Bound on each attempt of the task, ms: the engine kills the attempt past it (it fails with a timeout). @default none */
  readonly timeout?: number;
  /** tutti's name of `description`. */
  readonly title: string;
  /** tutti's name of `successCriteria`. */
  readonly acceptance: string;
  /** ISO-8601 creation time (tutti). */
  readonly createdAt: string;
}

/**
 * `success`: the agent did the work. `failure`: it failed, timed out, was cancelled while running,
 * or the id was unknown. `blocked`: it never started — no agent was available for its type, or
 * `failFast` stopped the batch after another task failed.
 */
export type FarmStatus = 'success' | 'failure' | 'blocked';
/** The reference's name of {@link FarmStatus}. */
export type ResultStatus = FarmStatus;

/** The outcome of one task. */
export interface FarmResult {
  taskId: string;
  /** The agent that ran the (last) attempt; `'unknown'` when the task never started (as in the reference). */
  agentId: string;
  status: FarmStatus;
  /**
   * What the agent produced; for a task that failed or never started without output, the
   * message saying why (the reference puts messages here).
   */
  output: string;
  /** Files or other products the executor reported. */
  artifacts?: string[];
  /** Problems: the error of a task that did not succeed. */
  issues?: string[];
  /** completedAt − startedAt, ms; 0 when the task never started. */
  duration?: number;
  /** tutti: ISO-8601; null when the task never started. */
  startedAt: string | null;
  /** tutti: ISO-8601 time the outcome was recorded. */
  completedAt: string;
  /** tutti: the same as `duration`. */
  durationMs: number;
  /** tutti: why it did not succeed. */
  error?: string;
  /** tutti: the engine run that executed the task (absent when it never reached the engine). */
  runId?: string;
}

/** Totals of a set of results (the reference's `AggregatedResults`). */
export interface AggregatedResults {
  /** e.g. `All 3 tasks completed successfully`, `3 tasks: 1 succeeded, 1 failed, 1 blocked`, `No tasks completed`. */
  summary: string;
  successCount: number;
  failureCount: number;
  blockedCount: number;
  /** Distinct artifacts of every result. */
  artifacts: string[];
  /** Distinct issues of every result. */
  issues: string[];
  /** What to do next, from the counts. */
  nextSteps: string[];
  /** Sum of the results' durations, ms. */
  totalDuration: number;
}

/** What `executeBatch` returns: the totals, and (tutti) one result per distinct task id in the order given. */
export interface FarmBatchResults extends AggregatedResults {
  results: FarmResult[];
}

/** Options of `executeBatch` (the seed's batch options). */
export interface BatchOptions {
  /** Most tasks running at once (the engine run's `concurrency`). Agent capacities also apply. @default 3 */
  parallel?: number;
  /**
   * Stop dispatching after the first failure: the engine run fails, tasks that had not started
   * end `blocked`, tasks that were running are cancelled and end `failure`. @default false
   */
  failFast?: boolean;
  /**
   * Bound on the whole batch, ms. At the deadline the engine run is cancelled; every unfinished
   * task ends `failure` with a timeout error. @default none
   */
  timeout?: number;
}

/** An agent of the farm (the reference's `AgentConfig`). */
export interface FarmAgent {
  /** Also the engine agent id. */
  id: string;
  name: string;
  /** Task types it takes; `'*'` (`ALL_TASK_TYPES`) means every type. */
  capabilities: string[];
  /** Tasks it runs at once (the engine agent's `maxConcurrency`). */
  maxConcurrent: number;
  /** Slots in use: attempts running on the engine plus slots taken by `dispatch()` and not released. */
  currentLoad: number;
}
/** The reference's name of {@link FarmAgent}. */
export type AgentConfig = FarmAgent;

/** `getTotalCapacity()`: slots over all agents. */
export interface FarmCapacity {
  /** Sum of `maxConcurrent`. */
  total: number;
  /** Sum of `currentLoad`. */
  used: number;
  /** `total − used` (as in the reference). */
  available: number;
}

/** What `AgentDispatcher.dispatch` returns: the agent given the task, and the file its output goes to. */
export interface DispatchResult {
  agentId: string;
  /** `<outputDir>/<taskId>.output`. */
  outputFile: string;
}

/** Where an agent is with a task (the reference's `AgentStatus`). */
export type AgentStatusType = 'queued' | 'running' | 'complete' | 'failed';

/** An agent's work on a task (the reference's `AgentStatus`). */
export interface AgentStatus {
  agentId: string;
  taskId: string;
  status: AgentStatusType;
  startTime: Date;
  endTime?: Date;
  outputFile: string;
  /** 0–100. */
  progress?: number;
}

/** What an executor is given besides the task and the agent. */
export interface FarmExecutionContext {
  /** Aborted when the batch times out, fails fast, the task's own timeout passes, or the orchestrator closes. */
  signal: AbortSignal;
  /** The engine run executing the task. */
  runId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** The file the agent's output goes to (`<outputDir>/<taskId>.output`). */
  outputFile: string;
  /** A progress line (the engine's live `attempt:output`, not persisted). */
  log(text: string): void;
}

/**
 * What an executor returns: the output (success), or an explicit outcome. Throwing is a failure
 * with the error's message.
 */
export type FarmExecutorOutcome = string | void | { status: 'success' | 'failure'; output?: string; error?: string; artifacts?: string[] };

/** Does the work of a task with an agent; runs inside an engine attempt. */
export type FarmExecutor = (task: FarmTask, agent: FarmAgent, context: FarmExecutionContext) => FarmExecutorOutcome | Promise<FarmExecutorOutcome>;

/**
 * Every farm event: the reference's fields (`task` of `task_queued`, `taskId`/`agentId` of
 * `task_started`, `result` of `task_completed`, `taskId`/`error` of `task_failed`, `results` of
 * `batch_completed`), plus tutti's `timestamp` (ISO-8601) and `taskId` on every task event.
 */
export type FarmEvent =
  | { type: 'task_queued'; timestamp: string; taskId: string; task: FarmTask }
  | { type: 'task_started'; timestamp: string; taskId: string; agentId: string }
  | { type: 'task_progress'; timestamp: string; taskId: string; progress: number }
  | { type: 'task_completed'; timestamp: string; taskId: string; result: FarmResult }
  | { type: 'task_failed'; timestamp: string; taskId: string; error: string; result: FarmResult }
  | { type: 'batch_completed'; timestamp: string; results: FarmBatchResults | AggregatedResults };

/** The reference's name of {@link FarmEvent}. */
export type OrchestrationEvent = FarmEvent;

/** The type of a farm event. */
export type FarmEventType = FarmEvent['type'];

/** Receives farm events (`orchestrator.on(handler)`). A handler that throws does not disturb the farm. */
export interface FarmEventHandler {
  onEvent(event: FarmEvent): void;
}
/** The reference's name of {@link FarmEventHandler}. */
export type OrchestrationEventHandler = FarmEventHandler;
