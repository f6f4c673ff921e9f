/**
 * Mastra workflows with LibSQL file storage (a Mastra instance and a file per run, so the run's
 * snapshot is persisted after every step). A Mastra workflow is a sequence of `.then(step)` and
 * `.parallel([steps])`: a DAG runs as its topological levels one after the other (a chain is N
 * `.then`, a fan + join is one `.parallel` of N then a `.then`); a level waits for its slowest
 * node, so the levelled makespan, not the critical path, is Mastra's floor on W4.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeDir, tempDir } from '../../../lib/tutti.js';
import { peerImport, peerVersion } from '../install.js';
import { levels } from '../shapes.js';
import { makeWork, result } from '../work.js';
import { sqliteBytes } from './common.js';

export const name = 'mastra';
export const label = 'Mastra + LibSQL';
export const dags = true;

export async function setup() {
  const { Mastra } = await peerImport('@mastra/core');
  const { createWorkflow, createStep } = await peerImport('@mastra/core/workflows');
  const { LibSQLStore } = await peerImport('@mastra/libsql');
  const { z } = await peerImport('zod');
  return {
    version: `@mastra/core ${peerVersion('@mastra/core')} + @mastra/libsql ${peerVersion('@mastra/libsql')} (file storage)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const dir = tempDir('tutti-bench-mastra-');
      const file = join(dir, 'mastra.db');
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      const t0 = performance.now();
      let i = 0;
      const step = (n) =>
        createStep({
          id: `t${i++}`,
          inputSchema: z.any(),
          outputSchema: z.any(),
          execute: async () => {
            await w.work(n.ms);
            return {};
          },
        });
      let wf = createWorkflow({ id: 'bench', inputSchema: z.any(), outputSchema: z.any() });
      for (const level of levels(dag)) wf = level.length === 1 ? wf.then(step(level[0])) : wf.parallel(level.map(step));
      wf.commit();
      const mastra = new Mastra({ workflows: { bench: wf }, storage: new LibSQLStore({ url: `file:${file}` }), logger: false, telemetry: { enabled: false } });
      const run = await mastra.getWorkflow('bench').createRunAsync();
      const r = await run.start({ inputData: {} });
      const end = performance.now();
      const cut = r.status !== 'success';
      if (cut && !String(r.error?.message ?? r.error ?? '').includes('deadline passed')) throw new Error(`Mastra run ended ${r.status}: ${r.error?.message ?? r.error}`);
      const bytes = measureBytes ? await sqliteBytes(file) : null;
      removeDir(dir);
      return { ...result(w, t0, cut, end), bytes };
    },
    async close() {},
  };
}
