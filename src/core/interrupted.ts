/**
 * Runs that no live engine holds. The store keeps the status a run had when its engine went away
 * (a Ctrl-C, a kill -9, a machine that rebooted): `running` stays `running`. Readers derive
 * whether anything still executes it from the workers' heartbeats, without a stored status.
 */
import type { AttemptRecord, RunRecord } from './model.js';

/** The command that continues interrupted runs, as every surface names it. */
export const RESUME_COMMAND = 'tutti resume';

/** Why a run that says it goes on is not executing, and what to do about it. */
export interface Interruption {
  /** One sentence for people, e.g. `no live engine holds this run (worker w-1 last seen 5m ago)`. */
  reason: string;
  /** Always `resume with: tutti resume`. */
  hint: string;
}

/** What a reader needs of a worker row (the store's `WorkerRecord`). */
export interface WorkerLiveness {
  id: string;
  /** Epoch ms of the last heartbeat. */
  heartbeatAt: number;
  /** Lease, ms: a worker whose heartbeat is older than this is dead. */
  leaseMs: number;
}

/** A worker is live while its last heartbeat is younger than its lease. */
export function isLiveWorker(w: WorkerLiveness, now: number): boolean {
  return now - w.heartbeatAt <= w.leaseMs;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 120 ? `${s}s ago` : s < 7200 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

/**
 * The rule (docs/architecture.md, "Interrupted runs"): a `queued` or `running` run is interrupted
 * when no live worker holds it, that is
 * - it has running attempts and every one belongs to a worker that is gone or whose heartbeat is
 *   older than its lease, or
 * - it has no running attempt and no live worker is registered in the store at all (nothing would
 *   pick up its ready tasks).
 * Runs waiting for an approval wait for a person, not an engine, and ended runs are never interrupted.
 * @param running the run's attempts in status `running`.
 * @param workers every registered worker (`Store.listWorkers()`).
 * @param now epoch ms.
 * @returns null when the run is held (or not executing by design).
 */
export function interruptionOf(
  run: Pick<RunRecord, 'status'>,
  running: readonly Pick<AttemptRecord, 'workerId'>[],
  workers: readonly WorkerLiveness[],
  now: number,
): Interruption | null {
  if (run.status !== 'queued' && run.status !== 'running') return null;
  const byId = new Map(workers.map((w) => [w.id, w] as const));
  const hint = `resume with: ${RESUME_COMMAND}`;
  if (running.length > 0) {
    const holders = [...new Set(running.map((a) => a.workerId))];
    if (holders.some((id) => byId.has(id) && isLiveWorker(byId.get(id)!, now))) return null;
    const seen = holders.map((id) => byId.get(id)).filter((w): w is WorkerLiveness => w !== undefined);
    const last = seen.length ? Math.max(...seen.map((w) => w.heartbeatAt)) : null;
    return { reason: `no live engine holds this run (its attempts' worker${holders.length > 1 ? 's' : ''} ${last === null ? 'stopped' : `last seen ${ago(now - last)}`})`, hint };
  }
  if (workers.some((w) => isLiveWorker(w, now))) return null;
  return { reason: 'no live engine holds this run (no tutti run, serve or worker is executing runs of this store)', hint };
}
