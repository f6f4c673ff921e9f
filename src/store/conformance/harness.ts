/**
 * The plumbing of the store conformance suite: one fresh store per test, and `it` blocks that
 * honour the initializer's skip list (Hono's `skip: [{ reason, tests }]`).
 */
import { afterEach, beforeEach, it } from 'vitest';
import type { Store } from '../types.js';

/** How a backend plugs into the suite (LangGraph's checkpoint-validation initializer). */
export interface StoreConformanceInit {
  /** Shown as the outer `describe` (`SqliteStore (:memory:)`). */
  name: string;
  /** A new, empty store. The suite calls `migrate()` on it before each test. */
  createStore(): Promise<Store>;
  /**
   * Releases what {@link createStore} made (files, databases). May receive a store a test has
   * already closed. @default `store.close()`
   */
  destroyStore?(store: Store): Promise<void>;
  /** Tests this backend does not pass yet, each group with the reason. Titles as registered. */
  skip?: Array<{ reason: string; tests: string[] }>;
}

/** What each group of tests receives. */
export interface SuiteContext {
  /** The store of the running test. */
  readonly store: Store;
  /** Tells the harness a test closed its store itself (so only `destroyStore` runs). */
  markClosed(): void;
  /** `it`, skipped (with its reason in the title) when the initializer lists the title. */
  it(title: string, fn: () => Promise<void>): void;
}

/** Registers the per-test store lifecycle in the current `describe` and returns the context. */
export function createSuiteContext(init: StoreConformanceInit, used: Set<string>): SuiteContext {
  const reasons = new Map<string, string>();
  for (const group of init.skip ?? []) for (const t of group.tests) reasons.set(t, group.reason);
  let current: Store | null = null;
  let closed = false;

  beforeEach(async () => {
    current = await init.createStore();
    closed = false;
    await current.migrate();
  });
  afterEach(async () => {
    const store = current;
    current = null;
    if (!store) return;
    if (init.destroyStore) await init.destroyStore(store);
    else if (!closed) await store.close();
  });

  return {
    get store(): Store {
      if (!current) throw new Error('no store: the suite context is only usable inside a test');
      return current;
    },
    markClosed() {
      closed = true;
    },
    it(title, fn) {
      used.add(title);
      const reason = reasons.get(title);
      if (reason !== undefined) it.skip(`${title} (skipped: ${reason})`, fn);
      else it(title, fn);
    },
  };
}

/** Skip entries that name no registered test: a typo would otherwise hide nothing and say nothing. */
export function unknownSkips(init: StoreConformanceInit, used: ReadonlySet<string>): string[] {
  return (init.skip ?? []).flatMap((g) => g.tests).filter((t) => !used.has(t));
}
