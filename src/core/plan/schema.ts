/**
 * The plan format (JSON or YAML), as one zod schema: the single source of the parser, the
 * TypeScript types and the JSON Schema printed by `tutti plan schema`. Documented in
 * `docs/plan-format.md`.
 */
import { z } from 'zod';

/** Task and agent ids: a letter or digit, then letters, digits, `.`, `_`, `:`, `-`; at most 128 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const idSchema = z.string().regex(ID_PATTERN, 'ids start with a letter or digit and use only letters, digits, . _ : - (at most 128 characters)');

/** Exponential backoff between attempts: `min(maxMs, initialMs × factor^(failures-1))`, ± `jitter` × that. */
export const backoffSchema = z
  .strictObject({
    initialMs: z.number().int().min(0).default(1000).describe('Delay before the 2nd attempt, ms. Default 1000.'),
    factor: z.number().min(1).max(100).default(2).describe('Multiplier per failed attempt. Default 2.'),
    maxMs: z.number().int().min(0).default(60_000).describe('Cap on the delay, ms. Default 60000.'),
    jitter: z.number().min(0).max(1).default(0.2).describe('Random spread as a fraction of the delay (0–1). Default 0.2.'),
  })
  .describe('Exponential backoff with jitter.');

/** Failure kinds of attempts a retry policy may name (`AttemptErrorKind` of core/model.ts). */
export const RETRYABLE_ERROR_KINDS = ['exit_code', 'timeout', 'crashed', 'spawn', 'not_installed', 'auth', 'rate_limited', 'invalid_output', 'no_changes', 'output_limit', 'exception'] as const;

export const retrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(1000).default(1).describe('Attempts in all, the first included. Default 1 (no retry).'),
    backoff: backoffSchema.default({ initialMs: 1000, factor: 2, maxMs: 60_000, jitter: 0.2 }),
    retryOn: z
      .array(z.enum(RETRYABLE_ERROR_KINDS))
      .min(1)
      .optional()
      .describe('Only failures of these kinds are retried (e.g. [timeout, crashed] retries transient failures only). Default: every retryable failure.'),
  })
  .describe('Retry policy. A retry prefers a different capable agent than the one that failed.');

export const agentSelectorSchema = z
  .union([
    idSchema.describe('Shorthand for { id }.'),
    z.strictObject({
      id: idSchema.optional().describe('Exactly this agent.'),
      type: z.string().min(1).max(64).optional().describe('Only agents of this type.'),
      capabilities: z.array(z.string().min(1).max(64)).max(64).optional().describe('Agents having every one of these capabilities.'),
    }),
  ])
  .describe('Who may run the task. Omitted: any active agent whose driver accepts the task (a command → an exec agent, a function → a function agent).');

/** One argv element; YAML turns `1` and `true` into numbers and booleans, which mean their text here. */
const argSchema = z.union([z.string().max(65_536), z.number(), z.boolean()]).transform((v) => String(v));

const envSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names are [A-Za-z_][A-Za-z0-9_]*'), z.string().max(65_536));

/** A command: argv, or one line split into argv without a shell (`npm test`). */
const commandSchema = z.union([z.string().min(1).max(65_536), z.array(argSchema).min(1).max(10_000)]);
const globListSchema = z.array(z.string().min(1).max(4096)).max(1000);

/** Where and how a coding task works (coding driver; docs/coding-agents.md). */
export const workspaceSchema = z
  .strictObject({
    worktree: z.boolean().optional().describe('Work in a git worktree of its own (true) or in the repository itself (false). Default true.'),
    branch: z.string().min(1).max(250).optional().describe('Branch to work on: checked out when it exists, else created from the target. Default tutti/<runId>/<taskId>.'),
    newBranch: z.boolean().optional().describe('false: never create a branch (it, or origin/<branch>, must exist). Default true.'),
    target: z.string().min(1).max(250).optional().describe('The branch the work is merged into (merge queue, PR base) and kept up to date with. Default: the branch checked out in the repository when the task first runs.'),
    attemptStart: z
      .enum(['continue', 'fresh'])
      .optional()
      .describe("Where each later attempt starts: 'continue' from the branch (earlier attempts' work, with the target merged in when it moved), or 'fresh' from the target's tip (earlier work kept under refs/tutti/<run>/<task>/<n>). Default continue."),
    copyFiles: globListSchema.optional().describe("Files copied from the repository into a new worktree, never committed. Default ['.env']."),
    setup: commandSchema.optional().describe('Command run once in a new worktree before the agent (e.g. npm ci).'),
    requireChanges: z.boolean().optional().describe('Fail with no_changes when the branch has no change after the agent. Default true.'),
    merge: z.boolean().optional().describe('After validation passes, land the branch in its target through the merge queue (brought onto the current target, validated again when the target moved, then a fast-forward). Default false.'),
    pr: z
      .union([z.enum(['create', 'update']), z.number().int().positive()])
      .optional()
      .describe('After validation passes, push and create (or only update) the branch PR with gh; a number: update that PR (its head branch is where the work goes).'),
    keepWorktree: z.boolean().optional().describe('Keep the worktree after the task ends. Default false (removed once its commits are on a kept branch).'),
  })
  .describe('Workspace of a coding task.');

/** Task fields read by coding agents (copied into the task spec as written). */
export const CODING_TASK_FIELDS = ['acceptanceCriteria', 'context', 'allowedPaths', 'forbiddenPaths', 'validate', 'workspace', 'budget'] as const;

/** One task of a plan, as written (before defaults). */
export const taskInputSchema = z
  .strictObject({
    id: idSchema.describe('Unique within the plan.'),
    title: z.string().max(500).optional().describe('Human title. Default: the id.'),
    agent: agentSelectorSchema.optional(),
    command: z
      .array(argSchema)
      .min(1)
      .max(10_000)
      .optional()
      .describe('argv for exec agents: never a shell string. YAML numbers and booleans (`[sleep, 1]`) become strings.'),
    prompt: z.string().max(1_000_000).optional().describe('Instructions for prompt-driven agents; exec agents get it on stdin.'),
    function: idSchema.optional().describe('Name of a registered in-process function (function driver).'),
    input: z.unknown().optional().describe('JSON input for function and test drivers.'),
    env: envSchema.optional().describe('Extra environment variables (exec).'),
    cwd: z.string().max(4096).optional().describe('Working directory (exec), relative to the run work dir.'),
    dependsOn: z.array(idSchema).max(100_000).default([]).describe('Ids of tasks that must succeed first.'),
    priority: z.number().int().min(-1_000_000).max(1_000_000).optional().describe('Higher runs first among ready tasks. Default 0.'),
    retry: retrySchema.optional(),
    timeoutMs: z.number().int().positive().max(30 * 24 * 3600 * 1000).nullable().optional().describe('Per-attempt timeout, ms; kills the whole process group. Default: none.'),
    continueOnFailure: z.boolean().optional().describe('When this task fails the run goes on (its dependants are still skipped). Default false.'),
    acceptanceCriteria: z.array(z.string().min(1).max(10_000)).max(100).optional().describe('What must hold when the task is done; coding agents get it in their prompt.'),
    context: z.string().max(1_000_000).optional().describe('Extra context (markdown) for coding agents, e.g. the text of a --context file.'),
    allowedPaths: globListSchema.optional().describe('Globs (from the repository root) a coding agent may change; a change elsewhere fails the attempt.'),
    forbiddenPaths: globListSchema.optional().describe('Globs a coding agent must not change.'),
    validate: z.array(commandSchema).max(100).optional().describe('Commands run in the workspace after a coding agent; the attempt succeeds only when every one exits 0.'),
    workspace: workspaceSchema.optional(),
    budget: z
      .strictObject({
        usd: z.number().positive().optional().describe('USD the task’s attempts may spend together.'),
        tokens: z.number().int().positive().optional().describe('Tokens the task’s attempts may use together: new input + cache writes + output (cache reads are not counted).'),
        wallMs: z.number().int().positive().optional().describe('Agent wall time of all attempts, ms.'),
        softFraction: z.number().gt(0).max(1).optional().describe('Fraction of a limit that emits the soft-limit line. Default 0.8.'),
      })
      .refine((b) => b.usd !== undefined || b.tokens !== undefined || b.wallMs !== undefined, { message: 'a budget needs usd, tokens or wallMs' })
      .optional()
      .describe('What all attempts of this task may spend (coding agents; seed 000 loopPolicy.budgetLimits). Reserved before each dispatch; replaces the agent’s own budget for this task.'),
    approval: z
      .union([z.literal(true), z.strictObject({ message: z.string().max(10_000).optional() })])
      .optional()
      .describe('An approval gate: instead of an agent, a person approves (the run continues) or rejects with feedback (an earlier task runs again).'),
    loop: z
      .strictObject({
        rewindTo: idSchema.describe('An earlier task (an ancestor of this one) to run again with this task’s failure as feedback.'),
        maxIterations: z.number().int().min(1).max(1000).describe('Rewinds at most, then onExhausted.'),
        onExhausted: z.enum(['fail', 'approval']).default('approval').describe('After maxIterations: fail the task, or wait for a person (approve to accept, reject to loop again). Default approval.'),
      })
      .optional()
      .describe('When this task fails for good, rewind to an earlier task instead of failing (e.g. qa → engineer).'),
    memory: z
      .strictObject({
        query: z.string().min(1).max(10_000).optional().describe('What to search for. Default: the prompt, else the title.'),
        scope: z.enum(['run', 'global']).default('run').describe("'run': this run's memory only; 'global': every run's. Default run."),
        topK: z.number().int().min(1).max(50).default(5).describe('Results at most. Default 5.'),
      })
      .optional()
      .describe('Memory retrieved into the prompt before each attempt (engines with the memory plane: docs/memory.md).'),
  })
  .describe('A task: what to do, who may do it, what it waits for.');

/** An agent declared by a plan or config file (registered on run creation). */
export const agentInputSchema = z.strictObject({
  id: idSchema,
  name: z.string().max(200).optional(),
  type: z.string().min(1).max(64).optional().describe('Default: the driver name.'),
  driver: z.string().min(1).max(64).describe('exec, function, test (claude, codex, gemini, cursor, llm as they land).'),
  capabilities: z.array(z.string().min(1).max(64)).max(64).default([]),
  maxConcurrency: z.number().int().positive().nullable().optional().describe('Attempts at once; null: unlimited. Default: per driver.'),
  priority: z.number().int().default(0).describe('Higher preferred among equally loaded agents.'),
  status: z.enum(['active', 'paused', 'disabled']).default('active'),
  config: z.record(z.string(), z.unknown()).default({}).describe('Driver settings (exec: { command, env, cwd }; function: { function }).'),
  scope: z
    .enum(['global', 'run'])
    .default('global')
    .describe("'run': the agent belongs to the run whose plan declares it (its id is suffixed @<runId>; other runs never use it; removed when the run ended). 'global': registered for every run."),
});

const taskDefaultsSchema = taskInputSchema.pick({ agent: true, retry: true, timeoutMs: true, continueOnFailure: true, priority: true, env: true }).partial();

export const planSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).default(1).describe('Plan format version.'),
    name: z.string().max(200).optional(),
    goal: z.string().max(100_000).optional(),
    priority: z.number().int().min(-1_000_000).max(1_000_000).default(0).describe('Run priority: higher runs first.'),
    concurrency: z.number().int().positive().nullable().optional().describe('At most this many attempts of the run at once; null/omitted: unlimited.'),
    approvalTtlMs: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('A run waiting for an approval longer than this becomes expired, ms. Default 7 days (seed 001 sessionTtlDays).'),
    defaults: taskDefaultsSchema.optional().describe('Applied to every task that does not set the field.'),
    agents: z.array(agentInputSchema).max(1000).default([]).describe('Agents to register (upsert by id) when the run is created.'),
    metadata: z.record(z.string(), z.unknown()).default({}),
    tasks: z.array(taskInputSchema).min(1, 'a plan needs at least one task').max(200_000),
  })
  .describe('A tutti plan: a DAG of tasks.');

export type PlanInput = z.input<typeof planSchema>;
export type Plan = z.output<typeof planSchema>;
export type TaskInput = z.output<typeof taskInputSchema>;
export type AgentInput = z.input<typeof agentInputSchema>;
export type AgentDefinition = z.output<typeof agentInputSchema>;
export type AgentSelectorInput = z.output<typeof agentSelectorSchema>;
export type Backoff = z.output<typeof backoffSchema>;
export type RetryPolicy = z.output<typeof retrySchema>;

/** A normalised agent selector. */
export interface AgentSelector {
  id?: string;
  type?: string;
  capabilities?: string[];
}

/** What the store keeps of a task: the plan's task with defaults applied (id and dependsOn live beside it). */
export interface TaskSpec {
  title: string;
  agent?: AgentSelector;
  command?: string[];
  prompt?: string;
  function?: string;
  input?: unknown;
  env?: Record<string, string>;
  cwd?: string;
  retry: RetryPolicy;
  timeoutMs: number | null;
  continueOnFailure: boolean;
  /** Coding tasks (docs/coding-agents.md): criteria and context for the prompt. */
  acceptanceCriteria?: string[];
  context?: string;
  /** Coding tasks: path rules (globs from the repository root). */
  allowedPaths?: string[];
  forbiddenPaths?: string[];
  /** Coding tasks: validation commands (argv, or lines split without a shell). */
  validate?: Array<string | string[]>;
  workspace?: TaskWorkspace;
  /** Coding tasks: what all attempts of this task may spend (USD, tokens, wall ms). */
  budget?: TaskBudget;
  /** Present on approval gates. */
  approval?: { message: string };
  /** Rewind on final failure (a validation loop between tasks). */
  loop?: LoopPolicy;
  /** Memory to retrieve into the prompt before each attempt (docs/memory.md). */
  memory?: TaskMemoryQuery;
}

/** A task's budget: limits of all its attempts together (at least one of usd, tokens, wallMs). */
export interface TaskBudget {
  /** USD. */
  usd?: number;
  /** Tokens: new input + cache writes + output (cache reads are not counted). */
  tokens?: number;
  /** Agent wall time, ms. */
  wallMs?: number;
  /** Fraction of a limit that emits the soft-limit line. @default 0.8 */
  softFraction?: number;
}

/** A task's memory query. */
export interface TaskMemoryQuery {
  query?: string;
  scope: 'run' | 'global';
  topK: number;
}

/** A task's loop: on final failure, run `rewindTo` again with the failure as feedback. */
export interface LoopPolicy {
  rewindTo: string;
  maxIterations: number;
  onExhausted: 'fail' | 'approval';
}

export { DEFAULT_APPROVAL_TTL_MS, DEFAULT_RETRY } from './defaults.js';

/** Workspace settings of a coding task. */
export type TaskWorkspace = z.output<typeof workspaceSchema>;


/** The JSON Schema (draft 2020-12) of the plan format, as printed by `tutti plan schema`. */
export function planJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(planSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, $id: 'https://tutti.dev/schemas/plan-v1.json', title: 'tutti plan' };
}
