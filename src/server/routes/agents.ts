/** `/api/v1/agents` (list, get, register, update, pause/resume, remove) and `/api/v1/stats`. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentRecord } from '../../agents/types.js';
import { TuttiError } from '../../core/errors.js';
import { iso } from '../../core/run-view.js';
import type { ServerContext } from '../context.js';
import { redactValue } from '../redact.js';
import { agentParams, patchAgentBody, registerAgentsBody, updateAgentBody } from '../schemas/requests.js';
import { agentView, agentsResponse, errorResponse, statsResponse } from '../schemas/responses.js';

const tags = ['agents'];
const security = [{ bearerAuth: [] }];

/** An agent as the API shows it: load as a fraction, ISO times, secrets of its config redacted. */
export function toAgentView(a: AgentRecord, secrets: readonly string[]) {
  return {
    id: a.id,
    name: a.name,
    type: a.type,
    driver: a.driver,
    capabilities: a.capabilities,
    maxConcurrency: a.maxConcurrency,
    priority: a.priority,
    status: a.status,
    config: redactValue(a.config, secrets),
    running: a.running,
    load: a.maxConcurrency ? Math.min(1, a.running / a.maxConcurrency) : null,
    createdAt: iso(a.createdAt)!,
    updatedAt: iso(a.updatedAt)!,
  };
}

export function agentsRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, secrets } = ctx;
  const agentNotFound = (id: string) => new TuttiError('ERR_AGENT_NOT_FOUND', `no agent '${id}'`, { details: { agentId: id } });
  return async (app) => {
    app.get('/agents', {
      schema: { tags, security, summary: 'Registered agents with their load', response: { 200: agentsResponse } },
    }, async () => ({ agents: (await engine.listAgents()).map((a) => toAgentView(a, secrets)) }));

    app.get('/agents/:agentId', {
      schema: { tags, security, summary: 'One agent', params: agentParams, response: { 200: agentView, 404: errorResponse } },
    }, async (req) => {
      const a = await engine.store.getAgent(req.params.agentId);
      if (!a) throw agentNotFound(req.params.agentId);
      return toAgentView(a, secrets);
    });

    app.post('/agents', {
      schema: {
        tags,
        security,
        summary: 'Register agents (upsert by id)',
        description: 'One agent definition or an array of them. Tasks blocked for lack of a capable agent are re-examined.',
        body: registerAgentsBody,
        response: { 201: agentsResponse, 400: errorResponse },
      },
    }, async (req, reply) => {
      const list = Array.isArray(req.body) ? req.body : [req.body];
      const ids = new Set<string>();
      for (const a of list) {
        if (ids.has(a.id)) throw new TuttiError('ERR_INVALID_INPUT', `agent '${a.id}' is listed twice`, { details: { issues: [{ path: 'body', message: `duplicate agent id '${a.id}'` }] } });
        ids.add(a.id);
      }
      const agents = await engine.registerAgents(list);
      return reply.code(201).send({ agents: agents.map((a) => toAgentView(a, secrets)) });
    });

    app.put('/agents/:agentId', {
      schema: { tags, security, summary: 'Replace an agent’s definition (creates it when missing)', params: agentParams, body: updateAgentBody, response: { 200: agentView, 400: errorResponse } },
    }, async (req) => {
      const [a] = await engine.registerAgents([{ ...req.body, id: req.params.agentId }]);
      return toAgentView(a!, secrets);
    });

    app.patch('/agents/:agentId', {
      schema: {
        tags,
        security,
        summary: 'Pause, resume or disable an agent',
        description: '`paused` agents finish their running attempts but get no new ones; `disabled` ones are ignored.',
        params: agentParams,
        body: patchAgentBody,
        response: { 200: agentView, 404: errorResponse },
      },
    }, async (req) => toAgentView(await engine.setAgentStatus(req.params.agentId, req.body.status), secrets));

    app.delete('/agents/:agentId', {
      schema: { tags, security, summary: 'Remove an agent', params: agentParams, response: { 204: z.null(), 404: errorResponse } },
    }, async (req, reply) => {
      await engine.removeAgent(req.params.agentId);
      return reply.code(204).send(null);
    });

    app.get('/stats', {
      schema: { tags: ['stats'], security, summary: 'Runs and tasks by status, blocked tasks by reason, queue depth, agent load', response: { 200: statsResponse } },
    }, async () => {
      const [s, agents] = await Promise.all([engine.store.stats(), engine.listAgents()]);
      const live = agents.filter((a) => a.status !== 'disabled');
      const unlimited = live.some((a) => a.maxConcurrency === null);
      return {
        runs: s.runsByStatus as Record<string, number>,
        tasks: s.tasksByStatus,
        blocked: s.blockedByReason,
        queueDepth: s.readyTasks,
        agents: {
          total: agents.length,
          active: agents.filter((a) => a.status === 'active').length,
          busy: agents.filter((a) => a.running > 0).length,
          running: agents.reduce((n, a) => n + a.running, 0),
          capacity: unlimited ? null : live.reduce((n, a) => n + (a.maxConcurrency ?? 0), 0),
        },
        engine: { state: engine.state, workerId: engine.workerId, inFlight: engine.inFlight },
      };
    });
  };
}
