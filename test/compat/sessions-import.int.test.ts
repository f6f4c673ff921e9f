/** `tutti/sessions` as a package subpath: it resolves from dist/, exports the seed names, and importing or constructing starts nothing. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, tempDir } from '../helpers/cli.js';

describe('tutti/sessions', () => {
  it('exports the seed 001 surface; importing it and constructing an Orchestrator open no handle and write no file', () => {
    assertBuilt();
    const dir = tempDir('tutti-sessions-import-');
    const script = `
      process.stdout.write('');
      const count = () => process._getActiveHandles().length;
      const before = count();
      const m = await import('tutti/sessions');
      const o = new m.Orchestrator({ dbPath: ${JSON.stringify(join(dir, 'data', 'o.db'))}, workDirBase: ${JSON.stringify(join(dir, 'projects'))} });
      process.stdout.write(JSON.stringify({ keys: Object.keys(m).sort(), handles: count() - before, running: m.SessionStatus.RUNNING, maxIterations: o.config.maxIterations }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8', timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { keys: string[]; handles: number; running: string; maxIterations: number };
    expect(out.keys).toEqual(expect.arrayContaining(['Orchestrator', 'SessionStatus', 'SessionNotFoundError', 'InvalidOperationError']));
    expect(out).toMatchObject({ handles: 0, running: 'running', maxIterations: 5 });
    expect(existsSync(join(dir, 'data'))).toBe(false);
    expect(existsSync(join(dir, 'projects'))).toBe(false);
  });
});
