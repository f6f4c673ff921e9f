/**
 * Real scientific DAGs (WfCommons traces) replayed through the library with both drivers: every
 * run completes, every task once, never before its parents finished. Prints makespan against
 * critical path × scale (BENCHMARKS.md W4); the figures are printed, never asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { RunView } from '../src/core/run-view.js';
import { importWfCommons, type WfCommonsDriver } from '../src/core/plan/wfcommons.js';
import { createEngine } from '../src/create-engine.js';
import { loadTrace, traceNames, WFCOMMONS_AVAILABLE, WFCOMMONS_DIR } from './helpers/wfcommons.js';

/**
 * Ideal makespan per run, ms. Exec tasks pay a process spawn each (~1–2 ms here, and a 1,000-wide
 * level spawns 1,000 of them), so their sleeps are shorter to keep the file well under 90 s.
 */
const TARGET_MS: Record<WfCommonsDriver, number> = { function: 1000, exec: 500 };

interface Row {
  trace: string;
  driver: WfCommonsDriver;
  tasks: number;
  idealMs: number;
  makespanMs: number;
  wallMs: number;
}
const rows: Row[] = [];

const ms = (iso: string | null): number => {
  if (iso === null) throw new Error('missing timestamp');
  return Date.parse(iso);
};

/** Every task succeeded once, and no attempt started before each of its parents' attempts finished. */
function checkRun(view: RunView, expected: { tasks: number; dependsOn: Map<string, readonly string[]> }): void {
  expect(view.status).toBe('completed');
  expect(view.tasks).toHaveLength(expected.tasks);
  expect(view.counts.succeeded).toBe(expected.tasks);
  const byId = new Map(view.tasks.map((t) => [t.id, t] as const));
  const late: string[] = [];
  for (const t of view.tasks) {
    expect(t.status, t.id).toBe('succeeded');
    expect(t.attempts, t.id).toHaveLength(1);
    expect(t.attempts[0]!.status, t.id).toBe('succeeded');
    expect(t.dependsOn, t.id).toEqual(expected.dependsOn.get(t.id));
    const started = ms(t.attempts[0]!.startedAt);
    for (const p of t.dependsOn) {
      const finished = ms(byId.get(p)!.attempts[0]!.finishedAt);
      if (started < finished) late.push(`${t.id} started ${finished - started} ms before its parent ${p} finished`);
    }
  }
  expect(late).toEqual([]);
}

/** First attempt start to last attempt end, ms. */
function makespan(view: RunView): number {
  let first = Infinity;
  let last = -Infinity;
  for (const t of view.tasks) {
    for (const a of t.attempts) {
      first = Math.min(first, ms(a.startedAt));
      last = Math.max(last, ms(a.finishedAt));
    }
  }
  return last - first;
}

function printTable(): void {
  if (rows.length === 0) return;
  const header = ['trace', 'driver', 'tasks', 'cp × scale (ms)', 'makespan (ms)', 'overhead (ms)', 'overhead %', 'engine.run wall (ms)'];
  const body = rows.map((r) => {
    const overhead = r.makespanMs - r.idealMs;
    return [r.trace, r.driver, String(r.tasks), r.idealMs.toFixed(0), String(r.makespanMs), overhead.toFixed(0), ((100 * overhead) / r.idealMs).toFixed(1), r.wallMs.toFixed(0)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(['WfCommons replay (W4): makespan vs critical path × scale', line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n'));
}

describe.skipIf(!WFCOMMONS_AVAILABLE)(`WfCommons traces run to completion (${WFCOMMONS_DIR}; skipped when missing)`, () => {
  afterAll(printTable);

  for (const driver of ['function', 'exec'] as const) {
    for (const name of traceNames()) {
      test(`${name} (${driver})`, { timeout: 60_000 }, async () => {
        const raw = loadTrace(name);
        const { stats } = importWfCommons(raw, {});
        const timeScale = TARGET_MS[driver] / 1000 / stats.criticalPathSeconds;
        const { plan } = importWfCommons(raw, { driver, timeScale });
        const dir = mkdtempSync(join(tmpdir(), 'tutti-wfcommons-'));
        const engine = createEngine({ dataDir: dir, workDir: dir });
        try {
          await engine.start();
          const t0 = performance.now();
          const view = await engine.run(plan);
          const wallMs = performance.now() - t0;
          checkRun(view, { tasks: stats.tasks, dependsOn: new Map(plan.tasks.map((t) => [t.id, t.dependsOn ?? []])) });
          expect(view.name).toBe(plan.name);
          expect(view.metadata).toMatchObject({ wfcommons: { driver, timeScale, tasks: stats.tasks } });
          rows.push({ trace: name, driver, tasks: stats.tasks, idealMs: stats.criticalPathSeconds * timeScale * 1000, makespanMs: makespan(view), wallMs });
        } finally {
          await engine.stop();
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
