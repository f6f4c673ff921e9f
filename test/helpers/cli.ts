/** Runs the built `tutti` binary (dist/cli/bin.js) as a real process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../dist/cli/bin.js');

export function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run npm run build (npm test does it)`);
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tempDir(prefix = 'tutti-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Starts the CLI; the caller owns the process. */
export function startCli(args: string[], options: { dataDir: string; cwd?: string; env?: Record<string, string>; input?: string }): ChildProcess {
  assertBuilt();
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? options.dataDir,
    env: { ...process.env, TUTTI_DATA_DIR: options.dataDir, TUTTI_DB: '', TUTTI_CONFIG: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.end(options.input ?? '');
  return child;
}

/** Collects a started CLI's output until it exits. */
export function collect(child: ChildProcess): Promise<CliResult> {
  return new Promise((resolveResult) => {
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code, signal) => resolveResult({ code, signal, stdout, stderr }));
  });
}

export function runCli(args: string[], options: { dataDir: string; cwd?: string; env?: Record<string, string>; input?: string }): Promise<CliResult> {
  return collect(startCli(args, options));
}
