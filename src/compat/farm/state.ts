/**
 * The farm's JSON snapshot (seed 002 state persistence): what `getState()` returns and
 * `restoreState()` accepts, validated with one zod schema at that boundary.
 */
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import { ID_PATTERN } from '../../core/plan/schema.js';
import { MAX_TASK_TYPE_LENGTH } from './task.js';
import type { FarmAgent, FarmResult, FarmTask } from './types.js';

/** A JSON-serialisable snapshot of an orchestrator. */
export interface FarmState {
  version: 1;
  /** ISO-8601. */
  savedAt: string;
  /**
   * Tasks without a result yet: queued ones and those running when the snapshot was taken (a
   * restored orchestrator executes those again: at-least-once, as the engine recovers attempts).
   */
  queued: FarmTask[];
  /** The latest result of each executed task. */
  results: FarmResult[];
  /** The dispatcher's agents (loads as seen at the snapshot). */
  agents: FarmAgent[];
}

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');

const taskSchema = z.object({
  taskId: z.string().regex(ID_PATTERN),
  type: z.string().min(1).max(MAX_TASK_TYPE_LENGTH),
  title: z.string().min(1),
  acceptance: z.string(),
  context: z.array(z.string()).default([]),
  priority: z.enum(['high', 'normal', 'low']).default('normal'),
  createdAt: iso,
});

/**
 * Validates a farm task coming from outside the type system (a snapshot, a JavaScript caller).
 * @throws TuttiError `ERR_INVALID_INPUT`
 */
export function parseFarmTask(input: unknown): FarmTask {
  const r = taskSchema.safeParse(input);
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.join('.') || '(task)'}: ${i.message}`).join('; ');
  throw new TuttiError('ERR_INVALID_INPUT', `invalid farm task: ${msg}`);
}

const resultSchema = z.object({
  taskId: z.string(),
  status: z.enum(['success', 'failure', 'blocked']),
  output: z.string().default(''),
  agentId: z.string().nullable().default(null),
  startedAt: iso.nullable().default(null),
  completedAt: iso,
  durationMs: z.number().min(0).default(0),
  error: z.string().optional(),
  runId: z.string().optional(),
});

const agentSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  name: z.string().min(1),
  capabilities: z.array(z.string()),
  maxConcurrent: z.number().int().positive(),
  currentLoad: z.number().int().min(0).default(0),
});

const stateSchema = z.object({
  version: z.literal(1).default(1),
  savedAt: iso.optional(),
  queued: z.array(taskSchema).default([]),
  results: z.array(resultSchema).default([]),
  agents: z.array(agentSchema).optional(),
});

/** A validated snapshot; `agents` absent means "keep the orchestrator's agents". */
export type ParsedFarmState = Omit<FarmState, 'agents' | 'savedAt'> & { agents?: FarmAgent[] };

/**
 * Validates a snapshot (for example parsed back from a file).
 * @throws TuttiError `ERR_INVALID_INPUT` naming the bad fields.
 */
export function parseFarmState(input: unknown): ParsedFarmState {
  const r = stateSchema.safeParse(input);
  if (!r.success) {
    const msg = r.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(state)'}: ${i.message}`)
      .join('; ');
    throw new TuttiError('ERR_INVALID_INPUT', `invalid farm state: ${msg}`);
  }
  const { version, queued, results, agents } = r.data;
  const out: ParsedFarmState = { version, queued, results: results.map(stripUndefined) };
  if (agents) out.agents = agents;
  return out;
}

function stripUndefined(r: z.output<typeof resultSchema>): FarmResult {
  const { error, runId, ...rest } = r;
  return { ...rest, ...(error !== undefined ? { error } : {}), ...(runId !== undefined ? { runId } : {}) };
}
