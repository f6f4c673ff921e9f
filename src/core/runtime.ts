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
  /**
   * Ends every process an attempt left on this host: those carrying its idempotency key (also
   * outside its process group) and, when `owner` is given, started by that engine process (its
   * pid), its cgroups, and process group `pid` when it is that attempt's. SIGTERM, up to
   * `graceMs`, then SIGKILL. @returns how many processes were ended.
   */
  killOrphan(pid: number | null, idempotencyKey: string, graceMs: number, owner?: number): Promise<number>;
  /**
   * How many processes this process's drivers ended for the attempt (aborts, leftovers at exit),
   * counted since the last call; 0 when none. Optional (runtimes without processes).
   */
  takeProcessesEnded?(idempotencyKey: string): number;
  /** Log file of an attempt: the absolute path and the path stored (relative to the data dir). */
  attemptLogPath(ref: AttemptRef): { absolute: string; stored: string };
  /** Creates a directory (and parents) if missing. */
  ensureDir(path: string): void;
  /** Stores a large output; returns its reference (relative to the data dir). */
  writeBlob(content: string): string;
}
