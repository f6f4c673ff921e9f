/**
 * Install anywhere: the tarball `npm pack` makes, installed globally into a temporary prefix,
 * gives a `tutti` that works in a directory that is not the clone: --version, a plan, and `serve`
 * with the dashboard from the installed copy. Dependencies come from the registry or npm's cache
 * (better-sqlite3 compiles from source: minutes on a loaded machine).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cli.js';

const ROOT = resolve(import.meta.dirname, '../..');
const NPM = 'npm';

/** The environment of a user's shell: none of the npm_* variables npm sets for the scripts it runs (this test runs under one). */
function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k))), ...extra };
}

/** Runs a command to its end without blocking the test worker (an install takes minutes). */
function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    child.on('close', (code) => res({ code, stdout, stderr }));
  });
}

const npm = (args: string[], cwd: string, env: Record<string, string> = {}) => run(NPM, args, cwd, userEnv(env));
const tutti = (bin: string, args: string[], cwd: string, dataDir: string) => run(bin, args, cwd, userEnv({ TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '' }));

describe('npm pack → npm install -g → tutti anywhere', () => {
  it('the installed copy answers --version, runs a plan and serves the dashboard outside the clone', { timeout: 1_500_000 }, async () => {
    expect(existsSync(join(ROOT, 'dist/cli/bin.js')), 'run npm run build first').toBe(true);
    expect(existsSync(join(ROOT, 'web/dist/index.html')), 'run npm run build:web first (the package carries web/dist)').toBe(true);
    const work = tempDir('tutti-pack-');
    // dist/ is built already (the suite runs after npm run build); packing again would only rebuild it.
    const pack = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT);
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = info!.files.map((f) => f.path);
    expect(files).toContain('dist/cli/bin.js');
    expect(files).toContain('web/dist/index.html');
    expect(files).toContain('README.md');
    expect(files.filter((f) => /^(test|src|bench|web\/src)\//.test(f) || /\.test\.js$/.test(f))).toEqual([]);

    const prefix = join(work, 'prefix');
    // npm warns about nothing it does not know (no unknown project config, no engine the README's Node lacks).
    const install = await npm(['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, info!.filename)], work, { npm_config_nodedir: '/usr' });
    expect(install.code, install.stderr).toBe(0);
    const warnings = install.stderr.split('\n').filter((l) => /EBADENGINE|Unknown (project|user|env|global) config/.test(l));
    expect(warnings).toEqual([]);
    const bin = join(prefix, 'bin', 'tutti');
    expect(existsSync(bin)).toBe(true);

    // Anywhere: a directory with nothing of tutti in it.
    const elsewhere = tempDir('tutti-elsewhere-');
    const dataDir = join(elsewhere, '.data');
    const version = await tutti(bin, ['--version'], elsewhere, dataDir);
    expect([version.code, version.stdout.trim()]).toEqual([0, '0.1.0']);

    writeFileSync(join(elsewhere, 'plan.yaml'), 'name: anywhere\ntasks:\n  - id: hello\n    command: [sh, -c, "echo hello from $PWD"]\n  - id: after\n    command: ["true"]\n    dependsOn: [hello]\n');
    const planRun = await tutti(bin, ['run', '--plan', 'plan.yaml', '--json'], elsewhere, dataDir);
    expect(planRun.code, planRun.stderr).toBe(0);
    const view = JSON.parse(planRun.stdout) as { status: string; counts: { succeeded: number } };
    expect([view.status, view.counts.succeeded]).toEqual(['completed', 2]);

    const serve = spawn(bin, ['serve', '--port', '0'], { cwd: elsewhere, env: userEnv({ TUTTI_DATA_DIR: dataDir, TUTTI_DB: '', TUTTI_CONFIG: '' }), stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const url = await new Promise<string>((res, rej) => {
        let err = '';
        serve.stderr!.on('data', (b: Buffer) => {
          err += b.toString();
          const m = /listening on (http:\/\/\S+)/.exec(err);
          if (m) res(m[1]!);
        });
        serve.on('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
      });
      const page = await fetch(url);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('<div id="root">');
      // The script the page loads is served from the installed web/dist.
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
      expect(script).toBeDefined();
      expect((await fetch(new URL(script!, url))).status).toBe(200);
      const runs = (await (await fetch(new URL('/api/v1/runs', url))).json()) as { runs: Array<{ name: string; status: string }> };
      expect(runs.runs.map((r) => [r.name, r.status])).toEqual([['anywhere', 'completed']]);
    } finally {
      serve.kill('SIGTERM');
    }
    // The installed copy is a copy: nothing in it points back into the clone.
    expect(readdirSync(join(prefix, 'lib', 'node_modules'))).toContain('tutti');
  });
});
