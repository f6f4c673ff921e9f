/** Body size limits, and secrets kept out of what the API sends (logs, outputs, views, errors). */
import { describe, expect, it } from 'vitest';
import { startServer, TOKEN } from './helpers.js';

describe('security and bad input', () => {
  it('refuses bodies over the limits with 413 (plans have their own, larger limit) and stores nothing', async () => {
    const s = await startServer({ server: { planBodyLimitBytes: 64 * 1024, bodyLimitBytes: 4 * 1024 } });
    const bigAgent = { id: 'big', driver: 'test', capabilities: ['x'.repeat(8 * 1024)] };
    const agent = await s.call('POST', '/api/v1/agents', { body: bigAgent });
    expect([agent.status, agent.json.error.code]).toEqual([413, 'ERR_PAYLOAD_TOO_LARGE']);
    expect((await s.call('GET', '/api/v1/agents/big')).status).toBe(404);

    // A plan of ~20 KiB fits the plan limit although it exceeds the general one…
    const task = (i: number) => ({ id: `t${i}`, title: 'y'.repeat(200), agent: 'test' });
    const plan = { tasks: Array.from({ length: 80 }, (_, i) => task(i)) };
    expect(JSON.stringify({ plan }).length).toBeGreaterThan(16 * 1024);
    const ok = await s.call('POST', '/api/v1/runs', { body: { plan } });
    expect(ok.status).toBe(201);
    // …one of ~100 KiB does not.
    const huge = { tasks: Array.from({ length: 400 }, (_, i) => task(i)) };
    const refused = await s.call('POST', '/api/v1/runs', { body: { plan: huge } });
    expect([refused.status, refused.json.error.code]).toEqual([413, 'ERR_PAYLOAD_TOO_LARGE']);
    expect((await s.call('GET', '/api/v1/runs')).json.runs).toHaveLength(1);
  });

  it('answers 400 with one issue per bad field and 415 for a body that is not JSON', async () => {
    const s = await startServer();
    const bad = await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: '', agent: 7 }] }, runId: '../x', extra: 1 } });
    expect(bad.status).toBe(400);
    const paths = (bad.json.error.details.issues as Array<{ path: string }>).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['body.runId']));
    expect(paths.some((p) => p.startsWith('body.plan.tasks.0'))).toBe(true);
    const xml = await s.call('POST', '/api/v1/runs', { body: '<plan/>', headers: { 'content-type': 'application/xml' } });
    expect(xml.status).toBe(415);
    const broken = await s.call('POST', '/api/v1/runs', { body: '{"plan":', headers: { 'content-type': 'application/json' } });
    expect([broken.status, broken.json.error.code]).toEqual([400, 'ERR_INVALID_INPUT']);
  });

  it('redacts the token and secret-looking values from attempt logs, outputs and run views', async () => {
    const s = await startServer();
    const leak = `token ${TOKEN} and OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx`;
    const tasks = [
      // An exec task: what it prints goes to the attempt log.
      { id: 'print', command: ['node', '-e', `console.log(${JSON.stringify(leak)})`] },
      { id: 'leak', agent: 'test', input: { emit: [leak], output: { note: leak, apiKey: 'plain-value' } } },
    ];
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks } } })).json;
    expect((await s.engine.waitForRun(run.id)).status).toBe('completed');
    const bodies = [
      await s.call('GET', `/api/v1/runs/${run.id}/logs?taskId=print`),
      await s.call('GET', `/api/v1/runs/${run.id}/tasks/leak/attempts/1/output`),
      await s.call('GET', `/api/v1/runs/${run.id}`),
      await s.call('GET', `/api/v1/runs/${run.id}/events?limit=1000`),
    ];
    for (const b of bodies) {
      expect(b.status).toBe(200);
      expect(b.text).not.toContain(TOKEN);
      expect(b.text).not.toContain('sk-abcdefghijklmnopqrstuvwx');
      expect(b.text).not.toContain('plain-value');
    }
    // What is redacted is replaced, the rest kept.
    expect(bodies[0]!.json.logs[0].text).toBe('token [REDACTED] and OPENAI_API_KEY=[REDACTED]\n');
    expect(bodies[1]!.json).toMatchObject({ apiKey: '[REDACTED]' });
  });
});
