/**
 * Farm events (seed 002 event system): the handler set (`OrchestrationEventEmitter`), the
 * reference's event constructors, and `LoggingEventHandler`. The orchestrator derives its events
 * from the engine's committed events (see `batch.ts`).
 */
import { NO_AGENT, createFarmResult } from './task.js';
import type { AggregatedResults, FarmBatchResults, FarmEvent, FarmEventHandler, FarmResult, FarmTask } from './types.js';

/** The handlers of one orchestrator (seed 002 `OrchestrationEventEmitter`). Handlers run synchronously, in order; one that throws is skipped. */
export class OrchestrationEventEmitter {
  #handlers: FarmEventHandler[] = [];

  on(handler: FarmEventHandler): void {
    if (!this.#handlers.includes(handler)) this.#handlers.push(handler);
  }

  off(handler: FarmEventHandler): void {
    this.#handlers = this.#handlers.filter((h) => h !== handler);
  }

  emit(event: FarmEvent): void {
    for (const h of [...this.#handlers]) {
      try {
        h.onEvent(event);
      } catch {
        // A handler's failure must not stop the batch or the other handlers.
      }
    }
  }

  get handlerCount(): number {
    return this.#handlers.length;
  }

  clear(): void {
    this.#handlers = [];
  }
}

const now = () => new Date().toISOString();

export function createTaskQueuedEvent(task: FarmTask): FarmEvent {
  return { type: 'task_queued', timestamp: now(), taskId: task.taskId, task };
}

export function createTaskStartedEvent(taskId: string, agentId: string): FarmEvent {
  return { type: 'task_started', timestamp: now(), taskId, agentId };
}

export function createTaskProgressEvent(taskId: string, progress: number): FarmEvent {
  return { type: 'task_progress', timestamp: now(), taskId, progress };
}

export function createTaskCompletedEvent(result: FarmResult): FarmEvent {
  return { type: 'task_completed', timestamp: result.completedAt ?? now(), taskId: result.taskId, result };
}

/**
 * `task_failed` for a result that did not succeed (its error, or its output, is the event's
 * `error`), or — the reference's form — for a task id and an error message.
 */
export function createTaskFailedEvent(result: FarmResult): FarmEvent;
export function createTaskFailedEvent(taskId: string, error: string): FarmEvent;
export function createTaskFailedEvent(subject: FarmResult | string, error?: string): FarmEvent {
  const result = typeof subject === 'string' ? createFarmResult(subject, NO_AGENT, 'failure', String(error ?? 'failed'), { issues: [String(error ?? 'failed')] }) : subject;
  return { type: 'task_failed', timestamp: result.completedAt ?? now(), taskId: result.taskId, error: result.error ?? result.output, result };
}

export function createBatchCompletedEvent(results: FarmBatchResults | AggregatedResults): FarmEvent {
  return { type: 'batch_completed', timestamp: now(), results };
}

/** One line per event, e.g. `[farm] task_started task-… by bash`. */
export function formatFarmEvent(event: FarmEvent): string {
  switch (event.type) {
    case 'task_queued':
      return `[farm] task_queued ${event.taskId} (${event.task.type}, ${event.task.priority}): ${event.task.description}`;
    case 'task_started':
      return `[farm] task_started ${event.taskId} by ${event.agentId}`;
    case 'task_progress':
      return `[farm] task_progress ${event.taskId} ${event.progress}%`;
    case 'task_completed':
      return `[farm] task_completed ${event.taskId} by ${event.result.agentId} in ${event.result.durationMs} ms`;
    case 'task_failed':
      return `[farm] task_failed ${event.taskId} ${event.result.status}: ${event.error}`;
    case 'batch_completed':
      return `[farm] batch_completed ${event.results.summary}`;
  }
}

/**
 * Logs every farm event as one line (seed 002 `LoggingEventHandler`).
 * @example
 * orchestrator.on(new LoggingEventHandler());                 // console.log
 * orchestrator.on(new LoggingEventHandler((l) => lines.push(l))); // any sink
 */
export class LoggingEventHandler implements FarmEventHandler {
  readonly #log: (line: string) => void;

  /** @param log where lines go. @default console.log */
  constructor(log: (line: string) => void = (line) => console.log(line)) {
    this.#log = log;
  }

  onEvent(event: FarmEvent): void {
    this.#log(formatFarmEvent(event));
  }
}
