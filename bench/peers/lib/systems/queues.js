/**
 * The PostgreSQL job queues: graphile-worker and pg-boss. Neither has DAGs; what users do is what
 * runs here: a task enqueues its successors when it completes (a successor with several
 * dependencies has a join counter row, decremented in the database; whoever brings it to 0
 * enqueues it). One database per system (created and dropped by the bench), schemas installed
 * once (the bench drops the databases at its end: {@link DATABASES}); bytes = growth of `pg_database_size` over the run (graphile-worker deletes jobs when they
 * complete; pg-boss keeps them until its retention/archive maintenance).
 */
import { performance } from 'node:perf_hooks';
import { peerImport, peerVersion } from '../install.js';
import { queuePlan } from '../shapes.js';
import { makeWork, result } from '../work.js';

/** The databases the PostgreSQL systems create (each dropped and re-created by its setup). */
export const DATABASES = ['tutti_bench_graphile', 'tutti_bench_pgboss', 'tutti_bench_tutti'];

const COUNTERS = 'CREATE TABLE IF NOT EXISTS bench_join (run int NOT NULL, id text NOT NULL, remaining int NOT NULL, PRIMARY KEY (run, id))';
const DECREMENT = 'UPDATE bench_join SET remaining = remaining - 1 WHERE run = $1 AND id = $2 RETURNING remaining';

/**
 * @param {import('pg').Pool} pool @param {number} run @param {Map<string, number>} counters
 */
async function writeCounters(pool, run, counters) {
  if (counters.size === 0) return;
  const ids = [...counters.keys()];
  await pool.query('INSERT INTO bench_join (run, id, remaining) SELECT $1, unnest($2::text[]), unnest($3::int[])', [run, ids, ids.map((i) => counters.get(i))]);
}

/** @param {import('pg').Pool} pool */
const dbSize = async (pool) => Number((await pool.query('SELECT pg_database_size(current_database()) AS b')).rows[0].b);

/** Polls a condition every ms until true or the deadline (+ grace). */
async function until(cond, deadlineAt) {
  while (!cond() && performance.now() < deadlineAt + 5000) await new Promise((r) => setTimeout(r, 1));
  return cond();
}

/** @param {{ pg: import('./../services.js').Postgres, log: (m: string) => void }} ctx */
export async function setupGraphile(ctx) {
  const { run: runWorker, makeWorkerUtils } = await peerImport('graphile-worker');
  const { default: pg } = await peerImport('pg');
  const db = 'tutti_bench_graphile';
  const connectionString = await ctx.pg.createDatabase(db);
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on('error', () => {});
  await pool.query(COUNTERS);
  const utils = await makeWorkerUtils({ connectionString });
  await utils.migrate();
  /** @type {{ w: import('../work.js').Work, plan: ReturnType<typeof queuePlan>, ms: Map<string, number>, run: number, ok: number, endAt: number, error: unknown } | null} */
  let cur = null;
  let runNo = 0;
  const runner = await runWorker({
    connectionString,
    concurrency: 8,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: new (await peerImport('graphile-worker')).Logger(() => () => {}),
    taskList: {
      step: async (payload, helpers) => {
        const c = cur;
        await c.w.work(c.ms.get(payload.id));
        const next = c.plan.next.get(payload.id);
        for (const s of next.direct) await helpers.addJob('step', { id: s }, { maxAttempts: 1 });
        for (const s of next.counted) {
          const { rows } = await helpers.query(DECREMENT, [c.run, s]);
          if (rows[0].remaining === 0) await helpers.addJob('step', { id: s }, { maxAttempts: 1 });
        }
      },
    },
  });
  runner.events.on('job:success', () => {
    if (cur && ++cur.ok === cur.w.rec.total) cur.endAt = performance.now();
  });
  runner.events.on('job:error', ({ error }) => {
    if (cur) cur.error = error;
  });
  return {
    version: `graphile-worker ${peerVersion('graphile-worker')} on ${ctx.pg.version} (concurrency 8, LISTEN/NOTIFY)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const before = measureBytes ? await dbSize(pool) : 0;
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      const plan = queuePlan(dag);
      cur = { w, plan, ms: new Map(dag.nodes.map((n) => [n.id, n.ms])), run: ++runNo, ok: 0, endAt: 0, error: null };
      const c = cur;
      const t0 = performance.now();
      await writeCounters(pool, c.run, plan.counters);
      await utils.addJobs(plan.roots.map((id) => ({ identifier: 'step', payload: { id }, maxAttempts: 1 })));
      const ok = await until(() => c.ok === dag.nodes.length || c.error !== null, w.deadlineAt);
      if (c.error && !String(c.error).includes('deadline passed')) throw c.error;
      const cut = !ok || c.error !== null;
      const end = cut ? performance.now() : c.endAt;
      if (cut) await pool.query('DELETE FROM graphile_worker._private_jobs');
      const bytes = measureBytes ? (await dbSize(pool)) - before : null;
      await pool.query('DELETE FROM bench_join WHERE run = $1', [c.run]);
      return { ...result(w, t0, cut, end), bytes };
    },
    async close() {
      await runner.stop();
      await utils.release();
      await pool.end();
    },
  };
}

/** @param {{ pg: import('./../services.js').Postgres, log: (m: string) => void }} ctx */
export async function setupPgBoss(ctx) {
  const { default: PgBoss } = await peerImport('pg-boss');
  const { default: pg } = await peerImport('pg');
  const db = 'tutti_bench_pgboss';
  const connectionString = await ctx.pg.createDatabase(db);
  const pool = new pg.Pool({ connectionString, max: 4 });
  pool.on('error', () => {});
  await pool.query(COUNTERS);
  const boss = new PgBoss({ connectionString, max: 8, supervise: false, schedule: false });
  boss.on('error', () => {});
  await boss.start();
  /** @type {{ w: import('../work.js').Work, plan: ReturnType<typeof queuePlan>, ms: Map<string, number>, run: number, queue: string, error: unknown } | null} */
  let cur = null;
  let runNo = 0;
  return {
    version: `pg-boss ${peerVersion('pg-boss')} on ${ctx.pg.version} (4 workers × batch 16, notifyWorker after each batch)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const before = measureBytes ? await dbSize(pool) : 0;
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      const plan = queuePlan(dag);
      const queue = `steps${++runNo}`;
      cur = { w, plan, ms: new Map(dag.nodes.map((n) => [n.id, n.ms])), run: runNo, queue, error: null };
      const c = cur;
      await boss.createQueue(queue);
      let batches = 0;
      let endAt = 0;
      const ids = [];
      const handler = (self) => async (jobs) => {
        try {
          await Promise.all(
            jobs.map(async (job) => {
              await c.w.work(c.ms.get(job.data.id));
              const next = c.plan.next.get(job.data.id);
              const ready = [...next.direct];
              for (const s of next.counted) if ((await pool.query(DECREMENT, [c.run, s])).rows[0].remaining === 0) ready.push(s);
              if (ready.length) await boss.insert(ready.map((id) => ({ name: queue, data: { id }, retryLimit: 0 })));
            }),
          );
        } catch (e) {
          c.error = e;
          throw e;
        }
        batches++;
        if (c.w.rec.done === c.w.rec.total) endAt = performance.now();
        // Successors were just enqueued: fetch again now instead of after the polling interval.
        for (const id of ids) boss.notifyWorker(id);
        void self;
      };
      const t0 = performance.now();
      await writeCounters(pool, c.run, plan.counters);
      await boss.insert(plan.roots.map((id) => ({ name: queue, data: { id }, retryLimit: 0 })));
      for (let i = 0; i < 4; i++) ids.push(await boss.work(queue, { batchSize: 16, pollingIntervalSeconds: 0.5 }, handler(i)));
      const ok = await until(() => endAt > 0 || c.error !== null, w.deadlineAt);
      if (c.error && !String(c.error).includes('deadline passed')) throw c.error;
      const cut = !ok || c.error !== null;
      const end = cut ? performance.now() : endAt;
      await boss.offWork(queue);
      const bytes = measureBytes ? (await dbSize(pool)) - before : null;
      await pool.query('DELETE FROM bench_join WHERE run = $1', [c.run]);
      void batches;
      return { ...result(w, t0, cut, end), bytes };
    },
    async close() {
      await boss.stop({ graceful: false, wait: true });
      await pool.end();
    },
  };
}
