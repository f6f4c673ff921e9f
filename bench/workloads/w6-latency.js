/**
 * W6: one task on an idle, started engine (SQLite): time from calling createRun to the moment the
 * function driver invokes the registered function (which records performance.now()). Each sample
 * waits for its run to end and 2 ms more, so the engine is idle when the next one is enqueued.
 */
import { performance } from 'node:perf_hooks';
import { atMost, row } from '../lib/rows.js';
import { percentile } from '../lib/stats.js';
import { removeDir, sleep, startEngine } from '../lib/tutti.js';

export const id = 'W6';
export const title = 'enqueue → start latency of one task on an idle engine';

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  let startedAt = 0;
  const { engine, dir } = await startEngine({ functions: { probe: () => void (startedAt = performance.now()) } });
  const plan = { tasks: [{ id: 'probe', function: 'probe' }] };
  const warm = 30;
  const samples = ctx.quick ? 300 : 500;
  const latency = [];
  const create = [];
  for (let i = 0; i < warm + samples; i++) {
    startedAt = 0;
    const t0 = performance.now();
    const run = await engine.createRun(plan);
    const t1 = performance.now();
    const view = await engine.waitForRun(run.id);
    if (view.status !== 'completed' || startedAt === 0) throw new Error(`W6 sample run ${run.id} ended ${view.status}`);
    if (i >= warm) {
      latency.push(startedAt - t0);
      create.push(t1 - t0);
    }
    await sleep(2);
  }
  await engine.stop();
  removeDir(dir);
  const p = (xs, q) => percentile(xs, q);
  ctx.log(`W6: p50 ${p(latency, 50).toFixed(3)} ms, p99 ${p(latency, 99).toFixed(3)} ms over ${samples} samples`);
  const note = `${samples} samples after ${warm} warm-up; createRun itself p50 ${p(create, 50).toFixed(2)} ms`;
  const one = (q) => ({ ...row('W6', `enqueue → start p${q}`, 'ms', [p(latency, q)], q === 50 ? { target: atMost(0.5, '≤ 0.5 ms'), note } : { note: `max ${Math.max(...latency).toFixed(2)} ms` }), n: samples });
  return [one(50), one(99)];
}
