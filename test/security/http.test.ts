/**
 * No browser can drive the API: a DNS-rebinding request (foreign Host), a `no-cors` cross-site
 * POST (no body, no content type), a foreign Origin or `Sec-Fetch-Site: cross-site` are refused
 * before anything runs; `--cors-origin` lets one named origin in; the dashboard's own requests pass.
 */
import { request } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startServer, type TestServer } from '../server/helpers.js';

/** A raw HTTP request over a real socket, with any Host header (fetch would not let us set it). */
function raw(url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: { error?: { code: string; message: string } } | undefined }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (b: Buffer) => (text += b.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? (JSON.parse(text) as never) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const proof = (dir: string) => join(dir, 'pwned');
const commandPlan = (dir: string) => JSON.stringify({ plan: { tasks: [{ id: 'id', command: ['sh', '-c', `id > ${proof(dir)}`] }] } });

async function noRuns(s: TestServer): Promise<void> {
  expect(await s.engine.listRuns({ limit: 10 })).toEqual([]);
}

describe('browsers cannot drive the API', () => {
  it('refuses a DNS-rebinding request (foreign Host) without a token: 421, nothing runs', async () => {
    const s = await startServer({ server: { token: null } });
    const url = await s.listen();
    const port = new URL(url).port;
    for (const host of [`rebind.attacker.example:${port}`, 'rebind.attacker.example', `127.0.0.1.nip.io:${port}`, `localhost:${Number(port) + 1}`, '']) {
      const res = await raw(url, 'POST', '/api/v1/runs', { host, 'content-type': 'application/json' }, commandPlan(s.dataDir));
      expect([host, res.status, res.json?.error?.code]).toEqual([host, 421, 'ERR_MISDIRECTED_REQUEST']);
      // Reads too: the attacker's page must not read run data either.
      expect((await raw(url, 'GET', '/api/v1/runs', { host })).status).toBe(421);
    }
    await noRuns(s);
    expect(existsSync(proof(s.dataDir))).toBe(false);
    // Loopback names with the right port are served.
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `127.1.2.3:${port}`, `[::1]:${port}`]) {
      expect((await raw(url, 'GET', '/api/v1/stats', { host })).status).toBe(200);
    }
  });

  it('with a token, any Host is served (the token is the protection)', async () => {
    const s = await startServer();
    const url = await s.listen();
    const res = await raw(url, 'GET', '/api/v1/stats', { host: 'tutti.internal.example', authorization: `Bearer ${'test-token-0123456789abcdef'}` });
    expect(res.status).toBe(200);
  });

  it('refuses a no-cors cross-site POST (no body, no content type) to approve, reject, cancel and create', async () => {
    const s = await startServer({ server: { token: null } });
    const gated = (await s.call('POST', '/api/v1/runs', { auth: false, body: { plan: { tasks: [{ id: 'a', agent: 'test' }, { id: 'gate', approval: true, dependsOn: ['a'] }] } } })).json;
    for (let i = 0; i < 500 && (await s.engine.getRun(gated.id))!.status !== 'awaiting_approval'; i++) await new Promise((r) => setTimeout(r, 10));
    expect((await s.engine.getRun(gated.id))!.status).toBe('awaiting_approval');
    const url = await s.listen();
    const host = new URL(url).host;
    const before = await s.engine.listEvents(gated.id);
    // What `fetch(url, { method: 'POST', mode: 'no-cors' })` from another site sends.
    const browser = { host, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' };
    for (const path of [`/api/v1/runs/${gated.id}/approve`, `/api/v1/runs/${gated.id}/cancel`, `/api/v1/runs/${gated.id}/reject`, '/api/v1/runs', '/api/v1/agents', '/api/orchestrator/orchestrate']) {
      expect((await raw(url, 'POST', path, browser)).status).toBe(403);
      // An older browser without Sec-Fetch-*: a simple POST still lacks the JSON content type.
      const old = await raw(url, 'POST', path, { host }, '');
      expect([path, old.status, old.json?.error?.code]).toEqual([path, 415, 'ERR_UNSUPPORTED_MEDIA_TYPE']);
      const form = await raw(url, 'POST', path, { host, 'content-type': 'text/plain' }, '{"reason":"x"}');
      expect(form.status).toBe(415);
      // Without Origin but marked cross-site (a navigation or a form from elsewhere).
      expect((await raw(url, 'POST', path, { host, 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, '{}')).status).toBe(403);
    }
    expect((await raw(url, 'DELETE', '/api/v1/agents/test', { host, origin: 'https://evil.example' })).status).toBe(403);
    expect((await s.engine.getRun(gated.id))!.status).toBe('awaiting_approval');
    expect(await s.engine.listEvents(gated.id)).toEqual(before);
    expect((await s.engine.listAgents()).some((a) => a.id === 'test')).toBe(true);
  });

  it('lets the dashboard (same origin, JSON) through, and a --cors-origin with its preflight', async () => {
    const s = await startServer({ server: { token: null, corsOrigins: ['https://ops.example.com'] } });
    const url = await s.listen();
    const host = new URL(url).host;
    const same = await raw(url, 'POST', '/api/v1/runs', { host, origin: url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }, JSON.stringify({ plan: { tasks: [{ id: 'a', agent: 'test' }] } }));
    expect(same.status).toBe(201);
    const pre = await new Promise<{ status: number; headers: Record<string, unknown> }>((resolve, reject) => {
      const u = new URL(url);
      const req = request({ host: u.hostname, port: u.port, method: 'OPTIONS', path: '/api/v1/runs', headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    const allowed = await raw(url, 'POST', '/api/v1/runs', { host, origin: 'https://ops.example.com', 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, JSON.stringify({ plan: { tasks: [{ id: 'a', agent: 'test' }] } }));
    expect(allowed.status).toBe(201);
    const other = await raw(url, 'POST', '/api/v1/runs', { host, origin: 'https://ops.example.com.evil.example', 'content-type': 'application/json' }, '{}');
    expect(other.status).toBe(403);
    await expect(startServer({ server: { corsOrigins: ['not an origin'] } })).rejects.toThrow(/not an origin/);
  });

  it('the dashboard sends JSON with every POST (so it passes the content-type rule)', () => {
    const api = readFileSync(join(import.meta.dirname, '../../web/src/api.ts'), 'utf8');
    expect(api).toMatch(/'content-type': 'application\/json'/);
    // Every mutating call of the dashboard passes a body (cancel, approve, reject, create, pause).
    for (const file of ['components/ApprovalPanel.tsx', 'pages/RunsPage.tsx', 'pages/RunPage.tsx', 'pages/AgentsPage.tsx']) {
      const text = readFileSync(join(import.meta.dirname, '../../web/src', file), 'utf8');
      for (const m of text.matchAll(/api(?:<[^>]*>)?\(([^;]*?)method: '(POST|PUT|PATCH)'([^;]*?)\)/g)) expect(`${m[1]}${m[3]}`).toMatch(/body:/);
    }
  });
});
