/**
 * The vocabulary of the seed 002 task farm (`tutti/farm`): tasks, results, batches, agents and
 * events, as plain JSON-serialisable objects. Timestamps are ISO-8601 strings, durations ms.
 */

/**
 * Dispatch priority of a farm task. Mapped onto the engine's integer task priority
 * (high 1, normal 0, low -1), so the engine's ready-queue order gives high → normal → low.
 */
export type FarmPriority = 'high' | 'normal' | 'low';

/** The task types of the seed. Any other non-empty string (at most 64 characters) works too. */
export type SeedTaskType = 'implementation' | 'test' | 'review' | 'research';

/** A unit of farm work, made by {@link createFarmTask}. */
export interface FarmTask {
  /** `task-` followed by a time-sortable, random suffix; unique. */
  readonly taskId: string;
  /** What kind of work: `implementation`, `test`, `review`, `research` or any other type. It is the capability an agent needs. */
  readonly type: SeedTaskType | (string & {});
  readonly title: string;
  /** What must be true when the task is done. */
  readonly acceptance: string;
  /** Paths or notes the agent should look at. @default [] */
  readonly context: readonly string[];
  /** @default 'normal' */
  readonly priority: FarmPriority;
  /** ISO-8601 creation time. */
  readonly createdAt: string;
}

/**
 * `success`: the agent did the work. `failure`: it failed, timed out, was cancelled while running,
 * or could not be dispatched at all (unknown id, no capable agent). `blocked`: never started
 * because `failFast` stopped the batch after another task failed.
 */
export type FarmStatus = 'success' | 'failure' | 'blocked';

/** The outcome of one task. */
export interface FarmResult {
  taskId: string;
  status: FarmStatus;
  /** What the agent produced; '' when nothing. */
  output: string;
  /** The agent that ran the (last) attempt; null when the task never started. */
  agentId: string | null;
  /** ISO-8601; null when the task never started. */
  startedAt: string | null;
  /** ISO-8601 time the outcome was recorded. */
  completedAt: string;
  /** completedAt − startedAt, ms; 0 when the task never started. */
  durationMs: number;
  /** Why it did not succeed. */
  error?: string;
  /** The engine run that executed the task (absent when it never reached the engine). */
  runId?: string;
}

/** The results of a batch, in the order the task ids were given, with a one-line summary. */
export type FarmBatchResults = FarmResult[] & {
  /**
   * e.g. `3/3 succeeded` or `1/3 succeeded, 1 failed, 1 blocked`. Non-enumerable: the results
   * still compare and serialise as a plain array.
   */
  readonly summary: string;
};

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

/** An agent of the farm, as the seed describes it. */
export interface FarmAgent {
  /** Also the engine agent id. */
  id: string;
  name: string;
  /** Task types it takes; `'*'` (`ALL_TASK_TYPES`) means every type. */
  capabilities: string[];
  /** Tasks it runs at once (the engine agent's `maxConcurrency`). */
  maxConcurrent: number;
  /** Tasks it runs now, as this process sees them (see `AgentDispatcher`). */
  currentLoad: number;
}

/** `getTotalCapacity()`: slots over all agents. */
export interface FarmCapacity {
  /** Sum of `maxConcurrent`. */
  total: number;
  /** Sum of `currentLoad`. */
  used: number;
  /** Sum of the free slots of each agent. */
  available: number;
}

/** What an executor is given besides the task and the agent. */
export interface FarmExecutionContext {
  /** Aborted when the batch times out, fails fast, or the orchestrator closes. */
  signal: AbortSignal;
  /** The engine run executing the task. */
  runId: string;
  /** 1-based attempt number. */
  attempt: number;
  /** A progress line (the engine's live `attempt:output`, not persisted). */
  log(text: string): void;
}

/**
 * What an executor returns: the output (success), or an explicit outcome. Throwing is a failure
 * with the error's message.
 */
export type FarmExecutorOutcome = string | void | { status: 'success' | 'failure'; output?: string; error?: string };

/** Does the work of a task with an agent; runs inside an engine attempt. */
export type FarmExecutor = (task: FarmTask, agent: FarmAgent, context: FarmExecutionContext) => FarmExecutorOutcome | Promise<FarmExecutorOutcome>;

/** Every farm event carries its type and an ISO-8601 timestamp. */
export type FarmEvent =
  | { type: 'task_queued'; timestamp: string; taskId: string; task: FarmTask }
  | { type: 'task_started'; timestamp: string; taskId: string; agentId: string }
  | { type: 'task_completed'; timestamp: string; taskId: string; result: FarmResult }
  | { type: 'task_failed'; timestamp: string; taskId: string; result: FarmResult }
  | { type: 'batch_completed'; timestamp: string; results: FarmBatchResults };

/** The type of a farm event. */
export type FarmEventType = FarmEvent['type'];

/** Receives farm events (`orchestrator.on(handler)`). A handler that throws does not disturb the farm. */
export interface FarmEventHandler {
  onEvent(event: FarmEvent): void;
}
