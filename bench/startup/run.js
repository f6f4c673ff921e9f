#!/usr/bin/env node
/**
 * Start-up time of the `tutti` CLI: wall time from spawning `node dist/cli/bin.js ARGS` to its
 * exit, for the commands people type first (`--help`, `--version`, `list`, `status`), on a fresh
 * data dir with 200 finished runs in its store. Target: `tutti --help` and `tutti list` ≤ 300 ms
 * (issue 16). Measured here, never asserted in a test.
 *
 *   node bench/startup/run.js [--reps 15] [--json] [--write]
 *
 * Each command runs once untimed (disk cache), then `--reps` times; the table gives the median,
 * min and max of wall time, and the median CPU time (user + system, from GNU time when present:
 * on a loaded machine wall time waits for a core, CPU time does not). `node` itself (an empty
 * script) is measured the same way, as the floor.
 * --write replaces the section between <!-- startup:start --> and <!-- startup:end --> of docs/benchmarks.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BIN, ROOT, cleanupTempDirs, tempDir } from '../lib/tutti.js';
import { median } from '../lib/stats.js';

const START = '<!-- startup:start -->';
const END = '<!-- startup:end -->';
const TARGET_MS = 300;

/** GNU time, for the child's CPU time (user + system): a loaded machine stretches wall time, not CPU time. */
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const CPU_MARK = 'tutti-startup-cpu';

/** @param {string[]} args @param {string} dataDir @returns {{ wall: number, cpu: number | null }} ms */
function timeOnce(args, dataDir) {
  const env = { ...process.env, TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '' };
  const [cmd, argv] = GNU_TIME ? [GNU_TIME, ['-f', `${CPU_MARK} %U %S`, process.execPath, ...args]] : [process.execPath, args];
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(0, 500)}`);
  const m = new RegExp(`${CPU_MARK} ([\\d.]+) ([\\d.]+)`).exec(String(r.stderr));
  return { wall, cpu: m ? (Number(m[1]) + Number(m[2])) * 1000 : null };
}

async function main() {
  const { values } = parseArgs({ options: { reps: { type: 'string', default: '15' }, json: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } } });
  const reps = Math.max(1, Number(values.reps));
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  const dataDir = tempDir('tutti-startup-');
  try {
    // A store with history: 200 runs of one exec task each, executed to the end.
    const { createEngine } = await import(join(ROOT, 'dist/index.js'));
    const engine = createEngine({ dataDir });
    await engine.start();
    for (let i = 0; i < 200; i++) await engine.run({ name: `run ${i}`, tasks: [{ id: 't', command: ['true'] }] });
    const [last] = await engine.listRuns({ limit: 1 });
    await engine.stop();
    const empty = join(dataDir, 'empty.js');
    writeFileSync(empty, '');
    const cases = [
      { label: 'node (empty script, the floor)', args: [empty], target: null },
      { label: 'tutti --help', args: [BIN, '--help'], target: TARGET_MS },
      { label: 'tutti --version', args: [BIN, '--version'], target: null },
      { label: 'tutti (bare: help)', args: [BIN], target: null },
      { label: 'tutti list (200 runs)', args: [BIN, 'list'], target: TARGET_MS },
      { label: 'tutti status RUN', args: [BIN, 'status', last.id], target: null },
    ];
    const rows = [];
    for (const c of cases) {
      timeOnce(c.args, dataDir);
      const samples = Array.from({ length: reps }, () => timeOnce(c.args, dataDir));
      const walls = samples.map((x) => x.wall);
      const cpus = samples.map((x) => x.cpu).filter((x) => x !== null);
      const row = { command: c.label, median: median(walls), min: Math.min(...walls), max: Math.max(...walls), cpu: cpus.length ? median(cpus) : null, target: c.target };
      rows.push(row);
      process.stderr.write(`${c.label}: ${row.median.toFixed(0)} ms wall, ${row.cpu === null ? '?' : row.cpu.toFixed(0)} ms CPU\n`);
    }
    const load = loadavg()[0];
    if (values.json) process.stdout.write(`${JSON.stringify({ reps, load, rows }, null, 2)}\n`);
    else process.stdout.write(`${table(rows)}\n`);
    if (values.write) writeSection(rows, reps, load);
  } finally {
    cleanupTempDirs();
  }
}

/** @param {Array<{ command: string, median: number, min: number, max: number, cpu: number | null, target: number | null }>} rows */
function table(rows) {
  const lines = ['| command | wall, median | wall, min–max | CPU (user + sys), median | target | met (wall) |', '|---|---:|---:|---:|---:|---|'];
  for (const r of rows) {
    const met = r.target === null ? '' : r.median <= r.target ? 'yes' : 'no';
    lines.push(`| \`${r.command}\` | ${r.median.toFixed(0)} ms | ${r.min.toFixed(0)}–${r.max.toFixed(0)} ms | ${r.cpu === null ? '' : `${r.cpu.toFixed(0)} ms`} | ${r.target === null ? '' : `≤ ${r.target} ms`} | ${met} |`);
  }
  return lines.join('\n');
}

function writeSection(rows, reps, load) {
  const file = join(ROOT, 'docs/benchmarks.md');
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`docs/benchmarks.md lacks the ${START} … ${END} markers`);
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const body = [
    `Measured ${when} UTC with \`node bench/startup/run.js --reps ${reps}\`: Node ${process.version}, ${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; 1-minute load average ${load.toFixed(2)} at the end (other work included).`,
    '',
    table(rows),
  ].join('\n');
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${body}\n${text.slice(b)}`);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
