/** `/healthz`, `/readyz`, `/metrics` (seed 001) and the OpenAPI document. */
import { describe, expect, it } from 'vitest';
import { diamondPlan, startServer } from './helpers.js';

describe('probes and metrics', () => {
  it('healthz and readyz answer 200 while the engine runs and 503 once it stopped', async () => {
    const s = await startServer();
    const health = await s.call('GET', '/healthz', { auth: false });
    expect([health.status, health.json.status]).toEqual([200, 'healthy']);
    expect(Date.parse(health.json.timestamp)).not.toBeNaN();
    const ready = await s.call('GET', '/readyz', { auth: false });
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ status: 'ready', database: 'connected', store: 'sqlite' });
    await s.engine.stop();
    const down = await s.call('GET', '/healthz', { auth: false });
    expect([down.status, down.json.status]).toEqual([503, 'unhealthy']);
    const notReady = await s.call('GET', '/readyz', { auth: false });
    expect(notReady.status).toBe(503);
    expect(notReady.json).toMatchObject({ status: 'not_ready', database: 'disconnected' });
  });

  it('exports tutti_* and the seed session metrics in Prometheus format, behind the token', async () => {
    const s = await startServer();
    expect((await s.call('GET', '/metrics', { auth: false })).status).toBe(401);
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    await s.engine.waitForRun(run.id);
    // A session (seed 001) is a run of the dev-team template: this one stands in for one.
    await s.call('POST', '/api/v1/runs', { body: { plan: { metadata: { template: 'dev-team' }, tasks: [{ id: 'wait', agent: 'test', input: { hang: true } }, { id: 'after', agent: 'test', dependsOn: ['wait'] }] } } });
    const m = await s.call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/^tutti_runs\{status="completed"\} 1$/m);
    expect(m.text).toMatch(/^tutti_runs\{status="running"\} 1$/m);
    expect(m.text).toMatch(/^tutti_tasks\{status="succeeded"\} 4$/m);
    expect(m.text).toMatch(/^tutti_tasks_blocked\{reason="dependencies"\} 1$/m);
    expect(m.text).toMatch(/^tutti_queue_depth 0$/m);
    expect(m.text).toMatch(/^tutti_attempt_duration_seconds_count\{status="succeeded"\} 4$/m);
    expect(m.text).toMatch(/^# TYPE sessions_total counter$/m);
    expect(m.text).toMatch(/^sessions_total 1$/m);
    expect(m.text).toMatch(/^# TYPE sessions_active gauge$/m);
    expect(m.text).toMatch(/^sessions_active 1$/m);
    expect(m.text).toMatch(/^approvals_total 0$/m);
    expect(m.text).toMatch(/^rejections_total 0$/m);
  });

  it('publishes an OpenAPI document that lists every route, and a docs page', async () => {
    const s = await startServer();
    const doc = await s.call('GET', '/openapi.json', { auth: false });
    expect(doc.status).toBe(200);
    expect(doc.json.openapi).toBe('3.1.0');
    const paths = Object.keys(doc.json.paths);
    for (const p of [
      '/api/v1/runs',
      '/api/v1/runs/{runId}',
      '/api/v1/runs/{runId}/cancel',
      '/api/v1/runs/{runId}/approve',
      '/api/v1/runs/{runId}/reject',
      '/api/v1/runs/{runId}/tasks',
      '/api/v1/runs/{runId}/attempts',
      '/api/v1/runs/{runId}/events',
      '/api/v1/runs/{runId}/events/stream',
      '/api/v1/runs/{runId}/logs',
      '/api/v1/runs/{runId}/artifacts',
      '/api/v1/events/stream',
      '/api/v1/agents',
      '/api/v1/agents/{agentId}',
      '/api/v1/stats',
      '/api/v1/memory/search',
      '/api/orchestrator/orchestrate',
      '/api/orchestrator/sessions/{sessionId}',
      '/api/orchestrator/sessions/{sessionId}/logs',
      '/api/orchestrator/agents',
      '/api/orchestrator/stats',
      '/healthz',
      '/readyz',
      '/metrics',
    ]) {
      expect(paths).toContain(p);
    }
    const create = doc.json.paths['/api/v1/runs'].post;
    expect(create.requestBody.content['application/json'].schema.properties.plan.properties.tasks.type).toBe('array');
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    // Attempt errors document every kind the engine records, a rejected gate included.
    const attemptError = doc.json.paths['/api/v1/runs/{runId}/attempts'].get.responses['200'].content['application/json'].schema.properties.attempts.items.properties.error;
    const kinds = JSON.stringify(attemptError);
    for (const kind of ['exit_code', 'timeout', 'rate_limited', 'rejected']) expect(kinds).toContain(`"${kind}"`);
    const ui = await s.call('GET', '/docs/', { auth: false });
    expect(ui.status).toBe(200);
    expect(ui.text).toContain('swagger');
  });
});
