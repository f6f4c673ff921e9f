/**
 * W1: a chain of N no-op function tasks on the durable SQLite store (fresh temp dir per
 * repetition): steps/s from createRun to waitForRun, for N = 1,000 and 10,000, and the ratio.
 * The store of each N's first repetition is measured for W7.
 */
import { atLeast, row } from '../lib/rows.js';
import { median } from '../lib/stats.js';
import { chainTasks, removeDir, startEngine, storeBytes, timeRun } from '../lib/tutti.js';

export const id = 'W1';
export const title = 'chain of N no-op function tasks, SQLite';

/** One untimed small run so the first timed one does not pay for JIT warm-up. */
export async function warmUp() {
  const { engine, dir } = await startEngine();
  await timeRun(engine, { tasks: chainTasks(200, { function: 'noop' }) });
  await engine.stop();
  removeDir(dir);
}

/**
 * One chain run on a fresh store.
 * @param {number} n
 * @param {{ measureStore?: boolean }} [opts]
 */
export async function chainOnce(n, opts = {}) {
  const { engine, dir, dbPath } = await startEngine();
  const r = await timeRun(engine, { tasks: chainTasks(n, { function: 'noop' }) });
  await engine.stop();
  const bytes = opts.measureStore ? await storeBytes(dbPath) : null;
  removeDir(dir);
  return { ms: r.ms, createMs: r.createMs, bytes };
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  await warmUp();
  const reps = { 1000: ctx.quick ? 3 : 5, 10000: ctx.quick ? 1 : 3 };
  /** @type {Record<number, number[]>} */
  const rates = {};
  /** @type {Record<number, number[]>} */
  const create = {};
  for (const n of [1000, 10000]) {
    rates[n] = [];
    create[n] = [];
    for (let i = 0; i < reps[n]; i++) {
      const r = await chainOnce(n, { measureStore: i === 0 });
      if (r.bytes) ctx.cache.storeBytes[n] = r.bytes.db;
      rates[n].push((n / r.ms) * 1000);
      create[n].push(r.createMs);
      ctx.log(`W1 N=${n} rep ${i + 1}/${reps[n]}: ${Math.round((n / r.ms) * 1000)} steps/s (createRun ${Math.round(r.createMs)} ms)`);
    }
  }
  const target = atLeast(10_000, '≥ 10,000');
  // Ratio of medians, and its spread from the extreme pairings.
  const ratio = median(rates[10000]) / median(rates[1000]);
  return [
    row('W1', 'chain 1,000 noop', 'steps/s', rates[1000], { target, note: `createRun ${Math.round(median(create[1000]))} ms of it` }),
    row('W1', 'chain 10,000 noop', 'steps/s', rates[10000], { target, note: `createRun ${Math.round(median(create[10000]))} ms of it` }),
    row('W1', 'rate N=10k / N=1k', '×', [ratio], { target: atLeast(0.8, '≥ 0.8'), note: 'ratio of the medians' }),
  ];
}
