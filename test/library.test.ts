/** The library entry points are side-effect free: importing them starts, opens and creates nothing. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/cli.js';

const ENTRIES = ['dist/index.js', 'dist/compat/farm/index.js', 'dist/compat/sessions/index.js', 'dist/compat/orchestrator/index.js', 'dist/memory/orchestration/index.js', 'dist/server/index.js', 'dist/testing/index.js'];

describe('importing tutti', () => {
  for (const entry of ENTRIES) {
    it(`${entry} opens no handle, reads no argv-driven config and writes no file`, () => {
      const home = tempDir('tutti-home-');
      const script = `
        // stdio streams are the process's, not handles tutti opens (pino touches stderr on import).
        process.stdout.write('');
        process.stderr.write('');
        const count = () => process._getActiveHandles().length; // timers, sockets, servers, child processes
        const before = count();
        const m = await import(${JSON.stringify(new URL(`../${entry}`, import.meta.url).href)});
        const handles = count() - before;
        process.stdout.write(JSON.stringify({ exports: Object.keys(m).length, handles }));
      `;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, HOME: home, TUTTI_DATA_DIR: '' }, timeout: 20_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.exports).toBeGreaterThan(0);
      expect(out.handles).toBe(0);
      expect(readdirSync(home)).toEqual([]);
    });
  }
});
