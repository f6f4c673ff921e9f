/**
 * Crash recovery (ARCHITECTURE.md §5): attempts held by a dead worker are ended `interrupted` and
 * their tasks become ready again (at-least-once for in-flight work); committed completions are
 * never touched. A worker is dead when its heartbeat is older than its lease, or at once when it
 * ran on this host and its pid is gone. Attempts whose worker is not registered at all are
 * stranded too.
 */
import type { AttemptFinish, Store, WorkerRecord } from '../store/types.js';
import { idempotencyKey, type AttemptRecord, type EventRecord } from './model.js';
import type { EngineRuntime } from './runtime.js';

/** Whether a worker is dead: its heartbeat expired, or it ran on this host and its pid is gone. */
function isDeadWorker(w: WorkerRecord, runtime: EngineRuntime, self: string, now: number): boolean {
  return w.id !== self && (w.heartbeatAt + w.leaseMs < now || (w.host === runtime.host && !runtime.isProcessAlive(w.pid)));
}

/** Whether an attempt's worker ran on this host (its processes can be looked for here). */
function ranHere(a: AttemptRecord, workers: readonly WorkerRecord[], runtime: EngineRuntime): boolean {
  return workers.some((w) => w.id === a.workerId && w.host === runtime.host) || a.workerId.startsWith(`${runtime.host}:`);
}

/** The pid of the engine process that ran an attempt (its worker row, else its `host:pid:…` id), when known. */
function ownerPid(a: AttemptRecord, workers: readonly WorkerRecord[]): number | undefined {
  const w = workers.find((x) => x.id === a.workerId);
  if (w) return w.pid;
  const pid = Number(a.workerId.split(':')[1]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Ends the running attempts of a cancelled run whose engine is gone (a stale heartbeat, a dead
 * pid, or no worker row): their processes left on this host are ended (SIGTERM, `graceMs`,
 * SIGKILL) and each attempt finishes `cancelled` with the count, so the run does not wait for
 * another engine to start. Attempts of live workers are left to them.
 * @returns the events committed and how many processes were ended.
 */
export async function cancelStranded(store: Store, runtime: EngineRuntime, self: string, runId: string, graceMs: number): Promise<{ events: EventRecord[]; ended: number }> {
  const now = runtime.now();
  const workers = await store.listWorkers();
  const live = new Set(workers.filter((w) => !isDeadWorker(w, runtime, self, now)).map((w) => w.id));
  const stranded = (await store.listRunningAttempts([runId])).filter((a) => a.runId === runId && a.workerId !== self && !live.has(a.workerId));
  let ended = 0;
  const finishes: AttemptFinish[] = [];
  for (const a of stranded) {
    const n = ranHere(a, workers, runtime) ? await runtime.killOrphan(a.pid, idempotencyKey(a), graceMs, ownerPid(a, workers)) : 0;
    ended += n;
    finishes.push({ ref: { runId: a.runId, taskId: a.taskId, n: a.n }, token: a.token, status: 'cancelled', finishedAt: runtime.now(), processesEnded: n });
  }
  if (!finishes.length) return { events: [], ended };
  const res = await store.claim({ workerId: self, now: runtime.now(), finishes, limit: 0, choose: () => ({ assignments: [], blocked: [] }) });
  return { events: res.events, ended };
}

/**
 * @param self this engine's worker id (never considered dead by itself).
 * @param options.full also scan running attempts when no worker is dead (on start: catches
 *   attempts whose worker row is missing).
 * @returns the events committed.
 */
export async function recoverStranded(store: Store, runtime: EngineRuntime, self: string, options: { full?: boolean } = {}): Promise<EventRecord[]> {
  const now = runtime.now();
  const workers = await store.listWorkers();
  const isDead = (w: WorkerRecord) => isDeadWorker(w, runtime, self, now);
  const dead = workers.filter(isDead);
  if (dead.length === 0 && !options.full) return [];
  const live = new Set(workers.filter((w) => !isDead(w)).map((w) => w.id));
  live.add(self);
  const deadIds = new Set(dead.map((w) => w.id));
  const stranded = (await store.listRunningAttempts()).filter((a) => !live.has(a.workerId));
  const finishes: AttemptFinish[] = [];
  for (const a of stranded) {
    // Processes of a dead local engine may still run (its watchdog normally ended them): stop them before their task runs again.
    if (ranHere(a, workers, runtime)) await runtime.killOrphan(a.pid, idempotencyKey(a), 0, ownerPid(a, workers));
    const why = deadIds.has(a.workerId) ? `worker ${a.workerId} died` : `worker ${a.workerId} is not registered`;
    finishes.push({ ref: { runId: a.runId, taskId: a.taskId, n: a.n }, token: a.token, status: 'interrupted', finishedAt: now, error: { kind: 'crashed', message: why } });
  }
  let events: EventRecord[] = [];
  if (finishes.length) {
    const res = await store.claim({ workerId: self, now, finishes, limit: 0, choose: () => ({ assignments: [], blocked: [] }) });
    events = res.events;
  }
  for (const w of dead) await store.removeWorker(w.id);
  return events;
}
