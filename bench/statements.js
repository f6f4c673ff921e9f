#!/usr/bin/env node
/**
 * Where a step's time goes on SQLite: runs W1 (chain of 1,000), W2 (fan 1,000 + join) and W3's
 * exec shapes (1,000 × `true`, concurrency 2) once each with every better-sqlite3 statement call timed, and prints per step: transactions,
 * statements, time inside SQLite calls (commits included) and the rest (JS of engine and store).
 * The timing wrappers add some overhead of their own; read the split, not the absolute rate.
 *
 *   node bench/statements.js [--top 12]
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { chainTasks, cleanupTempDirs, DIST, fanTasks, removeDir, snapshotDist, startEngine, timeRun } from './lib/tutti.js';

const { values } = parseArgs({ options: { top: { type: 'string', default: '12' } } });
snapshotDist();
// The better-sqlite3 instance dist/ loads (resolved from the snapshot, i.e. the repo's node_modules).
const Database = createRequire(join(DIST, 'index.js'))('better-sqlite3');
const probe = new Database(':memory:');
const Statement = Object.getPrototypeOf(probe.prepare('SELECT 1'));
probe.close();

/** @type {Map<string, { calls: number, ms: number }>} */
let bySql = new Map();
let inSqlite = 0;
/** @type {WeakMap<object, string>} */
const sqlOf = new WeakMap();
for (const method of ['run', 'get', 'all', 'iterate']) {
  const original = Statement[method];
  Statement[method] = function (...args) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      const ms = performance.now() - t0;
      inSqlite += ms;
      let sql = sqlOf.get(this);
      if (sql === undefined) sqlOf.set(this, (sql = this.source.replace(/\s+/g, ' ').trim().slice(0, 90)));
      const e = bySql.get(sql) ?? { calls: 0, ms: 0 };
      e.calls++;
      e.ms += ms;
      bySql.set(sql, e);
    }
  };
}

async function measure(name, tasks, options = {}, concurrency = undefined) {
  const { engine, dir } = await startEngine(options);
  await timeRun(engine, { tasks: chainTasks(200, { function: 'noop' }) }); // warm-up
  bySql = new Map();
  inSqlite = 0;
  const r = await timeRun(engine, { tasks, ...(concurrency ? { concurrency } : {}) });
  await engine.stop();
  removeDir(dir);
  const steps = tasks.length;
  const calls = [...bySql.values()].reduce((a, e) => a + e.calls, 0);
  const commits = bySql.get('COMMIT')?.calls ?? 0;
  const us = (ms) => `${((ms / steps) * 1000).toFixed(1)} µs`;
  process.stdout.write(`== ${name}: ${steps} steps in ${r.ms.toFixed(0)} ms (${Math.round((steps / r.ms) * 1000)} steps/s, under the timing wrappers)\n`);
  process.stdout.write(`per step: ${us(r.ms)} wall = ${us(inSqlite)} in SQLite calls + ${us(r.ms - inSqlite)} elsewhere (JS, event loop, child processes)\n`);
  process.stdout.write(`per step: ${(commits / steps).toFixed(2)} transactions, ${(calls / steps).toFixed(1)} statement calls\n`);
  process.stdout.write(`statements by time (calls/step, µs/step):\n`);
  for (const [sql, e] of [...bySql].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(values.top))) {
    process.stdout.write(`  ${(e.calls / steps).toFixed(2).padStart(6)}  ${us(e.ms).padStart(10)}  ${sql}\n`);
  }
  process.stdout.write('\n');
}

await measure('W1 chain 1,000 noop', chainTasks(1000, { function: 'noop' }));
await measure('W2 fan 1,000 + join noop', fanTasks(1000, { function: 'noop' }));
await measure('W3 chain 1,000 exec true, concurrency 2', chainTasks(1000, { command: ['true'] }), { shellConcurrency: 2 }, 2);
await measure('W3 fan 1,000 + join exec true, concurrency 2', fanTasks(1000, { command: ['true'] }), { shellConcurrency: 2 }, 2);
cleanupTempDirs();
