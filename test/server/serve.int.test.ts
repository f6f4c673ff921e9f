/** `tutti serve` as a real process: token, loopback rule, resuming unfinished runs, graceful stop. */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';
import { startServe, type ServeProcess } from './serve-process.js';

const TOKEN = 'serve-test-token-0123456789';
const started: ServeProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  while (started.length) await started.pop()!.stop();
  while (dirs.length) rmSync(dirs.pop()!, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('tutti-serve-');
  dirs.push(d);
  return d;
}

describe('tutti serve', () => {
  it('resumes a run created before it started, serves it behind the token, and stops cleanly on SIGTERM', async () => {
    const dataDir = dir();
    const plan = JSON.stringify({ name: 'detached', tasks: [{ id: 'hello', command: ['node', '-e', 'console.log("hi")'] }] });
    const created = await runCli(['run', '--plan', '-', '--detach'], { dataDir, input: plan });
    expect(created.code).toBe(0);
    const runId = created.stdout.trim();
    const serve = await startServe([], { dataDir, env: { TUTTI_API_TOKEN: TOKEN } });
    started.push(serve);
    const auth = { authorization: `Bearer ${TOKEN}` };
    let status = '';
    for (let i = 0; i < 200 && status !== 'completed'; i++) {
      const r = await fetch(`${serve.url}/api/v1/runs/${runId}`, { headers: auth });
      status = ((await r.json()) as { status: string }).status;
      if (status !== 'completed') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('completed');
    expect((await fetch(`${serve.url}/api/v1/runs/${runId}`)).status).toBe(401);
    expect((await fetch(`${serve.url}/api/v1/runs/${runId}`, { headers: { authorization: 'Bearer wrong-token-000000000' } })).status).toBe(401);
    expect((await fetch(`${serve.url}/healthz`)).status).toBe(200);
    const ready = (await (await fetch(`${serve.url}/readyz`)).json()) as { database: string };
    expect(ready.database).toBe('connected');
    expect(await serve.stop()).toBe(0);
    started.pop();
  });

  it('refuses to listen beyond loopback without a token (exit 2), and rejects a short token', async () => {
    const dataDir = dir();
    const open = await runCli(['serve', '--host', '0.0.0.0', '--port', '0'], { dataDir });
    expect(open.code).toBe(2);
    expect(open.stderr).toMatch(/refusing to listen on 0\.0\.0\.0 without an API token/);
    const short = await runCli(['serve', '--port', '0'], { dataDir, env: { TUTTI_API_TOKEN: 'short' } });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/at least 16 characters/);
    const badPort = await runCli(['serve', '--port', '70000'], { dataDir });
    expect(badPort.code).toBe(2);
  });

  it('listens beyond loopback when a token is set; request logs go to stderr without the token', async () => {
    const serve = await startServe(['--host', '0.0.0.0', '--log-level', 'info'], { dataDir: dir(), env: { TUTTI_API_TOKEN: TOKEN } });
    started.push(serve);
    const port = new URL(serve.url).port;
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/runs/nope?token=${TOKEN}`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/api/v1/stats`, { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect(await serve.stop()).toBe(0);
    started.pop();
    expect(serve.stderr()).toContain('"url":"/api/v1/stats"');
    expect(serve.stderr()).not.toContain(TOKEN);
    expect(serve.stdout()).toBe('');
  });

  it('searches memory with the embedder tutti memory uses (TUTTI_EMBEDDER), and says when the dashboard is off', async () => {
    const dataDir = dir();
    const env = { TUTTI_EMBEDDER: 'hash' };
    const seeded = await runCli(['memory', 'seed', '--global', '--text', 'the flaky test is the payment webhook retry', '--text', 'deploys go out on tuesdays'], { dataDir, env });
    expect(seeded.code, seeded.stderr).toBe(0);
    const serve = await startServe(['--no-dashboard'], { dataDir, env });
    started.push(serve);
    expect(serve.stderr()).toContain('dashboard off (--no-dashboard)');
    const r = await fetch(`${serve.url}/api/v1/memory/search?q=${encodeURIComponent('flaky payment webhook')}&topK=1`);
    const body = (await r.json()) as { results?: Array<{ text?: string; entry?: { text?: string } }> } & Record<string, unknown>;
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(JSON.stringify(body)).toContain('payment webhook');
    expect(JSON.stringify(body)).not.toContain('tuesdays');
  });
});
