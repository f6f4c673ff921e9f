/**
 * The coordination services an attempt gets from its engine (`AttemptContext.coordination`): the
 * merge queue, with every entry owned by the attempt, and the quota ledger of coding-agent CLIs.
 * Calls go to the store; the events they append are published like every other committed event.
 */
import type { AttemptCoordination } from '../agents/types.js';
import type { EventRecord } from './model.js';
import type { AttemptRef } from './model.js';
import type { Store } from '../store/types.js';

export function attemptCoordination(store: Store, ref: AttemptRef, now: () => number, publish: (events: readonly EventRecord[]) => void): AttemptCoordination {
  return {
    async enqueueMerge(m) {
      const { entry, events } = await store.enqueueMerge({ ...m, runId: ref.runId, owner: { taskId: ref.taskId, n: ref.n }, now: now() });
      publish(events);
      return entry;
    },
    async acquireMerge(id) {
      const { events, ...turn } = await store.acquireMerge(id, now());
      publish(events);
      return turn;
    },
    async finishMerge(id, end) {
      const { entry, events } = await store.finishMerge(id, end, now());
      publish(events);
      return entry;
    },
    listMerges: ({ allRuns, ...filter } = {}) => store.listMerges(allRuns ? filter : { ...filter, runId: ref.runId }),
    quotas: () => store.listQuotas(),
    recordQuota: (q) => store.recordQuota(q),
    clearQuota: async (cli, account) => {
      await store.clearQuota(cli, account);
    },
  };
}
