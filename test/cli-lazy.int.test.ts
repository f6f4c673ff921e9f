/**
 * The CLI loads only the command module it runs: `tutti status` must not pay for the HTTP server,
 * the coding-agent drivers or PostgreSQL. Checked by listing every module the process loads.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as mainModule from '../src/cli/main.js';
import { describe, expect, it } from 'vitest';
import { BIN, assertBuilt, tempDir } from './helpers/cli.js';

/** A module loader hook that prints each loaded URL on stderr. */
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent('export async function load(url, ctx, next) { process.stderr.write("LOADED " + url + "\\\\n"); return next(url, ctx); }'));
`)}`;

function loaded(args: string[]): { code: number | null; modules: string[] } {
  assertBuilt();
  const dir = tempDir();
  const r = spawnSync(process.execPath, ['--import', HOOK, BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, TUTTI_DATA_DIR: dir, TUTTI_DB: '', TUTTI_CONFIG: '' }, timeout: 30_000 });
  const modules = r.stderr.split('\n').filter((l) => l.startsWith('LOADED ')).map((l) => l.slice('LOADED '.length));
  return { code: r.status, modules };
}

describe('CLI start-up', () => {
  it('tutti status loads neither the server, the coding-agent drivers nor pg', () => {
    const { code, modules } = loaded(['status', 'run_nope']);
    expect(code).toBe(2);
    expect(modules.some((m) => m.includes('/dist/cli/commands/inspect.js'))).toBe(true);
    const heavy = modules.filter((m) => /\/dist\/server\/|\/node_modules\/(fastify|pg|@fastify)\/|\/dist\/cli\/commands\/(serve|dispatcher|live|worker)\.js/.test(m));
    expect(heavy).toEqual([]);
  });

  it('tutti --help and bare tutti load no command module', () => {
    for (const args of [['--help'], []]) {
      const { code, modules } = loaded(args);
      expect(code).toBe(0);
      expect(modules.filter((m) => /\/dist\/cli\/commands\//.test(m))).toEqual([]);
    }
  });

  it('tutti list loads neither the engine, the schema library, YAML nor any driver', () => {
    const { code, modules } = loaded(['list']);
    expect(code).toBe(0);
    const heavy = modules.filter((m) => /\/node_modules\/(zod|yaml|fastify|pg)\/|\/dist\/(core\/engine|create-engine|agents|memory|server)[./]/.test(m));
    expect(heavy).toEqual([]);
  });

  it('the help answered without the modules is the help of the loaded modules', async () => {
    const { buildProgram } = (await import(pathToFileURL(join(BIN, '..', 'main.js')).href)) as typeof mainModule;
    const light = await buildProgram(['--help']);
    const full = await buildProgram();
    expect(light.helpInformation()).toBe(full.helpInformation());
  });

  it('help still lists every command', () => {
    const r = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8' });
    for (const name of ['run', 'resume', 'status', 'approve', 'reject', 'plan', 'migrate', 'doctor', 'dispatcher', 'live', 'memory', 'serve', 'worker']) {
      expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });
});
