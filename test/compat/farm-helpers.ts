/** Shared by the `tutti/farm` tests: orchestrators closed after each test, an abortable sleep. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Orchestrator, type OrchestratorOptions } from '../../src/compat/farm/index.js';

/** Orchestrators made by {@link orchestrator}, closed after each test. */
export const open: Orchestrator[] = [];

/** A new orchestrator, closed after the test. */
export function orchestrator(options: OrchestratorOptions = {}): Orchestrator {
  const o = new Orchestrator(options);
  open.push(o);
  return o;
}

/** Closes the orchestrators of the test. */
export async function closeAll(): Promise<void> {
  await Promise.all(open.splice(0).map((o) => o.close()));
}

/** Registers the after-each cleanup in the calling test file. */
export function closeAfterEach(): void {
  afterEach(closeAll);
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/** A fresh temp directory. */
export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tutti-farm-test-'));
}
