/**
 * Farm tasks and results: creation (seed 002 `createFarmTask`, `createFarmResult`), the priority
 * mapping onto the engine, and the prompt an agent receives.
 */
import { randomBytes } from 'node:crypto';
import { TuttiError } from '../../core/errors.js';
import type { FarmPriority, FarmResult, FarmStatus, FarmTask } from './types.js';

/** Longest task type: it becomes an engine capability, which is limited to 64 characters. */
export const MAX_TASK_TYPE_LENGTH = 64;

/** Engine task priority of each farm priority (higher is dispatched first). */
export const PRIORITY_RANK: Readonly<Record<FarmPriority, number>> = { high: 1, normal: 0, low: -1 };

const PRIORITIES = new Set<string>(Object.keys(PRIORITY_RANK));
const OPTION_KEYS = new Set(['context', 'constraints', 'priority', 'timeout']);

let lastMs = 0;
let counter = 0;

/** `task-<ms base36>-<counter>-<random>`: sortable by creation, unique, a valid engine task id. */
function newTaskId(now: number): string {
  counter = now === lastMs ? counter + 1 : 0;
  lastMs = now;
  return `task-${now.toString(36)}-${counter.toString(36)}-${randomBytes(4).toString('hex')}`;
}

/** Options of {@link createFarmTask} (the reference's). */
export interface FarmTaskOptions {
  /** Paths or notes for the agent. @default [] */
  context?: string[];
  /** Rules the agent must keep (put in its prompt). @default [] */
  constraints?: string[];
  /** @default 'normal' */
  priority?: FarmPriority;
  /** Bound on each attempt, ms (the engine's task timeout). @default none */
  timeout?: number;
}

function stringList(value: unknown, name: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new TuttiError('ERR_INVALID_INPUT', `createFarmTask: ${name} is an array of strings`);
  return [...(value as string[])];
}

/**
 * Creates a farm task (seed 002 `createFarmTask`). Pure: nothing is queued.
 * @param type the capability an agent needs: `implementation`, `test`, `review`, `research` or any
 *   other non-empty string of at most 64 characters.
 * @param description what to do (also the task's `title`).
 * @param successCriteria what must hold when it is done (also its `acceptance`).
 * @throws TuttiError `ERR_INVALID_INPUT` for an empty or too long type, an empty description, an
 *   unknown priority, a bad timeout, or an unknown option (named).
 * @example
 * const task = createFarmTask('implementation', 'Build authentication', 'Users can log in', {
 *   context: ['/src/auth.ts'],
 *   priority: 'high',
 * });
 */
export function createFarmTask(type: string, description: string, successCriteria: string, options: FarmTaskOptions = {}): FarmTask {
  if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TASK_TYPE_LENGTH) {
    throw new TuttiError('ERR_INVALID_INPUT', `a farm task type is a non-empty string of at most ${MAX_TASK_TYPE_LENGTH} characters (got ${JSON.stringify(type)})`);
  }
  if (typeof description !== 'string' || description.trim() === '') throw new TuttiError('ERR_INVALID_INPUT', 'a farm task needs a non-empty description');
  if (options === null || typeof options !== 'object') throw new TuttiError('ERR_INVALID_INPUT', 'createFarmTask: options is an object');
  const unknown = Object.keys(options).filter((k) => !OPTION_KEYS.has(k));
  if (unknown.length) throw new TuttiError('ERR_INVALID_INPUT', `createFarmTask: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (known: context, constraints, priority, timeout)`);
  const priority = options.priority ?? 'normal';
  if (!PRIORITIES.has(priority)) throw new TuttiError('ERR_INVALID_INPUT', `unknown priority '${String(priority)}': use high, normal or low`);
  const timeout = options.timeout;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) throw new TuttiError('ERR_INVALID_INPUT', `createFarmTask: timeout is a positive whole number of ms (got ${String(timeout)})`);
  const now = Date.now();
  const criteria = String(successCriteria ?? '');
  return {
    taskId: newTaskId(now),
    type,
    description,
    successCriteria: criteria,
    context: stringList(options.context, 'context'),
    constraints: stringList(options.constraints, 'constraints'),
    priority,
    ...(timeout !== undefined ? { timeout } : {}),
    title: description,
    acceptance: criteria,
    createdAt: new Date(now).toISOString(),
  };
}

/**
 * A result (seed 002 `createFarmResult`), with tutti's fields filled in: no start time, completed
 * now, `durationMs` = `duration` (default 0).
 */
export function createFarmResult(taskId: string, agentId: string, status: FarmStatus, output: string, options: { artifacts?: string[]; issues?: string[]; duration?: number } = {}): FarmResult {
  const duration = options.duration ?? 0;
  return {
    taskId,
    agentId,
    status,
    output,
    ...(options.artifacts ? { artifacts: [...options.artifacts] } : {}),
    ...(options.issues ? { issues: [...options.issues] } : {}),
    duration,
    startedAt: null,
    completedAt: new Date().toISOString(),
    durationMs: duration,
  };
}

/** Whether a result succeeded (seed 002 `isSuccessResult`). */
export function isSuccessResult(result: Pick<FarmResult, 'status'>): boolean {
  return result.status === 'success';
}

/** 0 for high, 1 for normal (and none), 2 for low: the reference's sort key. */
export function getPriorityOrder(priority?: FarmPriority): number {
  return priority === undefined ? 1 : 1 - PRIORITY_RANK[priority];
}

/** Tasks ordered high → normal → low, stable (seed 002 `sortByPriority`); the engine orders batches the same way. */
export function sortByPriority<T extends { priority?: FarmPriority }>(tasks: readonly T[]): T[] {
  return [...tasks].sort((a, b) => getPriorityOrder(a.priority) - getPriorityOrder(b.priority));
}

/**
 * The instructions an agent receives for a task (the engine task's `prompt`); prompt-driven
 * drivers (coding-agent CLIs) execute exactly this.
 */
export function renderPrompt(task: FarmTask): string {
  const lines = [`# ${task.description}`, '', `Type: ${task.type}`, `Success criteria: ${task.successCriteria}`];
  if (task.context.length) lines.push('', 'Context:', ...task.context.map((c) => `- ${c}`));
  if (task.constraints.length) lines.push('', 'Constraints:', ...task.constraints.map((c) => `- ${c}`));
  return lines.join('\n');
}

/** The reference's agent id of a result whose task never started. */
export const NO_AGENT = 'unknown';

/** A result for a task that never reached an agent (unknown id, no agent available…): the message is its output and its issue. */
export function notDispatched(taskId: string, error: string, status: 'failure' | 'blocked' = 'failure', now = Date.now()): FarmResult {
  return { taskId, agentId: NO_AGENT, status, output: error, issues: [error], duration: 0, startedAt: null, completedAt: new Date(now).toISOString(), durationMs: 0, error };
}
