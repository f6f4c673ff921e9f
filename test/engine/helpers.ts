/** Engines over real SQLite files in temp dirs, and recorders for what functions saw. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { createEngine, type CreateEngineOptions } from '../../src/create-engine.js';
import type { Engine } from '../../src/core/engine.js';

const open: Engine[] = [];

afterEach(async () => {
  while (open.length) await open.pop()!.stop().catch(() => undefined);
});

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'tutti-engine-'));
}

/** A started engine on a SQLite file (stopped after each test). */
export async function startEngine(options: CreateEngineOptions = {}): Promise<Engine> {
  const dir = options.dataDir ?? tempDir();
  const engine = createEngine({ workDir: dir, pollMs: 25, ...options, dataDir: dir });
  open.push(engine);
  await engine.start();
  return engine;
}

/** Tracks how many calls run at once and in which order they started. */
export function concurrencyProbe() {
  let current = 0;
  const probe = {
    max: 0,
    order: [] as string[],
    fn: async ({ taskId, input, signal }: { taskId: string; input: unknown; signal: AbortSignal }) => {
      probe.order.push(taskId);
      current++;
      probe.max = Math.max(probe.max, current);
      const ms = Number((input as { ms?: number } | undefined)?.ms ?? 30);
      await new Promise<void>((r) => {
        const t = setTimeout(r, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r();
        });
      });
      current--;
    },
  };
  return probe;
}
