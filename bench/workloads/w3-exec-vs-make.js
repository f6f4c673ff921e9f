/**
 * W3: the W1 (chain of 1,000) and W2 (1,000 + join) shapes with exec tasks running `true`, against
 * GNU make -j2 on the same DAG written as a Makefile, interleaved in each repetition. tutti runs
 * in process (engine already started; wall = createRun → waitForRun), once limited to 2 at a time
 * (run concurrency 2, shell agent concurrency 2: the same parallelism as -j2) and once with the
 * defaults (shell agent: 4). make's wall time includes its own start and Makefile parsing.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { atMost, row } from '../lib/rows.js';
import { median } from '../lib/stats.js';
import { chainTasks, fanTasks, removeDir, startEngine, tempDir, timeRun } from '../lib/tutti.js';

export const id = 'W3';
export const title = 'exec `true` tasks: tutti vs GNU make -j2';

/** @param {import('../lib/tutti.js').BenchTask[]} tasks */
export function makefile(tasks) {
  const names = tasks.map((t) => t.id);
  let text = `.PHONY: all ${names.join(' ')}\nall: ${names[names.length - 1]}\n`;
  // A recipe without shell metacharacters is exec'd by make directly (no /bin/sh).
  for (const t of tasks) text += `${t.id}:${(t.dependsOn ?? []).map((d) => ` ${d}`).join('')}\n\ttrue\n`;
  return text;
}

/** @param {string} file @returns {Promise<number>} wall ms */
function runMake(file, cwd) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('make', ['-s', '-j2', '-f', file, 'all'], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (b) => (err += b));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`make exited ${code}: ${err}`))));
  });
}

/** @param {import('../lib/tutti.js').BenchTask[]} tasks @param {number | undefined} limit */
async function runTutti(tasks, limit) {
  const { engine, dir } = await startEngine(limit ? { shellConcurrency: limit } : {});
  const r = await timeRun(engine, { tasks, ...(limit ? { concurrency: limit } : {}) });
  await engine.stop();
  removeDir(dir);
  return r.ms;
}

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  const reps = ctx.quick ? 1 : 3;
  const shapes = [
    { name: 'chain 1,000', tasks: chainTasks(1000, { command: ['true'] }) },
    { name: 'fan 1,000 + join', tasks: fanTasks(1000, { command: ['true'] }) },
  ];
  const dir = tempDir();
  // Warm up the engine's exec path once (untimed).
  await runTutti(chainTasks(50, { command: ['true'] }), 2);
  const rows = [];
  for (const shape of shapes) {
    const file = join(dir, `${shape.name.split(' ')[0]}.mk`);
    writeFileSync(file, makefile(shape.tasks));
    const t2 = [];
    const tDefault = [];
    const mk = [];
    for (let i = 0; i < reps; i++) {
      t2.push(await runTutti(shape.tasks, 2));
      tDefault.push(await runTutti(shape.tasks, undefined));
      mk.push(await runMake(file, dir));
      ctx.log(`W3 ${shape.name} rep ${i + 1}/${reps}: tutti -c2 ${Math.round(t2[i])} ms, tutti default ${Math.round(tDefault[i])} ms, make -j2 ${Math.round(mk[i])} ms`);
    }
    const ratio2 = t2.map((t, i) => t / mk[i]);
    const ratioD = tDefault.map((t, i) => t / mk[i]);
    rows.push(
      row('W3', `${shape.name}: make -j2 wall`, 'ms', mk),
      row('W3', `${shape.name}: tutti, concurrency 2, wall`, 'ms', t2),
      row('W3', `${shape.name}: tutti (conc. 2) / make -j2`, '×', ratio2, { target: atMost(2, '≤ 2.0'), note: `steps/s: tutti ${Math.round((shape.tasks.length / median(t2)) * 1000)}, make ${Math.round((shape.tasks.length / median(mk)) * 1000)}` }),
      row('W3', `${shape.name}: tutti (default conc.) / make -j2`, '×', ratioD, { note: `tutti default wall ${Math.round(median(tDefault))} ms` }),
    );
  }
  removeDir(dir);
  return rows;
}
