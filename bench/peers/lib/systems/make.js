/**
 * GNU make: the DAG as a Makefile (.PHONY targets, {@link makefile}); W3 runs `true` recipes with
 * `-j2`, W4 `sleep` recipes with `-j` (unlimited). No durable state: a baseline for spawn cost
 * and DAG scheduling, not a durable engine. Wall = make's whole process, its start included.
 */
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { removeDir, tempDir } from '../../../lib/tutti.js';
import { makefile, sleepRecipe } from '../shapes.js';

export const name = 'make';
export const label = 'GNU make';
export const dags = true;
export const modes = ['exec', 'sleep'];

export async function setup() {
  const v = execFileSync('make', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  return {
    version: v,
    /**
     * @param {import('../shapes.js').Dag} dag
     * @param {{ mode: import('../work.js').Mode, deadlineMs: number }} opts
     */
    async run(dag, { mode, deadlineMs }) {
      const dir = tempDir('tutti-bench-make-');
      const file = join(dir, 'Makefile');
      writeFileSync(file, makefile(dag, mode === 'exec' ? () => 'true' : sleepRecipe));
      const t0 = performance.now();
      const code = await new Promise((resolve, reject) => {
        const child = spawn('make', ['-s', mode === 'exec' ? '-j2' : '-j', '-f', file, 'all'], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
        let err = '';
        const timer = setTimeout(() => child.kill('SIGTERM'), deadlineMs);
        child.stderr.on('data', (b) => (err += b));
        child.on('error', reject);
        child.on('close', (c, sig) => {
          clearTimeout(timer);
          if (c !== 0 && sig === null) reject(new Error(`make exited ${c}: ${err}`));
          else resolve(sig ? 'cut' : 'ok');
        });
      });
      const ms = performance.now() - t0;
      removeDir(dir);
      const cut = code === 'cut';
      return { ms, done: cut ? 0 : dag.nodes.length, total: dag.nodes.length, cut, makespanMs: ms, bytes: null };
    },
    async close() {},
  };
}
