/**
 * Seed 000's task input, validated with one zod schema that takes the reference's shapes
 * (`successCriteria` flags, `backoffMs`, `onFailureClass`, `timeMs`/`tokens`/`costUsd`,
 * `strategy`, `priority`) beside tutti's, refuses every unknown or misspelt field, and maps each
 * field onto the engine: a plan of one agent task (plus check tasks for the `test` backend).
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { TuttiError } from '../../core/errors.js';
import type { PlanInput, RETRYABLE_ERROR_KINDS } from '../../core/plan/schema.js';
import type { OrchestratorBackend, OrchestratorConfig } from './types.js';
import { formatArgv, toArgv } from '../../workspace/argv.js';
import { criteriaCommands } from './validation.js';

const strings = z.array(z.string().min(1).max(10_000)).max(1000);
const globs = z.array(z.string().min(1).max(4096)).max(1000);
const ms = z.number().int().positive().max(30 * 24 * 3600 * 1000);

const flagsSchema = z.strictObject({
  tests: z.boolean().optional(),
  lint: z.boolean().optional(),
  typecheck: z.boolean().optional(),
  custom: z.custom<(result: unknown) => boolean>((v) => typeof v === 'function', 'a function (result) => boolean').optional(),
});

const retrySchema = z
  .strictObject({
    maxAttempts: z.number().int().min(1).max(1000).optional(),
    backoffMs: z.number().int().min(0).max(86_400_000).optional(),
    onFailureClass: z.enum(['transient', 'permanent', 'budget']).optional(),
    initialDelayMs: z.number().int().min(0).optional(),
    maxDelayMs: z.number().int().min(0).optional(),
    factor: z.number().min(1).max(100).optional(),
  })
  .refine((r) => r.backoffMs === undefined || (r.initialDelayMs === undefined && r.maxDelayMs === undefined && r.factor === undefined), {
    message: 'give either backoffMs (a fixed delay) or initialDelayMs/maxDelayMs/factor (exponential), not both',
  });

const budgetSchema = z
  .strictObject({
    timeMs: ms.optional(),
    tokens: z.number().int().positive().optional(),
    costUsd: z.number().positive().optional(),
    maxDurationMs: ms.optional(),
    maxTokens: z.number().int().positive().optional(),
    maxCostUsd: z.number().positive().optional(),
  })
  .superRefine((b, ctx) => {
    for (const [a, t] of [['timeMs', 'maxDurationMs'], ['tokens', 'maxTokens'], ['costUsd', 'maxCostUsd']] as const) {
      if (b[a] !== undefined && b[t] !== undefined) ctx.addIssue({ code: 'custom', path: [a], message: `give ${a} or ${t}, not both` });
    }
  });

/** The reference's strategies; a run here has one agent task, so they execute alike. */
export const STRATEGIES = ['adaptive', 'parallel', 'sequential', 'balanced'] as const;
/** The reference's priorities → run priority (higher runs first). */
export const PRIORITIES: Readonly<Record<string, number>> = { low: -1, medium: 0, high: 1, critical: 2 };

const entrySchema = z.strictObject({ key: z.string().min(1).max(1000).optional(), value: z.unknown(), text: z.string().max(1_000_000).optional(), metadata: z.record(z.string(), z.unknown()).optional() });

const inputSchema = z.strictObject({
  description: z.string().trim().min(1, 'a task description is required').max(1_000_000),
  strategy: z.enum(STRATEGIES).optional(),
  priority: z.enum(Object.keys(PRIORITIES) as [string, ...string[]]).optional(),
  initialMemoryEntries: z.array(entrySchema).max(10_000).optional(),
  loopPolicy: z
    .strictObject({
      maxIterations: z.number().int().min(1).max(1000).optional(),
      successCriteria: z.union([strings, flagsSchema], { error: 'an array of statements, or flags { tests, lint, typecheck, custom }' }).optional(),
      retryPolicy: retrySchema.optional(),
      budgetLimits: budgetSchema.optional(),
    })
    .optional(),
  cwd: z.string().min(1).max(4096).optional(),
  allowedPaths: globs.optional(),
  forbiddenPaths: globs.optional(),
  acceptanceCriteria: strings.optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
  validate: z.array(z.union([z.string().min(1), z.array(z.string()).min(1)])).max(100).optional(),
});

export type ParsedTaskInput = z.output<typeof inputSchema>;

/** `path: message; …` of zod issues, with the field names as written. */
export function issuesText(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.join('.') || 'input';
      if (i.code === 'unrecognized_keys') return `${path}: unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')}`;
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** @throws TuttiError `ERR_INVALID_INPUT` naming each bad or unknown field. */
export function parseOrchestrateInput(input: unknown): ParsedTaskInput {
  const r = inputSchema.safeParse(input);
  if (!r.success) throw new TuttiError('ERR_INVALID_INPUT', `orchestrateTask: ${issuesText(r.error)}`);
  const b = r.data.loopPolicy?.budgetLimits;
  if (r.data.loopPolicy?.retryPolicy?.onFailureClass === 'budget' && !(b && Object.values(b).some((v) => v !== undefined))) {
    throw new TuttiError('ERR_INVALID_INPUT', "orchestrateTask: loopPolicy.retryPolicy.onFailureClass 'budget' retries until the budget is used up: set loopPolicy.budgetLimits");
  }
  return r.data;
}

type RetryKind = (typeof RETRYABLE_ERROR_KINDS)[number];

/** Failures retried under `onFailureClass: 'transient'`. */
export const TRANSIENT_FAILURES: readonly RetryKind[] = ['timeout', 'crashed', 'spawn', 'rate_limited', 'exception', 'output_limit'];

/** The task's budget (USD, tokens, wall ms) from either spelling, or null when none is set. */
export function budgetOf(b: z.output<typeof budgetSchema> | undefined): { usd?: number; tokens?: number; wallMs?: number } | null {
  if (!b) return null;
  const usd = b.costUsd ?? b.maxCostUsd;
  const tokens = b.tokens ?? b.maxTokens;
  const wallMs = b.timeMs ?? b.maxDurationMs;
  if (usd === undefined && tokens === undefined && wallMs === undefined) return null;
  return { ...(usd !== undefined ? { usd } : {}), ...(tokens !== undefined ? { tokens } : {}), ...(wallMs !== undefined ? { wallMs } : {}) };
}

/** The retry policy of the task. */
function retryOf(lp: NonNullable<ParsedTaskInput['loopPolicy']>): NonNullable<PlanInput['tasks'][number]['retry']> {
  const rp = lp.retryPolicy;
  const cls = rp?.onFailureClass;
  const maxAttempts = rp?.maxAttempts ?? lp.maxIterations ?? (cls === 'budget' ? 1000 : 1);
  const backoff =
    rp?.backoffMs !== undefined
      ? { initialMs: rp.backoffMs, factor: 1, maxMs: rp.backoffMs, jitter: 0 }
      : { initialMs: rp?.initialDelayMs ?? 1000, factor: rp?.factor ?? 2, maxMs: rp?.maxDelayMs ?? 60_000, jitter: 0.2 };
  return { maxAttempts, backoff, ...(cls === 'transient' ? { retryOn: [...TRANSIENT_FAILURES] } : {}) };
}

/**
 * The plan of one orchestrated task: the agent task (the test driver, or a coding agent for
 * `safe-exec`) with its retry, budget, timeout and validation; for the `test` backend each
 * success-criteria flag is a check task running its command after the agent task.
 * @throws TuttiError `ERR_INVALID_INPUT` when a success-criteria flag has no command.
 */
export function orchestrationPlan(input: ParsedTaskInput, backend: OrchestratorBackend, config: Pick<OrchestratorConfig, 'agent' | 'memoryTopK' | 'validation' | 'workDir'>): PlanInput {
  const lp = input.loopPolicy ?? {};
  const sc = lp.successCriteria;
  const statements = Array.isArray(sc) ? sc : [];
  const flags = sc && !Array.isArray(sc) ? sc : {};
  const dir = resolve(input.cwd ?? config.workDir ?? process.cwd());
  const checks = criteriaCommands(flags, config.validation ?? {}, dir);
  const criteria = [...(input.acceptanceCriteria ?? []), ...statements];
  const title = input.description.split('\n')[0]!.slice(0, 200);
  const budget = budgetOf(lp.budgetLimits);
  const task: PlanInput['tasks'][number] = {
    id: 'task',
    title,
    prompt: input.description,
    retry: retryOf(lp),
    ...(budget?.wallMs ? { timeoutMs: budget.wallMs } : {}),
    ...(budget ? { budget } : {}),
    ...(criteria.length ? { acceptanceCriteria: criteria } : {}),
    ...(input.allowedPaths ? { allowedPaths: input.allowedPaths } : {}),
    ...(input.forbiddenPaths ? { forbiddenPaths: input.forbiddenPaths } : {}),
    ...(input.initialMemoryEntries?.length ? { memory: { scope: 'run' as const, topK: config.memoryTopK ?? 5 } } : {}),
  };
  const tasks: PlanInput['tasks'] = [task];
  if (backend === 'test') {
    task.agent = 'test';
    task.input = { output: { summary: `test backend: '${title}' completed without doing work` } };
    const commands = [...(input.validate ?? []).map((v, i) => ({ id: `validate-${i + 1}`, argv: toArgv(v) })), ...checks.map((c) => ({ id: `check-${c.flag}`, argv: c.argv }))];
    for (const c of commands) tasks.push({ id: c.id, title: `${c.id}: ${formatArgv(c.argv)}`, command: c.argv, dependsOn: ['task'] });
  } else {
    task.agent = config.agent ?? { capabilities: ['code'] };
    const validate = [...(input.validate ?? []), ...checks.map((c) => c.argv)];
    if (validate.length) task.validate = validate;
  }
  const metadata: Record<string, unknown> = {};
  if (input.strategy) metadata.strategy = input.strategy;
  if (sc && !Array.isArray(sc)) metadata.successCriteria = { ...(flags.tests ? { tests: true } : {}), ...(flags.lint ? { lint: true } : {}), ...(flags.typecheck ? { typecheck: true } : {}), ...(flags.custom ? { custom: true } : {}) };
  return { name: title, goal: input.description, priority: PRIORITIES[input.priority ?? 'medium'] ?? 0, metadata, tasks };
}
