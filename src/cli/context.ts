/** Opens the engine a command works with, from its flags. */
import { createEngine, type CreateEngineOptions } from '../create-engine.js';
import type { Engine } from '../core/engine.js';
import type { AgentInput } from '../core/plan/schema.js';
import { createEmbedder, embedderConfigFrom } from '../memory/embedders/index.js';
import { resolveSettings, type ResolvedCliSettings } from './config.js';
import { databaseUrlOf, type EngineFlags } from './store.js';

export { databaseUrlOf, type EngineFlags };

export interface CliEngine {
  engine: Engine;
  settings: ResolvedCliSettings;
}

/**
 * An engine over the command's store. Read-only commands never start it; executing commands do.
 * @param scope 'own' for `run`/`resume` (only the runs they were given), 'all' for workers.
 * @param extra engine options of the command (`tutti worker`: lease, poll, worker id).
 */
export function openEngine(flags: EngineFlags, scope: 'own' | 'all' = 'own', extra: Partial<CreateEngineOptions> = {}): CliEngine {
  const settings = resolveSettings(flags);
  const { config } = settings;
  const concurrency = flags.concurrency ?? config.concurrency;
  const databaseUrl = databaseUrlOf(flags);
  const engine = createEngine({
    // The embedder of `tutti memory` (TUTTI_EMBEDDER…): memory retrieved into prompts must use the store's model.
    memory: { embedder: createEmbedder(embedderConfigFrom({}, process.env), process.env) },
    dataDir: settings.dataDir,
    store: databaseUrl ? { databaseUrl } : { sqlite: settings.dbPath },
    workDir: process.cwd(),
    runScope: scope,
    agents: config.agents as AgentInput[],
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(config.shellConcurrency !== undefined ? { shellConcurrency: config.shellConcurrency } : {}),
    ...(config.killGraceMs !== undefined ? { killGraceMs: config.killGraceMs } : {}),
    ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
    ...extra,
  });
  return { engine, settings };
}
