#!/usr/bin/env node
/**
 * tutti side by side with the peers people would pick instead (../shared/design/BENCHMARKS.md),
 * in one invocation on this machine: LangGraph.js + SqliteSaver, Mastra + LibSQL, BullMQ flows +
 * Redis (AOF), graphile-worker and pg-boss on PostgreSQL, GNU make. Installs the peers from
 * bench/peers/package-lock.json (`npm ci`, skipped when node_modules already matches it), starts
 * the servers, runs W1/W2/W3/W7 then W4, interleaving systems within each repetition, and prints
 * the table with tutti's ratio to each peer.
 *
 *   npm run bench:peers [-- --quick] [--write] [--only tutti,bullmq] [--no-w4] [--json FILE]
 *                       [--redis-port 6379] [--reinstall] [--self-check]
 *
 * --quick       1 repetition (3 by default), cut runs after 30 s (60 s; the chain of 10,000 after
 *               half that), W4 at a 2 s critical path (5 s)
 * --write       rewrite the peers section of docs/benchmarks.md and docs/bench-peers.svg
 * --only        only these systems (tutti, langgraph, mastra, bullmq, tutti-pg, graphile-worker, pg-boss, make)
 * --no-w4       skip the WfCommons DAGs; --w4-only: only them; --traces blast,montage: only these traces
 * --json FILE   also write every measurement as JSON
 * --redis-port  use the Redis already on 127.0.0.1:PORT (persistence as configured there) instead
 *               of a private redis-server with AOF everysec
 * --self-check  check the DAG translations (Makefile, flows, levels, join counters) and exit
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { cleanupTempDirs, DIST, ROOT, snapshotDist, WFCOMMONS_DIR } from '../lib/tutti.js';
import { runsCase, throughputCases } from './lib/cases.js';
import { ensurePeersInstalled } from './lib/install.js';
import { CHART, chartSvg, mainTable, markdownOf, rateOf, textOf, w4Table, writeSection } from './lib/report.js';
import { selfCheck } from './lib/self-check.js';
import { criticalPathMs, dagFromPlan, levelledMakespanMs } from './lib/shapes.js';

const SYSTEMS = {
  tutti: async () => await import('./lib/systems/tutti.js'),
  langgraph: async () => await import('./lib/systems/langgraph.js'),
  mastra: async () => await import('./lib/systems/mastra.js'),
  bullmq: async () => await import('./lib/systems/bullmq.js'),
  'tutti-pg': async () => {
    const t = await import('./lib/systems/tutti.js');
    return { name: 'tutti-pg', label: 'tutti (PostgreSQL)', dags: false, setup: t.setupPostgres };
  },
  'graphile-worker': async () => {
    const q = await import('./lib/systems/queues.js');
    return { name: 'graphile-worker', label: 'graphile-worker + PostgreSQL', dags: false, setup: q.setupGraphile };
  },
  'pg-boss': async () => {
    const q = await import('./lib/systems/queues.js');
    return { name: 'pg-boss', label: 'pg-boss + PostgreSQL', dags: false, setup: q.setupPgBoss };
  },
  make: async () => await import('./lib/systems/make.js'),
};

const log = (m) => process.stderr.write(`  ${m}\n`);

async function main() {
  const argv = process.argv.slice(2);
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
      only: { type: 'string' },
      'no-w4': { type: 'boolean', default: false },
      'w4-only': { type: 'boolean', default: false },
      traces: { type: 'string' },
      json: { type: 'string' },
      'redis-port': { type: 'string' },
      reinstall: { type: 'boolean', default: false },
      'self-check': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:peers -- [--quick] [--write] [--only tutti,bullmq] [--no-w4 | --w4-only] [--traces blast,montage] [--json FILE] [--redis-port 6379] [--reinstall] [--self-check]\n');
    return 0;
  }
  if (values['self-check']) {
    selfCheck();
    process.stdout.write('bench:peers self-check: DAG translations OK\n');
    return 0;
  }
  const names = values.only ? values.only.split(',').map((s) => s.trim()) : Object.keys(SYSTEMS);
  const unknown = names.filter((n) => !(n in SYSTEMS));
  if (unknown.length) {
    process.stderr.write(`bench:peers: unknown system ${unknown.join(', ')} (known: ${Object.keys(SYSTEMS).join(', ')})\n`);
    return 2;
  }
  const reps = values.quick ? 1 : 3;
  const deadlineMs = values.quick ? 30_000 : 60_000;
  const criticalSeconds = values.quick ? 2 : 5;
  const t0 = performance.now();

  ensurePeersInstalled({ force: values.reinstall, log });
  snapshotDist();
  const services = await import('./lib/services.js');
  const needRedis = names.includes('bullmq');
  const needPg = names.includes('graphile-worker') || names.includes('pg-boss') || names.includes('tutti-pg');
  const redis = needRedis ? (values['redis-port'] ? await services.useRedis(Number(values['redis-port'])) : await services.startRedis()) : null;
  const pg = needPg ? await services.ensurePostgres() : null;
  const ctx = { redis, pg, log };

  /** @type {Array<{ name: string, label: string, dags: boolean, modes?: string[], handle: any }>} */
  const systems = [];
  try {
    for (const n of names) {
      const mod = await SYSTEMS[n]();
      process.stderr.write(`setup ${mod.label}\n`);
      const handle = await mod.setup(ctx);
      // One untimed small run: JIT warm-up, schema caches, connections.
      const { chainDag } = await import('./lib/shapes.js');
      await handle.run(chainDag(50), { mode: mod.modes ? mod.modes[0] : 'noop', deadlineMs: 30_000 });
      systems.push({ name: mod.name, label: mod.label, dags: mod.dags, modes: mod.modes, handle });
      log(handle.version);
    }

    const cases = values['w4-only'] ? [] : throughputCases();
    /** @type {Map<string, import('./lib/report.js').Cell>} */
    const cells = new Map();
    for (const c of cases) {
      for (let rep = 0; rep < reps; rep++) {
        for (const s of systems) {
          if (!runsCase(s, c)) continue;
          const key = `${s.name}/${c.key}`;
          const prev = cells.get(key);
          if (prev && (prev.cut || (c.big && prev.slowMs > 20_000))) continue; // a cut (or very slow big) run is not repeated
          const r = await s.handle.run(c.dag, { mode: c.mode, deadlineMs: c.big ? deadlineMs / 2 : deadlineMs, measureBytes: c.bytes && rep === 0 });
          const rate = (r.done / r.ms) * 1000;
          const cell = prev ?? { system: s.name, key: c.key, rates: [], cut: false, done: r.done, total: r.total, bytes: null, slowMs: 0 };
          cell.rates.push(rate);
          cell.cut = cell.cut || r.cut;
          cell.slowMs = Math.max(cell.slowMs, r.ms);
          if (rep === 0) {
            cell.done = r.done;
            if (r.bytes !== null) cell.bytes = r.bytes;
          }
          cells.set(key, cell);
          log(`${c.id} ${c.title} rep ${rep + 1}/${reps} ${s.name}: ${Math.round(rate)} steps/s${r.cut ? ` (cut after ${r.done}/${r.total})` : ''}${r.bytes !== null ? `, ${Math.round(r.bytes / Math.max(1, r.done))} B/step` : ''}`);
        }
      }
    }

    const traces = [];
    const w4 = new Map();
    if (!values['no-w4']) {
      const { importWfCommons } = await import(join(DIST, 'core', 'plan', 'wfcommons.js'));
      const wanted = values.traces ? values.traces.split(',').map((x) => x.trim()) : null;
      const files = readdirSync(WFCOMMONS_DIR)
        .filter((f) => f.endsWith('.json') && (!wanted || wanted.some((w) => f.startsWith(w))))
        .sort();
      for (const file of files) {
        const name = file.replace(/-chameleon.*\.json$/, '');
        const trace = JSON.parse(readFileSync(join(WFCOMMONS_DIR, file), 'utf8'));
        const { stats } = importWfCommons(trace, { timeScale: 1 });
        const { plan } = importWfCommons(trace, { timeScale: criticalSeconds / stats.criticalPathSeconds });
        const dag = dagFromPlan(name, plan);
        const t = { name, tasks: dag.nodes.length, criticalMs: criticalPathMs(dag), levelledMs: levelledMakespanMs(dag) };
        traces.push(t);
        for (const s of systems) {
          if (!s.dags || !runsCase(s, { mode: 'sleep' })) continue;
          const r = await s.handle.run(dag, { mode: 'sleep', deadlineMs: t.levelledMs * 3 + 30_000 });
          w4.set(`${s.name}/${name}`, r);
          log(`W4 ${name} ${s.name}: makespan ${Math.round(r.makespanMs)} ms vs critical path ${Math.round(t.criticalMs)} ms (+${(((r.makespanMs - t.criticalMs) / t.criticalMs) * 100).toFixed(1)}%)${r.cut ? ' CUT' : ''}`);
        }
      }
    }

    const seconds = (performance.now() - t0) / 1000;
    const env = environment(argv, seconds);
    const dagSystems = systems.filter((s) => s.dags && runsCase(s, { mode: 'sleep' }));
    const main = mainTable({ systems, cases, cells });
    const w4t = w4Table({ traces, systems: dagSystems, w4 });
    if (cases.length) process.stdout.write(`\n${textOf(main)}\n\n`);
    if (traces.length) process.stdout.write(`W4 makespan overhead over the critical path (scale: critical path = ${criticalSeconds} s):\n${textOf(w4t)}\n\n`);
    process.stdout.write(`${env.line}\n`);
    const verdicts = targets({ cells, traces, w4 });
    process.stdout.write(`${verdicts.map((v) => `${v.met ? 'met   ' : 'MISSED'} ${v.text}`).join('\n')}\n`);
    const versions = systems.map((s) => `- ${s.label}: ${s.handle.version}`);
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({ environment: env, versions, cells: [...cells.values()], traces, w4: Object.fromEntries(w4), verdicts }, null, 2)}\n`);
    }
    if (values.write) {
      const subtitle = `${env.date.slice(0, 16).replace('T', ' ')} UTC · ${env.cpus} CPUs · Node ${env.node} · ${values.quick ? '1 run' : `median of ${reps} runs`} · durability on`;
      writeFileSync(CHART, chartSvg({ systems, cases, cells }, subtitle));
      writeSection(section({ env, versions, main, w4t, traces, verdicts, reps, deadlineMs, criticalSeconds, redis, pg }));
      process.stderr.write('bench:peers: wrote the peers section of docs/benchmarks.md and docs/bench-peers.svg\n');
    }
    return 0;
  } finally {
    for (const s of systems) await s.handle.close().catch((e) => log(`close ${s.name}: ${e}`));
    await redis?.stop();
    await pg?.stop();
    cleanupTempDirs();
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

function environment(argv, seconds) {
  const cpu = cpus();
  const env = {
    date: new Date().toISOString(),
    node: process.version,
    os: `${platform()} ${release()}`,
    cpus: cpu.length,
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    commit: git(['rev-parse', '--short=12', 'HEAD']) || 'unknown',
    srcDirty: git(['status', '--porcelain', '--', 'src']) !== '',
    command: `npm run bench:peers${argv.length ? ` -- ${argv.join(' ')}` : ''}`,
    seconds: Math.round(seconds),
  };
  return { ...env, line: `${env.date} · Node ${env.node} · ${env.os} · ${env.cpus} × ${env.cpuModel} · commit ${env.commit}${env.srcDirty ? ' (src/ dirty)' : ''} · ${env.seconds} s` };
}

/** tutti against the targets of BENCHMARKS.md that these cases measure. */
function targets({ cells, traces, w4 }) {
  const out = [];
  const t = (k) => rateOf(cells.get(`tutti/${k}`));
  const bestPeer = (k) => Math.max(...[...cells.values()].filter((c) => c.key === k && !c.system.startsWith('tutti') && c.system !== 'make').map(rateOf));
  if (t('chain1k') !== null) {
    out.push({ met: t('chain1k') >= 10_000, text: `W1 chain 1,000 ≥ 10,000 steps/s: tutti ${Math.round(t('chain1k'))}` });
    const b = bestPeer('chain1k');
    if (Number.isFinite(b)) out.push({ met: t('chain1k') >= 10 * b, text: `W1 ≥ 10× the best peer: tutti ${(t('chain1k') / b).toFixed(1)}× (best peer ${Math.round(b)} steps/s)` });
  }
  if (t('chain1k') !== null && t('chain10k') !== null) out.push({ met: t('chain10k') >= 0.8 * t('chain1k'), text: `W1 N=10k at ≥ 0.8× the N=1k rate: ${(t('chain10k') / t('chain1k')).toFixed(2)}×` });
  if (t('fan1k') !== null) out.push({ met: t('fan1k') >= 30_000, text: `W2 ≥ 30,000 steps/s: tutti ${Math.round(t('fan1k'))}` });
  for (const k of ['execChain', 'execFan']) {
    const m = rateOf(cells.get(`make/${k}`));
    if (t(k) !== null && m !== null) out.push({ met: m / t(k) <= 2, text: `W3 ${k === 'execChain' ? 'chain' : 'fan'} ≤ 2.0× make -j2 wall time: ${(m / t(k)).toFixed(2)}×` });
  }
  const c10 = cells.get('tutti/chain10k');
  if (c10?.bytes != null) out.push({ met: c10.bytes / c10.done <= 2048, text: `W7 ≤ 2 KB per task (N=10,000): ${Math.round(c10.bytes / c10.done)} B` });
  for (const tr of traces) {
    const r = w4.get(`tutti/${tr.name}`);
    if (r) out.push({ met: (r.makespanMs - tr.criticalMs) / tr.criticalMs <= 0.02, text: `W4 ${tr.name} overhead ≤ 2%: ${(((r.makespanMs - tr.criticalMs) / tr.criticalMs) * 100).toFixed(2)}%` });
  }
  return out;
}

function section({ env, versions, main, w4t, traces, verdicts, reps, deadlineMs, criticalSeconds, redis, pg }) {
  const lines = [
    `Measured ${env.date.slice(0, 16).replace('T', ' ')} UTC with \`${env.command}\` (${env.seconds} s, one invocation):`,
    `Node ${env.node}, ${env.os}, ${env.cpus} × ${env.cpuModel}, ${env.memoryGiB} GiB; commit ${env.commit}${env.srcDirty ? ' with uncommitted changes in src/ (dist/ as built then)' : ''}.`,
    '',
    'Versions, each with durability on as it is normally deployed:',
    ...versions,
    ...(redis ? [`- Redis: ${redis.version}`] : []),
    ...(pg ? [`- PostgreSQL: ${pg.version}`] : []),
    '',
    `Steps/s = steps / wall time from building and submitting the run to the system reporting it complete; median of ${reps} run${reps > 1 ? 's' : ''} [min–max], systems interleaved within each repetition. \`tutti N×\` = tutti's rate / the peer's (for bytes: the peer's bytes / tutti's). A run still going after ${deadlineMs / 1000} s (the chain of 10,000: ${deadlineMs / 2000} s) is cut: its rate (completed steps / time) is an upper bound and it is not repeated. B/step = the durable store after the first run of the chain / completed steps (SQLite files after a WAL checkpoint; Redis: DUMP size of the run's keys; PostgreSQL: growth of the database). W3 runs \`/bin/true\` 2 at a time (make -j2; tutti with run and shell concurrency 2; the peers' task bodies spawn it through a 2-slot semaphore).`,
    '',
    markdownOf(main),
    '',
    '![steps/s per system](bench-peers.svg)',
    '',
  ];
  if (traces.length) {
    lines.push(
      `W4: each WfCommons trace of \`../shared/data/wfcommons/\`, every task waiting runtimeInSeconds × scale (scale: critical path = ${criticalSeconds} s), unlimited concurrency, one run each. Overhead = makespan (first task body start → last task body end; make: its wall time) − critical path, in % of the critical path. Mastra and LangGraph run a DAG level by level (Mastra: \`.parallel()\` per topological level; LangGraph: a superstep waits for its slowest node), so the levelled floor is their lower bound; graphile-worker and pg-boss have no DAGs (they appear above with successor-enqueueing tasks).`,
      '',
      markdownOf(w4t),
      '',
    );
  }
  lines.push('tutti against the targets of BENCHMARKS.md measured here:', '', ...verdicts.map((v) => `- ${v.met ? 'met' : '**missed**'}: ${v.text}`));
  return lines.join('\n');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    cleanupTempDirs();
    process.stderr.write(`bench:peers: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
