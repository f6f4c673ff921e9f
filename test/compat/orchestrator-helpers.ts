/** Orchestrators on temporary data dirs, closed after each test. */
import { afterEach } from 'vitest';
import { createOrchestrator, type Orchestrator, type OrchestratorOptions } from '../../src/compat/orchestrator/index.js';
import { tempDir } from '../helpers/cli.js';

const open: Orchestrator[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.close().catch(() => undefined);
});

/** A fresh orchestrator over its own SQLite file (engine polling fast for tests). */
export function makeOrchestrator(options: OrchestratorOptions = {}): Orchestrator & { dataDir: string } {
  const dataDir = tempDir('tutti-orch-');
  const o = createOrchestrator({ dataDir, engineOptions: { workDir: dataDir, pollMs: 20, leaseMs: 5000 }, ...options }) as Orchestrator & { dataDir: string };
  o.dataDir = dataDir;
  open.push(o);
  return o;
}
