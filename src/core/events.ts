/**
 * Every event of the engine in one typed map (`noun:verb` → payload), following graphile-worker's
 * `WorkerEventMap`. The same records are persisted in the store's event log (with a per-run
 * sequence number), emitted in process, and streamed by the server.
 */
import type { AttemptErrorKind, BlockedReason, EventRecord } from './model.js';

/** Payload (`data`) of each persisted event type. */
export interface PersistedEventPayloads {
  'run:created': { name: string; tasks: number };
  'run:started': Record<string, never>;
  'run:completed': { tasksFailed: number };
  'run:failed': { error: string; taskId?: string };
  'run:cancelled': { reason: string };
  'run:expired': { reason: string };
  /** Tasks were added to the run while it ran. */
  'run:extended': { tasks: number };
  'approval:requested': { message: string; reason: 'gate' | 'loop_exhausted' };
  'approval:granted': { by: string; comment?: string };
  'approval:rejected': { by: string; feedback: string; rewindTo: string };
  'task:ready': Record<string, never>;
  'task:blocked': { reason: BlockedReason };
  'task:retrying': { at: number; failures: number };
  'task:succeeded': Record<string, never>;
  'task:failed': { error: string };
  'task:skipped': { because: string };
  'task:cancelled': Record<string, never>;
  /** A rewind made this task ready again (a rejection, or a loop), with feedback for its next attempt. */
  'task:rewound': { cause: string };
  /** A rewind reset this downstream task to pending. */
  'task:reset': { cause: string };
  /** A loop task failed and rewound to an earlier task. */
  'task:looped': { iteration: number; maxIterations: number; rewindTo: string };
  'attempt:started': { agentId: string };
  'attempt:succeeded': { ms: number };
  'attempt:failed': { kind: AttemptErrorKind; message: string; exitCode?: number | null; ms: number };
  'attempt:cancelled': { ms: number };
  'attempt:interrupted': { reason: string };
  /** The task's branch joined the merge queue of `target` (entry id `entry`); the event's task is the one whose work is merged. */
  'merge:queued': { entry: number; target: string; branch: string; head: string; by: { taskId: string; attempt: number } };
  /** The entry's turn came: its branch is being brought onto the current target. */
  'merge:started': { entry: number; target: string };
  /** The entry ended: `merged` (with the target's new commit), `conflict`, `failed` or `abandoned`. */
  'merge:finished': { entry: number; target: string; status: 'merged' | 'conflict' | 'failed' | 'abandoned'; sha?: string | null; message: string };
}

export type PersistedEventType = keyof PersistedEventPayloads;

/** A persisted event with its payload typed by `type`. */
export type TypedEventRecord<K extends PersistedEventType = PersistedEventType> = K extends PersistedEventType
  ? Omit<EventRecord, 'type' | 'data'> & { type: K; data: PersistedEventPayloads[K] }
  : never;

/** An event before the store gives it an id, sequence number and time. */
export interface NewEvent<K extends PersistedEventType = PersistedEventType> {
  type: K;
  taskId?: string | null;
  attempt?: number | null;
  data?: PersistedEventPayloads[K];
}

/** Live output of an attempt (not persisted; the log file is the durable copy). */
export interface AttemptOutputEvent {
  runId: string;
  taskId: string;
  attempt: number;
  stream: 'stdout' | 'stderr' | 'info';
  text: string;
}

/** Everything the engine's emitter emits: each persisted event under its own type, `event` for all of them, and live output. */
export type EngineEventMap = { [K in PersistedEventType]: TypedEventRecord<K> } & {
  /** Every persisted event, in commit order. */
  event: EventRecord;
  'attempt:output': AttemptOutputEvent;
  /** An error the engine recovered from (a failed heartbeat, a driver that threw). */
  'engine:error': { error: unknown; context: string };
};

export const RUN_TERMINAL_EVENTS: ReadonlySet<string> = new Set(['run:completed', 'run:failed', 'run:cancelled', 'run:expired']);
