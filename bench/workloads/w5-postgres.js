/**
 * W5: the W1/W2 shapes on PostgreSQL, executed by 1 and 2 `tutti worker` processes (the built CLI)
 * sharing one database: chain of 1,000 and fan of 1,000 + join, no-op function tasks, steps/s
 * from createRun (by a client process that executes nothing) to the run's completion.
 * PostgreSQL: TUTTI_BENCH_DATABASE_URL or TUTTI_TEST_DATABASE_URL (an admin URL; each
 * configuration gets a fresh database), else postgres://postgres@127.0.0.1:5432/postgres.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { atLeast, row } from '../lib/rows.js';
import { median } from '../lib/stats.js';
import { BIN, chainTasks, fanTasks, loadTutti, removeDir, sleep, tempDir } from '../lib/tutti.js';

export const id = 'W5';
export const title = 'chain and fan on PostgreSQL with 1 and 2 worker processes';

export const PG_ADMIN_URL = process.env.TUTTI_BENCH_DATABASE_URL || process.env.TUTTI_TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

/** Null when PostgreSQL answers, else why not. */
export async function pgUnavailable() {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return null;
  } catch (e) {
    return `no PostgreSQL at ${PG_ADMIN_URL.replace(/:[^:@/]*@/, ':***@')}: ${e instanceof Error ? e.message : String(e)}`;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** A fresh database: its URL and a function dropping it. */
export async function freshDatabase() {
  const name = `tutti_bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

/**
 * Starts `count` worker processes on the database and waits until they are registered.
 * @param {string} url @param {number} count @param {string} dir
 */
export async function startWorkers(url, count, dir, store, extra = []) {
  const children = [];
  for (let i = 0; i < count; i++) {
    const child = spawn(process.execPath, [BIN, 'worker', '--database-url', url, '--worker-id', `bench-w${i + 1}`, '--quiet', ...extra], {
      cwd: dir,
      env: { ...process.env, TUTTI_DATA_DIR: dir, TUTTI_DB: '', TUTTI_CONFIG: '', TUTTI_DATABASE_URL: '' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
  }
  const end = Date.now() + 30_000;
  while ((await store.listWorkers()).length < count) {
    if (Date.now() > end) throw new Error('W5: workers did not register within 30 s');
    await sleep(50);
  }
  return {
    children,
    stop: async () => {
      await Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              if (c.exitCode !== null) return resolve(undefined);
              c.once('exit', resolve);
              c.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}

/**
 * A client that creates runs without executing them, and a store to watch them.
 * @param {string} url @param {string} dir
 */
export async function openClient(url, dir) {
  const { createEngine, openPostgresStore } = await loadTutti();
  const store = await openPostgresStore({ connectionString: url, poolSize: 2 });
  const engine = createEngine({ dataDir: dir, workDir: dir, store: { databaseUrl: url, poolSize: 2 } });
  return { engine, store, close: async () => (await engine.stop(), await store.close()) };
}

/** Attempts at once per worker process in W5. */
const WORKER_CONCURRENCY = 256;

/** Creates the run and polls until it completed: ms from createRun to completion. */
async function timeRun(client, plan) {
  const t0 = performance.now();
  const run = await client.engine.createRun(plan);
  for (;;) {
    const r = await client.store.getRun(run.id);
    if (r.status === 'completed') return performance.now() - t0;
    if (r.status === 'failed' || r.status === 'cancelled') throw new Error(`W5 run ${run.id} ended ${r.status}`);
    // Coarse on purpose: a tight poll would compete with the workers for the 2 cores (≤ 1% of a run).
    await sleep(10);
  }
}

/**
 * One configuration: fresh database, `workers` processes, a warm-up run, then `reps` timed runs of `shape`.
 * @returns {Promise<number[]>} steps/s per repetition
 */
async function measure(ctx, shape, workers, reps, options = {}) {
  const db = await freshDatabase();
  // synchronous_commit=off: a commit returns before its WAL is flushed (the server's WAL writer
  // flushes within ~0.6 s); a crash of the database server, not of a worker, can lose that tail.
  const url = options.asyncCommit ? `${db.url}?options=${encodeURIComponent('-c synchronous_commit=off')}` : db.url;
  const dir = tempDir('tutti-bench-w5-');
  const client = await openClient(url, dir);
  // Each worker takes at most WORKER_CONCURRENCY attempts at once, so a fan is shared between workers.
  const pool = await startWorkers(url, workers, dir, client.store, ['--concurrency', String(WORKER_CONCURRENCY)]);
  try {
    await timeRun(client, { tasks: chainTasks(200, { function: 'noop' }) });
    const rates = [];
    for (let i = 0; i < reps; i++) {
      const tasks = shape === 'chain' ? chainTasks(1000, { function: 'noop' }) : fanTasks(1000, { function: 'noop' });
      const ms = await timeRun(client, { tasks });
      rates.push((tasks.length / ms) * 1000);
      ctx.log(`W5 ${shape} ${workers} worker(s)${options.asyncCommit ? ' synchronous_commit=off' : ''} rep ${i + 1}/${reps}: ${Math.round(rates[i])} steps/s`);
    }
    return rates;
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
    ctx.log(`W5 skipped: ${why}`);
    return [];
  }
  const reps = ctx.quick ? 2 : 3;
  const chain1 = await measure(ctx, 'chain', 1, reps);
  const chain2 = await measure(ctx, 'chain', 2, reps);
  const fan1 = await measure(ctx, 'fan', 1, reps);
  const fan2 = await measure(ctx, 'fan', 2, reps);
  const chainAsync = await measure(ctx, 'chain', 1, reps, { asyncCommit: true });
  const fanAsync1 = await measure(ctx, 'fan', 1, reps, { asyncCommit: true });
  const fanAsync2 = await measure(ctx, 'fan', 2, reps, { asyncCommit: true });
  const note = `tutti worker processes (--concurrency ${WORKER_CONCURRENCY}), client createRun → completion`;
  const asyncNote = 'synchronous_commit=off (database URL option)';
  return [
    row('W5', 'PG chain 1,000, 1 worker', 'steps/s', chain1, { target: atLeast(2000, '≥ 2,000'), note }),
    row('W5', 'PG chain 1,000, 2 workers', 'steps/s', chain2, { note }),
    row('W5', 'PG fan 1,000 + join, 1 worker', 'steps/s', fan1, { target: atLeast(5000, '≥ 5,000'), note }),
    row('W5', 'PG fan 1,000 + join, 2 workers', 'steps/s', fan2, { target: atLeast(5000, '≥ 5,000'), note }),
    row('W5', 'PG fan: 2 workers / 1', '×', [median(fan2) / median(fan1)], { target: atLeast(1.6, '≥ 1.6'), note: 'ratio of the medians' }),
    row('W5', 'PG chain 1,000, 1 worker, async commit', 'steps/s', chainAsync, { target: atLeast(2000, '≥ 2,000'), note: asyncNote }),
    row('W5', 'PG fan 1,000 + join, 1 worker, async commit', 'steps/s', fanAsync1, { target: atLeast(5000, '≥ 5,000'), note: asyncNote }),
    row('W5', 'PG fan 1,000 + join, 2 workers, async commit', 'steps/s', fanAsync2, { target: atLeast(5000, '≥ 5,000'), note: asyncNote }),
    row('W5', 'PG fan async: 2 workers / 1', '×', [median(fanAsync2) / median(fanAsync1)], { target: atLeast(1.6, '≥ 1.6'), note: 'ratio of the medians' }),
  ];
}
