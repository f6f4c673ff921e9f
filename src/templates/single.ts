/**
 * `single`: one coding task with a validation loop. The agent (capability `code` by default)
 * works on the mission in a worktree of its own; when `validate` is given, `tutti.check` runs it in
 * that worktree after each attempt, and a failure sends the agent back with the command's output as
 * feedback, up to `maxIterations` times; then the run fails. Only validated work is merged: last,
 * `tutti.merge` lands the branch in the target through the merge queue (validating again on the
 * merged result when the target moved on), and a conflict goes back to the agent too.
 */
import { z } from 'zod';
import { agentSelectorSchema } from '../core/plan/schema.js';
import { STEP_FUNCTIONS } from './steps/index.js';
import { stepCommandSchema, toArgv } from './steps/commands.js';
import type { Template } from './types.js';

export const singleParamsSchema = z.strictObject({
  agent: agentSelectorSchema.optional(),
  validate: stepCommandSchema.optional(),
  maxIterations: z.number().int().min(1).max(100).default(3),
  timeoutMs: z.number().int().positive().optional(),
  validateTimeoutMs: z.number().int().positive().default(600_000),
  worktree: z.boolean().default(true),
});
export type SingleParams = z.input<typeof singleParamsSchema>;

export const singleTemplate: Template<typeof singleParamsSchema> = {
  name: 'single',
  description: 'one coding task; with validate, a check after each attempt that loops back on failure',
  params: singleParamsSchema,
  paramsHelp: {
    agent: 'agent selector (default capabilities [code])',
    validate: 'command run in the work dir after the agent, e.g. "npm test" (default none)',
    maxIterations: 'times a failed validation sends the agent back (default 3)',
    timeoutMs: 'per-attempt timeout of the agent, ms (default none)',
    validateTimeoutMs: 'timeout of the validation command, ms (default 600000)',
    worktree: 'the agent works in a worktree of its own, landed by a merge step once validated (coding agents; default true)',
  },
  build(mission, p) {
    const title = mission.trim().split('\n')[0]!.slice(0, 200);
    const argv = p.validate === undefined ? null : toArgv(p.validate);
    const merge = p.worktree;
    return {
      name: title,
      goal: mission,
      tasks: [
        {
          id: 'code',
          title,
          agent: p.agent ?? { capabilities: ['code'] },
          prompt: mission,
          ...(p.timeoutMs ? { timeoutMs: p.timeoutMs } : {}),
          ...(argv ? { acceptanceCriteria: [`\`${argv.join(' ')}\` exits 0`] } : {}),
          // The check and the merge step work in this worktree after the agent: keep it for them.
          workspace: merge ? { keepWorktree: true } : { worktree: false },
        },
        ...(argv
          ? [
              {
                id: 'validate',
                title: `Validate: ${argv.join(' ')}`.slice(0, 500),
                agent: { capabilities: ['function'] },
                function: STEP_FUNCTIONS.check,
                input: { command: argv, timeoutMs: p.validateTimeoutMs, commit: false, ...(merge ? { in: 'code' } : {}) },
                dependsOn: ['code'],
                loop: { rewindTo: 'code', maxIterations: p.maxIterations, onExhausted: 'fail' as const },
              },
            ]
          : []),
        ...(merge
          ? [
              {
                id: 'merge',
                title: 'Merge into the target branch (merge queue)',
                agent: { capabilities: ['function'] },
                function: STEP_FUNCTIONS.merge,
                input: { from: 'code', timeoutMs: p.validateTimeoutMs, ...(argv ? { validate: [argv] } : {}) },
                dependsOn: [argv ? 'validate' : 'code'],
                loop: { rewindTo: 'code', maxIterations: p.maxIterations, onExhausted: 'fail' as const },
              },
            ]
          : []),
      ],
    };
  },
};
