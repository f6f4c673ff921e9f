/**
 * What the engine needs from its host (files, processes, clock), as an interface: the core does no
 * I/O of its own. `src/runtime/node-runtime.ts` implements it for Node.
 */
import type { AttemptRef } from './model.js';

export interface EngineRuntime {
  /** Host name, to tell local workers (whose pids can be checked) from remote ones. */
  readonly host: string;
  readonly pid: number;
  /** Epoch ms. */
  now(): number;
  /** [0, 1), for backoff jitter. */
  random(): number;
  /** Whether a local process exists. */
  isProcessAlive(pid: number): boolean;
  /** Kills the process group an attempt of a dead engine left behind (only if it is that attempt's). */
  killOrphan(pid: number, idempotencyKey: string): Promise<boolean>;
  /** Log file of an attempt: the absolute path and the path stored (relative to the data dir). */
  attemptLogPath(ref: AttemptRef): { absolute: string; stored: string };
  /** Creates a directory (and parents) if missing. */
  ensureDir(path: string): void;
  /** Stores a large output; returns its reference (relative to the data dir). */
  writeBlob(content: string): string;
}
