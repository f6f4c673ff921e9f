/**
 * Seed 001's probes and metrics: `GET /healthz` (200 healthy / 503), `GET /readyz` (the database
 * answers), `GET /metrics` (Prometheus text format).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorMessage } from '../../core/errors.js';
import type { ServerContext } from '../context.js';

const tags = ['health'];

const healthResponse = z.object({
  status: z.enum(['healthy', 'unhealthy']),
  timestamp: z.string(),
  engine: z.string().describe('idle, running, stopping or stopped.'),
});
const readyResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  database: z.enum(['connected', 'disconnected']),
  store: z.string().describe('Store backend: sqlite, postgres…'),
  timestamp: z.string(),
  error: z.string().optional(),
});

export function healthRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine } = ctx;
  return async (app) => {
    app.get('/healthz', {
      schema: { tags, summary: 'Liveness: 200 while the engine is usable, 503 once it stops', response: { 200: healthResponse, 503: healthResponse } },
    }, async (_req, reply) => {
      const state = engine.state;
      const healthy = state === 'running' || state === 'idle';
      return reply.code(healthy ? 200 : 503).send({ status: healthy ? 'healthy' : 'unhealthy', timestamp: new Date().toISOString(), engine: state });
    });

    app.get('/readyz', {
      schema: {
        tags,
        summary: 'Readiness: the database answers real queries',
        description: 'Reads the newest run and the counts by status (every table the API serves); 503 once any call met a damaged or unreadable database (ERR_STORE_CORRUPT, ERR_STORE_UNREADABLE).',
        response: { 200: readyResponse, 503: readyResponse },
      },
    }, async (_req, reply) => {
      const timestamp = new Date().toISOString();
      try {
        if (engine.state === 'stopping' || engine.state === 'stopped') throw new Error(`the engine is ${engine.state}`);
        if (engine.store.fault) throw engine.store.fault;
        const [newest] = await engine.store.listRuns({ limit: 1 });
        await engine.store.stats();
        if (newest) await Promise.all([engine.store.listTasks(newest.id), engine.store.listAttempts(newest.id), engine.store.listEvents(newest.id, { limit: 100 })]);
        return await reply.code(200).send({ status: 'ready', database: 'connected', store: engine.store.kind, timestamp });
      } catch (e) {
        return reply.code(503).send({ status: 'not_ready', database: 'disconnected', store: engine.store.kind, timestamp, error: errorMessage(e).slice(0, 500) });
      }
    });
  };
}

/** `GET /metrics` (behind the token when one is set). */
export function metricsRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { metrics } = ctx;
  return async (app) => {
    app.get('/metrics', {
      schema: {
        tags,
        security: [{ bearerAuth: [] }],
        summary: 'Prometheus metrics',
        description: 'tutti_runs{status}, tutti_tasks{status}, tutti_tasks_blocked{reason}, tutti_queue_depth, tutti_attempt_duration_seconds, tutti_agent_running{agent}, sessions_total, sessions_active, approvals_total, rejections_total…',
        response: { 200: z.string() },
      },
    }, async (_req, reply) => {
      const text = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(text);
    });
  };
}
