/**
 * zod schemas of every path parameter, query and body the API accepts. Validation failures
 * become 400 `ERR_INVALID_INPUT` with one entry per bad field (see `errors.ts`).
 */
import { z } from 'zod';
import { AGENT_STATUSES } from '../../agents/types.js';
import { RUN_STATUSES, type RunStatus } from '../../core/model.js';
import { agentInputSchema, ID_PATTERN, planSchema } from '../../core/plan/schema.js';

/** Largest page of a list, items. */
export const MAX_PAGE = 500;

const idMessage = 'ids start with a letter or digit and use only letters, digits, . _ : - (at most 128 characters)';
/** Run, task and agent ids. */
export const idSchema = z.string().regex(ID_PATTERN, idMessage);

/** A non-negative integer given as a query string. */
const queryInt = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,15}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const runParams = z.strictObject({ runId: idSchema });
export const taskParams = z.strictObject({ runId: idSchema, taskId: idSchema });
export const attemptParams = z.strictObject({ runId: idSchema, taskId: idSchema, n: queryInt(1, 1_000_000) });
export const agentParams = z.strictObject({ agentId: idSchema });

/** `status=running,failed` or `status=running&status=failed`. */
const statusList = z
  .union([z.string().max(500), z.array(z.string().max(100)).max(20)])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.enum(RUN_STATUSES)).max(RUN_STATUSES.length * 2))
  .transform((v) => [...new Set(v)] as RunStatus[]);

export const listRunsQuery = z.object({
  status: statusList.optional().describe(`Only runs in these statuses (${RUN_STATUSES.join(', ')}); comma-separated or repeated.`),
  limit: queryInt(1, MAX_PAGE).default(50).describe(`Page size, 1–${MAX_PAGE}. Default 50.`),
  cursor: idSchema.optional().describe('The `nextCursor` of the previous page: runs created before this run id.'),
});

export const eventsQuery = z.object({
  after: queryInt(0, Number.MAX_SAFE_INTEGER).default(0).describe('Events with a sequence number above this (the previous page’s `nextCursor`).'),
  limit: queryInt(1, 1000).default(200).describe('Page size, 1–1000. Default 200.'),
});

export const attemptsQuery = z.object({ taskId: idSchema.optional().describe('Only this task’s attempts.') });

export const logsQuery = z.object({
  taskId: idSchema.optional().describe('Only this task’s logs.'),
  attempt: queryInt(1, 1_000_000).optional().describe('Only this attempt (with taskId). Default: every attempt.'),
  offset: queryInt(0, Number.MAX_SAFE_INTEGER).optional().describe('Read from this byte offset (a previous `nextOffset`) instead of the tail.'),
  tail: queryInt(1, 64 * 1024 * 1024).optional().describe('Bytes from the end of each log when no offset is given. Default 16384.'),
});

export const streamQuery = z.object({
  after: queryInt(0, Number.MAX_SAFE_INTEGER).optional().describe('Resume after this event id (same as the Last-Event-ID header, which wins).'),
  types: z
    .string()
    .max(500)
    .regex(/^[a-z:_,*]*$/, 'comma-separated event types or prefixes such as run:,task:succeeded')
    .optional()
    .describe('Only events whose type starts with one of these comma-separated prefixes (`run:` for run-level events).'),
});

export const memorySearchQuery = z.object({
  q: z.string().trim().min(1, 'the query is empty').max(10_000).describe('What to look for (natural language or keywords).'),
  runId: idSchema.optional().describe('Only this run’s memories. Default: every memory (global scope).'),
  topK: queryInt(1, 100).default(10).describe('Results at most, 1–100. Default 10.'),
});

export const createRunBody = z.strictObject({
  plan: planSchema,
  runId: idSchema.optional().describe('Id of the new run. Default: a generated, time-sortable id.'),
  idempotencyKey: z.string().min(1).max(200).optional().describe('A second request with the same key returns the first run.'),
  metadata: z.record(z.string(), z.unknown()).optional().describe('Merged over the plan’s metadata.'),
});

/** `{}` when there is no reason: every mutating route takes a JSON body (see guard.ts). */
export const cancelBody = z.strictObject({ reason: z.string().min(1).max(1000).optional() });

export const registerAgentsBody = z.union([agentInputSchema, z.array(agentInputSchema).min(1).max(1000)]);
export const updateAgentBody = agentInputSchema.omit({ id: true });
export const patchAgentBody = z.strictObject({ status: z.enum(AGENT_STATUSES) });

/** The `Last-Event-ID` header: a non-negative integer. */
export const lastEventIdSchema = z.string().regex(/^\d{1,15}$/, 'Last-Event-ID must be a whole number').transform(Number);
