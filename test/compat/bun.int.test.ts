/**
 * The seed surfaces under Bun (seed 002's documented install is `bun add`): the farm and
 * orchestration examples run unchanged under Node and under Bun (installed from npm as a dev
 * dependency), and the store under Bun is bun:sqlite, not better-sqlite3. The store conformance
 * suite under Bun is `bun test src/store/sqlite/sqlite.test.ts` (run by .ci/run).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BUN = resolve(ROOT, 'node_modules/.bin/bun');
const hasBun = existsSync(BUN);

function run(runtime: string, args: string[]) {
  assertBuilt();
  return spawnSync(runtime, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, HOME: process.env.HOME ?? '/tmp' } });
}

describe('seed examples under Node and Bun', () => {
  for (const example of ['farm', 'orchestration']) {
    it(`examples/seeds/${example}.mjs under Node`, () => {
      const r = run(process.execPath, [`examples/seeds/${example}.mjs`]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${example} example: ok (node)`);
    });
    it.skipIf(!hasBun)(`examples/seeds/${example}.mjs under Bun`, () => {
      const r = run(BUN, [`examples/seeds/${example}.mjs`]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`${example} example: ok (bun)`);
    });
  }

  it.skipIf(!hasBun)('under Bun the store runs on bun:sqlite', () => {
    const r = run(BUN, ['-e', "const d = await import('./dist/store/sqlite/driver.js'); const s = await import('./dist/store/sqlite/index.js'); const st = new s.SqliteStore({ path: ':memory:' }); console.log(d.SQLITE_LIBRARY, JSON.stringify((await st.stats()).decisions)); await st.close();"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('bun:sqlite {"approved":0,"rejected":0}');
  });
});
