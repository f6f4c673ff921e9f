/**
 * The dashboard: the built single-page app (`web/dist`) served at `/`. Its hashed assets are
 * cached for a year; `index.html` is always revalidated. When the directory has no build, `/`
 * says how to build it instead of answering 404.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

export function registerDashboard(app: FastifyInstance, webDir: string): void {
  const root = resolve(webDir);
  if (!existsSync(join(root, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_req, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send(`The dashboard is not built (no ${join(root, 'index.html')}). Build it with: npm run build:web\nThe API is at /api/v1, its documentation at /docs.\n`),
    );
    return;
  }
  app.register(fastifyStatic, {
    root,
    prefix: '/',
    index: ['index.html'],
    wildcard: true,
    schemaHide: true,
    cacheControl: false,
    setHeaders(res, path) {
      res.setHeader('cache-control', path.includes(`${join('/', 'assets', '/')}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
      res.setHeader('x-content-type-options', 'nosniff');
    },
  });
}
