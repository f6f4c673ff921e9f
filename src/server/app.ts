/**
 * `createServer()`: the REST API, event streams, probes, metrics, OpenAPI and the dashboard over an
 * engine, as a Fastify app. Creating it opens no socket; `listen()` does, and refuses to listen
 * beyond loopback without a token.
 */
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { TuttiError } from '../core/errors.js';
import { MemoryPlane } from '../memory/memory-plane.js';
import { createTokenCheck, isLoopbackHost } from './auth.js';
import { registerJsonBodyParser } from './body.js';
import type { ServerContext } from './context.js';
import { HttpError, toHttpError } from './errors.js';
import { registerGuard } from './guard.js';
import { createMetrics } from './metrics.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { REDACTED, redactUrl } from './redact.js';
import { agentsRoutes } from './routes/agents.js';
import { attemptsReviewRoutes } from './routes/attempts-review.js';
import { approvalRoutes } from './routes/approvals.js';
import { healthRoutes, metricsRoutes } from './routes/health.js';
import { memoryRoutes } from './routes/memory.js';
import { orchestratorRoutes } from './routes/orchestrator.js';
import { runFilesRoutes } from './routes/run-files.js';
import { runsRoutes } from './routes/runs.js';
import { streamRoutes } from './routes/streams.js';
import { createEngineOrchestratorBackend } from './seed/orchestrator-backend.js';
import { StreamHub } from './sse.js';
import { registerDashboard } from './static.js';

/** Where a server listens. */
export interface ListenOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 4870 */
  port?: number;
}

export interface TuttiServer {
  /** The Fastify instance (for `inject()` in tests, or more routes). */
  readonly app: FastifyInstance;
  /**
   * Starts listening. @returns the base URL.
   * @throws TuttiError `ERR_INVALID_OPTIONS` when the host is not loopback and no token is set.
   */
  listen(options?: ListenOptions): Promise<{ url: string; host: string; port: number }>;
  /** Ends the event streams and closes the server. The engine keeps running. */
  close(): Promise<void>;
}

/** The default port of `tutti serve`. */
export const DEFAULT_PORT = 4870;

/**
 * Creates the server. It registers listeners on the engine (metrics, streams) until `close()`.
 * @example
 * const engine = createEngine({ dataDir });
 * await engine.start();
 * const server = createServer({ engine, dataDir, token: process.env.TUTTI_API_TOKEN });
 * const { url } = await server.listen({ port: 4870 });
 * @throws TuttiError `ERR_INVALID_OPTIONS`
 */
export function createServer(options: ServerOptions): TuttiServer {
  const opts = resolveServerOptions(options);
  const { engine } = opts;
  const secrets = opts.token ? [opts.token] : [];
  const app = Fastify({
    // Request logs are diagnostics: on stderr, like the CLI's other messages (stdout stays for data).
    logger: opts.logger
      ? {
          level: opts.logger === true ? 'info' : opts.logger,
          stream: process.stderr,
          redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'req.headers["x-api-key"]'], censor: REDACTED },
          serializers: {
            req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url, secrets), remoteAddress: req.ip }),
          },
        }
      : false,
    bodyLimit: opts.bodyLimitBytes,
    return503OnClosing: true,
    forceCloseConnections: true,
    routerOptions: { maxParamLength: 512 },
    // Malformed URLs (bad percent-encoding) get the same JSON 400 as every other bad input.
    frameworkErrors: (err, _req, reply) => {
      const { status, body } = toHttpError(err);
      void (reply as unknown as FastifyReply).code(status).send(body);
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Response schemas document the API; responses are built from typed values and sent as they are.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  const metrics = createMetrics(engine);
  const hub = new StreamHub(
    { heartbeatMs: opts.sseHeartbeatMs, pollMs: opts.ssePollMs, secrets },
    (listener) => engine.on('attempt:output', listener),
    (e) => app.log.error({ err: e }, 'event stream failed'),
  );
  // A plane of our own is created on the first search and closed with the server; a given one is the caller's.
  let ownMemory: MemoryPlane | null = null;
  const memory = () => opts.memory ?? (ownMemory ??= new MemoryPlane({ store: engine.store, onError: (e) => app.log.warn({ err: e }, 'memory index upkeep failed') }));
  const ctx: ServerContext = { engine, options: opts, hub, metrics, orchestrator: opts.orchestrator ?? createEngineOrchestratorBackend(engine), memory, secrets };
  const offEvent = engine.on('event', (e) => {
    metrics.observe(e);
    hub.notify(e);
  });
  metrics.streams.set(0);

  app.setErrorHandler((err, req, reply) => {
    const { status, body, internal } = toHttpError(err);
    if (internal) req.log.error({ err }, 'request failed');
    if (status === 401) void reply.header('www-authenticate', 'Bearer realm="tutti"');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ error: { code: 'ERR_ROUTE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]!.slice(0, 200)}` } }),
  );

  registerJsonBodyParser(app);
  // Host, origin and content-type checks on every request, before its body is read.
  registerGuard(app, {
    checkHost: !opts.token,
    corsOrigins: opts.corsOrigins,
    port: () => {
      const addr = app.server.listening ? app.server.address() : null;
      return typeof addr === 'object' && addr ? addr.port : null;
    },
  });

  app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'tutti API', version: '1', description: 'Runs, tasks, attempts, agents, events (SSE), probes and metrics of a tutti server. See docs/api.md.' },
      components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'The server’s TUTTI_API_TOKEN.' } } },
    },
    transform: jsonSchemaTransform,
  });
  app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.register(async (pub) => {
    pub.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    await pub.register(healthRoutes(ctx));
  });

  // Everything below needs the token (when one is set): the API, the streams and /metrics.
  app.register(async (api) => {
    if (opts.token) {
      const check = createTokenCheck(opts.token);
      api.addHook('onRequest', async (req) => {
        if (!check(req.headers.authorization)) throw new HttpError(401, 'ERR_UNAUTHORIZED', 'missing or wrong bearer token: send Authorization: Bearer <TUTTI_API_TOKEN>');
      });
    }
    await api.register(metricsRoutes(ctx));
    await api.register(runsRoutes(ctx), { prefix: '/api/v1' });
    await api.register(runFilesRoutes(ctx), { prefix: '/api/v1' });
    await api.register(approvalRoutes(ctx), { prefix: '/api/v1' });
    await api.register(agentsRoutes(ctx), { prefix: '/api/v1' });
    await api.register(streamRoutes(ctx), { prefix: '/api/v1' });
    await api.register(memoryRoutes(ctx), { prefix: '/api/v1' });
    await api.register(attemptsReviewRoutes(ctx), { prefix: '/api/v1' });
    await api.register(orchestratorRoutes(ctx), { prefix: '/api/orchestrator' });
  });

  if (opts.webDir) registerDashboard(app, opts.webDir);

  const streamGauge = setInterval(() => metrics.streams.set(hub.size), 1000);
  streamGauge.unref();
  app.addHook('preClose', async () => {
    clearInterval(streamGauge);
    offEvent();
    hub.closeAll();
    await ownMemory?.close();
  });

  return {
    app,
    async listen(listen = {}) {
      const host = listen.host ?? '127.0.0.1';
      if (!opts.token && !isLoopbackHost(host)) {
        throw new TuttiError('ERR_INVALID_OPTIONS', `refusing to listen on ${host} without an API token: set TUTTI_API_TOKEN (at least 16 characters) or listen on 127.0.0.1`);
      }
      await app.listen({ host, port: listen.port ?? DEFAULT_PORT });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : (listen.port ?? DEFAULT_PORT);
      const shown = host.includes(':') ? `[${host}]` : host;
      return { url: `http://${shown}:${port}`, host, port };
    },
    async close() {
      await app.close();
    },
  };
}
