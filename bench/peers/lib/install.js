/**
 * Installs the peers of bench/peers/package.json with `npm ci` (their own lockfile, outside
 * tutti's dependencies) when node_modules does not match the lockfile, and loads them from there.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PEERS_DIR = fileURLToPath(new URL('../', import.meta.url));
const STAMP = join(PEERS_DIR, 'node_modules', '.tutti-bench-lock.sha256');

const lockHash = () => createHash('sha256').update(readFileSync(join(PEERS_DIR, 'package-lock.json'))).digest('hex');

/**
 * Runs `npm ci` in bench/peers unless node_modules was installed from this very lockfile (a stamp
 * written after a successful install), or always with `force`.
 * @param {{ force?: boolean, log: (m: string) => void }} opts
 */
export function ensurePeersInstalled({ force = false, log }) {
  const hash = lockHash();
  if (!force && existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash) {
    log('peers: node_modules matches package-lock.json (npm ci skipped; --reinstall forces it)');
    return;
  }
  log('peers: npm ci in bench/peers (better-sqlite3 compiles from source: a few minutes)');
  const hasFlock = spawnSync('sh', ['-c', 'command -v flock'], { stdio: 'ignore' }).status === 0;
  const [cmd, args] = hasFlock ? ['flock', ['/tmp/tutti-npm.lock', 'npm', 'ci', '--no-audit', '--no-fund']] : ['npm', ['ci', '--no-audit', '--no-fund']];
  execFileSync(cmd, args, { cwd: PEERS_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  writeFileSync(STAMP, `${hash}\n`);
}

/** The installed version of a peer package. @param {string} name */
export function peerVersion(name) {
  const file = join(PEERS_DIR, 'node_modules', name, 'package.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')).version : 'not installed';
}

/**
 * Imports a package from bench/peers/node_modules.
 * @param {string} name
 */
export async function peerImport(name) {
  try {
    return await import(name);
  } catch (e) {
    if (e && e.code === 'ERR_MODULE_NOT_FOUND') throw new Error(`${name} is not installed in bench/peers: run npm run bench:peers (it runs npm ci there)`);
    throw e;
  }
}
