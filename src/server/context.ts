/** What every route module receives: the engine, resolved options, the stream hub and metrics. */
import type { Engine } from '../core/engine.js';
import type { MemoryPlane } from '../memory/memory-plane.js';
import type { ServerMetrics } from './metrics.js';
import type { ResolvedServerOptions } from './options.js';
import type { OrchestratorBackend } from './seed/orchestrator-backend.js';
import type { StreamHub } from './sse.js';

export interface ServerContext {
  engine: Engine;
  options: ResolvedServerOptions;
  hub: StreamHub;
  metrics: ServerMetrics;
  orchestrator: OrchestratorBackend;
  /** The memory plane searches read (created on first use when not given). */
  memory(): MemoryPlane;
  /** Exact strings redacted from everything the server sends (its token). */
  secrets: readonly string[];
}
