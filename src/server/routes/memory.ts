/**
 * `GET /api/v1/memory/search`: hybrid (vector + full-text) search of the memory plane, over one
 * run's memories or all of them. Read-only; the embedder loads on the first search.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { MemoryScope } from '../../store/memory-types.js';
import type { ServerContext } from '../context.js';
import { redactValue } from '../redact.js';
import { memorySearchQuery } from '../schemas/requests.js';
import { errorResponse, memorySearchResponse } from '../schemas/responses.js';
import { assertRunExists } from './runs.js';

export function memoryRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { secrets } = ctx;
  return async (app) => {
    app.get('/memory/search', {
      schema: {
        tags: ['memory'],
        security: [{ bearerAuth: [] }],
        summary: 'Search memories and learnings',
        description: 'Vector similarity and BM25 fused, best first. With `runId`, only that run’s memories; without, every memory (global scope).',
        querystring: memorySearchQuery,
        response: { 200: memorySearchResponse, 400: errorResponse, 404: errorResponse, 502: errorResponse },
      },
    }, async (req) => {
      const { q, runId, topK } = req.query;
      if (runId) await assertRunExists(ctx, runId);
      const scope: MemoryScope = runId ? { runId } : 'global';
      const results = await ctx.memory().search(scope, q, topK);
      return { results: redactValue(results, secrets) };
    });
  };
}
