/**
 * The farm's snapshot (seed 002 state persistence): what `getState()` returns and
 * `restoreState()` accepts, in the reference's shape (`activeTasks` and `agentStatus` as maps,
 * `pendingResults`) and still JSON-serialisable (the maps serialise as objects), validated with
 * one zod schema at that boundary. tutti's first snapshot format (`queued`, `results`) is read too.
 */
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import { ID_PATTERN } from '../../core/plan/schema.js';
import { MAX_TASK_TYPE_LENGTH } from './task.js';
import type { AgentStatus, FarmAgent, FarmResult, FarmTask } from './types.js';

/** A `Map` that `JSON.stringify` writes as an object (key → value), so a snapshot survives a text file. */
export class JsonMap<V> extends Map<string, V> {
  toJSON(): Record<string, V> {
    return Object.fromEntries(this);
  }
}

/** A snapshot of an orchestrator (the reference's `OrchestrationState`, plus tutti's fields). */
export interface FarmState {
  /** Tasks without a result yet, by id: queued ones and those running when the snapshot was taken (a restored orchestrator executes those again). */
  activeTasks: JsonMap<FarmTask>;
  /** The latest status of each agent, by agent id. */
  agentStatus: JsonMap<AgentStatus>;
  /** Every result so far, oldest first. */
  pendingResults: FarmResult[];
  /** The engine run of the batch executing when the snapshot was taken, if any. */
  batchId?: string;
  /** tutti: snapshot format. */
  version: 2;
  /** tutti: ISO-8601. */
  savedAt: string;
  /** tutti: the dispatcher's agents (loads as seen at the snapshot). */
  agents: FarmAgent[];
}

/** The reference's name of {@link FarmState}. */
export type OrchestrationState = FarmState;

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 time');
const date = z.union([z.date(), iso.transform((s) => new Date(s))]);

const taskSchema = z
  .object({
    taskId: z.string().regex(ID_PATTERN),
    type: z.string().min(1).max(MAX_TASK_TYPE_LENGTH),
    description: z.string().min(1).optional(),
    title: z.string().min(1).optional(),
    successCriteria: z.string().optional(),
    acceptance: z.string().optional(),
    context: z.array(z.string()).default([]),
    constraints: z.array(z.string()).default([]),
    priority: z.enum(['high', 'normal', 'low']).nullish(),
    timeout: z.number().int().positive().nullish(),
    createdAt: iso.optional(),
  })
  .strict()
  .refine((t) => t.description !== undefined || t.title !== undefined, { message: 'a task needs a description (or title)' })
  .transform((t): FarmTask => {
    const description = (t.description ?? t.title)!;
    const criteria = t.successCriteria ?? t.acceptance ?? '';
    return {
      taskId: t.taskId,
      type: t.type,
      description,
      successCriteria: criteria,
      context: t.context,
      constraints: t.constraints,
      priority: t.priority ?? 'normal',
      ...(t.timeout ? { timeout: t.timeout } : {}),
      title: description,
      acceptance: criteria,
      createdAt: t.createdAt ?? new Date().toISOString(),
    };
  });

function zodMessage(prefix: string, error: z.ZodError): string {
  return `${prefix}: ${error.issues
    .slice(0, 5)
    .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
    .join('; ')}`;
}

/**
 * Validates a farm task coming from outside the type system (a snapshot, a JavaScript caller),
 * written with the reference's fields or tutti's.
 * @throws TuttiError `ERR_INVALID_INPUT` naming the bad or unknown fields.
 */
export function parseFarmTask(input: unknown): FarmTask {
  const r = taskSchema.safeParse(input);
  if (r.success) return r.data;
  throw new TuttiError('ERR_INVALID_INPUT', zodMessage('invalid farm task', r.error));
}

const resultSchema = z
  .object({
    taskId: z.string(),
    agentId: z.string().nullable().default('unknown'),
    status: z.enum(['success', 'failure', 'blocked']),
    output: z.string().default(''),
    artifacts: z.array(z.string()).optional(),
    issues: z.array(z.string()).optional(),
    duration: z.number().min(0).optional(),
    startedAt: iso.nullable().default(null),
    completedAt: iso.optional(),
    durationMs: z.number().min(0).optional(),
    error: z.string().optional(),
    runId: z.string().optional(),
  })
  .strict()
  .transform((r): FarmResult => {
    const ms = r.durationMs ?? r.duration ?? 0;
    return {
      taskId: r.taskId,
      agentId: r.agentId ?? 'unknown',
      status: r.status,
      output: r.output,
      ...(r.artifacts ? { artifacts: r.artifacts } : {}),
      ...(r.issues ? { issues: r.issues } : {}),
      duration: ms,
      startedAt: r.startedAt,
      completedAt: r.completedAt ?? new Date().toISOString(),
      durationMs: ms,
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.runId !== undefined ? { runId: r.runId } : {}),
    };
  });

const agentSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  name: z.string().min(1),
  capabilities: z.array(z.string()),
  maxConcurrent: z.number().int().positive(),
  currentLoad: z.number().int().min(0).default(0),
});

const statusSchema = z
  .object({
    agentId: z.string(),
    taskId: z.string(),
    status: z.enum(['queued', 'running', 'complete', 'failed']),
    startTime: date,
    endTime: date.optional(),
    outputFile: z.string(),
    progress: z.number().min(0).max(100).optional(),
  })
  .strict()
  .transform((s): AgentStatus => ({ ...s, ...(s.endTime === undefined ? {} : { endTime: s.endTime }) }) as AgentStatus);

/** A map as a `Map`, a plain object (its JSON form) or a list of entries. */
function keyed<T extends z.ZodType>(value: T) {
  return z.preprocess((v) => (v instanceof Map ? Object.fromEntries(v) : Array.isArray(v) ? Object.fromEntries(v as Array<[string, unknown]>) : v), z.record(z.string(), value));
}

const stateSchema = z
  .object({
    activeTasks: keyed(taskSchema).optional(),
    agentStatus: keyed(statusSchema).optional(),
    pendingResults: z.array(resultSchema).optional(),
    batchId: z.string().optional(),
    version: z.union([z.literal(1), z.literal(2)]).optional(),
    savedAt: iso.optional(),
    agents: z.array(agentSchema).optional(),
    /** tutti's first format. */
    queued: z.array(taskSchema).optional(),
    results: z.array(resultSchema).optional(),
  })
  .strict();

/** A validated snapshot; `agents` absent means "keep the orchestrator's agents". */
export interface ParsedFarmState {
  tasks: FarmTask[];
  results: FarmResult[];
  agentStatus: Map<string, AgentStatus>;
  agents?: FarmAgent[];
}

/**
 * Validates a snapshot: `getState()`'s object, its JSON form parsed back, or tutti's first
 * format (`queued`, `results`).
 * @throws TuttiError `ERR_INVALID_INPUT` naming the bad or unknown fields.
 */
export function parseFarmState(input: unknown): ParsedFarmState {
  const r = stateSchema.safeParse(input);
  if (!r.success) throw new TuttiError('ERR_INVALID_INPUT', zodMessage('invalid farm state', r.error));
  const s = r.data;
  const tasks = [...Object.values(s.activeTasks ?? {}), ...(s.queued ?? [])];
  const out: ParsedFarmState = { tasks, results: [...(s.pendingResults ?? []), ...(s.results ?? [])], agentStatus: new Map(Object.entries(s.agentStatus ?? {})) };
  if (s.agents) out.agents = s.agents;
  return out;
}
