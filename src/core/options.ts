/**
 * Engine options: all optional with documented defaults, resolved once into `ResolvedEngineOptions`
 * (every field required, durations in ms), validated by one zod schema — as Temporal's
 * `compileWorkerOptions` does.
 */
import { z } from 'zod';
import { TuttiError } from './errors.js';
import { formatPath } from './plan/parse.js';
import type { AgentInput } from './plan/schema.js';

export interface EngineOptions {
  /** Directory attempts work in when a run sets none (task `cwd` is relative to it). Required by the core; `createEngine` defaults it to `process.cwd()`. */
  workDir?: string;
  /** Most attempts running at once in this engine; null: unlimited (agent and run limits still apply). @default null */
  concurrency?: number | null;
  /** Lease of a claimed attempt, ms; renewed by heartbeat. A crashed worker's attempts are re-claimed after it. @default 30000 */
  leaseMs?: number;
  /** Heartbeat interval, ms. @default leaseMs / 3 */
  heartbeatMs?: number;
  /** How often the engine looks for work and outside changes (new runs, cancels from other processes), ms. @default 500 */
  pollMs?: number;
  /** SIGTERM → SIGKILL grace when stopping a process group, ms. @default 5000 */
  killGraceMs?: number;
  /** Bytes of output kept per attempt log. @default 10485760 (10 MiB) */
  maxLogBytes?: number;
  /** Outputs larger than this (JSON bytes) are stored as blobs, referenced by hash. @default 16384 */
  maxInlineOutputBytes?: number;
  /** Most attempts started per store transaction. @default 1024 */
  maxClaimBatch?: number;
  /**
   * Which runs this engine executes: `all` unfinished runs in the store (a server, a worker, `tutti resume`),
   * or only those it created or was asked to resume (`tutti run`). @default 'all'
   */
  runScope?: 'all' | 'own';
  /** Worker identity in leases. @default `${host}:${pid}:${random}` */
  workerId?: string;
  /** Register the built-in `shell`, `function` and `test` agents when missing. @default true */
  builtinAgents?: boolean;
  /** Agents to register (upsert by id) on start. @default [] */
  agents?: AgentInput[];
}

const schema = z.strictObject({
  workDir: z.string().min(1),
  concurrency: z.number().int().positive().nullable().default(null),
  leaseMs: z.number().int().min(100).max(24 * 3600_000).default(30_000),
  heartbeatMs: z.number().int().min(10).optional(),
  pollMs: z.number().int().min(5).max(600_000).default(500),
  killGraceMs: z.number().int().min(0).max(600_000).default(5000),
  maxLogBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
  maxInlineOutputBytes: z.number().int().min(0).default(16 * 1024),
  maxClaimBatch: z.number().int().min(1).max(100_000).default(1024),
  runScope: z.enum(['all', 'own']).default('all'),
  workerId: z.string().min(1).max(200).optional(),
  builtinAgents: z.boolean().default(true),
  agents: z.array(z.unknown()).default([]),
});

export interface ResolvedEngineOptions {
  workDir: string;
  concurrency: number | null;
  leaseMs: number;
  heartbeatMs: number;
  pollMs: number;
  killGraceMs: number;
  maxLogBytes: number;
  maxInlineOutputBytes: number;
  maxClaimBatch: number;
  runScope: 'all' | 'own';
  workerId: string | undefined;
  builtinAgents: boolean;
  agents: AgentInput[];
}

/** @throws TuttiError `ERR_INVALID_OPTIONS` naming each bad field. */
export function resolveEngineOptions(options: EngineOptions): ResolvedEngineOptions {
  const r = schema.safeParse(options);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${formatPath(i.path) || '(options)'}: ${i.message}`).join('; ');
    throw new TuttiError('ERR_INVALID_OPTIONS', `invalid engine options: ${msg}`, { details: { issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) } });
  }
  const o = r.data;
  if (o.heartbeatMs !== undefined && o.heartbeatMs >= o.leaseMs) {
    throw new TuttiError('ERR_INVALID_OPTIONS', `invalid engine options: heartbeatMs (${o.heartbeatMs}) must be shorter than leaseMs (${o.leaseMs})`);
  }
  return { ...o, workerId: o.workerId, heartbeatMs: o.heartbeatMs ?? Math.max(10, Math.floor(o.leaseMs / 3)), agents: o.agents as AgentInput[] };
}
