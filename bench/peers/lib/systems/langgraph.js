/**
 * LangGraph.js with its SQLite checkpointer (SqliteSaver, a file per run): the DAG is a
 * StateGraph with one node per DAG node, an edge per dependency (a node with several
 * dependencies waits for all of them: `addEdge([...deps], node)`), START → sources, sinks → END.
 * Each node returns a one-field state update; LangGraph checkpoints after every superstep.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeDir, tempDir } from '../../../lib/tutti.js';
import { peerImport, peerVersion } from '../install.js';
import { successors } from '../shapes.js';
import { CutError, makeWork, result } from '../work.js';
import { sqliteBytes } from './common.js';

export const name = 'langgraph';
export const label = 'LangGraph.js + SqliteSaver';
export const dags = true;

export async function setup() {
  const { StateGraph, Annotation, START, END } = await peerImport('@langchain/langgraph');
  const { SqliteSaver } = await peerImport('@langchain/langgraph-checkpoint-sqlite');
  const State = Annotation.Root({ n: Annotation({ reducer: (a, b) => a + b, default: () => 0 }) });
  return {
    version: `@langchain/langgraph ${peerVersion('@langchain/langgraph')} + @langchain/langgraph-checkpoint-sqlite ${peerVersion('@langchain/langgraph-checkpoint-sqlite')} (better-sqlite3 file)`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const dir = tempDir('tutti-bench-langgraph-');
      const file = join(dir, 'checkpoints.db');
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      const t0 = performance.now();
      const nameOf = new Map(dag.nodes.map((n, i) => [n.id, `t${i}`]));
      const succ = successors(dag);
      let g = new StateGraph(State);
      for (const n of dag.nodes) {
        g = g.addNode(nameOf.get(n.id), async () => {
          await w.work(n.ms);
          return { n: 1 };
        });
      }
      for (const n of dag.nodes) {
        const me = nameOf.get(n.id);
        if (n.deps.length === 0) g.addEdge(START, me);
        else if (n.deps.length === 1) g.addEdge(nameOf.get(n.deps[0]), me);
        else g.addEdge(n.deps.map((d) => nameOf.get(d)), me);
        if (succ.get(n.id).length === 0) g.addEdge(me, END);
      }
      const saver = SqliteSaver.fromConnString(file);
      let cut = false;
      try {
        const app = g.compile({ checkpointer: saver });
        await app.invoke({ n: 0 }, { configurable: { thread_id: 'bench' }, recursionLimit: dag.nodes.length + 10 });
      } catch (e) {
        if (!(e instanceof CutError) && !String(e).includes('deadline passed')) throw e;
        cut = true;
      }
      const end = performance.now();
      saver.db?.close?.();
      const bytes = measureBytes ? await sqliteBytes(file) : null;
      removeDir(dir);
      return { ...result(w, t0, cut, end), bytes };
    },
    async close() {},
  };
}
