/**
 * Reviewing what agents did (the dashboard's review views): a run's spending against its budgets
 * with its merge queue entries, and per attempt of a coding task its diff and its transcript.
 */
import { join } from 'node:path';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import type { AttemptRecord } from '../../core/model.js';
import { safeSegment } from '../../runtime/node-runtime.js';
import type { ServerContext } from '../context.js';
import { insideDataDir, readChunk } from '../files.js';
import { redactValue } from '../redact.js';
import { attemptParams, runParams } from '../schemas/requests.js';
import { errorResponse } from '../schemas/responses.js';
import { attemptCommitsOf, attemptDiff, DEFAULT_DIFF_BYTES, MAX_DIFF_BYTES, requireCommits } from './review-diff.js';
import { reviewOf } from './review-costs.js';
import { MAX_FIELD, transcriptOf } from './review-transcript.js';
import { assertRunExists } from './runs.js';

const tags = ['review'];
const security = [{ bearerAuth: [] }];
/** Most of an attempt log read for a transcript (its end), bytes. */
const MAX_TRANSCRIPT_LOG_BYTES = 16 * 1024 * 1024;

const spent = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
  tokens: z.number().describe('What token budgets count: new input + cache writes + output (cache reads are not counted).'),
  costUsd: z.number().nullable().describe('USD; null when no attempt reported a cost.'),
  wallMs: z.number().describe('Attempt wall time, ms.'),
});
const limits = z.object({ usd: z.number().optional(), tokens: z.number().optional(), wallMs: z.number().optional() });
const budget = z.object({
  scope: z.enum(['task', 'agent']).describe("`task`: the task's own plan budget; `agent`: its coding agent's `config.budget`, shared by the run's attempts by that agent."),
  taskId: z.string().optional(),
  agentId: z.string().optional(),
  limits,
  spent,
});
const reviewResponse = z.object({
  runId: z.string(),
  spent,
  budgets: z.array(budget),
  tasks: z.array(
    z.object({
      taskId: z.string(),
      spent,
      budget: budget.nullable(),
      attempts: z.array(z.object({ n: z.number().int(), agentId: z.string(), status: z.string(), spent, hasDiff: z.boolean().describe('A coding attempt with commits: its diff can be read.') })),
    }),
  ),
  merges: z.array(
    z.object({
      id: z.number().int(),
      taskId: z.string(),
      target: z.string(),
      branch: z.string(),
      status: z.enum(['queued', 'merging', 'merged', 'conflict', 'failed', 'abandoned']),
      enqueuedAt: z.string(),
      finishedAt: z.string().nullable(),
      mergedSha: z.string().nullable(),
      message: z.string().nullable(),
    }),
  ),
});
const diffQuery = z.strictObject({
  maxBytes: z.coerce.number().int().min(1024).max(MAX_DIFF_BYTES).default(DEFAULT_DIFF_BYTES).describe(`Most of the unified diff returned, bytes (default ${DEFAULT_DIFF_BYTES}).`),
});
const diffResponse = z.object({
  repoRoot: z.string(),
  base: z.string().describe('The commit the attempt started from.'),
  ref: z.string().describe("The attempt's last commit (refs/tutti/<run>/<task>/<n>)."),
  files: z.array(z.object({ path: z.string(), oldPath: z.string().optional(), additions: z.number().int().nullable(), deletions: z.number().int().nullable() }).describe('null counts: a binary file.')),
  diff: z.string().describe('Unified diff, cut at a line end when longer than maxBytes.'),
  bytes: z.number().int().describe('Bytes of the whole unified diff.'),
  truncated: z.boolean(),
});
const transcriptResponse = z.object({
  clis: z.array(z.string()).describe('CLIs the attempt ran, in order.'),
  entries: z.array(
    z.object({
      kind: z.enum(['run', 'session', 'assistant', 'user', 'tool_call', 'tool_result', 'file_change', 'error', 'result', 'text']),
      cli: z.string().nullable(),
      text: z.string().optional(),
      tool: z.string().optional(),
      id: z.string().optional(),
      args: z.string().optional().describe('Tool arguments as sent (JSON text).'),
      output: z.string().optional().describe(`Tool output, at most ${MAX_FIELD} characters.`),
      ok: z.boolean().optional(),
    }),
  ),
  logBytes: z.number().int(),
  truncated: z.boolean().describe(`Only the last ${MAX_TRANSCRIPT_LOG_BYTES} bytes of the log were read.`),
});

export function attemptsReviewRoutes(ctx: ServerContext): FastifyPluginAsyncZod {
  const { engine, secrets, options } = ctx;
  const store = engine.store;

  /** @throws TuttiError `ERR_RUN_NOT_FOUND`, `ERR_TASK_NOT_FOUND` */
  const requireAttempt = async (runId: string, taskId: string, n: number): Promise<AttemptRecord> => {
    await assertRunExists(ctx, runId);
    if (!(await store.getTask(runId, taskId))) throw new TuttiError('ERR_TASK_NOT_FOUND', `run ${runId} has no task '${taskId}'`, { details: { runId, taskId } });
    const a = (await store.listAttempts(runId, taskId)).find((x) => x.n === n);
    if (!a) throw new TuttiError('ERR_TASK_NOT_FOUND', `task '${taskId}' of run ${runId} has no attempt ${n}`, { details: { runId, taskId, n } });
    return a;
  };

  return async (app) => {
    app.get('/runs/:runId/review', {
      schema: {
        tags,
        security,
        summary: 'What a run spent, against its budgets, and its merges',
        description:
          "Tokens, cost (USD) and wall time per attempt, task and run, summed from what the attempts reported; each task's budget (its own, else its coding agent's) with what it spent; the run's merge queue entries.",
        params: runParams,
        response: { 200: reviewResponse, 404: errorResponse },
      },
    }, async (req) => {
      const { runId } = req.params;
      await assertRunExists(ctx, runId);
      const [tasks, attempts, agents, merges] = await Promise.all([store.listTasks(runId), store.listAttempts(runId), store.listAgents(), store.listMerges({ runId })]);
      return redactValue(reviewOf(runId, tasks, attempts, agents, merges, (o) => attemptCommitsOf(o) !== null, Date.now()), secrets);
    });

    app.get('/runs/:runId/tasks/:taskId/attempts/:n/diff', {
      schema: {
        tags,
        security,
        summary: "A coding attempt's diff",
        description: "`git diff attemptBase attemptRef` in the repository's main checkout: the files changed (lines added and removed) and the unified diff, size-capped. 409 `ERR_WORKSPACE` when the attempt has no commits (not a coding attempt) or the repository lost them.",
        params: attemptParams,
        querystring: diffQuery,
        response: { 200: diffResponse, 400: errorResponse, 404: errorResponse, 409: errorResponse },
      },
    }, async (req) => {
      const { runId, taskId, n } = req.params;
      const a = await requireAttempt(runId, taskId, n);
      const diff = await attemptDiff(requireCommits(a.output, `attempt ${n} of '${taskId}'`), req.query.maxBytes);
      return redactValue(diff, secrets);
    });

    app.get('/runs/:runId/tasks/:taskId/attempts/:n/transcript', {
      schema: {
        tags,
        security,
        summary: "A coding attempt's transcript",
        description: "What the coding-agent CLI said, parsed from the attempt's log: a `run` entry per CLI invocation, the assistant's messages, tool calls with their arguments and results, errors and the result. Empty for attempts of other drivers.",
        params: attemptParams,
        response: { 200: transcriptResponse, 404: errorResponse },
      },
    }, async (req) => {
      const { runId, taskId, n } = req.params;
      const a = await requireAttempt(runId, taskId, n);
      const stored = a.logPath ?? join('logs', safeSegment(a.runId), `${safeSegment(a.taskId)}.${a.n}.log`);
      const path = insideDataDir(options.dataDir, stored);
      const chunk = path ? await readChunk(path, { tail: MAX_TRANSCRIPT_LOG_BYTES, maxBytes: MAX_TRANSCRIPT_LOG_BYTES }) : { size: 0, offset: 0, nextOffset: 0, text: '' };
      const cli = (a.output as { cli?: unknown } | null)?.cli;
      const { clis, entries } = transcriptOf(chunk.text, typeof cli === 'string' ? cli : null);
      return redactValue({ clis, entries, logBytes: chunk.size, truncated: chunk.offset > 0 }, secrets);
    });
  };
}
