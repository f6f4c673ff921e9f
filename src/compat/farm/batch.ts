/**
 * One farm batch = one engine run. The batch's tasks become the run's tasks (no dependencies),
 * with the engine doing all the scheduling:
 * - priority: each task's engine priority (high 1, normal 0, low -1) orders the ready queue;
 * - `parallel`: the run's `concurrency`; agent capacities (`maxConcurrency`) also hold;
 * - agent choice: the task selects agents of type `farm` having its type as a capability;
 * - `failFast`: tasks keep the engine default `continueOnFailure: false`, so the first failure
 *   fails the run, which stops dispatch and cancels the rest; otherwise `continueOnFailure: true`;
 * - `timeout`: the run is cancelled at the deadline.
 * Farm events and results are derived from the engine's committed events for the run; tasks
 * whose end this process did not see (executed by another worker sharing the store) are read from
 * the run view.
 */
import type { Engine } from '../../core/engine.js';
import { errorMessage } from '../../core/errors.js';
import type { EventRecord } from '../../core/model.js';
import type { PlanInput } from '../../core/plan/schema.js';
import type { RunView, TaskView } from '../../core/run-view.js';
import { selectorSpec } from './agents.js';
import type { OrchestrationEventEmitter } from './events.js';
import { createTaskCompletedEvent, createTaskFailedEvent } from './events.js';
import { NO_AGENT, notDispatched, PRIORITY_RANK, renderPrompt } from './task.js';
import type { BatchOptions, FarmResult, FarmTask } from './types.js';

/** Batch options with defaults applied. */
export interface ResolvedBatchOptions {
  parallel: number;
  failFast: boolean;
  /** ms; null: unbounded. */
  timeoutMs: number | null;
}

/** Default of `BatchOptions.parallel` (the seed's). */
export const DEFAULT_PARALLEL = 3;

/** @throws RangeError for a `parallel` that is not a positive integer or a `timeout` that is not a positive number. */
export function resolveBatchOptions(options: BatchOptions = {}): ResolvedBatchOptions {
  const parallel = options.parallel ?? DEFAULT_PARALLEL;
  if (!Number.isInteger(parallel) || parallel < 1) throw new RangeError(`parallel must be a positive integer (got ${String(parallel)})`);
  const timeout = options.timeout ?? null;
  if (timeout !== null && !(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    throw new RangeError(`timeout is a positive number of ms (got ${String(timeout)})`);
  }
  return { parallel, failFast: options.failFast ?? false, timeoutMs: timeout === null ? null : Math.ceil(timeout) };
}

/** What ended the run early, deciding how its cancelled tasks are reported. */
type StopCause = { kind: 'timeout'; ms: number } | { kind: 'failFast'; taskId: string } | { kind: 'cancelled' };

/** What is known of a task's end, wherever it came from (events or the run view). */
interface Ending {
  status: string;
  started: { agentId: string; at: number } | null;
  finishedAt: number;
  error: string | null;
  output: string;
  artifacts?: string[];
}

function stoppedResult(taskId: string, e: Ending, cause: StopCause | null): Pick<FarmResult, 'status' | 'error'> {
  if (e.status === 'succeeded') return { status: 'success' };
  if (e.status === 'failed') return { status: 'failure', error: e.error ?? 'failed' };
  if (cause?.kind === 'timeout') return { status: 'failure', error: `timed out: the batch did not finish within ${cause.ms} ms` };
  if (cause?.kind === 'failFast' && cause.taskId !== taskId) {
    const why = `failFast stopped the batch after task '${cause.taskId}' failed`;
    return e.started ? { status: 'failure', error: `cancelled: ${why}` } : { status: 'blocked', error: `not started: ${why}` };
  }
  if (e.status === 'cancelled' || e.status === 'skipped') return { status: 'failure', error: 'cancelled: the engine run was cancelled' };
  return { status: 'failure', error: `the task did not finish (engine status '${e.status}')` };
}

function toResult(taskId: string, runId: string, e: Ending, cause: StopCause | null): FarmResult {
  const { status, error } = stoppedResult(taskId, e, cause);
  const ms = e.started ? Math.max(0, e.finishedAt - e.started.at) : 0;
  const r: FarmResult = {
    taskId,
    agentId: e.started?.agentId ?? NO_AGENT,
    status,
    // The reference puts the message of a failure in `output`.
    output: e.output || error || '',
    ...(e.artifacts?.length ? { artifacts: e.artifacts } : {}),
    ...(error !== undefined ? { issues: [error] } : {}),
    duration: ms,
    startedAt: e.started ? new Date(e.started.at).toISOString() : null,
    completedAt: new Date(e.finishedAt).toISOString(),
    durationMs: ms,
    runId,
  };
  if (error !== undefined) r.error = error;
  return r;
}

const TERMINAL_TASK_EVENTS: Readonly<Record<string, string>> = {
  'task:succeeded': 'succeeded',
  'task:failed': 'failed',
  'task:cancelled': 'cancelled',
  'task:skipped': 'skipped',
};

/** Everything a batch needs from its orchestrator. */
export interface BatchDeps {
  engine: Engine;
  bus: OrchestrationEventEmitter;
  /** The engine function executing farm tasks. */
  functionName: string;
  /** Directory the run's attempts work in. */
  workDir: string;
}

/** One batch executing as one engine run. */
export class BatchRun {
  readonly runId: string;
  readonly #deps: BatchDeps;
  readonly #tasks: ReadonlyMap<string, FarmTask>;
  readonly #options: ResolvedBatchOptions;
  readonly #started = new Map<string, { agentId: string; at: number; attempt: number }>();
  readonly #outputs = new Map<string, { output: string; artifacts: string[] }>();
  readonly #results = new Map<string, FarmResult>();
  #cause: StopCause | null = null;

  /** @param tasks distinct tasks, every one runnable by some agent. */
  constructor(deps: BatchDeps, runId: string, tasks: readonly FarmTask[], options: ResolvedBatchOptions) {
    this.#deps = deps;
    this.runId = runId;
    this.#tasks = new Map(tasks.map((t) => [t.taskId, t] as const));
    this.#options = options;
  }

  /** The task of this batch with this id. */
  task(taskId: string): FarmTask | undefined {
    return this.#tasks.get(taskId);
  }

  /** The agent executing the task's current attempt (known once the engine started it). */
  agentOf(taskId: string): string | undefined {
    return this.#started.get(taskId)?.agentId;
  }

  /** Keeps what an executor produced for an attempt (failures included, which the engine does not store). */
  recordOutput(taskId: string, attempt: number, output: string, artifacts: string[] = []): void {
    this.#outputs.set(`${taskId}/${attempt}`, { output, artifacts });
  }

  #plan(): PlanInput {
    const { parallel, failFast, timeoutMs } = this.#options;
    return {
      name: `farm batch (${this.#tasks.size} task${this.#tasks.size === 1 ? '' : 's'})`,
      concurrency: parallel,
      metadata: { farm: { parallel, failFast, timeoutMs } },
      tasks: [...this.#tasks.values()].map((t) => ({
        id: t.taskId,
        title: t.description.slice(0, 500),
        agent: selectorSpec(t.type).agent!,
        function: this.#deps.functionName,
        input: t,
        prompt: renderPrompt(t),
        priority: PRIORITY_RANK[t.priority],
        ...(t.timeout ? { timeoutMs: t.timeout } : {}),
        continueOnFailure: !failFast,
      })),
    };
  }

  #onEvent(e: EventRecord): void {
    if (e.runId !== this.runId || e.taskId === null || !this.#tasks.has(e.taskId)) return;
    const { bus } = this.#deps;
    if (e.type === 'attempt:started') {
      const agentId = String((e.data as { agentId?: unknown } | null)?.agentId ?? '');
      this.#started.set(e.taskId, { agentId, at: e.ts, attempt: e.attempt ?? 1 });
      bus.emit({ type: 'task_started', timestamp: new Date(e.ts).toISOString(), taskId: e.taskId, agentId });
      return;
    }
    const status = TERMINAL_TASK_EVENTS[e.type];
    if (status === undefined) return;
    if (status === 'failed' && this.#options.failFast && this.#cause === null) this.#cause = { kind: 'failFast', taskId: e.taskId };
    const started = this.#started.get(e.taskId) ?? null;
    const error = status === 'failed' ? String((e.data as { error?: unknown } | null)?.error ?? 'failed') : null;
    const made = started ? this.#outputs.get(`${e.taskId}/${started.attempt}`) : undefined;
    const result = toResult(e.taskId, this.runId, { status, started, finishedAt: e.ts, error, output: made?.output ?? '', artifacts: made?.artifacts ?? [] }, this.#cause ?? (status === 'succeeded' ? null : { kind: 'cancelled' }));
    this.#results.set(e.taskId, result);
    bus.emit(result.status === 'success' ? createTaskCompletedEvent(result) : createTaskFailedEvent(result));
  }

  /**
   * Creates the run, waits for it to end (or cancels it at the deadline), and returns a result
   * per task. Never throws: engine errors become failure results.
   */
  async execute(): Promise<Map<string, FarmResult>> {
    const { engine, workDir } = this.#deps;
    const off = engine.on('event', (e) => this.#onEvent(e));
    let timer: ReturnType<typeof setTimeout> | undefined;
    let view: RunView | null = null;
    let failure: string | null = null;
    try {
      // The id is chosen before the run exists so no event of it can be missed.
      await engine.createRun(this.#plan(), { runId: this.runId, workDir, metadata: { face: 'farm' } });
      const { timeoutMs } = this.#options;
      if (timeoutMs !== null) {
        timer = setTimeout(() => {
          if (this.#cause === null) this.#cause = { kind: 'timeout', ms: timeoutMs };
          engine.cancelRun(this.runId, `farm batch timeout after ${timeoutMs} ms`).catch(() => undefined);
        }, timeoutMs);
      }
      view = await engine.waitForRun(this.runId);
    } catch (e) {
      failure = errorMessage(e);
    } finally {
      if (timer) clearTimeout(timer);
      off();
    }
    return this.#collect(view, failure);
  }

  #collect(view: RunView | null, failure: string | null): Map<string, FarmResult> {
    const out = new Map<string, FarmResult>();
    const byId = new Map<string, TaskView>((view?.tasks ?? []).map((t) => [t.id, t] as const));
    if (view && view.status === 'failed' && this.#options.failFast && this.#cause === null) {
      const first = view.tasks.filter((t) => t.status === 'failed').sort((a, b) => (a.finishedAt ?? '').localeCompare(b.finishedAt ?? ''))[0];
      if (first) this.#cause = { kind: 'failFast', taskId: first.id };
    }
    for (const id of this.#tasks.keys()) {
      const seen = this.#results.get(id);
      const tv = byId.get(id);
      if (seen) out.set(id, seen);
      else if (tv) out.set(id, this.#fromView(tv));
      else out.set(id, { ...notDispatched(id, failure ? `the engine could not execute the batch: ${failure}` : 'the engine has no record of this task'), runId: this.runId });
    }
    return out;
  }

  #fromView(t: TaskView): FarmResult {
    const last = t.attempts[t.attempts.length - 1];
    const made = last ? this.#outputs.get(`${t.id}/${last.n}`) : undefined;
    const output = made?.output ?? (!last ? '' : typeof last.output === 'string' ? last.output : last.output == null ? '' : JSON.stringify(last.output));
    const ending: Ending = {
      artifacts: made?.artifacts ?? [],
      status: t.status,
      started: last ? { agentId: last.agentId, at: Date.parse(last.startedAt) } : null,
      finishedAt: Date.parse(t.finishedAt ?? last?.finishedAt ?? new Date().toISOString()),
      error: last?.error?.message ?? null,
      output,
    };
    return toResult(t.id, this.runId, ending, this.#cause ?? (t.status === 'succeeded' ? null : { kind: 'cancelled' }));
  }
}
