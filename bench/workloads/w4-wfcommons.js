/**
 * W4: the real DAGs of ../shared/data/wfcommons/, imported with the function driver (each task
 * sleeps runtimeInSeconds × scale, unlimited concurrency), the scale chosen so the critical path
 * lasts 10 s (2 s with --quick). Makespan = first attempt start → last attempt end, from the run
 * view; overhead = makespan − critical path × scale. At scale 0 the makespan is pure overhead.
 * `--w4-exec` also runs the exec driver (a `sleep` process per task).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { atMost, row } from '../lib/rows.js';
import { DIST, removeDir, startEngine, timeRun, WFCOMMONS_DIR } from '../lib/tutti.js';

export const id = 'W4';
export const title = 'WfCommons DAGs: makespan vs critical path';

/** @param {import('../../dist/index.js').RunView} view @returns {number} ms */
export function makespan(view) {
  let first = Infinity;
  let last = -Infinity;
  for (const t of view.tasks) {
    for (const a of t.attempts) {
      first = Math.min(first, Date.parse(a.startedAt));
      if (a.finishedAt) last = Math.max(last, Date.parse(a.finishedAt));
    }
  }
  return last - first;
}

/** @param {object} plan */
async function runPlan(plan) {
  const { engine, dir } = await startEngine();
  const r = await timeRun(engine, plan);
  await engine.stop();
  removeDir(dir);
  return makespan(r.view);
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const { importWfCommons } = await import(join(DIST, 'core', 'plan', 'wfcommons.js'));
  const criticalSeconds = ctx.quick ? 2 : 10;
  const zeroReps = 3;
  const drivers = ctx.flags.w4Exec ? ['function', 'exec'] : ['function'];
  const files = readdirSync(WFCOMMONS_DIR).filter((f) => f.endsWith('.json')).sort();
  if (files.length === 0) throw new Error(`no WfCommons traces in ${WFCOMMONS_DIR}`);
  const rows = [];
  const zeroRows = [];
  for (const file of files) {
    const name = file.replace(/-chameleon.*\.json$/, '');
    const trace = JSON.parse(readFileSync(join(WFCOMMONS_DIR, file), 'utf8'));
    const { stats } = importWfCommons(trace, { timeScale: 1 });
    const scale = criticalSeconds / stats.criticalPathSeconds;
    const idealMs = stats.criticalPathSeconds * scale * 1000;
    for (const driver of drivers) {
      const { plan } = importWfCommons(trace, { timeScale: scale, driver });
      const ms = await runPlan(plan);
      const over = ms - idealMs;
      ctx.log(`W4 ${name} (${driver}): makespan ${ms} ms, ideal ${Math.round(idealMs)} ms, overhead ${Math.round(over)} ms`);
      rows.push(
        row('W4', `${name} (${stats.tasks} tasks${driver === 'exec' ? ', exec' : ''}): overhead`, '%', [(over / idealMs) * 100], {
          target: atMost(2, '≤ 2%'),
          note: `makespan ${ms} ms vs ${Math.round(idealMs)} ms: +${Math.round(over)} ms`,
        }),
      );
    }
    const { plan: zero } = importWfCommons(trace, { timeScale: 0 });
    const zs = [];
    for (let i = 0; i < zeroReps; i++) zs.push(await runPlan(zero));
    ctx.log(`W4 ${name} scale 0: makespan ${zs.join(', ')} ms`);
    zeroRows.push(row('W4', `${name} (${stats.tasks} tasks): scale 0 makespan`, 'ms', zs, { note: `${stats.edges} edges; pure overhead` }));
  }
  return [...rows, ...zeroRows];
}
