/**
 * Server options: all optional but the engine and its data dir, with documented defaults,
 * resolved once by one zod schema (the engine's `resolveEngineOptions` pattern).
 */
import { z } from 'zod';
import type { Engine } from '../core/engine.js';
import { TuttiError } from '../core/errors.js';
import type { MemoryPlane } from '../memory/memory-plane.js';
import { normaliseOrigin } from './guard.js';
import type { OrchestratorBackend } from './seed/orchestrator-backend.js';

export interface ServerOptions {
  /** The engine the API drives. The server neither starts nor stops it. */
  engine: Engine;
  /** The engine's data dir (attempt logs and output blobs are read from it). */
  dataDir: string;
  /**
   * Bearer token every `/api` request, `/metrics` and the event streams must carry. Required to
   * listen beyond loopback. `/healthz`, `/readyz`, `/openapi.json`, `/docs` and the dashboard's
   * static files stay public (they hold no run data). @default null (no authentication)
   */
  token?: string | null;
  /** Directory of the built dashboard (`web/dist`); null serves no dashboard. @default null */
  webDir?: string | null;
  /**
   * Origins (`https://ops.example.com`) whose pages may call the API cross-site: they pass the
   * origin check of mutating routes and get CORS answers (preflights included). A token is still
   * needed when one is set. @default [] (same-origin only: the dashboard served by this server)
   */
  corsOrigins?: readonly string[];
  /** Largest request body of a run creation (a plan), bytes. @default 16777216 (16 MiB) */
  planBodyLimitBytes?: number;
  /** Largest request body of every other route, bytes. @default 262144 (256 KiB) */
  bodyLimitBytes?: number;
  /** Comment line sent on idle event streams to keep proxies from closing them, ms. @default 15000 */
  sseHeartbeatMs?: number;
  /** How often event streams look for events written by other processes, ms. @default 1000 */
  ssePollMs?: number;
  /** Most event streams open at once; more are refused with 503. @default 1000 */
  maxStreams?: number;
  /** Bytes of an attempt log returned per request. @default 1048576 (1 MiB) */
  maxLogChunkBytes?: number;
  /**
   * Request logging: false (none), true (pino at `info` on stderr), or a pino level.
   * Authorization headers, cookies and secret-looking values are redacted. @default false
   */
  logger?: boolean | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** What backs the seed 003 routes (`/api/orchestrator/*`). @default the engine-backed mapping */
  orchestrator?: OrchestratorBackend;
  /**
   * The memory plane `GET /api/v1/memory/search` reads. Its embedder must be the one the memories
   * were written with (else the search answers 400 `ERR_EMBEDDING_MISMATCH`).
   * @default a plane over the engine's store with the bundled local embedder, created on the
   * first search and closed with the server
   */
  memory?: MemoryPlane;
}

const schema = z.strictObject({
  dataDir: z.string().min(1),
  token: z.string().min(16, 'the API token must be at least 16 characters').max(4096).nullable().default(null),
  webDir: z.string().min(1).nullable().default(null),
  corsOrigins: z
    .array(
      z
        .string()
        .max(300)
        .transform((o, ctx) => {
          const n = normaliseOrigin(o);
          if (n === null) ctx.addIssue({ code: 'custom', message: `'${o.slice(0, 100)}' is not an origin (scheme://host[:port], http or https, no path)` });
          return n ?? '';
        }),
    )
    .max(100)
    .default([]),
  planBodyLimitBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(16 * 1024 * 1024),
  bodyLimitBytes: z.number().int().min(1024).max(1024 * 1024 * 1024).default(256 * 1024),
  sseHeartbeatMs: z.number().int().min(10).max(3_600_000).default(15_000),
  ssePollMs: z.number().int().min(10).max(600_000).default(1000),
  maxStreams: z.number().int().min(1).max(1_000_000).default(1000),
  maxLogChunkBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024),
  logger: z.union([z.boolean(), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace'])]).default(false),
});

export type ResolvedServerOptions = z.output<typeof schema> & { engine: Engine; orchestrator: OrchestratorBackend | undefined; memory: MemoryPlane | undefined };

/** @throws TuttiError `ERR_INVALID_OPTIONS` naming each bad field. */
export function resolveServerOptions(options: ServerOptions): ResolvedServerOptions {
  const { engine, orchestrator, memory, ...rest } = options;
  if (!engine || typeof engine.getRun !== 'function') throw new TuttiError('ERR_INVALID_OPTIONS', 'invalid server options: engine is required');
  const r = schema.safeParse(Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)));
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ');
    throw new TuttiError('ERR_INVALID_OPTIONS', `invalid server options: ${msg}`);
  }
  return { ...r.data, engine, orchestrator, memory };
}
