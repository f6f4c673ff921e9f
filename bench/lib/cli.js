/** Runs the built `tutti` CLI (dist/cli/bin.js) as a child process on a data dir. */
import { spawn } from 'node:child_process';
import { BIN } from './tutti.js';

/**
 * Starts `tutti <args>` with TUTTI_DATA_DIR=dataDir, working in dataDir (where its
 * tutti.config.yaml is found). The caller owns the process.
 * @param {string[]} args @param {string} dataDir
 * @param {string[]} [nodeArgs] e.g. ['--cpu-prof', '--cpu-prof-dir=…']
 */
export function startCli(args, dataDir, nodeArgs = []) {
  return spawn(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd: dataDir,
    env: { ...process.env, TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Resolves when the child has exited, with its output.
 * @param {import('node:child_process').ChildProcess} child
 * @returns {Promise<{ code: number | null, signal: string | null, stdout: string, stderr: string }>}
 */
export function exited(child) {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (b) => (stdout += b));
    child.stderr?.on('data', (b) => (stderr += b));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
