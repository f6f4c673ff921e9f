/**
 * Approval gates: `POST /api/v1/runs/{runId}/approve` (the gate succeeds, the run goes on) and
 * `POST /api/v1/runs/{runId}/reject` (an earlier task runs again with the feedback; what depends
 * on it is reset). A run not awaiting approval answers 409 `ERR_NOT_AWAITING_APPROVAL`.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { redactValue } from '../redact.js';
import { idSchema, runParams } from '../schemas/requests.js';
import { errorResponse, runSummary } from '../schemas/responses.js';

const tags = ['runs'];
const security = [{ bearerAuth: [] }];
const by = z.string().trim().min(1).max(200).optional().describe('Who decides (recorded in the approval event). Default `api`.');

export const approveBody = z.strictObject({
  taskId: idSchema.optional().describe('The gate to approve, when the run waits on several.'),
  comment: z.string().max(10_000).optional(),
  by,
});

export const rejectBody = z.strictObject({
  feedback: z.string().trim().min(1, 'a rejection needs feedback').max(100_000).describe('What must change: given to the task that runs again.'),
  rewindTo: idSchema.optional().describe('The earlier task to run again. Default: the gate’s first dependency, or its loop target.'),
  taskId: idSchema.optional().describe('The gate rejected, when the run waits on several.'),
  by,
});

export function approvalRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, secrets } = ctx;
  const responses = { 200: runSummary, 400: errorResponse, 404: errorResponse, 409: errorResponse };
  return async (app) => {
    app.post('/runs/:runId/approve', {
      schema: { tags, security, summary: 'Approve what a run waits for', params: runParams, body: approveBody, response: responses },
    }, async (req) => {
      const b = req.body ?? {};
      const run = await engine.approveRun(req.params.runId, { by: b.by ?? 'api', ...(b.taskId ? { taskId: b.taskId } : {}), ...(b.comment ? { comment: b.comment } : {}) });
      return redactValue(run, secrets);
    });

    app.post('/runs/:runId/reject', {
      schema: {
        tags,
        security,
        summary: 'Reject what a run waits for, rewinding to an earlier task',
        description: 'The rewound task gets a new attempt with the feedback in its prompt; every task after it is reset. Earlier attempts stay queryable.',
        params: runParams,
        body: rejectBody,
        response: responses,
      },
    }, async (req) => {
      const b = req.body;
      const run = await engine.rejectRun(req.params.runId, {
        feedback: b.feedback,
        by: b.by ?? 'api',
        ...(b.rewindTo ? { rewindTo: b.rewindTo } : {}),
        ...(b.taskId ? { taskId: b.taskId } : {}),
      });
      return redactValue(run, secrets);
    });
  };
}
