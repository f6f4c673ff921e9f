/**
 * tutti on its durable SQLite store (WAL, synchronous=NORMAL: the default), from the dist/
 * snapshot the main bench uses. noop/sleep nodes are a registered function running the shared
 * body; exec nodes are tutti's own exec driver running `true` with run and shell concurrency 2
 * (the W3 setting of bench/workloads/w3-exec-vs-make.js), so its spawn path is what is measured.
 * {@link setupPostgres}: the same on tutti's PostgreSQL store (one database for the bench, the
 * engine in this process, as graphile-worker and pg-boss run here); bytes = database growth.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DIST, removeDir, storeBytes, tempDir } from '../../../lib/tutti.js';
import { makeWork, result } from '../work.js';

export const name = 'tutti';
export const label = 'tutti (SQLite)';
export const dags = true;

/** @param {{ log: (m: string) => void }} ctx */
export async function setup(ctx) {
  return setupOn(ctx, null);
}

/** tutti on PostgreSQL, next to graphile-worker and pg-boss. @param {{ pg: import('../services.js').Postgres }} ctx */
export async function setupPostgres(ctx) {
  return setupOn(ctx, ctx.pg);
}

/** @param {import('../services.js').Postgres | null} pgServer */
async function setupOn(_ctx, pgServer) {
  // The parent's snapshot of dist/ (a child process must not take one of its own: a rebuild
  // between two children would mix builds).
  const { createEngine } = await import(join(process.env.TUTTI_PEERS_DIST ?? DIST, 'index.js'));
  const dbName = 'tutti_bench_tutti';
  const databaseUrl = pgServer ? await pgServer.createDatabase(dbName) : null;
  const { default: pg } = pgServer ? await import('pg') : { default: null };
  const pool = pgServer ? new pg.Pool({ connectionString: databaseUrl, max: 2 }) : null;
  pool?.on('error', () => {});
  const dbSize = async () => Number((await pool.query('SELECT pg_database_size(current_database()) AS b')).rows[0].b);
  const { readFileSync } = await import('node:fs');
  const { ROOT } = await import('../../../lib/tutti.js');
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  /** @type {import('../work.js').Work | null} */
  let current = null;
  const start = async (options = {}) => {
    const dir = tempDir('tutti-bench-peers-');
    const engine = createEngine({ dataDir: dir, workDir: dir, functions: { work: ({ input }) => current.work(input.ms) }, ...(databaseUrl ? { store: { databaseUrl } } : {}), ...options });
    await engine.start();
    return { engine, dir, dbPath: join(dir, 'tutti.db') };
  };
  const empty = pgServer ? 0 : await (async () => {
    const s = await start();
    await s.engine.stop();
    const b = await storeBytes(s.dbPath);
    removeDir(s.dir);
    return b.db;
  })();
  return {
    version: pgServer ? `tutti ${version} on ${pgServer.version} (engine in this process)` : `tutti ${version} (SQLite WAL, synchronous=NORMAL)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     * @returns {Promise<import('../work.js').RunResult>}
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const exec = mode === 'exec';
      const before = measureBytes && pool ? await dbSize() : 0;
      const s = await start(exec ? { shellConcurrency: 2 } : {});
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      current = w;
      const tasks = dag.nodes.map((n) => ({
        id: n.id,
        ...(exec ? { command: ['true'] } : { function: 'work', input: { ms: n.ms } }),
        ...(n.deps.length ? { dependsOn: n.deps } : {}),
      }));
      const t0 = performance.now();
      let view;
      let end;
      let execDone = 0;
      try {
        const created = await s.engine.createRun({ tasks, ...(exec ? { concurrency: 2 } : {}) });
        view = await Promise.race([s.engine.waitForRun(created.id), new Promise((r) => setTimeout(() => r(null), Math.max(0, w.deadlineAt - performance.now()) + (exec ? 0 : 5000)))]);
        end = performance.now();
        if (view === null && exec) execDone = (await s.engine.getRun(created.id))?.tasks.filter((t) => t.status === 'completed').length ?? 0;
      } finally {
        await s.engine.stop();
      }
      const cut = view === null || (view.status !== 'completed' && performance.now() > w.deadlineAt);
      if (!cut && view.status !== 'completed') throw new Error(`tutti run ended ${view.status}: ${view.error ?? ''}`);
      const bytes = !measureBytes ? null : pool ? (await dbSize()) - before : (await storeBytes(s.dbPath)).db - empty;
      removeDir(s.dir);
      if (cut) return { ...result(w, t0, true, end), ...(exec ? { done: execDone } : {}), bytes };
      const r = result(w, t0, false, end);
      if (exec) {
        // exec bodies are tutti's own processes: the makespan comes from the attempts.
        let first = Infinity;
        let last = -Infinity;
        for (const t of view.tasks) for (const a of t.attempts) {
          first = Math.min(first, Date.parse(a.startedAt));
          if (a.finishedAt) last = Math.max(last, Date.parse(a.finishedAt));
        }
        return { ...r, done: dag.nodes.length, makespanMs: last - first, bytes };
      }
      return { ...r, bytes };
    },
    async close() {
      await pool?.end();
    },
  };
}
