/** `tutti/orchestration` resolves through the package's exports map, and neither importing it nor creating an orchestrator touches anything. */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertBuilt, tempDir } from '../helpers/cli.js';

describe('tutti/orchestration', () => {
  it('is importable by its package subpath; createOrchestrator opens no database until the first call', () => {
    assertBuilt();
    const home = tempDir('tutti-home-');
    const script = `
      process.stdout.write('');
      const count = () => process._getActiveHandles().length;
      const before = count();
      const m = await import('tutti/orchestration');
      const o = m.createOrchestrator({ backend: 'test' });
      const client = m.createOrchestrationClient({ config: { backend: 'test' } });
      const names = ['createOrchestrator', 'getRunStatus', 'cancelRun', 'getRunArtifacts', 'seedMemory', 'recordLearning', 'searchMemory', 'createOrchestrationClient'].filter((n) => typeof m[n] !== 'function');
      process.stdout.write(JSON.stringify({ missing: names, handles: count() - before, methods: typeof o.orchestrateTask + typeof client.startRun + typeof client.getStatus + typeof client.cancel }));
    `;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: resolve(import.meta.dirname, '../..'), encoding: 'utf8', env: { ...process.env, HOME: home }, timeout: 20_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ missing: [], handles: 0, methods: 'functionfunctionfunctionfunction' });
    expect(readdirSync(home)).toEqual([]);
  });
});
