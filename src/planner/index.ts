/**
 * The planner: a goal becomes a plan through an agent that answers JSON. It is a run like any
 * other (durable, visible in `tutti list`): a `draft` task for the planning agent, then the
 * `tutti.plan-check` step, which validates the answer against the plan schema and the engine's
 * agents; its failure loops back to `draft` with the issues as feedback, up to `maxCorrections`
 * times. Then the plan is returned, or a {@link PlannerError} says what was still wrong.
 */
import type { Engine } from '../core/engine.js';
import { TuttiError } from '../core/errors.js';
import type { AgentSelectorInput, Plan } from '../core/plan/schema.js';
import type { RunSummary } from '../core/run-view.js';
import { engineDataDir } from '../create-engine.js';
import { attemptOutput, latestSuccess } from '../templates/steps/output.js';
import { PLAN_CHECK_FUNCTION, planIssues } from './check.js';
import { plannerPrompt } from './prompt.js';

export { PLAN_CHECK_FUNCTION, planCheckStep, planIssues, type PlanCheckDeps } from './check.js';
export { extractJson } from './extract.js';
export { plannerPrompt } from './prompt.js';

export interface PlannerOptions {
  /** Who drafts the plan. @default { capabilities: ['plan'] } */
  agent?: AgentSelectorInput;
  /** Answers rejected and sent back with their issues before giving up. @default 3 */
  maxCorrections?: number;
  /** Per-attempt timeout of the planning agent, ms. @default none */
  timeoutMs?: number;
  /** Extra instructions put in the prompt (conventions, constraints). */
  instructions?: string;
  /** Longest wait for the whole planning run, ms. @default none */
  waitMs?: number;
  /** Data dir of the engine (to read answers stored as blobs). @default the one `createEngine` used */
  dataDir?: string;
}

export interface GeneratedPlan {
  plan: Plan;
  /** The planning run (its attempts keep every draft and every rejection). */
  runId: string;
  /** Answers that were rejected before this one. */
  corrections: number;
}

/** The planning agent gave no valid plan: `details` has the run id, the corrections made and the last issues. */
export class PlannerError extends TuttiError {
  readonly runId: string;
  readonly issues: string[];
  constructor(message: string, details: { runId: string; corrections: number; issues: string[]; status: string }) {
    super('ERR_PLANNER_FAILED', message, { details });
    this.name = 'PlannerError';
    this.runId = details.runId;
    this.issues = details.issues;
  }
}

/**
 * Turns a goal into a validated plan. The engine must be started (it executes the planning run).
 * @throws PlannerError `ERR_PLANNER_FAILED` when no valid plan came within `maxCorrections`, or the
 *   planning agent failed; TuttiError `ERR_INVALID_INPUT` (empty goal), `ERR_ENGINE_STOPPED`,
 *   `ERR_NO_CAPABLE_AGENT` (no planning agent), `ERR_TIMEOUT`.
 */
export async function generatePlan(engine: Engine, goal: string, options: PlannerOptions = {}): Promise<GeneratedPlan> {
  if (typeof goal !== 'string' || goal.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', 'the planner needs a goal');
  if (engine.state !== 'running') throw new TuttiError('ERR_ENGINE_STOPPED', 'start the engine before planning: the plan is drafted by a run');
  const maxCorrections = options.maxCorrections ?? 3;
  if (!Number.isInteger(maxCorrections) || maxCorrections < 0 || maxCorrections > 100) throw new TuttiError('ERR_INVALID_INPUT', 'maxCorrections is an integer from 0 to 100');
  const dataDir = options.dataDir ?? engineDataDir(engine);
  const agents = await engine.listAgents();
  const run = await engine.createRun({
    name: `plan: ${goal.trim().split('\n')[0]!.slice(0, 150)}`,
    goal,
    metadata: { planner: true },
    tasks: [
      {
        id: 'draft',
        title: 'Draft the plan',
        agent: options.agent ?? { capabilities: ['plan'] },
        prompt: plannerPrompt(goal, agents, options.instructions),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      },
      {
        id: 'check',
        title: 'Check the plan',
        function: PLAN_CHECK_FUNCTION,
        input: { from: 'draft' },
        dependsOn: ['draft'],
        ...(maxCorrections > 0 ? { loop: { rewindTo: 'draft', maxIterations: maxCorrections, onExhausted: 'fail' as const } } : {}),
      },
    ],
  });
  const view = await engine.waitForRun(run.id, options.waitMs ? { timeoutMs: options.waitMs } : {});
  const check = await engine.store.getTask(run.id, 'check');
  const corrections = check?.iterations ?? 0;
  if (view.status === 'completed') {
    const attempt = await latestSuccess(engine.store, run.id, 'check');
    if (attempt && (attempt.outputRef === null || dataDir)) return { plan: attemptOutput(attempt, dataDir ?? '') as Plan, runId: run.id, corrections };
  }
  // Say what was wrong with the last answer, or why the agent gave none.
  let issues: string[] = [];
  const draft = await latestSuccess(engine.store, run.id, 'draft');
  if (draft && (draft.outputRef === null || dataDir)) issues = (await planIssues(engine, attemptOutput(draft, dataDir ?? ''))).issues;
  if (issues.length === 0) issues = [view.error ?? `the planning run ended ${view.status}`];
  throw new PlannerError(`no valid plan after ${corrections} correction${corrections === 1 ? '' : 's'} (run ${run.id}): ${issues.slice(0, 3).join('; ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`, {
    runId: run.id,
    corrections,
    issues,
    status: view.status,
  });
}

/**
 * Plans a goal, then creates the run of that plan (queued; executed by the started engine).
 * @throws as {@link generatePlan}, and PlanValidationError if the engine's agents changed meanwhile.
 */
export async function createRunFromGoal(engine: Engine, goal: string, options: PlannerOptions = {}): Promise<RunSummary & { planRunId: string }> {
  const generated = await generatePlan(engine, goal, options);
  const run = await engine.createRun({ ...generated.plan, goal: generated.plan.goal ?? goal, metadata: { ...generated.plan.metadata, plannedBy: generated.runId } });
  return { ...run, planRunId: generated.runId };
}
