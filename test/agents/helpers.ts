/** Helpers of the coding-agent tests: fake CLIs on a private PATH, throwaway git repositories, engines. */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createCodingAgentDrivers } from '../../src/agents/drivers/cli/index.js';
import { startEngine } from '../engine/helpers.js';
import type { Engine } from '../../src/core/engine.js';

export const FAKE_CLI = resolve(import.meta.dirname, '../fixtures/fake-cli/fake-cli.mjs');

export function tmp(prefix = 'tutti-coding-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A directory with `claude`, `codex`, `gemini` wrappers running the fake CLI (only the names
 * given: the others are "not installed" on a PATH made of this directory and the system's).
 */
export function fakeBin(names: readonly string[] = ['claude', 'codex', 'gemini']): string {
  const dir = tmp('tutti-fakebin-');
  for (const n of names) {
    const p = join(dir, n);
    writeFileSync(p, `#!/bin/sh\nexec "${process.execPath}" "${FAKE_CLI}" ${n} "$@"\n`);
    chmodSync(p, 0o755);
  }
  return dir;
}

/** PATH of the system tools (git, sh, sleep, node) and nothing from the developer's own setup. */
export function systemPath(bin?: string): string {
  return [bin, '/usr/local/bin', '/usr/bin', '/bin', resolve(process.execPath, '..')].filter(Boolean).join(':');
}

/** Writes the fake CLIs' script and returns the env that points them at it. */
export function fakeScript(script: Record<string, unknown>): { env: Record<string, string>; record: string } {
  const dir = tmp('tutti-fakescript-');
  const file = join(dir, 'script.json');
  writeFileSync(file, JSON.stringify(script));
  const record = join(dir, 'record');
  mkdirSync(record);
  return { env: { FAKE_CLI_SCRIPT: file, FAKE_CLI_RECORD: record }, record };
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

/** A started engine whose coding drivers see `env` (PATH with the fake CLIs, their script). */
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
