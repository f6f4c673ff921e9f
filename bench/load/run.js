#!/usr/bin/env node
/**
 * HTTP load on `tutti serve`: N runs created concurrently over the REST API (autocannon), then
 * a check that nothing was lost — every created run is listed, readable, and completes — and a
 * read phase (run views). Prints latencies (p50/p90/p99/max), throughput and errors.
 *
 *   node bench/load/run.js [--runs 1000] [--connections 100] [--reads 2000] [--json] [--write]
 *
 * The server is the built CLI (dist/cli/bin.js serve) in its own process on a fresh data dir,
 * with a bearer token; each run is a 3-task chain of the deterministic test driver.
 * --write replaces the section between <!-- load:start --> and <!-- load:end --> of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { BIN, ROOT, cleanupTempDirs, tempDir } from '../lib/tutti.js';

const TOKEN = 'load-benchmark-token-0123456789';
const START = '<!-- load:start -->';
const END = '<!-- load:end -->';

/** @param {string} dataDir @returns {Promise<{ url: string, stop: () => Promise<number | null> }>} */
async function startServe(dataDir) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build`);
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-dashboard'], {
    cwd: dataDir,
    env: { ...process.env, TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '', TUTTI_API_TOKEN: TOKEN },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  let err = '';
  const url = await new Promise((resolve, reject) => {
    child.stderr.on('data', (b) => {
      err += b.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]);
    });
    void exited.then((code) => reject(new Error(`tutti serve exited (${code}): ${err}`)));
  });
  return {
    url,
    pid: child.pid,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const auth = { authorization: `Bearer ${TOKEN}` };

/** @param {string} url @param {string} path */
async function get(url, path) {
  const res = await fetch(`${url}${path}`, { headers: auth });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

/** @param {number} i */
function plan(i) {
  const t = (id, dependsOn = []) => ({ id, agent: 'test', input: { output: { run: i, task: id }, sleepMs: Number(process.env.LOAD_SLEEP_MS ?? 0) }, dependsOn });
  return { name: `load ${i}`, tasks: [t('fetch'), t('build', ['fetch']), t('report', ['build'])] };
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc; null where there is none.
 * @param {number | undefined} pid
 */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/** @param {autocannon.Result} r */
function latency(r) {
  const l = r.latency;
  return { p50: l.p50, p90: l.p90, p99: l.p99, max: l.max, mean: Math.round(l.mean * 100) / 100 };
}

async function main() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '100' },
      reads: { type: 'string', default: '2000' },
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const connections = Number(values.connections);
  const reads = Number(values.reads);
  const log = (m) => process.stderr.write(`${m}\n`);
  // Other work on the machine skews the tail latencies: recorded with the results.
  const loadBefore = loadavg()[0];
  const dataDir = tempDir('tutti-load-');
  const server = await startServe(dataDir);
  log(`server ${server.url} (data ${dataDir})`);
  try {
    // Phase 1: N creates at once, each with its own run id, so the check below can name every run.
    let next = 0;
    const ids = [];
    const cpu0 = cpuSeconds(server.pid);
    const t0 = performance.now();
    const create = await autocannon({
      url: server.url,
      connections,
      amount: runs,
      timeout: 60,
      requests: [
        {
          method: 'POST',
          path: '/api/v1/runs',
          headers: { ...auth, 'content-type': 'application/json' },
          setupRequest: (req) => {
            const i = next++;
            const runId = `load-${String(i).padStart(5, '0')}`;
            ids.push(runId);
            return { ...req, body: JSON.stringify({ runId, plan: plan(i) }) };
          },
        },
      ],
    });
    const createMs = performance.now() - t0;
    log(`created: ${create['2xx']} 2xx, ${create.non2xx} non-2xx, ${create.errors} errors in ${Math.round(createMs)} ms`);

    // Nothing lost: every id is listed (paged), every run is readable, and every run completes.
    const listed = new Set();
    let cursor = null;
    do {
      const page = await get(server.url, `/api/v1/runs?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      for (const r of page.runs) listed.add(r.id);
      cursor = page.nextCursor;
    } while (cursor);
    const missing = ids.filter((id) => !listed.has(id));
    let completed = 0;
    const waitStart = performance.now();
    for (;;) {
      const stats = await get(server.url, '/api/v1/stats');
      completed = stats.runs.completed ?? 0;
      const open = (stats.runs.queued ?? 0) + (stats.runs.running ?? 0);
      if (open === 0 || performance.now() - waitStart > 120_000) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const drainMs = performance.now() - t0;
    const cpu1 = cpuSeconds(server.pid);
    log(`listed ${listed.size}, missing ${missing.length}, completed ${completed} (${Math.round(drainMs)} ms after the first request)`);

    // Phase 2: reads of run views (tasks, attempts) under the same concurrency.
    let r = 0;
    const read = await autocannon({
      url: server.url,
      connections: Math.min(connections, 50),
      amount: reads,
      timeout: 60,
      requests: [{ method: 'GET', headers: auth, setupRequest: (req) => ({ ...req, path: `/api/v1/runs/${ids[r++ % ids.length]}` }) }],
    });
    log(`reads: ${read['2xx']} 2xx, ${read.non2xx} non-2xx, ${read.errors} errors`);

    const result = {
      date: new Date().toISOString(),
      node: process.version,
      machine: `${platform()} ${release()}, ${cpus().length} × ${cpus()[0]?.model?.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
      command: `node bench/load/run.js --runs ${runs} --connections ${connections} --reads ${reads}`,
      loadAverage: { before: Math.round(loadBefore * 100) / 100, after: Math.round(loadavg()[0] * 100) / 100 },
      create: { requests: runs, connections, ok: create['2xx'], non2xx: create.non2xx, errors: create.errors, timeouts: create.timeouts, wallMs: Math.round(createMs), perSecond: Math.round((runs / createMs) * 1000), latencyMs: latency(create) },
      check: { listed: listed.size, missing: missing.length, completed, allCompletedAfterMs: Math.round(drainMs) },
      // CPU the server used from the first create until every run completed (creates, execution, listing).
      serverCpuSeconds: cpu0 === null || cpu1 === null ? null : Math.round((cpu1 - cpu0) * 100) / 100,
      read: { requests: reads, connections: Math.min(connections, 50), ok: read['2xx'], non2xx: read.non2xx, errors: read.errors, perSecond: Math.round(read.requests.average), latencyMs: latency(read) },
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else process.stdout.write(`${markdown(result)}\n`);
    if (values.write) writeSection(markdown(result));
    const lost = missing.length > 0 || completed < runs || create['2xx'] !== runs;
    return lost ? 1 : 0;
  } finally {
    await server.stop();
    cleanupTempDirs();
  }
}

/** @param {any} r */
function markdown(r) {
  const c = r.create;
  const q = r.read;
  return [
    `Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC with \`${r.command}\`: Node ${r.node}, ${r.machine}. The server (\`tutti serve\`, SQLite, token on) and the load generator (autocannon) share the machine; its 1-minute load average was ${r.loadAverage.before} before and ${r.loadAverage.after} after (other work included).`,
    '',
    '| phase | requests | concurrent | ok | non-2xx | errors | req/s | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    `| create runs (POST /api/v1/runs, 3-task plan) | ${c.requests} | ${c.connections} | ${c.ok} | ${c.non2xx} | ${c.errors} | ${c.perSecond} | ${c.latencyMs.p50} ms | ${c.latencyMs.p90} ms | ${c.latencyMs.p99} ms | ${c.latencyMs.max} ms |`,
    `| read run views (GET /api/v1/runs/{id}) | ${q.requests} | ${q.connections} | ${q.ok} | ${q.non2xx} | ${q.errors} | ${q.perSecond} | ${q.latencyMs.p50} ms | ${q.latencyMs.p90} ms | ${q.latencyMs.p99} ms | ${q.latencyMs.max} ms |`,
    '',
    `Nothing lost: ${r.check.listed} runs listed, ${r.check.missing} of the ${c.requests} created ids missing, ${r.check.completed} completed; the last run completed ${r.check.allCompletedAfterMs} ms after the first request (the server executes every run while it serves).` +
      (r.serverCpuSeconds === null
        ? ''
        : ` Over those ${(r.check.allCompletedAfterMs / 1000).toFixed(1)} s the server process used ${r.serverCpuSeconds} s of CPU (${((r.serverCpuSeconds * 1000) / c.requests).toFixed(2)} ms per run created and executed)` +
          (r.serverCpuSeconds * 1000 < r.check.allCompletedAfterMs / 2 ? `: it was on a core only ${Math.round((r.serverCpuSeconds * 100000) / r.check.allCompletedAfterMs)}% of the time, so waiting for a core (the machine's other work) makes most of the latency.` : '.')),
  ].join('\n');
}

/** @param {string} text */
function writeSection(text) {
  const doc = join(ROOT, 'docs', 'benchmarks.md');
  const body = readFileSync(doc, 'utf8');
  const a = body.indexOf(START);
  const b = body.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${doc} has no ${START} … ${END} section`);
  writeFileSync(doc, `${body.slice(0, a + START.length)}\n${text}\n${body.slice(b)}`);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`${e.stack ?? e}\n`);
    process.exit(1);
  },
);
