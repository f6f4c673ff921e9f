/**
 * Farm events (seed 002 event system): a handler set and the seed's `LoggingEventHandler`.
 * The events themselves are derived from the engine's committed events by the batch runner.
 */
import type { FarmEvent, FarmEventHandler } from './types.js';

/** The handlers of one orchestrator. Handlers run synchronously, in registration order; one that throws is skipped. */
export class FarmEventBus {
  readonly #handlers = new Set<FarmEventHandler>();

  on(handler: FarmEventHandler): void {
    this.#handlers.add(handler);
  }

  off(handler: FarmEventHandler): void {
    this.#handlers.delete(handler);
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
}

/** One line per event, e.g. `[farm] task_started task-… by bash`. */
export function formatFarmEvent(event: FarmEvent): string {
  switch (event.type) {
    case 'task_queued':
      return `[farm] task_queued ${event.taskId} (${event.task.type}, ${event.task.priority}): ${event.task.title}`;
    case 'task_started':
      return `[farm] task_started ${event.taskId} by ${event.agentId}`;
    case 'task_completed':
      return `[farm] task_completed ${event.taskId} by ${event.result.agentId ?? '-'} in ${event.result.durationMs} ms`;
    case 'task_failed':
      return `[farm] task_failed ${event.taskId} ${event.result.status}: ${event.result.error ?? 'failed'}`;
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
