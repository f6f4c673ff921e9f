/**
 * `batch`: independent tasks run side by side, at most `parallel` at once. With `failFast`, the
 * first task that fails for good fails the run and stops the others; without it, every task runs
 * and failures are recorded (the run completes with `tasksFailed`).
 *
 * The items are the mission's non-empty lines (each a prompt for the agent), or `items`: prompts,
 * or task objects (`command`, `function`, `prompt`… without `dependsOn`).
 */
import { z } from 'zod';
import { agentSelectorSchema, taskInputSchema, type PlanInput } from '../core/plan/schema.js';
import type { Template } from './types.js';

const itemSchema = z.union([z.string().min(1).max(1_000_000), taskInputSchema.omit({ dependsOn: true, loop: true, approval: true }).partial({ id: true })]);

export const batchParamsSchema = z.strictObject({
  items: z.array(itemSchema).min(1).max(100_000).optional(),
  agent: agentSelectorSchema.optional(),
  parallel: z.number().int().positive().max(100_000).default(3),
  failFast: z.boolean().default(false),
  maxAttempts: z.number().int().min(1).max(1000).optional(),
  timeoutMs: z.number().int().positive().optional(),
});
export type BatchParams = z.input<typeof batchParamsSchema>;

export const batchTemplate: Template<typeof batchParamsSchema> = {
  name: 'batch',
  description: 'independent tasks, at most `parallel` at once; failFast stops the batch at the first failure',
  params: batchParamsSchema,
  paramsHelp: {
    items: 'the tasks: prompts or task objects (default: one prompt per non-empty line of the mission)',
    agent: 'agent selector of every item that names none',
    parallel: 'most tasks running at once (default 3)',
    failFast: 'fail the run and stop the rest at the first failure (default false)',
    maxAttempts: 'attempts per task (default 1)',
    timeoutMs: 'per-attempt timeout, ms (default none)',
  },
  build(mission, p) {
    const items = p.items ?? mission.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const tasks: PlanInput['tasks'] = items.map((item, i) => {
      const base = typeof item === 'string' ? { title: item.split('\n')[0]!.slice(0, 500), prompt: item } : item;
      return {
        ...base,
        id: (typeof item === 'string' ? undefined : item.id) ?? `item-${i + 1}`,
        ...(base.agent === undefined && p.agent !== undefined ? { agent: p.agent } : {}),
        ...(p.maxAttempts && base.retry === undefined ? { retry: { maxAttempts: p.maxAttempts } } : {}),
        ...(p.timeoutMs && base.timeoutMs === undefined ? { timeoutMs: p.timeoutMs } : {}),
        continueOnFailure: !p.failFast,
      };
    });
    return {
      name: `batch: ${tasks.length} task${tasks.length === 1 ? '' : 's'}`,
      goal: mission,
      concurrency: p.parallel,
      metadata: { parallel: p.parallel, failFast: p.failFast },
      tasks,
    };
  },
};
