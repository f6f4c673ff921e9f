/**
 * What every system's task body does, so all of them run the same work: `noop` returns at once,
 * `sleep` waits the node's ms (a timer), `exec` spawns `/bin/true` and waits for it, at most 2 at a
 * time per system (the parallelism of `make -j2`). The body records when the first task started
 * and the last one ended (the makespan the W4 rows use) and how many completed; past the run's
 * deadline it throws {@link CutError} so a system that is too slow stops instead of running on.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

/** Thrown by a task body past the run's deadline. */
export class CutError extends Error {
  constructor() {
    super('deadline passed: the run was cut');
    this.name = 'CutError';
  }
}

/** @returns {<T>(fn: () => Promise<T>) => Promise<T>} at most `n` fn running at once */
export function semaphore(n) {
  let active = 0;
  /** @type {Array<() => void>} */
  const waiting = [];
  return async (fn) => {
    if (active >= n) await new Promise((r) => waiting.push(r));
    active++;
    try {
      return await fn();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}

/** Spawns /bin/true and resolves when it exits 0. */
export function spawnTrue() {
  return new Promise((resolve, reject) => {
    const child = spawn('true', [], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`true exited ${code}`))));
  });
}

/**
 * @typedef {'noop' | 'sleep' | 'exec'} Mode
 * @typedef {{ first: number, last: number, done: number, total: number }} Record
 * @typedef {{ work: (ms: number) => Promise<void>, rec: Record, finished: Promise<void>, deadlineAt: number }} Work
 */

/**
 * @param {Mode} mode
 * @param {number} total how many task bodies make the run complete (resolves `finished`)
 * @param {number} deadlineMs from now
 * @returns {Work}
 */
export function makeWork(mode, total, deadlineMs) {
  const deadlineAt = performance.now() + deadlineMs;
  const rec = { first: Infinity, last: -Infinity, done: 0, total };
  const limit = semaphore(2);
  /** @type {() => void} */
  let resolve = () => {};
  const finished = new Promise((r) => (resolve = r));
  /** @param {number} ms */
  async function work(ms) {
    const start = performance.now();
    if (start > deadlineAt) throw new CutError();
    if (start < rec.first) rec.first = start;
    if (mode === 'exec') await limit(spawnTrue);
    else if (mode === 'sleep' && ms > 0) await delay(ms);
    const end = performance.now();
    if (end > rec.last) rec.last = end;
    if (++rec.done === total) resolve();
  }
  return { work, rec, finished, deadlineAt };
}

/**
 * Waits for every body to finish, for the deadline, or for `failure` (a system's own error
 * signal), whichever comes first. @param {Work} w @param {Promise<unknown>} [failure]
 * @returns {Promise<boolean>} true when cut by the deadline
 */
export async function waitDone(w, failure = new Promise(() => {})) {
  const ac = new AbortController();
  const cut = delay(Math.max(0, w.deadlineAt - performance.now()) + 1000, true, { signal: ac.signal }).catch(() => false);
  try {
    return (await Promise.race([w.finished.then(() => false), cut, failure.then(() => true)])) === true && w.rec.done < w.rec.total;
  } finally {
    ac.abort();
  }
}

/**
 * @typedef {{ ms: number, done: number, total: number, cut: boolean, makespanMs: number, bytes: number | null, note?: string }} RunResult
 *   ms: wall time from building/submitting the run to its last task ending; done: tasks completed
 *   (< total when cut); bytes: durable store size attributable to the run, when measured.
 */

/**
 * @param {Work} w @param {number} t0 performance.now() at submission @param {boolean} cut
 * @param {number} [endAt] when the system reported the run complete (default: the last body's end)
 * @returns {Omit<RunResult, 'bytes'>}
 */
export function result(w, t0, cut, endAt = w.rec.last) {
  const end = cut ? performance.now() : Math.max(endAt, t0);
  return { ms: end - t0, done: w.rec.done, total: w.rec.total, cut, makespanMs: w.rec.last - w.rec.first };
}
