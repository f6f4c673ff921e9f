/**
 * Seed 003's REST routes with their documented JSON shapes: `POST /api/orchestrator/orchestrate`,
 * `GET /api/orchestrator/sessions/:sessionId` (and `/logs`), `GET|POST /api/orchestrator/agents`,
 * `GET /api/orchestrator/stats`. What backs them is an {@link OrchestratorBackend}.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { redactValue } from '../redact.js';
import { idSchema } from '../schemas/requests.js';
import { errorResponse } from '../schemas/responses.js';
import { orchestrateBody, seedAgentBody } from '../seed/orchestrator-schemas.js';

const tags = ['orchestrator (seed 003)'];
const security = [{ bearerAuth: [] }];
const sessionParams = z.strictObject({ sessionId: idSchema });

const sessionStatus = z.object({
  sessionId: z.string(),
  status: z.string().describe('planning, executing, awaiting_approval, completed, failed, cancelled, expired'),
  jobIds: z.array(z.string()),
  completedTasks: z.number().int(),
  totalTasks: z.number().int(),
  results: z.record(z.string(), z.unknown()),
  errors: z.array(z.string()),
  startTime: z.string(),
  blocked: z
    .array(z.object({ taskId: z.string(), kind: z.string(), reason: z.string() }))
    .describe('tutti extension: steps not running and why (a pending step is traced to what its dependencies wait on).'),
});
const session = sessionStatus.extend({
  plan: z.object({
    goal: z.string(),
    steps: z.array(z.object({ id: z.string(), title: z.string(), agentType: z.string().nullable(), requiredCapabilities: z.array(z.string()), dependencies: z.array(z.string()) })),
    parallelizable: z.boolean(),
  }),
});
const seedAgent = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  status: z.string(),
  currentLoad: z.number().int(),
  maxLoad: z.number().int().nullable(),
  priority: z.number().int(),
  capabilities: z.array(z.object({ name: z.string(), description: z.string(), domains: z.array(z.string()) })),
});
const seedLog = z.object({
  id: z.string(),
  timestamp: z.string(),
  level: z.enum(['debug', 'info', 'warn', 'error', 'critical']),
  source: z.string(),
  message: z.string(),
  sessionId: z.string(),
  taskId: z.string().optional(),
  agentId: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ name: z.string(), message: z.string(), stack: z.string().optional() }).optional(),
});

/** Response schemas, exported for the tests that hold responses to the documented shapes. */
export const seedResponses = {
  session,
  sessionStatus,
  logs: z.object({ sessionId: z.string(), logs: z.array(seedLog) }),
  agents: z.object({ agents: z.array(seedAgent), count: z.number().int() }),
  agent: z.object({ success: z.literal(true), agent: seedAgent }),
  stats: z.object({
    totalAgents: z.number().int(),
    activeAgents: z.number().int(),
    busyAgents: z.number().int(),
    totalCapacity: z.number().int(),
    usedCapacity: z.number().int(),
    agentsByType: z.record(z.string(), z.number().int()),
  }),
};

export function orchestratorRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { orchestrator: backend, secrets } = ctx;
  return async (app) => {
    // The seed's agents exist once the server is ready (no GET writes them later). A failure (the
    // store down) does not stop the server: the routes initialize on use and report it then.
    await backend.initialize?.().catch(() => undefined);
    app.post('/orchestrate', {
      schema: {
        tags,
        security,
        summary: 'Start an orchestrated session from a goal',
        description: 'Plans the goal into steps (or takes the given `steps`, a DAG through `dependencies`) and creates their run. A cycle answers 400 `ERR_CYCLE`, a step no agent can do 400 `ERR_NO_CAPABLE_AGENT`, each naming the steps.',
        body: orchestrateBody,
        response: { 201: session, 400: errorResponse },
      },
    }, async (req, reply) => reply.code(201).send(redactValue(await backend.orchestrate(req.body), secrets)));

    app.get('/sessions/:sessionId', {
      schema: { tags, security, summary: 'Status of a session', params: sessionParams, response: { 200: sessionStatus, 404: errorResponse } },
    }, async (req) => redactValue(await backend.getSession(req.params.sessionId), secrets));

    app.get('/sessions/:sessionId/logs', {
      schema: { tags, security, summary: 'Logs of a session: its latest 1000 engine events, then the orchestrator’s own entries', params: sessionParams, response: { 200: seedResponses.logs, 404: errorResponse } },
    }, async (req) => redactValue(await backend.getSessionLogs(req.params.sessionId), secrets));

    app.get('/agents', {
      schema: { tags, security, summary: 'Registered agents', response: { 200: seedResponses.agents } },
    }, async () => backend.listAgents());

    app.post('/agents', {
      schema: { tags, security, summary: 'Register an agent', body: seedAgentBody, response: { 201: seedResponses.agent, 400: errorResponse } },
    }, async (req, reply) => reply.code(201).send({ success: true, agent: await backend.registerAgent(req.body) }));

    app.get('/stats', {
      schema: { tags, security, summary: 'Agent statistics', response: { 200: seedResponses.stats } },
    }, async () => backend.stats());
  };
}
