/**
 * Crash recovery (ARCHITECTURE.md §5): attempts held by a dead worker are ended `interrupted` and
 * their tasks become ready again (at-least-once for in-flight work); committed completions are
 * never touched. A worker is dead when its heartbeat is older than its lease, or at once when it
 * ran on this host and its pid is gone. Attempts whose worker is not registered at all are
 * stranded too.
 */
import type { AttemptFinish, Store } from '../store/types.js';
import { idempotencyKey, type EventRecord } from './model.js';
import type { EngineRuntime } from './runtime.js';

/**
 * @param self this engine's worker id (never considered dead by itself).
 * @param options.full also scan running attempts when no worker is dead (on start: catches
 *   attempts whose worker row is missing).
 * @returns the events committed.
 */
export async function recoverStranded(store: Store, runtime: EngineRuntime, self: string, options: { full?: boolean } = {}): Promise<EventRecord[]> {
  const now = runtime.now();
  const workers = await store.listWorkers();
  const isDead = (w: (typeof workers)[number]) => w.id !== self && (w.heartbeatAt + w.leaseMs < now || (w.host === runtime.host && !runtime.isProcessAlive(w.pid)));
  const dead = workers.filter(isDead);
  if (dead.length === 0 && !options.full) return [];
  const live = new Set(workers.filter((w) => !isDead(w)).map((w) => w.id));
  live.add(self);
  const deadIds = new Set(dead.map((w) => w.id));
  const localWorkers = new Set(workers.filter((w) => w.host === runtime.host).map((w) => w.id));
  const stranded = (await store.listRunningAttempts()).filter((a) => !live.has(a.workerId));
  const finishes: AttemptFinish[] = [];
  for (const a of stranded) {
    // Processes of a dead local engine may still run: stop them before their task runs again.
    if (a.pid !== null && (localWorkers.has(a.workerId) || a.workerId.startsWith(`${runtime.host}:`))) {
      await runtime.killOrphan(a.pid, idempotencyKey(a));
    }
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
