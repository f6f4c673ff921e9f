/**
 * BullMQ flows on Redis with AOF on (see services.js): the DAG is added in one `addBulk` as the
 * forest of flows of {@link bullmqFlows} (edges a tree cannot hold are gate jobs, delayed children
 * the predecessor's worker promotes); one Worker on the steps queue (concurrency 16, or 1,000
 * for W4's sleeping tasks so width is not capped) and one on the gates queue. Completed jobs are
 * kept (BullMQ's default), so the keys under the run's prefix are the run's durable record: bytes
 * = the sum of `DUMP` sizes of those keys (their serialized, RDB/AOF-rewrite form).
 */
import { performance } from 'node:perf_hooks';
import { peerImport, peerVersion } from '../install.js';
import { bullmqFlows } from '../shapes.js';
import { makeWork, result } from '../work.js';

export const name = 'bullmq';
export const label = 'BullMQ flows + Redis';
export const dags = true;

/** @param {{ redis: { port: number, version: string } }} ctx */
export async function setup(ctx) {
  const { FlowProducer, Worker, Job, Queue } = await peerImport('bullmq');
  const { default: IORedis } = await peerImport('ioredis');
  const connection = { host: '127.0.0.1', port: ctx.redis.port };
  const admin = new IORedis({ ...connection, maxRetriesPerRequest: null });
  let runNo = 0;
  return {
    version: `bullmq ${peerVersion('bullmq')} + ioredis ${peerVersion('ioredis')} on ${ctx.redis.version}`,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number, measureBytes?: boolean }} opts
     */
    async run(dag, { mode, deadlineMs, measureBytes = false }) {
      const prefix = `tbp${process.pid}r${++runNo}`;
      const w = makeWork(mode, dag.nodes.length, deadlineMs);
      const byId = new Map(dag.nodes.map((n) => [n.id, n]));
      const t0 = performance.now();
      const flows = bullmqFlows(dag);
      const gateQueue = new Queue('gates', { connection, prefix });
      let completed = 0;
      let endAt = 0;
      /** @type {(e: unknown) => void} */
      let fail = () => {};
      const failure = new Promise((r) => (fail = r));
      const worker = new Worker(
        'steps',
        async (job) => {
          await w.work(byId.get(job.name).ms);
          for (const g of flows.gatesAfter.get(job.name) ?? []) await (await Job.fromId(gateQueue, g)).promote();
        },
        { connection, prefix, concurrency: mode === 'sleep' ? 1000 : 16 },
      );
      const gates = new Worker('gates', async () => {}, { connection, prefix, concurrency: 16 });
      worker.on('completed', () => {
        if (++completed === dag.nodes.length) endAt = performance.now();
      });
      worker.on('failed', (_job, e) => fail(e));
      /** @param {import('../shapes.js').FlowTree} t */
      const toFlow = (t) => ({
        name: t.id,
        queueName: 'steps',
        children: [
          ...t.children.map(toFlow),
          ...t.gates.map((g) => ({ name: g, queueName: 'gates', opts: { jobId: g, delay: 864_000_000 } })),
        ],
      });
      // Iterative for the outer level; a tree is at most bullmqFlows' maxDepth deep.
      const producer = new FlowProducer({ connection, prefix });
      await producer.addBulk(flows.roots.map(toFlow));
      let cut = false;
      const raced = await Promise.race([
        (async () => {
          await w.finished;
          while (completed < dag.nodes.length && performance.now() < w.deadlineAt + 5000) await new Promise((r) => setTimeout(r, 1));
          return 'done';
        })(),
        new Promise((r) => setTimeout(() => r('cut'), Math.max(0, w.deadlineAt - performance.now()) + 1000)),
        failure.then((e) => (String(e).includes('deadline passed') ? 'cut' : Promise.reject(e))),
      ]);
      cut = raced === 'cut';
      const end = cut ? performance.now() : endAt;
      await worker.close(true);
      await gates.close(true);
      await producer.close();
      await gateQueue.close();
      let bytes = null;
      if (measureBytes) {
        bytes = 0;
        for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) {
          for (const k of keys) bytes += (await admin.dumpBuffer(k))?.length ?? 0;
        }
      }
      for await (const keys of admin.scanStream({ match: `${prefix}:*`, count: 1000 })) if (keys.length) await admin.del(...keys);
      return { ...result(w, t0, cut, end), bytes };
    },
    async close() {
      admin.disconnect();
    },
  };
}
