/**
 * What keeps a browser from driving the API (docs/api.md, "Threat model"):
 *
 * - **Host** (only without a token, i.e. on loopback): the `Host` header must name a loopback
 *   host (`localhost`, `127.0.0.0/8`, `[::1]`) with the port the server listens on. A page whose
 *   DNS name was rebound to 127.0.0.1 sends its own name and answers 421 `ERR_MISDIRECTED_REQUEST`.
 * - **Origin** (always, on mutating methods): an `Origin` that is not the server's own and not an
 *   allowed CORS origin, or `Sec-Fetch-Site: cross-site|same-site` without an allowed `Origin`,
 *   answers 403 `ERR_CROSS_SITE_REQUEST`.
 * - **Content type** (always, on POST, PUT and PATCH): `Content-Type: application/json` is
 *   required (415 `ERR_UNSUPPORTED_MEDIA_TYPE`), so a cross-site form or a `no-cors` fetch —
 *   which can only send `text/plain`, form types or none — never reaches a route.
 * - **CORS**: origins given in `corsOrigins` (`--cors-origin`) get CORS answers, preflights included.
 *
 * Every check runs in `onRequest`, before the body is read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLoopbackHost } from './auth.js';
import { HttpError } from './errors.js';

/** Methods that change state. DELETE carries no body: browsers never send it cross-site without a CORS preflight. */
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

export interface GuardOptions {
  /** Check the Host header (the server has no token). */
  checkHost: boolean;
  /** Origins allowed cross-site (`scheme://host[:port]`, normalised). */
  corsOrigins: readonly string[];
  /** The port the server listens on; null before `listen()` (then any port is accepted). */
  port(): number | null;
}

/** `Host` split into a lowercase name and a port (null when absent); null when malformed. */
export function parseHostHeader(host: string | undefined): { name: string; port: number | null } | null {
  if (!host || host.length > 300) return null;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(host.trim());
  if (!m) return null;
  const port = m[2] === undefined ? null : Number(m[2]);
  if (port !== null && port > 65_535) return null;
  return { name: m[1]!.toLowerCase(), port };
}

/**
 * Normalises an origin (`scheme://host[:port]`, default ports dropped, lowercase) or returns null
 * when it is not one (`null`, a path, another scheme).
 */
export function normaliseOrigin(origin: string): string | null {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return null;
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) return null;
  if (!/^[a-z]+:\/\/[^/]+\/?$/i.test(origin.trim())) return null;
  return u.origin.toLowerCase();
}

function requestOrigin(req: FastifyRequest): string | null {
  const host = req.headers.host;
  return host ? normaliseOrigin(`${req.protocol}://${host}`) : null;
}

/** Why the Host header is refused (only checked without a token), or null. */
function checkHost(req: FastifyRequest, opts: GuardOptions): HttpError | null {
  if (!opts.checkHost) return null;
  const host = parseHostHeader(req.headers.host);
  const listening = opts.port();
  // Without a port the Host means the scheme's default one.
  const port = host?.port ?? (host ? 80 : null);
  if (host && isLoopbackHost(host.name) && (listening === null || port === listening)) return null;
  return new HttpError(
    421,
    'ERR_MISDIRECTED_REQUEST',
    `refusing Host '${String(req.headers.host ?? '').slice(0, 100)}': without an API token this server answers only requests for a loopback host (localhost, 127.0.0.1, [::1])${listening !== null ? ` on port ${listening}` : ''}; set TUTTI_API_TOKEN to serve other names`,
  );
}

/** Why a request is refused (Host, then Origin, then content type), or null. */
export function checkRequest(req: FastifyRequest, opts: GuardOptions): HttpError | null {
  const host = checkHost(req, opts);
  if (host) return host;
  if (!MUTATING.has(req.method)) return null;
  const origin = req.headers.origin;
  const fetchSite = req.headers['sec-fetch-site'];
  if (origin !== undefined) {
    const given = normaliseOrigin(String(origin));
    const allowed = given !== null && (given === requestOrigin(req) || opts.corsOrigins.includes(given));
    if (!allowed) return crossSite(`Origin '${String(origin).slice(0, 100)}'`);
  } else if (fetchSite === 'cross-site' || fetchSite === 'same-site') {
    return crossSite(`Sec-Fetch-Site: ${fetchSite}`);
  }
  if (WITH_BODY.has(req.method) && !isJsonContentType(req.headers['content-type'])) {
    return new HttpError(415, 'ERR_UNSUPPORTED_MEDIA_TYPE', `${req.method} needs Content-Type: application/json (send {} when there is nothing to say)`);
  }
  return null;
}

function crossSite(what: string): HttpError {
  return new HttpError(403, 'ERR_CROSS_SITE_REQUEST', `refusing a cross-site request (${what}): start the server with --cors-origin <origin> to allow another origin`);
}

/** `application/json`, with or without parameters (`; charset=utf-8`). */
export function isJsonContentType(value: string | undefined): boolean {
  if (typeof value !== 'string') return false;
  return value.split(';')[0]!.trim().toLowerCase() === 'application/json';
}

const CORS_HEADERS = 'authorization, content-type, last-event-id';
const CORS_METHODS = 'GET, POST, PUT, PATCH, DELETE';

function corsHeaders(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin);
  void reply.header('vary', 'Origin');
}

/** Registers the checks and the CORS answers on the root instance (before every route). */
export function registerGuard(app: FastifyInstance, opts: GuardOptions): void {
  app.addHook('onRequest', async (req, reply) => {
    const origin = typeof req.headers.origin === 'string' ? normaliseOrigin(req.headers.origin) : null;
    const cors = origin !== null && opts.corsOrigins.includes(origin) ? origin : null;
    // A preflight from an allowed origin: answered here (the routes have no OPTIONS handlers).
    if (req.method === 'OPTIONS' && cors && req.headers['access-control-request-method']) {
      const hostRefusal = checkHost(req, opts);
      if (hostRefusal) throw hostRefusal;
      corsHeaders(reply, cors);
      void reply.header('access-control-allow-methods', CORS_METHODS);
      void reply.header('access-control-allow-headers', CORS_HEADERS);
      void reply.header('access-control-max-age', '600');
      return reply.code(204).send();
    }
    const refusal = checkRequest(req, opts);
    if (refusal) throw refusal;
    if (cors) corsHeaders(reply, cors);
    return undefined;
  });
}
