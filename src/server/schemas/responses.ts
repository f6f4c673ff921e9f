/**
 * zod schemas of the JSON the API answers with. They document the responses in `/openapi.json`
 * (the server serialises with plain JSON.stringify) and the tests parse real responses with them,
 * so the documentation cannot drift from what is sent.
 */
import { z } from 'zod';
import { AGENT_STATUSES } from '../../agents/types.js';
import { ATTEMPT_STATUSES, RUN_STATUSES, TASK_STATUSES, type AttemptErrorKind } from '../../core/model.js';

const isoTime = z.string().describe('ISO-8601 time with milliseconds (UTC).');

export const errorResponse = z
  .object({
    error: z.object({
      code: z.string().describe('Stable error code, e.g. ERR_INVALID_INPUT, ERR_RUN_NOT_FOUND.'),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional().describe('For validation errors: `issues`, one `{ path, message }` per bad field.'),
    }),
  })
  .describe('Every error response.');

export const blockedReason = z
  .object({ kind: z.string().describe('dependencies, no_capable_agent, agent_capacity, concurrency_limit, retry_backoff, rate_limited, budget_exhausted, awaiting_approval, queued') })
  .catchall(z.unknown())
  .describe('Why an unfinished task is not running.');

export const runCounts = z.object({
  total: z.number().int(),
  pending: z.number().int(),
  ready: z.number().int(),
  running: z.number().int(),
  blocked: z.number().int(),
  awaitingApproval: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  skipped: z.number().int(),
  cancelled: z.number().int(),
});

export const runSummary = z.object({
  id: z.string(),
  name: z.string(),
  goal: z.string().nullable(),
  status: z.enum(RUN_STATUSES),
  priority: z.number().int(),
  createdAt: isoTime,
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  updatedAt: isoTime,
  progress: z.number().int().min(0).max(100).describe('Tasks that ended / total tasks, percent: how far, not how well (a failed run ends at 100; `counts` gives the outcome).'),
  error: z.string().nullable(),
  workDir: z.string().nullable(),
  metadata: z.record(z.string(), z.unknown()),
  counts: runCounts.describe("The run's tasks by their status (exact in lists and in the run view)."),
  interrupted: z
    .object({ reason: z.string(), hint: z.string().describe('`resume with: tutti resume`') })
    .nullable()
    .describe('Set when the status says queued or running but no live engine holds the run (stale worker heartbeats): run `tutti resume`.'),
});

/**
 * Every attempt error kind the engine records (ARCHITECTURE.md §7), `rejected` included (a gate a
 * person rejected). A Record over the type, so a kind added to the engine fails to compile here
 * until the API documents it.
 */
const ATTEMPT_ERROR_KIND_DOCS: Record<AttemptErrorKind, string> = {
  exit_code: 'the process exited non-zero',
  timeout: 'the attempt ran past its timeout',
  crashed: 'the process was killed by a signal, or the worker running it died',
  cancelled: 'the run or task was cancelled',
  spawn: 'the agent could not be started',
  not_installed: 'the agent CLI is not installed',
  auth: 'the agent is not logged in or its key is refused',
  rate_limited: 'the provider refused for quota or rate; retried after the reset',
  invalid_output: 'the output did not match the task’s schema',
  no_changes: 'a coding task changed no files',
  output_limit: 'the output exceeded the size limit',
  exception: 'the driver, or the service it calls, failed',
  non_retryable: 'a failure retrying cannot fix (e.g. a bad agent configuration)',
  rejected: 'a person rejected the approval gate (the feedback is the message)',
  validation_failed: 'the task’s validation commands failed (in its worktree, or on the result of merging its target)',
  merge_conflict: 'the task’s branch conflicts with its target branch (merge queue)',
  boundary_violation: 'the agent changed files outside its worktree (evidence in the attempt output)',
  budget_exhausted: 'the attempt was stopped by its budget (tutti’s, or the CLI’s own)',
};
export const ATTEMPT_ERROR_KINDS = Object.keys(ATTEMPT_ERROR_KIND_DOCS) as [AttemptErrorKind, ...AttemptErrorKind[]];

export const attemptError = z
  .object({
    kind: z.enum(ATTEMPT_ERROR_KINDS).describe(Object.entries(ATTEMPT_ERROR_KIND_DOCS).map(([k, v]) => `\`${k}\`: ${v}`).join('; ')),
    message: z.string(),
    retryable: z.boolean().optional(),
    retryAfterMs: z.number().optional().describe('Earliest next attempt, ms after the failure.'),
  })
  .describe('Why an attempt failed.');

export const attemptView = z.object({
  n: z.number().int(),
  agentId: z.string(),
  status: z.enum(ATTEMPT_STATUSES),
  startedAt: isoTime,
  finishedAt: isoTime.nullable(),
  exitCode: z.number().int().nullable(),
  error: attemptError.nullable(),
  summary: z.string().nullable(),
  output: z.unknown(),
  outputRef: z.string().nullable().describe('Set when the output was too large to keep inline; fetch it from …/attempts/{n}/output.'),
  usage: z.object({ inputTokens: z.number().optional(), cacheReadTokens: z.number().optional(), cacheWriteTokens: z.number().optional(), outputTokens: z.number().optional(), costUsd: z.number().optional() }).nullable(),
  logPath: z.string().nullable(),
  workerId: z.string(),
});

export const taskView = z.object({
  id: z.string(),
  title: z.string(),
  status: z.enum(TASK_STATUSES),
  dependsOn: z.array(z.string()),
  priority: z.number().int(),
  blockedReason: blockedReason.nullable(),
  startedAt: isoTime.nullable(),
  finishedAt: isoTime.nullable(),
  attempts: z.array(attemptView),
});

export const pendingApproval = z.object({
  taskId: z.string(),
  message: z.string(),
  since: isoTime.nullable().describe('When the gate started waiting.'),
  expiresAt: isoTime.nullable().describe('When the run expires if nobody decides.'),
});

export const mergeView = z
  .object({
    id: z.number().int().describe('Merge queue entry id (queue order).'),
    taskId: z.string().describe('The task whose work is merged.'),
    target: z.string(),
    branch: z.string(),
    status: z.enum(['queued', 'merging', 'merged', 'conflict', 'failed', 'abandoned']),
    position: z.number().int().optional().describe('Open entries only: entries of the same repository and target ahead of it.'),
    enqueuedAt: isoTime,
    startedAt: isoTime.nullable(),
    finishedAt: isoTime.nullable(),
    mergedSha: z.string().nullable(),
    message: z.string().nullable(),
  })
  .describe('A merge queue entry: merges into one branch of one repository happen one at a time, in queue order.');

export const runView = runSummary.extend({ approvals: z.array(pendingApproval).describe('Gates waiting for a person.'), merges: z.array(mergeView).optional().describe("The run's merge queue entries, oldest first."), tasks: z.array(taskView) });

export const runPage = z.object({ runs: z.array(runSummary), nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.') });

export const eventRecord = z.object({
  id: z.number().int().describe('Global, increasing id: the SSE id of the all-runs stream.'),
  runId: z.string(),
  seq: z.number().int().describe('1, 2, 3… within the run: the SSE id of the run stream.'),
  ts: z.number().int().describe('Epoch ms.'),
  type: z.string().describe('`noun:verb`, e.g. run:created, task:succeeded, attempt:failed.'),
  taskId: z.string().nullable(),
  attempt: z.number().int().nullable(),
  data: z.record(z.string(), z.unknown()).nullable(),
});

export const eventPage = z.object({ events: z.array(eventRecord), nextCursor: z.number().int().nullable() });

export const tasksResponse = z.object({ tasks: z.array(taskView) });
export const attemptsResponse = z.object({ attempts: z.array(attemptView.extend({ taskId: z.string() })) });

export const logChunk = z.object({
  taskId: z.string(),
  attempt: z.number().int(),
  status: z.enum(ATTEMPT_STATUSES),
  size: z.number().int().describe('Bytes in the log file now.'),
  offset: z.number().int().describe('Byte offset of `text`.'),
  nextOffset: z.number().int().describe('Pass as `offset` to read what follows.'),
  text: z.string(),
});
export const logsResponse = z.object({ logs: z.array(logChunk) });

export const artifact = z.object({
  kind: z.enum(['output', 'log']),
  taskId: z.string(),
  attempt: z.number().int(),
  name: z.string(),
  bytes: z.number().int().nullable(),
  url: z.string().describe('Path of the content, relative to the server.'),
});
export const artifactsResponse = z.object({ artifacts: z.array(artifact) });

export const agentView = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  driver: z.string(),
  capabilities: z.array(z.string()),
  maxConcurrency: z.number().int().nullable(),
  priority: z.number().int(),
  status: z.enum(AGENT_STATUSES),
  config: z.record(z.string(), z.unknown()).describe('Driver settings, secrets redacted.'),
  running: z.number().int().describe('Attempts running now (load).'),
  load: z.number().nullable().describe('running / maxConcurrency (0–1); null when unlimited.'),
  createdAt: isoTime,
  updatedAt: isoTime,
});
export const agentsResponse = z.object({ agents: z.array(agentView) });

export const statsResponse = z.object({
  runs: z.record(z.string(), z.number().int()).describe('Runs by status.'),
  tasks: z.record(z.string(), z.number().int()).describe('Tasks by status.'),
  blocked: z.record(z.string(), z.number().int()).describe('Tasks in status blocked, by reason.'),
  queueDepth: z.number().int().describe('Ready tasks waiting for an agent.'),
  agents: z.object({ total: z.number().int(), active: z.number().int(), busy: z.number().int(), running: z.number().int(), capacity: z.number().int().nullable() }),
  engine: z.object({ state: z.string(), workerId: z.string(), inFlight: z.number().int() }),
});

export const memorySearchResult = z.object({
  id: z.string(),
  kind: z.enum(['entry', 'learning']),
  runId: z.string().nullable().describe('Null: a global memory.'),
  key: z.string().nullable(),
  text: z.string().describe('The indexed text.'),
  value: z.unknown(),
  score: z.number().describe('Hybrid score, higher is better (0–1).'),
  vectorScore: z.number().optional().describe('Cosine similarity, when the vector side found it.'),
  textScore: z.number().optional().describe('BM25 relevance, when the full-text side found it.'),
  metadata: z.record(z.string(), z.unknown()),
  provenance: z.record(z.string(), z.unknown()).nullable(),
  recordedScore: z.number().nullable().describe('The score given when a learning was recorded.'),
});
export const memorySearchResponse = z.object({ results: z.array(memorySearchResult) });
