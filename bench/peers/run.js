#!/usr/bin/env node
/**
 * tutti side by side with the peers people would pick instead (../shared/design/BENCHMARKS.md),
 * in one invocation on this machine: LangGraph.js + SqliteSaver, Mastra + LibSQL, BullMQ flows +
 * Redis (AOF), graphile-worker and pg-boss on PostgreSQL, GNU make. Installs the peers from
 * bench/peers/package-lock.json (`npm ci`, skipped when node_modules already matches it), starts
 * the servers, runs W1/W2/W3/W7 then W4, each system and case in a fresh Node process of its own
 * (`--child`: setup, one untimed warm-up run, the repetitions), and prints the table with tutti's
 * ratio to each peer.
 *
 *   npm run bench:peers [-- --quick] [--write] [--only tutti,bullmq] [--no-w4] [--json FILE]
 *                       [--redis-port 6379] [--reinstall] [--self-check]
 *
 * --quick       1 repetition (up to 3 by default, fewer once a case took 30 s), cut runs after 30 s (45 s; the chain of 10,000 after
 *               half that), W4 at a 2 s critical path (5 s)
 * --write       rewrite the peers section of docs/benchmarks.md and docs/bench-peers.svg
 * --only        only these systems (tutti, langgraph, mastra, bullmq, tutti-pg, graphile-worker, pg-boss, make)
 * --no-w4       skip the WfCommons DAGs; --w4-only: only them; --traces blast,montage: only these traces
 * --cases       only these throughput cases (chain1k, chain10k, fan1k, execChain, execFan)
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
import { fileURLToPath } from 'node:url';
import { cleanupTempDirs, DIST, ROOT, snapshotDist, tempDir, WFCOMMONS_DIR } from '../lib/tutti.js';
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
      cases: { type: 'string' },
      json: { type: 'string' },
      'redis-port': { type: 'string' },
      reinstall: { type: 'boolean', default: false },
      'self-check': { type: 'boolean', default: false },
      child: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run bench:peers -- [--quick] [--write] [--only tutti,bullmq] [--no-w4 | --w4-only] [--traces blast,montage] [--cases chain1k,fan1k] [--json FILE] [--redis-port 6379] [--reinstall] [--self-check]\n');
    return 0;
  }
  if (values.child) return await childMain(values.child);
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
  const deadlineMs = values.quick ? 30_000 : 45_000;
  const criticalSeconds = values.quick ? 2 : 5;
  // A system stops repeating a case once its runs of it have taken this long (at least 1 run).
  const budgetMs = values.quick ? 1 : 30_000;
  const t0 = performance.now();

  ensurePeersInstalled({ force: values.reinstall, log });
  snapshotDist();
  const services = await import('./lib/services.js');
  const needRedis = names.includes('bullmq');
  const needPg = names.includes('graphile-worker') || names.includes('pg-boss') || names.includes('tutti-pg');
  const redis = needRedis ? (values['redis-port'] ? await services.useRedis(Number(values['redis-port'])) : await services.startRedis()) : null;
  const pg = needPg ? await services.ensurePostgres() : null;
  const shared = { redis: redis && { port: redis.port, version: redis.version }, pg: pg && { port: pg.port, user: pg.user, version: pg.version } };
  const jobDir = tempDir('tutti-bench-peers-jobs-');
  let jobNo = 0;
  /**
   * Runs one job in a fresh Node process of its own (setup, one untimed warm-up run, the job):
   * every system gets a small process, not one holding the other peers' heaps (fork/spawn cost
   * grows with the parent's memory, and GC pauses would be shared).
   */
  const child = (system, job) => {
    const file = join(jobDir, `job${++jobNo}.json`);
    writeFileSync(file, JSON.stringify({ system, job, shared }));
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child', file], {
      env: { ...process.env, TUTTI_PEERS_DIST: DIST },
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return JSON.parse(out.trim().split('\n').pop());
  };

  /** @type {Array<{ name: string, label: string, dags: boolean, modes?: string[], version: string }>} */
  const systems = [];
  try {
    for (const n of names) {
      const mod = await SYSTEMS[n]();
      const info = child(n, { kind: 'version' });
      systems.push({ name: mod.name, label: mod.label, dags: mod.dags, modes: mod.modes, version: info.version });
      log(`${mod.label}: ${info.version}`);
    }

    const onlyCases = values.cases ? values.cases.split(',').map((x) => x.trim()) : null;
    const cases = values['w4-only'] ? [] : throughputCases().filter((c) => !onlyCases || onlyCases.includes(c.key));
    /** @type {Map<string, import('./lib/report.js').Cell>} */
    const cells = new Map();
    for (const c of cases) {
      for (const s of systems) {
        if (!runsCase(s, c)) continue;
        const runs = child(s.name, { kind: 'case', key: c.key, reps, budgetMs, deadlineMs: c.big ? deadlineMs / 2 : deadlineMs });
        const first = runs[0];
        const cell = { system: s.name, key: c.key, rates: runs.map((r) => (r.done / r.ms) * 1000), cut: runs.some((r) => r.cut), done: first.done, total: first.total, bytes: first.bytes };
        cells.set(`${s.name}/${c.key}`, cell);
        log(`${c.id} ${c.title} ${s.name}: ${cell.rates.map((x) => Math.round(x)).join(', ')} steps/s${cell.cut ? ` (cut after ${first.done}/${first.total})` : ''}${first.bytes !== null ? `, ${Math.round(first.bytes / Math.max(1, first.done))} B/step` : ''}`);
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
      const dags = [];
      for (const file of files) {
        const name = file.replace(/-chameleon.*\.json$/, '');
        const trace = JSON.parse(readFileSync(join(WFCOMMONS_DIR, file), 'utf8'));
        const { stats } = importWfCommons(trace, { timeScale: 1 });
        const { plan } = importWfCommons(trace, { timeScale: criticalSeconds / stats.criticalPathSeconds });
        const dag = dagFromPlan(name, plan);
        const t = { name, tasks: dag.nodes.length, criticalMs: criticalPathMs(dag), levelledMs: levelledMakespanMs(dag) };
        traces.push(t);
        dags.push({ dag, deadlineMs: t.levelledMs * 3 + 30_000 });
      }
      for (const s of systems) {
        if (!s.dags || !runsCase(s, { mode: 'sleep' }) || dags.length === 0) continue;
        const results = child(s.name, { kind: 'w4', dags });
        results.forEach((r, i) => {
          const t = traces[i];
          w4.set(`${s.name}/${t.name}`, r);
          log(`W4 ${t.name} ${s.name}: makespan ${Math.round(r.makespanMs)} ms vs critical path ${Math.round(t.criticalMs)} ms (+${(((r.makespanMs - t.criticalMs) / t.criticalMs) * 100).toFixed(1)}%)${r.cut ? ' CUT' : ''}`);
        });
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
    const versions = systems.map((s) => `- ${s.label}: ${s.version}`);
    if (values.json) {
      writeFileSync(values.json, `${JSON.stringify({ environment: env, versions, cells: [...cells.values()], traces, w4: Object.fromEntries(w4), verdicts }, null, 2)}\n`);
    }
    if (values.write) {
      const subtitle = `${env.date.slice(0, 16).replace('T', ' ')} UTC · ${env.cpus} CPUs · Node ${env.node} · ${values.quick ? '1 run' : `median of up to ${reps} runs`} · durability on`;
      writeFileSync(CHART, chartSvg({ systems, cases, cells }, subtitle));
      writeSection(section({ env, versions, main, w4t, traces, verdicts, reps, deadlineMs, criticalSeconds, redis, pg }));
      process.stderr.write('bench:peers: wrote the peers section of docs/benchmarks.md and docs/bench-peers.svg\n');
    }
    return 0;
  } finally {
    if (pg) {
      const { DATABASES } = await import('./lib/systems/queues.js');
      for (const db of DATABASES) await pg.dropDatabase(db).catch((e) => log(`drop ${db}: ${e}`));
    }
    await redis?.stop();
    await pg?.stop();
    cleanupTempDirs();
  }
}

/**
 * `--child FILE`: one job of the orchestrator in this (fresh) process: set the system up, one
 * untimed warm-up run, then the job; prints the results as the last line of stdout.
 * @param {string} file
 */
async function childMain(file) {
  const { system, job, shared } = JSON.parse(readFileSync(file, 'utf8'));
  const services = await import('./lib/services.js');
  const ctx = { redis: shared.redis, pg: shared.pg ? await services.postgresAt(shared.pg) : null, log };
  const mod = await SYSTEMS[system]();
  const handle = await mod.setup(ctx);
  let out;
  try {
    if (job.kind === 'version') out = { version: handle.version };
    else {
      const { chainDag } = await import('./lib/shapes.js');
      // Warm-up in the mode measured: 300 no-op steps bring the JIT to its steady state (a chain of
      // 1,000 measured right after 50 steps ran up to 2× slower than the next one); 50 exec steps.
      const warm = job.kind === 'case' ? throughputCases().find((x) => x.key === job.key).mode : 'noop';
      const warmMode = mod.modes && !mod.modes.includes(warm) ? mod.modes[0] : warm;
      await handle.run(chainDag(warmMode === 'exec' ? 50 : 300), { mode: warmMode, deadlineMs: 30_000 });
      if (job.kind === 'case') {
        const c = throughputCases().find((x) => x.key === job.key);
        out = [];
        const start = performance.now();
        for (let rep = 0; rep < job.reps; rep++) {
          const r = await handle.run(c.dag, { mode: c.mode, deadlineMs: job.deadlineMs, measureBytes: c.bytes && rep === 0 });
          out.push(r);
          if (r.cut || performance.now() - start > job.budgetMs) break;
        }
      } else {
        out = [];
        for (const { dag, deadlineMs } of job.dags) out.push(await handle.run(dag, { mode: 'sleep', deadlineMs }));
      }
    }
  } finally {
    await handle.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return 0;
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
    `Steps/s = steps / wall time from building and submitting the run to the system reporting it complete; median of up to ${reps} run${reps > 1 ? 's' : ''} [min–max, n] (a system stops repeating a case once its runs of it took 30 s); each system runs each case in a fresh Node process of its own (setup and one warm-up run untimed: 300 no-op steps, or 50 exec steps before W3), one system after the other. \`tutti N×\` = tutti's rate / the peer's (for bytes: the peer's bytes / tutti's). A run still going after ${deadlineMs / 1000} s (the chain of 10,000: ${deadlineMs / 2000} s) is cut: its rate (completed steps / time) is an upper bound and it is not repeated. B/step = the durable store after the first run of the chain / completed steps (SQLite files after a WAL checkpoint; Redis: DUMP size of the run's keys; PostgreSQL: growth of the database). W3 runs \`/bin/true\` 2 at a time (make -j2; tutti with run and shell concurrency 2; the peers' task bodies spawn it through a 2-slot semaphore).`,
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
    // Peer libraries may leave handles open (timers, sockets): a child is done once it printed.
    if (process.argv.includes('--child')) process.exit(code);
  },
  (e) => {
    cleanupTempDirs();
    process.stderr.write(`bench:peers: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
