/**
 * The store conformance suite: one spec every `Store` backend passes unchanged (ARCHITECTURE.md
 * §11). A backend's test file calls {@link describeStoreConformance} with an initializer, as
 * LangGraph's checkpoint-validation does:
 *
 * @example
 * describeStoreConformance({ name: 'SqliteStore', createStore: async () => new SqliteStore({ path: ':memory:' }) });
 *
 * The tests use the Store interface only, the engine's real chooser, and explicit timestamps.
 */
import { describe, expect, it } from 'vitest';
import { agentTests } from './agents.js';
import { approvalTests } from './approvals.js';
import { blockingTests } from './blocking.js';
import { cancelTests } from './cancel.js';
import { claimTests } from './claim.js';
import { coordinationTests } from './coordination.js';
import { eventTests } from './events.js';
import { failureTests } from './failure.js';
import { createSuiteContext, unknownSkips, type StoreConformanceInit } from './harness.js';
import { lifecycleTests } from './lifecycle.js';
import { logTests } from './logs.js';
import { memoryTests } from './memory.js';
import { runTests } from './runs.js';
import { stateTests } from './state.js';
import { workerTests } from './workers.js';

export type { StoreConformanceInit, SuiteContext } from './harness.js';

/** Registers the conformance suite for one backend as vitest `describe`/`it` blocks. */
export function describeStoreConformance(init: StoreConformanceInit): void {
  describe(`Store conformance: ${init.name}`, () => {
    const used = new Set<string>();
    const ctx = createSuiteContext(init, used);
    lifecycleTests(ctx);
    runTests(ctx);
    claimTests(ctx);
    failureTests(ctx);
    cancelTests(ctx);
    blockingTests(ctx);
    eventTests(ctx);
    workerTests(ctx);
    agentTests(ctx);
    approvalTests(ctx);
    stateTests(ctx);
    memoryTests(ctx);
    logTests(ctx);
    coordinationTests(ctx);
    const unknown = unknownSkips(init, used);
    it('the skip list names only tests of the suite', () => {
      expect(unknown).toEqual([]);
    });
  });
}
