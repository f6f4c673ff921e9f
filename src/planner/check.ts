/**
 * `tutti.plan-check`: the step after the planning agent. It reads the agent's answer, finds the
 * JSON, checks it against the plan schema (`parsePlanObject`) and the engine's rules and agents
 * (`engine.validatePlan`), and returns the plan. On any problem it fails with every issue listed;
 * the planning run's loop sends that back to the agent as feedback for a corrected answer.
 */
import type { FunctionContext } from '../agents/types.js';
import type { Engine } from '../core/engine.js';
import { NonRetryableError, PlanValidationError } from '../core/errors.js';
import { parsePlanObject } from '../core/plan/parse.js';
import type { Plan } from '../core/plan/schema.js';
import type { Store } from '../store/types.js';
import { attemptOutput, latestSuccess } from '../templates/steps/output.js';
import { extractJson } from './extract.js';

/** Name of the check function (registered by `createEngine`). */
export const PLAN_CHECK_FUNCTION = 'tutti.plan-check';

export interface PlanCheckDeps {
  store: Store;
  dataDir: string;
  /** The engine whose agents and rules the plan must satisfy. */
  engine: () => Engine;
}

/** Issues of a candidate plan, one line each; empty when it is valid. */
export async function planIssues(engine: Engine, answer: unknown): Promise<{ plan: Plan | null; issues: string[] }> {
  let raw: unknown;
  try {
    raw = extractJson(answer);
  } catch (e) {
    return { plan: null, issues: [(e as Error).message] };
  }
  try {
    const plan = parsePlanObject(raw);
    await engine.validatePlan(plan);
    return { plan, issues: [] };
  } catch (e) {
    if (e instanceof PlanValidationError) return { plan: null, issues: e.issues.map((i) => `${i.path ? `${i.path}: ` : ''}${i.message}`) };
    throw e;
  }
}

/** The `tutti.plan-check` function: input `{ from }`, the planning task's id. */
export function planCheckStep(deps: PlanCheckDeps) {
  return async (ctx: FunctionContext): Promise<Plan> => {
    const from = (ctx.input as { from?: unknown } | undefined)?.from;
    if (typeof from !== 'string') throw new NonRetryableError('tutti.plan-check input: { from: "<planning task id>" }');
    const attempt = await latestSuccess(deps.store, ctx.runId, from);
    if (!attempt) throw new NonRetryableError(`task '${from}' has no successful attempt to check`);
    const { plan, issues } = await planIssues(deps.engine(), attemptOutput(attempt, deps.dataDir));
    if (plan) {
      ctx.log(`plan '${plan.name ?? '(unnamed)'}': ${plan.tasks.length} tasks`);
      return plan;
    }
    throw new Error(`the plan was rejected (${issues.length} problem${issues.length > 1 ? 's' : ''}):\n${issues.slice(0, 50).map((i) => `- ${i}`).join('\n')}\nAnswer again with the whole corrected plan as one JSON object.`);
  };
}
