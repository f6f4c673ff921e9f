/**
 * Builders for the conformance suite: runs, tasks, agents, finishes and choosers, with explicit
 * timestamps so no test sleeps.
 */
import { expect } from 'vitest';
import { isTuttiError, type ErrorCode } from '../../core/errors.js';
import type { EventRecord, RunRecord } from '../../core/model.js';
import { DEFAULT_RETRY, type RetryPolicy, type TaskSpec } from '../../core/plan/schema.js';
import type { PlannedTask } from '../../core/plan/validate.js';
import { createChooser, type Chooser, type ClaimDecision, type ClaimInput } from '../../core/scheduler/select.js';
import type { AgentUpsert, AttemptFinish, ClaimRequest, ClaimResult, NewRun, StartedAttempt, Store } from '../types.js';

/** The suite's epoch: every timestamp is `T0 + something`. */
export const T0 = 1_700_000_000_000;

/** The engine's chooser over drivers that accept every task. */
export const chooseAny: Chooser = createChooser(() => null);

/** A chooser that starts nothing and blocks nothing (apply finishes only). */
export const chooseNone: Chooser = () => ({ assignments: [], blocked: [] });

/** Wraps a chooser and keeps every input it was given. */
export function recordingChooser(inner: Chooser = chooseAny): Chooser & { inputs: ClaimInput[] } {
  const inputs: ClaimInput[] = [];
  const fn = ((input: ClaimInput): ClaimDecision => {
    inputs.push(structuredClone({ ...input, runs: new Map(input.runs) }));
    return inner(input);
  }) as Chooser & { inputs: ClaimInput[] };
  fn.inputs = inputs;
  return fn;
}

/** A chooser that assigns only the given task ids (to the first agent), ignoring the others. */
export function chooseOnly(taskIds: readonly string[], agentId = 'a1'): Chooser {
  return (input) => ({
    assignments: input.candidates.filter((c) => taskIds.includes(c.taskId)).slice(0, input.slots).map((c) => ({ runId: c.runId, taskId: c.taskId, agentId })),
    blocked: [],
  });
}

/** A retry policy with `maxAttempts` attempts and a deterministic backoff (no jitter). */
export function retryPolicy(maxAttempts: number, initialMs = 1000, factor = 2): RetryPolicy {
  return { maxAttempts, backoff: { initialMs, factor, maxMs: 60_000, jitter: 0 } };
}

export function task(id: string, dependsOn: string[] = [], spec: Partial<TaskSpec> = {}, priority = 0): PlannedTask {
  return { id, dependsOn, priority, spec: { title: id, retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false, ...spec } };
}

export function newRun(id: string, tasks: PlannedTask[], overrides: Partial<NewRun> = {}): NewRun {
  return { id, name: `plan ${id}`, goal: null, priority: 0, maxConcurrency: null, metadata: {}, workDir: null, createdAt: T0, tasks, ...overrides };
}

export function agent(id: string, overrides: Partial<AgentUpsert> = {}): AgentUpsert {
  return { id, name: `Agent ${id}`, type: 'worker', driver: 'function', capabilities: [], maxConcurrency: null, priority: 0, status: 'active', config: {}, ...overrides };
}

/** Registers agents `a1`… (or the given ones) at `T0`. */
export async function withAgents(store: Store, ...agents: AgentUpsert[]): Promise<void> {
  await store.upsertAgents(agents.length ? agents : [agent('a1')], T0);
}

/** A claim by worker `w1` with the default chooser. */
export function claim(store: Store, now: number, options: Partial<ClaimRequest> = {}): Promise<ClaimResult> {
  return store.claim({ workerId: 'w1', now, limit: 10, choose: chooseAny, random: () => 0.5, ...options });
}

/** The finish of a started attempt. */
export function finishOf(s: StartedAttempt, status: AttemptFinish['status'], finishedAt: number, extra: Partial<AttemptFinish> = {}): AttemptFinish {
  const { runId, taskId, n } = s.attempt;
  return { ref: { runId, taskId, n }, token: s.attempt.token, status, finishedAt, ...extra };
}

/** A failure finish with a retryable error. */
export function failureOf(s: StartedAttempt, finishedAt: number, message = 'boom'): AttemptFinish {
  return finishOf(s, 'failed', finishedAt, { exitCode: 1, error: { kind: 'exit_code', message } });
}

/** Applies finishes without starting anything. */
export function finish(store: Store, now: number, ...finishes: AttemptFinish[]): Promise<ClaimResult> {
  return claim(store, now, { finishes, limit: 0, choose: chooseNone });
}

/** The started attempt of a task, failing the test when it did not start. */
export function startedOf(result: ClaimResult, taskId: string): StartedAttempt {
  const s = result.started.find((x) => x.attempt.taskId === taskId);
  if (!s) throw new Error(`task '${taskId}' did not start (started: ${result.started.map((x) => x.attempt.taskId).join(', ') || 'none'})`);
  return s;
}

/** `type` or `type:taskId` of each event, for compact ordering assertions. */
export function brief(events: readonly EventRecord[]): string[] {
  return events.map((e) => (e.taskId ? `${e.type}:${e.taskId}` : e.type));
}

export async function mustGetRun(store: Store, id: string): Promise<RunRecord> {
  const run = await store.getRun(id);
  if (!run) throw new Error(`run '${id}' not found`);
  return run;
}

export async function taskStatuses(store: Store, runId: string): Promise<Record<string, string>> {
  return Object.fromEntries((await store.listTasks(runId)).map((t) => [t.id, t.status]));
}

/** Asserts that a promise rejects with a TuttiError of the given code. */
export async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<void> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected a rejection with ${code}`).not.toBeNull();
  expect(isTuttiError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}
