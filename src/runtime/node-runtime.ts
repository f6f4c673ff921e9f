/** The engine's host runtime on Node: the data dir layout, process checks, clock. */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { isProcessAlive, killOrphanGroup, takeProcessesEnded } from '../agents/process.js';
import type { AttemptRef } from '../core/model.js';
import type { EngineRuntime } from '../core/runtime.js';

/** File names safe on every filesystem: anything outside [A-Za-z0-9._-] becomes `_`. */
export function safeSegment(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Data dir layout:
 * - `logs/<runId>/<taskId>.<attempt>.log` attempt logs
 * - `blobs/<sha256[0..2]>/<sha256>` large outputs, content-addressed
 */
export function createNodeRuntime(dataDir: string): EngineRuntime {
  return {
    host: hostname(),
    pid: process.pid,
    now: () => Date.now(),
    random: () => Math.random(),
    isProcessAlive,
    killOrphan: killOrphanGroup,
    takeProcessesEnded,
    attemptLogPath(ref: AttemptRef) {
      const stored = join('logs', safeSegment(ref.runId), `${safeSegment(ref.taskId)}.${ref.n}.log`);
      return { absolute: join(dataDir, stored), stored };
    },
    ensureDir(path: string) {
      mkdirSync(path, { recursive: true });
    },
    writeBlob(content: string) {
      const hash = createHash('sha256').update(content).digest('hex');
      const stored = join('blobs', hash.slice(0, 2), hash);
      const abs = join(dataDir, stored);
      if (!existsSync(abs)) {
        mkdirSync(join(dataDir, 'blobs', hash.slice(0, 2)), { recursive: true });
        writeFileSync(abs, content);
      }
      return stored;
    },
  };
}
