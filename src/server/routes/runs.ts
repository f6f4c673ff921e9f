/** `/api/v1/runs`: create, list (status filter, cursor pagination), get, cancel, tasks, attempts, events. */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { TuttiError } from '../../core/errors.js';
import type { RunView } from '../../core/run-view.js';
import type { ServerContext } from '../context.js';
import { redactValue } from '../redact.js';
import { attemptsQuery, cancelBody, createRunBody, eventsQuery, listRunsQuery, runParams, taskParams } from '../schemas/requests.js';
import { attemptsResponse, errorResponse, eventPage, runPage, runSummary, runView, taskView, tasksResponse } from '../schemas/responses.js';

const tags = ['runs'];
const security = [{ bearerAuth: [] }];
const notFound = { 404: errorResponse };

/** The run's view. @throws TuttiError `ERR_RUN_NOT_FOUND` */
export async function requireRun(ctx: ServerContext, runId: string): Promise<RunView> {
  const view = await ctx.engine.getRun(runId);
  if (!view) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${runId}'`, { details: { runId } });
  return view;
}

/** @throws TuttiError `ERR_RUN_NOT_FOUND` (cheap: reads the run row only). */
export async function assertRunExists(ctx: ServerContext, runId: string): Promise<void> {
  if (!(await ctx.engine.store.getRun(runId))) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${runId}'`, { details: { runId } });
}

export function runsRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, secrets } = ctx;
  return async (app) => {
    app.post('/runs', {
      bodyLimit: ctx.options.planBodyLimitBytes,
      schema: {
        tags,
        security,
        summary: 'Create a run from a plan',
        description: 'Validates the plan (schema, duplicate ids, unknown dependencies, cycles, tasks no agent can run) and queues the run; this server executes it.',
        body: createRunBody,
        response: { 201: runSummary, 400: errorResponse },
      },
    }, async (req, reply) => {
      const { plan, runId, idempotencyKey, metadata } = req.body;
      const run = await engine.createRun(plan, { ...(runId ? { runId } : {}), ...(idempotencyKey ? { idempotencyKey } : {}), ...(metadata ? { metadata } : {}) });
      return reply.code(201).send(redactValue(run, secrets));
    });

    app.get('/runs', {
      schema: { tags, security, summary: 'List runs, newest first', querystring: listRunsQuery, response: { 200: runPage, 400: errorResponse } },
    }, async (req) => {
      const { status, limit, cursor } = req.query;
      const runs = await engine.listRuns({ limit: limit + 1, ...(status?.length ? { status } : {}), ...(cursor ? { before: cursor } : {}) });
      const page = runs.slice(0, limit);
      return { runs: redactValue(page, secrets), nextCursor: runs.length > limit ? page[page.length - 1]!.id : null };
    });

    app.get('/runs/:runId', {
      schema: { tags, security, summary: 'A run with its tasks, attempts and blocked reasons', params: runParams, response: { 200: runView, ...notFound } },
    }, async (req) => redactValue(await requireRun(ctx, req.params.runId), secrets));

    app.post('/runs/:runId/cancel', {
      schema: {
        tags,
        security,
        summary: 'Cancel a run',
        description: 'No more dispatch; running attempts get SIGTERM, then SIGKILL of their process group. A finished run is returned unchanged.',
        params: runParams,
        body: cancelBody,
        response: { 200: runSummary, ...notFound },
      },
    }, async (req) => redactValue(await engine.cancelRun(req.params.runId, req.body.reason ?? 'cancelled through the API'), secrets));

    app.get('/runs/:runId/tasks', {
      schema: { tags, security, summary: 'The tasks of a run', params: runParams, response: { 200: tasksResponse, ...notFound } },
    }, async (req) => ({ tasks: redactValue((await requireRun(ctx, req.params.runId)).tasks, secrets) }));

    app.get('/runs/:runId/tasks/:taskId', {
      schema: { tags, security, summary: 'One task with its attempts and blocked reason', params: taskParams, response: { 200: taskView, ...notFound } },
    }, async (req) => {
      const { runId, taskId } = req.params;
      const task = (await requireRun(ctx, runId)).tasks.find((t) => t.id === taskId);
      if (!task) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${runId} has no task '${taskId}'`, { details: { runId, taskId } });
      return redactValue(task, secrets);
    });

    app.get('/runs/:runId/attempts', {
      schema: { tags, security, summary: 'Attempts of a run (or of one task), in task order', params: runParams, querystring: attemptsQuery, response: { 200: attemptsResponse, ...notFound } },
    }, async (req) => {
      const { runId } = req.params;
      const { taskId } = req.query;
      const view = await requireRun(ctx, runId);
      if (taskId && !view.tasks.some((t) => t.id === taskId)) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${runId} has no task '${taskId}'`, { details: { runId, taskId } });
      const attempts = view.tasks.filter((t) => !taskId || t.id === taskId).flatMap((t) => t.attempts.map((a) => ({ taskId: t.id, ...a })));
      return { attempts: redactValue(attempts, secrets) };
    });

    app.get('/runs/:runId/events', {
      schema: {
        tags,
        security,
        summary: 'The event history of a run, in order',
        description: 'Pages by sequence number: pass the previous page’s `nextCursor` as `after`. For a live feed use `/runs/{runId}/events/stream`.',
        params: runParams,
        querystring: eventsQuery,
        response: { 200: eventPage, ...notFound },
      },
    }, async (req) => {
      const { runId } = req.params;
      const { after, limit } = req.query;
      await assertRunExists(ctx, runId);
      const events = await engine.listEvents(runId, { afterSeq: after, limit });
      return { events: redactValue(events, secrets), nextCursor: events.length === limit ? events[events.length - 1]!.seq : null };
    });
  };
}
