/** The dashboard's files served at `/`: public, index revalidated, hashed assets cached; a hint when not built. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from './helpers.js';

const dirs: string[] = [];
afterEach(() => {
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function webDir(built: boolean): string {
  const d = mkdtempSync(join(tmpdir(), 'tutti-web-'));
  dirs.push(d);
  if (built) {
    mkdirSync(join(d, 'assets'));
    writeFileSync(join(d, 'index.html'), '<!doctype html><div id="root"></div><script src="/assets/index-abc123.js"></script>');
    writeFileSync(join(d, 'assets', 'index-abc123.js'), 'console.log("dashboard")');
  }
  return d;
}

describe('dashboard files', () => {
  it('serves the built app without the token: index revalidated, hashed assets immutable; the API still needs the token', async () => {
    const s = await startServer({ server: { webDir: webDir(true) } });
    const index = await s.call('GET', '/', { auth: false });
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.headers['cache-control']).toBe('no-cache');
    expect(index.text).toContain('<div id="root">');
    const asset = await s.call('GET', '/assets/index-abc123.js', { auth: false });
    expect(asset.status).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['x-content-type-options']).toBe('nosniff');
    const missing = await s.call('GET', '/assets/nope.js', { auth: false });
    expect(missing.status).toBe(404);
    expect((await s.call('GET', '/../../etc/passwd', { auth: false })).status).toBe(404);
    expect((await s.call('GET', '/api/v1/runs', { auth: false })).status).toBe(401);
  });

  it('says how to build the dashboard when web/dist has no build', async () => {
    const s = await startServer({ server: { webDir: webDir(false) } });
    const res = await s.call('GET', '/', { auth: false });
    expect(res.status).toBe(503);
    expect(res.text).toContain('npm run build:web');
  });
});
