/**
 * What runs produce, read from the data dir: attempt logs (tail or from an offset, for live
 * tails), attempt outputs (inline or from their blob), and the list of a run's artifacts.
 */
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import type { AttemptRecord } from '../../core/model.js';
import { safeSegment } from '../../runtime/node-runtime.js';
import type { ServerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { fileSize, insideDataDir, readChunk } from '../files.js';
import { redactText, redactValue } from '../redact.js';
import { attemptParams, logsQuery, runParams } from '../schemas/requests.js';
import { artifactsResponse, errorResponse, logsResponse } from '../schemas/responses.js';
import { assertRunExists } from './runs.js';

const tags = ['runs'];
const security = [{ bearerAuth: [] }];
/** Bytes from the end of each log when no offset is asked. */
const DEFAULT_TAIL = 16 * 1024;
/** Logs returned at most when no task is named (the latest attempts). */
const MAX_LOGS = 100;
/** Largest output blob sent, bytes. */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** The log file of an attempt, relative to the data dir (recorded once it ended; the runtime's layout while it runs). */
function storedLogPath(a: AttemptRecord): string {
  return a.logPath ?? join('logs', safeSegment(a.runId), `${safeSegment(a.taskId)}.${a.n}.log`);
}

async function requireTask(ctx: ServerContext, runId: string, taskId: string): Promise<void> {
  if (!(await ctx.engine.store.getTask(runId, taskId))) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${runId} has no task '${taskId}'`, { details: { runId, taskId } });
}

export function runFilesRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, options, secrets } = ctx;
  const store = engine.store;
  return async (app) => {
    app.get('/runs/:runId/logs', {
      schema: {
        tags,
        security,
        summary: 'Output logs of attempts',
        description:
          `The tail (default ${DEFAULT_TAIL} bytes) of each attempt's log — of one task or attempt when asked, else of the latest ${MAX_LOGS} attempts. ` +
          'With `offset` (needs `taskId`; default attempt: the latest) it reads from that byte on: poll with the returned `nextOffset` to follow a log.',
        params: runParams,
        querystring: logsQuery,
        response: { 200: logsResponse, 400: errorResponse, 404: errorResponse },
      },
    }, async (req) => {
      const { runId } = req.params;
      const { taskId, attempt, offset, tail } = req.query;
      await assertRunExists(ctx, runId);
      if ((offset !== undefined || attempt !== undefined) && !taskId) throw new HttpError(400, 'ERR_INVALID_INPUT', '`offset` and `attempt` need `taskId`', { issues: [{ path: 'query.taskId', message: 'required with offset or attempt' }] });
      if (taskId) await requireTask(ctx, runId, taskId);
      let attempts = await store.listAttempts(runId, taskId);
      if (attempt !== undefined) {
        attempts = attempts.filter((a) => a.n === attempt);
        if (!attempts.length) throw new TuttiError('ERR_TASK_NOT_FOUND', `task '${taskId}' of run ${runId} has no attempt ${attempt}`, { details: { runId, taskId, attempt } });
      } else if (offset !== undefined) attempts = attempts.slice(-1);
      else if (attempts.length > MAX_LOGS) attempts = [...attempts].sort((a, b) => a.startedAt - b.startedAt).slice(-MAX_LOGS);
      const logs = [];
      for (const a of attempts) {
        const path = insideDataDir(options.dataDir, storedLogPath(a));
        if (!path) continue;
        const chunk = await readChunk(path, { ...(offset !== undefined ? { offset } : {}), tail: tail ?? DEFAULT_TAIL, maxBytes: options.maxLogChunkBytes });
        if (chunk.size === 0 && offset === undefined && taskId === undefined) continue;
        logs.push({ taskId: a.taskId, attempt: a.n, status: a.status, ...chunk, text: redactText(chunk.text, secrets) });
      }
      return { logs };
    });

    app.get('/runs/:runId/tasks/:taskId/attempts/:n/output', {
      schema: {
        tags,
        security,
        summary: "An attempt's output (JSON)",
        description: 'Inline outputs and those stored as blobs alike; null when the attempt produced none.',
        params: attemptParams,
        response: { 200: z.unknown(), 404: errorResponse },
      },
    }, async (req, reply) => {
      const { runId, taskId, n } = req.params;
      await assertRunExists(ctx, runId);
      await requireTask(ctx, runId, taskId);
      const a = (await store.listAttempts(runId, taskId)).find((x) => x.n === n);
      if (!a) throw new TuttiError('ERR_TASK_NOT_FOUND', `task '${taskId}' of run ${runId} has no attempt ${n}`, { details: { runId, taskId, attempt: n } });
      reply.type('application/json; charset=utf-8');
      if (!a.outputRef) return reply.send(JSON.stringify(redactValue(a.output ?? null, secrets)));
      const path = insideDataDir(options.dataDir, a.outputRef);
      const size = path ? await fileSize(path) : null;
      if (!path || size === null) throw new HttpError(404, 'ERR_TASK_NOT_FOUND', `the output blob of ${runId}/${taskId}/${n} is missing from the data dir`);
      if (size > MAX_OUTPUT_BYTES) throw new HttpError(413, 'ERR_PAYLOAD_TOO_LARGE', `the output of ${runId}/${taskId}/${n} is ${size} bytes, more than this server sends (${MAX_OUTPUT_BYTES})`);
      return reply.send(redactText(await readFile(path, 'utf8'), secrets));
    });

    app.get('/runs/:runId/artifacts', {
      schema: {
        tags,
        security,
        summary: 'What the run produced',
        description: 'Per attempt: its output and its log, with sizes and the URL of their content.',
        params: runParams,
        response: { 200: artifactsResponse, 404: errorResponse },
      },
    }, async (req) => {
      const { runId } = req.params;
      await assertRunExists(ctx, runId);
      const base = `/api/v1/runs/${encodeURIComponent(runId)}`;
      const artifacts = [];
      for (const a of await store.listAttempts(runId)) {
        const t = encodeURIComponent(a.taskId);
        if (a.outputRef || (a.output !== null && a.output !== undefined)) {
          const ref = a.outputRef ? insideDataDir(options.dataDir, a.outputRef) : null;
          artifacts.push({
            kind: 'output' as const,
            taskId: a.taskId,
            attempt: a.n,
            name: `${a.taskId} #${a.n} output`,
            bytes: ref ? await fileSize(ref) : Buffer.byteLength(JSON.stringify(a.output)),
            url: `${base}/tasks/${t}/attempts/${a.n}/output`,
          });
        }
        const log = insideDataDir(options.dataDir, storedLogPath(a));
        const bytes = log ? await fileSize(log) : null;
        if (bytes !== null) artifacts.push({ kind: 'log' as const, taskId: a.taskId, attempt: a.n, name: `${a.taskId} #${a.n} log`, bytes, url: `${base}/logs?taskId=${t}&attempt=${a.n}&offset=0` });
      }
      return { artifacts };
    });
  };
}
