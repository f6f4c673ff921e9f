/**
 * Seed 001's HTTP endpoints (`/healthz`, `/readyz`, `/metrics`) over the engine of an
 * Orchestrator: the probes answer as documented and the metrics count its sessions and decisions.
 */
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/index.js';
import { Orchestrator, SessionStatus } from '../../src/compat/sessions/index.js';
import { scriptedOrchestrator, track, waitForSession } from './sessions-helpers.js';

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

      // A decision made by another process (its own engine on the database) counts too, and
      // the counts survive a restart: they are read from the store.
      const c = await orchestrator.startNewSession('third');
      await waitForSession(orchestrator, c, (i) => i.status === SessionStatus.AWAITING_APPROVAL, 'c');
      const other = track(new Orchestrator({ dbPath: orchestrator.config.dbPath, workDirBase: orchestrator.config.workDirBase, engine: { pollMs: 20 } }));
      await other.rejectAndIterate(c, 'not yet', 'pm');
      await other.close();
      const again = createServer({ engine: await orchestrator.engine(), dataDir: orchestrator.config.dataDir });
      try {
        const m = await again.app.inject({ method: 'GET', url: '/metrics' });
        const v = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(m.body)?.[1]);
        expect([v('sessions_total'), v('approvals_total'), v('rejections_total')]).toEqual([3, 1, 2]);
      } finally {
        await again.close();
      }

      await orchestrator.close();
      const down = await server.app.inject({ method: 'GET', url: '/healthz' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unhealthy' });
    } finally {
      await server.close();
    }
  });
});

describe('seed 001: a library Orchestrator serves its probes', () => {
  it('orchestrator.serve() answers /healthz, /readyz and /metrics over HTTP; close() stops it', async () => {
    const { orchestrator } = scriptedOrchestrator();
    const { url } = await orchestrator.serve();
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({ status: 'ready', database: 'connected' });
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^sessions_total 0$/m);
    await orchestrator.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });
});
