/** Opens the engine a command works with, from its flags. */
import { createEngine } from '../create-engine.js';
import type { Engine } from '../core/engine.js';
import type { AgentInput } from '../core/plan/schema.js';
import { resolveSettings, type ResolvedCliSettings, type StoreFlags } from './config.js';

export interface EngineFlags extends StoreFlags {
  concurrency?: number;
}

export interface CliEngine {
  engine: Engine;
  settings: ResolvedCliSettings;
}

/**
 * An engine over the command's store. Read-only commands never start it; executing commands do.
 * @param scope 'own' for `run`/`resume` (only the runs they were given), 'all' for workers.
 */
export function openEngine(flags: EngineFlags, scope: 'own' | 'all' = 'own'): CliEngine {
  const settings = resolveSettings(flags);
  const { config } = settings;
  const concurrency = flags.concurrency ?? config.concurrency;
  const engine = createEngine({
    dataDir: settings.dataDir,
    store: { sqlite: settings.dbPath },
    workDir: process.cwd(),
    runScope: scope,
    agents: config.agents as AgentInput[],
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(config.shellConcurrency !== undefined ? { shellConcurrency: config.shellConcurrency } : {}),
    ...(config.killGraceMs !== undefined ? { killGraceMs: config.killGraceMs } : {}),
    ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
  });
  return { engine, settings };
}
