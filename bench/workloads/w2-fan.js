/** W2: 1,000 independent no-op function tasks, then one join: steps/s (1,001 steps). */
import { atLeast, row } from '../lib/rows.js';
import { median } from '../lib/stats.js';
import { fanTasks, removeDir, startEngine, timeRun } from '../lib/tutti.js';
import { warmUp } from './w1-chain.js';

export const id = 'W2';
export const title = 'fan-out of 1,000 no-op tasks then a join, SQLite';

/** @param {import('../run.js').Context} ctx */
export async function run(ctx) {
  await warmUp();
  const reps = ctx.quick ? 3 : 5;
  const rates = [];
  const create = [];
  for (let i = 0; i < reps; i++) {
    const { engine, dir } = await startEngine();
    const tasks = fanTasks(1000, { function: 'noop' });
    const r = await timeRun(engine, { tasks });
    await engine.stop();
    removeDir(dir);
    rates.push((tasks.length / r.ms) * 1000);
    create.push(r.createMs);
    ctx.log(`W2 rep ${i + 1}/${reps}: ${Math.round(rates[i])} steps/s`);
  }
  return [row('W2', 'fan 1,000 + join noop', 'steps/s', rates, { target: atLeast(30_000, '≥ 30,000'), note: `createRun ${Math.round(median(create))} ms of it` })];
}
