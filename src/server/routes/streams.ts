/**
 * Server-Sent Events: `/api/v1/runs/{runId}/events/stream` (id = the run's sequence number) and
 * `/api/v1/events/stream` (every run, id = the global event id). Both resume after
 * `Last-Event-ID` (or `?after=`); without either, the run stream starts at the run's first event
 * and the all-runs stream at the next event committed.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { HttpError } from '../errors.js';
import { lastEventIdSchema, runParams, streamQuery } from '../schemas/requests.js';
import { errorResponse } from '../schemas/responses.js';
import type { StreamSource } from '../sse.js';
import { assertRunExists } from './runs.js';

const tags = ['events'];
const security = [{ bearerAuth: [] }];
const sseResponse = z.string().describe('text/event-stream: `id: <cursor>` + `data: <event JSON>` per event; `event: output` lines carry live attempt output (no id).');

function cursorFrom(header: string | string[] | undefined, after: number | undefined): number | undefined {
  if (header === undefined) return after;
  const r = lastEventIdSchema.safeParse(Array.isArray(header) ? header[0] : header);
  if (!r.success) throw new HttpError(400, 'ERR_INVALID_INPUT', 'Last-Event-ID must be a whole number', { issues: [{ path: 'headers.last-event-id', message: 'must be a whole number' }] });
  return r.data;
}

function typesOf(types: string | undefined): string[] {
  return (types ?? '').split(',').map((t) => t.trim().replace(/\*$/, '')).filter(Boolean);
}

export function streamRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, hub, options } = ctx;
  // The newest committed event id, found once (the Store has no "last id" query) by a galloping
  // then binary search on "is there an event after x" — monotonic in x, so about 2·log2(head)
  // one-row queries — and kept current by the live events this process commits (the hub sees them all).
  let head: Promise<number> | null = null;
  const headId = async (): Promise<number> => {
    head ??= (async () => {
      // limit 16, not 1: the SQLite store applies the limit to its rows (up to 1000 events each),
      // and the row holding x may have no event after x although later rows do.
      const after = async (x: number) => (await engine.store.listAllEvents({ afterId: x, limit: 16 })).length > 0;
      if (!(await after(0))) return 0;
      let lo = 0; // an event exists after lo
      let hi = 1;
      while (await after(hi)) {
        lo = hi;
        hi *= 2;
      }
      // Invariant: events after lo, none after hi. The head is the smallest x with none after it.
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (await after(mid)) lo = mid;
        else hi = mid;
      }
      return hi;
    })();
    head.catch(() => (head = null));
    return Math.max(await head, hub.lastEventId);
  };
  const tooMany = () => new HttpError(503, 'ERR_TOO_MANY_STREAMS', `this server already serves ${options.maxStreams} event streams; retry later`);
  return async (app) => {
    app.get('/runs/:runId/events/stream', {
      exposeHeadRoute: false,
      schema: {
        tags,
        security,
        summary: 'Live events of one run (SSE)',
        description: 'Replays the run’s events after `Last-Event-ID` (default: from its first event), then streams new ones as they commit.',
        params: runParams,
        querystring: streamQuery,
        response: { 200: sseResponse, 400: errorResponse, 404: errorResponse, 503: errorResponse },
      },
    }, async (req, reply) => {
      const { runId } = req.params;
      const cursor = cursorFrom(req.headers['last-event-id'], req.query.after) ?? 0;
      await assertRunExists(ctx, runId);
      if (hub.size >= options.maxStreams) throw tooMany();
      const source: StreamSource = {
        read: (after, limit) => engine.listEvents(runId, { afterSeq: after, limit }),
        cursorOf: (e) => e.seq,
        wakesOn: (e) => e.runId === runId,
        outputRunId: runId,
        types: typesOf(req.query.types),
      };
      reply.hijack();
      hub.open(reply.raw, source, cursor);
    });

    app.get('/events/stream', {
      exposeHeadRoute: false,
      schema: {
        tags,
        security,
        summary: 'Live events of every run (SSE)',
        description: 'Streams events as they commit; with `Last-Event-ID` (a global event id) it first replays what followed it. `types=run:` keeps run-level events only.',
        querystring: streamQuery,
        response: { 200: sseResponse, 400: errorResponse, 503: errorResponse },
      },
    }, async (req, reply) => {
      const given = cursorFrom(req.headers['last-event-id'], req.query.after);
      if (hub.size >= options.maxStreams) throw tooMany();
      const cursor = given ?? (await headId());
      const source: StreamSource = {
        read: (after, limit) => engine.store.listAllEvents({ afterId: after, limit }),
        cursorOf: (e) => e.id,
        wakesOn: () => true,
        outputRunId: null,
        types: typesOf(req.query.types),
      };
      reply.hijack();
      hub.open(reply.raw, source, cursor);
    });
  };
}
