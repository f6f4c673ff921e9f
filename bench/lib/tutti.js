/**
 * Access to the built engine (dist/) and helpers every workload shares: temp data dirs, plan
 * shapes, timing one run, and the store file size.
 */
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WFCOMMONS_DIR = join(ROOT, '..', 'shared', 'data', 'wfcommons');
/** The build measured: dist/, or the snapshot taken by {@link snapshotDist}. */
export let DIST = join(ROOT, 'dist');
export let BIN = join(DIST, 'cli', 'bin.js');

/**
 * Copies dist/ to a temp dir (with node_modules linked) and measures that copy, so a rebuild of
 * dist/ during the suite cannot mix two builds or break a child process mid-write.
 */
export function snapshotDist() {
  const src = join(ROOT, 'dist');
  if (!existsSync(join(src, 'index.js'))) throw new Error(`${src}/index.js is missing: run npm run build (npm run bench does it)`);
  const dir = tempDir('tutti-bench-dist-');
  cpSync(src, join(dir, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  DIST = join(dir, 'dist');
  BIN = join(DIST, 'cli', 'bin.js');
}

/** @returns {Promise<typeof import('../../dist/index.js')>} */
export async function loadTutti() {
  const entry = join(DIST, 'index.js');
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run npm run build (npm run bench does it)`);
  return import(entry);
}

/** @type {Set<string>} */
const dirs = new Set();

/** A fresh temp directory, removed by {@link cleanupTempDirs} (and at exit). @param {string} prefix */
export function tempDir(prefix = 'tutti-bench-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

/** @param {string} dir */
export function removeDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  dirs.delete(dir);
}

export function cleanupTempDirs() {
  for (const d of [...dirs]) removeDir(d);
}
process.on('exit', cleanupTempDirs);
process.once('SIGINT', () => {
  cleanupTempDirs();
  process.exit(130);
});

/**
 * @typedef {{ id: string, dependsOn?: string[], [k: string]: unknown }} BenchTask
 * @param {number} n
 * @param {Record<string, unknown>} body what each task does (`{ function: 'noop' }`, `{ command: ['true'] }`)
 * @returns {BenchTask[]} t0 → t1 → … → t(n-1)
 */
export function chainTasks(n, body) {
  return Array.from({ length: n }, (_, i) => ({ id: `t${i}`, ...body, ...(i ? { dependsOn: [`t${i - 1}`] } : {}) }));
}

/**
 * @param {number} n @param {Record<string, unknown>} body
 * @returns {BenchTask[]} n independent tasks, then `join` depending on all of them
 */
export function fanTasks(n, body) {
  const fan = Array.from({ length: n }, (_, i) => ({ id: `f${i}`, ...body }));
  return [...fan, { id: 'join', ...body, dependsOn: fan.map((t) => t.id) }];
}

/**
 * Creates a run on a started engine and waits for it: wall time from the createRun call to
 * waitForRun resolving (task creation included).
 * @param {import('../../dist/index.js').Engine} engine
 * @param {object} plan
 * @returns {Promise<{ ms: number, createMs: number, view: import('../../dist/index.js').RunView }>}
 */
export async function timeRun(engine, plan) {
  const t0 = performance.now();
  const run = await engine.createRun(plan);
  const t1 = performance.now();
  const view = await engine.waitForRun(run.id);
  const ms = performance.now() - t0;
  if (view.status !== 'completed') throw new Error(`run ${run.id} ended ${view.status}: ${view.error ?? ''}`);
  return { ms, createMs: t1 - t0, view };
}

/**
 * A started engine on a fresh SQLite store in a temp dir.
 * @param {Record<string, unknown>} [options] more createEngine options
 */
export async function startEngine(options = {}) {
  const { createEngine } = await loadTutti();
  const dir = tempDir();
  const engine = createEngine({ dataDir: dir, workDir: dir, ...options });
  await engine.start();
  return { engine, dir, dbPath: join(dir, 'tutti.db') };
}

/**
 * Bytes of a closed SQLite store: the database file after `PRAGMA wal_checkpoint(TRUNCATE)`
 * (the WAL is folded in and emptied, so the file holds everything).
 * @param {string} dbPath
 */
export async function storeBytes(dbPath) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(dbPath);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const wal = `${dbPath}-wal`;
  return { db: statSync(dbPath).size, wal: existsSync(wal) ? statSync(wal).size : 0 };
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
