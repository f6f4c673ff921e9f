/**
 * Seed 001's HTTP endpoints (`/healthz`, `/readyz`, `/metrics`) over the engine of an
 * Orchestrator: the probes answer as documented and the metrics count its sessions and decisions.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.js';
import { SessionStatus } from '../../src/compat/sessions/index.js';
import { scriptedOrchestrator, waitForSession } from './sessions-helpers.js';

describe('seed 001: HTTP endpoints over a sessions Orchestrator', () => {
  it('GET /healthz, GET /readyz, GET /metrics with sessions_total, sessions_active, approvals_total, rejections_total', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const server = createServer({ engine: await orchestrator.engine(), dataDir: orchestrator.config.dataDir });
    try {
      const health = await server.app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toMatchObject({ status: 'healthy', timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
      const ready = await server.app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toMatchObject({ status: 'ready', database: 'connected', timestamp: expect.any(String) });

      const a = await orchestrator.startNewSession('first');
      const b = await orchestrator.startNewSession('second');
      await waitForSession(orchestrator, a, (i) => i.status === SessionStatus.AWAITING_APPROVAL, 'a');
      await waitForSession(orchestrator, b, (i) => i.status === SessionStatus.AWAITING_APPROVAL, 'b');
      await orchestrator.rejectAndIterate(a, 'more detail please');
      await waitForSession(orchestrator, a, (i) => i.status === SessionStatus.AWAITING_APPROVAL, 'a again');
      await orchestrator.approveAndContinue(a);
      await waitForSession(orchestrator, a, (i) => i.status === SessionStatus.COMPLETED, 'a done');

      const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.statusCode).toBe(200);
      const value = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics.body)?.[1]);
      expect(metrics.body).toContain('# TYPE sessions_total counter');
      expect(value('sessions_total')).toBe(2);
      expect(value('sessions_active')).toBe(1);
      expect(value('approvals_total')).toBe(1);
      expect(value('rejections_total')).toBe(1);

      await orchestrator.close();
      const down = await server.app.inject({ method: 'GET', url: '/healthz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unhealthy' });
    } finally {
      await server.close();
    }
  });
});
