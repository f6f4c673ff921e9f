/**
 * The orchestrator the free functions of `tutti/orchestration` act on: the one created last (by
 * `createOrchestrator` or `createOrchestrationClient`) and not closed, else one over the default
 * data dir, created on first use.
 */
import { createOrchestratorInstance } from './orchestrator.js';
import type { Orchestrator, OrchestratorConfig } from './types.js';

let current: Orchestrator | null = null;

/** Creates an orchestrator and makes it current until it is closed. */
export function createTracked(config: OrchestratorConfig): Orchestrator {
  const o = createOrchestratorInstance(config);
  const close = o.close.bind(o);
  o.close = async () => {
    if (current === o) current = null;
    await close();
  };
  current = o;
  return o;
}

/** The current orchestrator (created with defaults when there is none). */
export function currentOrchestrator(): Orchestrator {
  current ??= createTracked({});
  return current;
}
