/**
 * tutti on its durable SQLite store (WAL, synchronous=NORMAL: the default), from the dist/
 * snapshot the main bench uses. noop/sleep nodes are a registered function running the shared
 * body; exec nodes are tutti's own exec driver running `true` with run and shell concurrency 2
 * (the W3 setting of bench/workloads/w3-exec-vs-make.js), so its spawn path is what is measured.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadTutti, removeDir, storeBytes, tempDir } from '../../../lib/tutti.js';
import { makeWork, result } from '../work.js';

export const name = 'tutti';
export const label = 'tutti (SQLite)';
export const dags = true;

/** @param {{ log: (m: string) => void }} _ctx */
export async function setup(_ctx) {
  const { createEngine } = await loadTutti();
  const { readFileSync } = await import('node:fs');
  const { ROOT } = await import('../../../lib/tutti.js');
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  /** @type {import('../work.js').Work | null} */
  let current = null;
  const start = async (options = {}) => {
    const dir = tempDir('tutti-bench-peers-');
    const engine = createEngine({ dataDir: dir, workDir: dir, functions: { work: ({ input }) => current.work(input.ms) }, ...options });
    await engine.start();
    return { engine, dir, dbPath: join(dir, 'tutti.db') };
  };
  const empty = await (async () => {
    const s = await start();
    await s.engine.stop();
    const b = await storeBytes(s.dbPath);
    removeDir(s.dir);
    return b.db;
  })();
  return {
    version: `tutti ${version} (SQLite WAL, synchronous=NORMAL)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     * @returns {Promise<import('../work.js').RunResult>}
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const exec = mode === 'exec';
      const s = await start(exec ? { shellConcurrency: 2 } : {});
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      current = w;
      const tasks = dag.nodes.map((n) => ({
        id: n.id,
        ...(exec ? { command: ['true'] } : { function: 'work', input: { ms: n.ms } }),
        ...(n.deps.length ? { dependsOn: n.deps } : {}),
      }));
      const t0 = performance.now();
      const created = await s.engine.createRun({ tasks, ...(exec ? { concurrency: 2 } : {}) });
      const view = await s.engine.waitForRun(created.id);
      const end = performance.now();
      if (view.status !== 'completed') throw new Error(`tutti run ended ${view.status}: ${view.error ?? ''}`);
      await s.engine.stop();
      const bytes = measureBytes ? (await storeBytes(s.dbPath)).db - empty : null;
      removeDir(s.dir);
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
    async close() {},
  };
}
