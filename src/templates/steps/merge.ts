/**
 * `tutti.merge`: lands another task's branch in its target through the merge queue
 * (`workspace/merge-queue.ts`), at the point of the plan where its work has passed what the plan
 * asks — a QA check, a review approval. Nothing of that task reaches the target before.
 *
 * A conflict with the target fails the step with `merge_conflict`, and validation failing on the
 * merged result with `validation_failed`: the plan's `loop` sends either back to the task as
 * feedback, whose next attempt starts with the target merged in and the conflicts to resolve.
 * A task that worked without a worktree (in the run's work dir) has nothing to merge.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { FunctionContext } from '../../agents/types.js';
import { AttemptFailure, NonRetryableError } from '../../core/errors.js';
import { safeSegment } from '../../runtime/node-runtime.js';
import { toArgv } from '../../workspace/argv.js';
import { attemptRef, setAttemptRef } from '../../workspace/attempt.js';
import { clearActive, markActive } from '../../workspace/boundary.js';
import { git, revParse } from '../../workspace/git.js';
import { landBranch } from '../../workspace/merge-queue.js';
import { runValidation } from '../../workspace/validate.js';
import { removalBlocker } from '../../workspace/worktree.js';
import { stepCommandSchema } from './commands.js';
import type { StepDeps } from './documents.js';
import { taskWorkspace } from './task-workspace.js';

export const mergeInputSchema = z.strictObject({
  from: z.string().min(1).describe('The task whose branch is merged.'),
  validate: z.array(stepCommandSchema).optional().describe("Run on the merged result when the target moved on. Default: the task's own `validate` commands."),
  timeoutMs: z.number().int().positive().default(600_000).describe('Timeout of each validation command, ms.'),
  keepWorktree: z.boolean().default(false).describe("Keep the task's worktree after the merge. Default: removed once merged."),
});

export interface MergeStepOutput {
  /** The target's commit after the merge, or null when there was nothing to merge. */
  merged: string | null;
  target: string | null;
  branch: string | null;
  message: string;
}

/** The `tutti.merge` function. */
export function mergeStep(deps: StepDeps) {
  return async (ctx: FunctionContext): Promise<MergeStepOutput> => {
    const r = mergeInputSchema.safeParse(ctx.input ?? {});
    if (!r.success) throw new NonRetryableError(`tutti.merge input: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    const input = r.data;
    const ws = await taskWorkspace(deps.dataDir, ctx.runId, input.from);
    if (!ws) return { merged: null, target: null, branch: null, message: `task ${input.from} worked in the run's work dir (no worktree): nothing to merge` };
    if (!ws.branch || !ws.target) return { merged: null, target: ws.target, branch: ws.branch, message: `task ${input.from} has no target branch (the repository was on a detached HEAD): its branch ${ws.branch} is left for you` };
    if (!ctx.coordination) throw new NonRetryableError('tutti.merge needs the merge queue of an engine');
    const spec = (await deps.store.getTask(ctx.runId, input.from))?.spec;
    const commands = (input.validate ?? spec?.validate ?? []).map((c) => toArgv(c));
    const env = { ...(deps.env ?? process.env), TUTTI_RUN_ID: ctx.runId, TUTTI_TASK_ID: ctx.taskId, TUTTI_ATTEMPT: String(ctx.attempt), TUTTI_IDEMPOTENCY_KEY: ctx.idempotencyKey };
    const logPath = join(deps.dataDir, 'logs', safeSegment(ctx.runId), `${safeSegment(ctx.taskId)}.${ctx.attempt}.validate.log`);
    markActive(ws.dir, ctx.idempotencyKey);
    let landed;
    try {
      landed = await landBranch({
        dir: ws.dir,
        repoRoot: ws.repoRoot,
        branch: ws.branch,
        target: ws.target,
        taskId: input.from,
        coordination: ctx.coordination,
        validate: commands.length ? () => runValidation({ commands, cwd: ws.dir, env, timeoutMs: input.timeoutMs, logPath, maxLogBytes: deps.maxLogBytes, killGraceMs: deps.killGraceMs, signal: ctx.signal, onOutput: (_s, t) => ctx.log(t.replace(/\n$/, '')) }) : null,
        signal: ctx.signal,
        info: (line) => ctx.log(`[tutti] ${line}`),
      });
    } finally {
      clearActive(ws.dir);
    }
    // The merge of the target into the branch belongs to the task's latest attempt.
    const head = await revParse(ws.dir, 'HEAD');
    const last = (await deps.store.listAttempts(ctx.runId, input.from)).filter((a) => a.status === 'succeeded').at(-1);
    if (head && last) await setAttemptRef(ws.repoRoot, attemptRef(ctx.runId, input.from, last.n), head);
    if (landed.status === 'cancelled') throw new Error('aborted');
    if (landed.status === 'conflict') {
      throw new AttemptFailure('merge_conflict', `${ws.branch} ${landed.message}; the next attempt of ${input.from} starts with ${ws.target} merged in and the conflicts to resolve\n${landed.diff.slice(0, 3000)}`);
    }
    if (landed.status === 'failed') {
      if (landed.validation) {
        const f = landed.validation.failure!;
        throw new AttemptFailure('validation_failed', `${landed.message}\n${f.outputTail.trim().slice(-3000)}`);
      }
      throw new AttemptFailure(landed.retryable ? 'exit_code' : 'non_retryable', landed.message, { retryable: landed.retryable });
    }
    if (!input.keepWorktree && !(await removalBlocker(ws))) await git(['worktree', 'remove', '--force', ws.dir], ws.repoRoot, { allowFail: true });
    return { merged: landed.sha, target: ws.target, branch: ws.branch, message: landed.message };
  };
}
