/**
 * Plans for coding runs: `tutti run --agent-cli claude,codex,gemini --validate "npm test" "fix it"`
 * becomes one coding task (prompt, criteria, context, validation, workspace) for a `coding` agent
 * holding the CLI chain, with `maxIterations` attempts whose failures feed the next prompt.
 */
import type { PlanInput, TaskWorkspace } from '../../../../core/plan/schema.js';
import type { BudgetLimits } from '../budget.js';
import type { CliName } from '../types.js';

export interface CodingRunInput {
  /** The task, in words. */
  goal: string;
  /** A CLI chain (registers a `coding` agent for it), or… */
  chain?: readonly CliName[];
  /** …an existing agent id. */
  agent?: string;
  model?: string;
  /** Markdown put in the prompt (the text of a --context file). */
  context?: string;
  acceptanceCriteria?: string[];
  /** Validation commands (argv). */
  validate?: string[][];
  allowedPaths?: string[];
  forbiddenPaths?: string[];
  workspace?: TaskWorkspace;
  /** Attempts in all (the loop's iterations). @default 3 with validation, else 1 */
  maxIterations?: number;
  /** Per-attempt timeout, ms. */
  timeoutMs?: number;
  /** Id of the task. @default 'main' */
  taskId?: string;
  /** Budget of the run (wall ms, tokens, USD), put in the chain's coding agent config. */
  budget?: BudgetLimits;
}

/** Iterations of a validated coding run when none is given. */
export const DEFAULT_MAX_ITERATIONS = 3;

/**
 * Agent id of a chain (+ model, + budget): `coding-claude-codex-gemini`, `coding-claude.sonnet`,
 * `coding-claude.usd0.5-tok20000`. The agent is scoped to its run (stored as `<id>@<runId>`).
 */
export function codingAgentId(chain: readonly CliName[], model?: string, budget?: BudgetLimits): string {
  const b = budget ? [budget.usd !== undefined ? `usd${budget.usd}` : '', budget.tokens !== undefined ? `tok${budget.tokens}` : '', budget.wallMs !== undefined ? `ms${budget.wallMs}` : ''].filter(Boolean).join('-') : '';
  const id = `coding-${chain.join('-')}${model ? `.${model.replace(/[^A-Za-z0-9._-]/g, '_')}` : ''}${b ? `.${b}` : ''}`;
  return id.slice(0, 128);
}

/**
 * The plan of a coding run.
 * @throws Error when neither a chain nor an agent is given.
 */
export function codingPlan(input: CodingRunInput): PlanInput {
  if (!input.chain?.length && !input.agent) throw new Error('a coding run needs a CLI chain or an agent');
  if (input.agent && input.budget) throw new Error("a budget goes into the agent's config when an existing agent is named");
  const agentId = input.agent ?? codingAgentId(input.chain!, input.model, input.budget);
  const first = input.goal.split('\n')[0]!.trim();
  const iterations = input.maxIterations ?? (input.validate?.length ? DEFAULT_MAX_ITERATIONS : 1);
  return {
    name: first.slice(0, 200),
    goal: input.goal,
    agents: input.agent
      ? []
      : [
          {
            id: agentId,
            name: `coding agent (${input.chain!.join(' → ')})`,
            driver: 'coding',
            capabilities: ['coding'],
            config: { cli: [...input.chain!], ...(input.model ? { model: input.model } : {}), ...(input.budget ? { budget: input.budget } : {}) },
            // This run's own agent: a later run (a template, a plan) never picks it up.
            scope: 'run' as const,
          },
        ],
    tasks: [
      {
        id: input.taskId ?? 'main',
        title: first.slice(0, 500),
        prompt: input.goal,
        agent: agentId,
        retry: { maxAttempts: iterations, backoff: { initialMs: 500, factor: 2, maxMs: 10_000, jitter: 0.1 } },
        ...(input.timeoutMs ? { timeoutMs: input.timeoutMs } : {}),
        ...(input.acceptanceCriteria?.length ? { acceptanceCriteria: input.acceptanceCriteria } : {}),
        ...(input.context ? { context: input.context } : {}),
        ...(input.validate?.length ? { validate: input.validate } : {}),
        ...(input.allowedPaths?.length ? { allowedPaths: input.allowedPaths } : {}),
        ...(input.forbiddenPaths?.length ? { forbiddenPaths: input.forbiddenPaths } : {}),
        ...(input.workspace && Object.keys(input.workspace).length ? { workspace: input.workspace } : {}),
      },
    ],
  };
}
