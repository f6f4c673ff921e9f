/**
 * `tutti/testing`: helpers for tests of code that uses tutti. An engine on an in-memory SQLite
 * store and a temporary data dir, already started; `close()` stops it and removes the dir.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type CreateEngineOptions } from '../create-engine.js';
import type { Engine } from '../core/engine.js';

export interface TestEngine {
  engine: Engine;
  dataDir: string;
  /** Stops the engine and removes its data dir. */
  close(): Promise<void>;
}

/**
 * @param options engine options; `store` defaults to `:memory:` SQLite, `dataDir` and `workDir` to a temp dir,
 *   `pollMs` to 20 and `leaseMs` to 5000 so tests never wait long.
 */
export async function createTestEngine(options: CreateEngineOptions = {}): Promise<TestEngine> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'tutti-test-'));
  const engine = createEngine({ store: { sqlite: ':memory:' }, workDir: dataDir, pollMs: 20, leaseMs: 5000, ...options, dataDir });
  await engine.start();
  return {
    engine,
    dataDir,
    async close() {
      await engine.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { installSimulator, simulatorBin, writeScenario, loadScenario, readCalls, readHangs, SimScenarioError, SIM_CLIS, SIM_PROGRAMS, type InstalledSimulator, type SimScenario, type SimEntry, type SimAction, type SimOutcome, type SimCli, type SimCallRecord, type SimHangRecord } from './sim/index.js';
