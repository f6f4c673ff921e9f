/**
 * Farm tasks and results: creation, the priority mapping onto the engine, the prompt an agent
 * receives, and batch summaries (seed 002).
 */
import { randomBytes } from 'node:crypto';
import { TuttiError } from '../../core/errors.js';
import type { FarmBatchResults, FarmPriority, FarmResult, FarmTask } from './types.js';

/** Longest task type: it becomes an engine capability, which is limited to 64 characters. */
export const MAX_TASK_TYPE_LENGTH = 64;

/** Engine task priority of each farm priority (higher is dispatched first). */
export const PRIORITY_RANK: Readonly<Record<FarmPriority, number>> = { high: 1, normal: 0, low: -1 };

const PRIORITIES = new Set<string>(Object.keys(PRIORITY_RANK));

let lastMs = 0;
let counter = 0;

/** `task-<ms base36>-<counter>-<random>`: sortable by creation, unique, a valid engine task id. */
function newTaskId(now: number): string {
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  return `task-${now.toString(36)}-${counter.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Options of {@link createFarmTask}. */
export interface FarmTaskOptions {
  /** Paths or notes for the agent. @default [] */
  context?: string[];
  /** @default 'normal' */
  priority?: FarmPriority;
}

/**
 * Creates a farm task (seed 002 `createFarmTask`). Pure: nothing is queued.
 * @param type the capability an agent needs: `implementation`, `test`, `review`, `research` or any
 *   other non-empty string of at most 64 characters.
 * @throws TuttiError `ERR_INVALID_INPUT` for an empty or too long type, an empty title, or an unknown priority.
 * @example
 * const task = createFarmTask('implementation', 'Build authentication', 'Users can log in', {
 *   context: ['/src/auth.ts'],
 *   priority: 'high',
 * });
 */
export function createFarmTask(type: string, title: string, acceptance: string, options: FarmTaskOptions = {}): FarmTask {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TASK_TYPE_LENGTH) {
    throw new TuttiError('ERR_INVALID_INPUT', `a farm task type is a non-empty string of at most ${MAX_TASK_TYPE_LENGTH} characters (got ${JSON.stringify(type)})`);
  }
  if (typeof title !== 'string' || title.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', 'a farm task needs a non-empty title');
  const priority = options.priority ?? 'normal';
  if (!PRIORITIES.has(priority)) throw new TuttiError('ERR_INVALID_INPUT', `unknown priority '${String(priority)}': use high, normal or low`);
  const now = Date.now();
  return {
    taskId: newTaskId(now),
    type,
    title,
    acceptance: String(acceptance ?? ''),
    context: [...(options.context ?? [])],
    priority,
    createdAt: new Date(now).toISOString(),
  };
}

/**
 * The instructions an agent receives for a task (the engine task's `prompt`); prompt-driven
 * drivers (coding-agent CLIs) execute exactly this.
 */
export function renderPrompt(task: FarmTask): string {
  const lines = [`# ${task.title}`, '', `Type: ${task.type}`, `Acceptance criteria: ${task.acceptance}`];
  if (task.context.length) lines.push('', 'Context:', ...task.context.map((c) => `- ${c}`));
  return lines.join('\n');
}

/**
 * True when every result succeeded (seed 002 `isOverallSuccess`). An empty list is a success:
 * nothing failed.
 */
export function isOverallSuccess(results: readonly FarmResult[]): boolean {
  return results.every((r) => r.status === 'success');
}

/** `3/3 succeeded`, or `1/3 succeeded, 1 failed, 1 blocked`. */
export function summarize(results: readonly FarmResult[]): string {
  const ok = results.filter((r) => r.status === 'success').length;
  const failed = results.filter((r) => r.status === 'failure').length;
  const blocked = results.filter((r) => r.status === 'blocked').length;
  let s = `${ok}/${results.length} succeeded`;
  if (failed) s += `, ${failed} failed`;
  if (blocked) s += `, ${blocked} blocked`;
  return s;
}

/**
 * Attaches the summary to a list of results, as a non-enumerable property: the results still
 * compare and serialise as a plain array.
 */
export function toBatchResults(results: FarmResult[]): FarmBatchResults {
  return Object.defineProperty(results, 'summary', { value: summarize(results), enumerable: false }) as FarmBatchResults;
}

/** A result for a task that never reached an agent (unknown id, no capable agent…). */
export function notDispatched(taskId: string, error: string, status: 'failure' | 'blocked' = 'failure', now = Date.now()): FarmResult {
  return { taskId, status, output: '', agentId: null, startedAt: null, completedAt: new Date(now).toISOString(), durationMs: 0, error };
}
