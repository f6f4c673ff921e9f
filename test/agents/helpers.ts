/**
 * Helpers of the coding-agent tests: throwaway git repositories, a system-only PATH, engines with
 * the coding drivers. The CLIs themselves are the simulator (test/sim/helpers.ts `sim`).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCodingAgentDrivers } from '../../src/agents/drivers/cli/index.js';
import { startEngine } from '../engine/helpers.js';
import type { Engine } from '../../src/core/engine.js';

export function tmp(prefix = 'tutti-coding-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** PATH of the system tools (git, sh, sleep, node) and nothing from the developer's own setup. */
export function systemPath(bin?: string): string {
  return [bin, '/usr/local/bin', '/usr/bin', '/bin', resolve(process.execPath, '..')].filter(Boolean).join(':');
}

export function sh(cwd: string, ...argv: string[]): string {
  return execFileSync(argv[0]!, argv.slice(1), { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
}

/** A git repository with one commit of `files` on branch main. */
export function gitRepo(files: Record<string, string>): string {
  const dir = tmp('tutti-repo-');
  sh(dir, 'git', 'init', '-q', '-b', 'main');
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(join(dir, p, '..'), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  sh(dir, 'git', 'add', '-A');
  sh(dir, 'git', 'commit', '-q', '-m', 'initial');
  return dir;
}

/** A started engine whose coding drivers see `env` (e.g. the simulator's PATH and scenario: `sim(…).env`). */
export async function codingEngine(env: Record<string, string>, workDir: string): Promise<{ engine: Engine; dataDir: string }> {
  const dataDir = tmp('tutti-data-');
  const engine = await startEngine({
    dataDir,
    workDir,
    killGraceMs: 300,
    drivers: createCodingAgentDrivers({ dataDir, killGraceMs: 300, baseEnv: { ...process.env, ...env } }),
  });
  return { engine, dataDir };
}

/** Whether a process is running (a zombie awaiting its reaper is not: it runs nothing). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
