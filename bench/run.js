#!/usr/bin/env node
/**
 * tutti's benchmark suite (../shared/design/BENCHMARKS.md W1–W4, W6–W9) against the built
 * engine in dist/. Prints one table: medians of repetitions with min–max, the target of each row
 * and whether it is met.
 *
 *   node bench/run.js [--quick] [--only W1,W3] [--json] [--write] [--w4-exec]
 *
 * --quick   fewer repetitions, W4 at a 2 s critical path (instead of 10 s)
 * --only    run only these workloads (comma-separated ids)
 * --json    print the results as one JSON document on stdout (progress stays on stderr)
 * --write   rewrite the results section of docs/benchmarks.md
 * --w4-exec W4 also with the exec driver (a `sleep` process per task)
 * --profile DIR  write a CPU profile per workload (and W9's CLI children) into DIR and print a
 *                summary of each; timings under the profiler are slower, so do not quote them
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startProfile, summarizeProfile, writeProfile } from './lib/profile.js';
import { environment, resultsMarkdown, writeResults } from './lib/report.js';
import { textTable } from './lib/rows.js';
import { cleanupTempDirs, snapshotDist } from './lib/tutti.js';
import * as w1 from './workloads/w1-chain.js';
import * as w2 from './workloads/w2-fan.js';
import * as w3 from './workloads/w3-exec-vs-make.js';
import * as w4 from './workloads/w4-wfcommons.js';
import * as w5 from './workloads/w5-postgres.js';
import * as w6 from './workloads/w6-latency.js';
import * as w6pg from './workloads/w6-postgres.js';
import * as w7 from './workloads/w7-store-size.js';
import * as w8 from './workloads/w8-memory.js';
import * as w9 from './workloads/w9-crash.js';

/**
 * @typedef {{
 *   quick: boolean,
 *   flags: { w4Exec: boolean, profileDir: string | null },
 *   cache: { storeBytes: Record<number, number> },
 *   log: (message: string) => void,
 * }} Context
 */

export const WORKLOADS = [w1, w2, w3, w4, w5, w6, w6pg, w7, w8, w9];

async function main() {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      'w4-exec': { type: 'boolean', default: false },
      profile: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: node bench/run.js [--quick] [--only W1,W3] [--json] [--write] [--w4-exec] [--profile DIR]\n');
    return 0;
  }
  const only = values.only ? new Set(values.only.split(',').map((s) => s.trim().toUpperCase())) : null;
  if (only) {
    const unknown = [...only].filter((id) => !WORKLOADS.some((w) => w.id === id));
    if (unknown.length) {
      process.stderr.write(`bench: unknown workload ${unknown.join(', ')} (known: ${WORKLOADS.map((w) => w.id).join(', ')})\n`);
      return 2;
    }
  }
  /** @type {Context} */
  const ctx = {
    quick: values.quick,
    flags: { w4Exec: values['w4-exec'], profileDir: values.profile ? resolve(values.profile) : null },
    cache: { storeBytes: {} },
    log: (m) => process.stderr.write(`  ${m}\n`),
  };
  const env = environment(argv);
  snapshotDist();
  const t0 = performance.now();
  const rows = [];
  const timings = {};
  for (const w of WORKLOADS) {
    if (only && !only.has(w.id)) continue;
    process.stderr.write(`${w.id}: ${w.title}\n`);
    const s = performance.now();
    const stop = ctx.flags.profileDir ? await startProfile() : null;
    rows.push(...(await w.run(ctx)));
    if (stop) {
      const profile = await stop();
      mkdirSync(ctx.flags.profileDir, { recursive: true });
      writeProfile(join(ctx.flags.profileDir, `${w.id}.cpuprofile`), profile);
      process.stderr.write(`${w.id} profile (${join(ctx.flags.profileDir, `${w.id}.cpuprofile`)}):\n${summarizeProfile(profile)}\n`);
    }
    timings[w.id] = Math.round((performance.now() - s) / 100) / 10;
  }
  const seconds = (performance.now() - t0) / 1000;
  cleanupTempDirs();
  if (values.json) process.stdout.write(`${JSON.stringify({ environment: env, quick: values.quick, seconds, workloadSeconds: timings, rows }, null, 2)}\n`);
  else {
    process.stdout.write(`\n${textTable(rows)}\n\n`);
    process.stdout.write(`${env.date} · Node ${env.node} · ${env.os} · ${env.cpus} CPUs · commit ${env.commit}${env.srcDirty ? ' (src/ dirty)' : ''} · ${seconds.toFixed(0)} s\n`);
    process.stdout.write('Median of n repetitions (n = samples for W6); met = the median meets the target.\n');
  }
  if (values.write) {
    writeResults(resultsMarkdown(env, rows, seconds));
    process.stderr.write('bench: wrote the results into docs/benchmarks.md\n');
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    cleanupTempDirs();
    process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
