/**
 * W6 on PostgreSQL: enqueue → start latency of one task on an idle system, two ways.
 * - In process: a started engine on PostgreSQL; createRun → the function driver invoking the
 *   probe (performance.now(), as the SQLite W6).
 * - Client → worker: a client process creates the run; an idle `tutti worker` process, woken by
 *   LISTEN/NOTIFY, claims it. Latency = the attempt's startedAt (the worker's clock, written in the
 *   claim transaction) − the client's Date.now() before createRun: same machine, 1 ms resolution.
 */
import { performance } from 'node:perf_hooks';
import { atMost, row } from '../lib/rows.js';
import { percentile } from '../lib/stats.js';
import { loadTutti, removeDir, sleep, tempDir } from '../lib/tutti.js';
import { freshDatabase, openClient, pgUnavailable, startWorkers } from './w5-postgres.js';

export const id = 'W6';
export const title = 'enqueue → start latency of one task on PostgreSQL (in process, and client → worker)';

async function inProcess(ctx, samples, warm) {
  const db = await freshDatabase();
  const dir = tempDir('tutti-bench-w6pg-');
  const { createEngine } = await loadTutti();
  let startedAt = 0;
  const engine = createEngine({ dataDir: dir, workDir: dir, store: { databaseUrl: db.url }, functions: { probe: () => void (startedAt = performance.now()) } });
  try {
    await engine.start();
    const plan = { tasks: [{ id: 'probe', function: 'probe' }] };
    const latency = [];
    for (let i = 0; i < warm + samples; i++) {
      startedAt = 0;
      const t0 = performance.now();
      const run = await engine.createRun(plan);
      const view = await engine.waitForRun(run.id);
      if (view.status !== 'completed' || startedAt === 0) throw new Error(`W6 PG sample run ${run.id} ended ${view.status}`);
      if (i >= warm) latency.push(startedAt - t0);
      await sleep(2);
    }
    return latency;
  } finally {
    await engine.stop();
    await db.drop();
    removeDir(dir);
  }
}

async function clientToWorker(ctx, samples, warm) {
  const db = await freshDatabase();
  const dir = tempDir('tutti-bench-w6pg-');
  const client = await openClient(db.url, dir);
  const pool = await startWorkers(db.url, 1, dir, client.store);
  try {
    const plan = { tasks: [{ id: 'probe', function: 'noop' }] };
    const latency = [];
    for (let i = 0; i < warm + samples; i++) {
      const t0 = Date.now();
      const run = await client.engine.createRun(plan);
      let attempt;
      for (;;) {
        [attempt] = await client.store.listAttempts(run.id);
        if (attempt) break;
        await sleep(1);
      }
      if (i >= warm) latency.push(attempt.startedAt - t0);
      // Idle again before the next sample.
      while ((await client.store.getRun(run.id)).status !== 'completed') await sleep(1);
      await sleep(5);
    }
    return latency;
  } finally {
    await pool.stop();
    await client.close();
    await db.drop();
    removeDir(dir);
  }
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const why = await pgUnavailable();
  if (why) {
    ctx.log(`W6 PostgreSQL skipped: ${why}`);
    return [];
  }
  const warm = 20;
  const samples = ctx.quick ? 150 : 300;
  const local = await inProcess(ctx, samples, warm);
  const remote = await clientToWorker(ctx, samples, warm);
  const p = (xs, q) => percentile(xs, q);
  ctx.log(`W6 PG in process: p50 ${p(local, 50).toFixed(2)} ms, p99 ${p(local, 99).toFixed(2)} ms; client → worker: p50 ${p(remote, 50)} ms, p99 ${p(remote, 99)} ms`);
  const target = atMost(5, '≤ 5 ms');
  return [
    { ...row('W6', 'PG enqueue → start p50, in process', 'ms', [p(local, 50)], { target, note: `${samples} samples after ${warm} warm-up` }), n: samples },
    { ...row('W6', 'PG enqueue → start p99, in process', 'ms', [p(local, 99)], { note: `max ${Math.max(...local).toFixed(2)} ms` }), n: samples },
    { ...row('W6', 'PG enqueue → start p50, client → worker', 'ms', [p(remote, 50)], { target, note: 'LISTEN/NOTIFY wake-up; 1 ms resolution' }), n: samples },
    { ...row('W6', 'PG enqueue → start p99, client → worker', 'ms', [p(remote, 99)], { note: `max ${Math.max(...remote)} ms` }), n: samples },
  ];
}
