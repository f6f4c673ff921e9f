import { describe, expect, it } from 'vitest';
import { InvalidTransitionError, isTuttiError } from './errors.js';
import {
  assertAttemptTransition,
  assertRunTransition,
  assertTaskTransition,
  ATTEMPT_STATUSES,
  canTransitionAttempt,
  canTransitionRun,
  canTransitionTask,
  idempotencyKey,
  isTerminalRunStatus,
  isTerminalTaskStatus,
  progressOf,
  RUN_STATUSES,
  TASK_STATUSES,
} from './model.js';

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return null;
}

describe('run transitions', () => {
  it.each([
    ['queued', 'running'],
    ['queued', 'cancelled'],
    ['running', 'awaiting_approval'],
    ['awaiting_approval', 'running'],
    ['awaiting_approval', 'expired'],
    ['running', 'completed'],
    ['running', 'failed'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransitionRun(from, to)).toBe(true);
    expect(() => assertRunTransition(from, to)).not.toThrow();
  });

  it.each([
    ['completed', 'running'],
    ['failed', 'queued'],
    ['cancelled', 'running'],
    ['running', 'queued'],
    ['running', 'expired'],
    ['queued', 'awaiting_approval'],
  ] as const)('forbids %s → %s', (from, to) => {
    expect(canTransitionRun(from, to)).toBe(false);
    const e = thrown(() => assertRunTransition(from, to, 'r1'));
    expect(e).toBeInstanceOf(InvalidTransitionError);
    expect(isTuttiError(e, 'ERR_INVALID_TRANSITION')).toBe(true);
    expect((e as Error).message).toBe(`run r1 cannot go from '${from}' to '${to}'`);
  });

  it('terminal runs go nowhere', () => {
    for (const from of RUN_STATUSES.filter(isTerminalRunStatus)) for (const to of RUN_STATUSES) expect(canTransitionRun(from, to)).toBe(false);
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual(['completed', 'failed', 'cancelled', 'expired']);
  });
});

describe('task transitions', () => {
  it.each([
    ['pending', 'ready'],
    ['pending', 'skipped'],
    ['ready', 'running'],
    ['ready', 'blocked'],
    ['blocked', 'ready'],
    ['running', 'succeeded'],
    ['running', 'ready'],
    ['awaiting_approval', 'succeeded'],
  ] as const)('allows %s → %s', (from, to) => {
    expect(canTransitionTask(from, to)).toBe(true);
    expect(() => assertTaskTransition(from, to)).not.toThrow();
  });

  it.each([
    ['pending', 'running'],
    ['succeeded', 'ready'],
    ['failed', 'running'],
    ['skipped', 'ready'],
    ['blocked', 'running'],
    ['running', 'skipped'],
  ] as const)('forbids %s → %s', (from, to) => {
    expect(canTransitionTask(from, to)).toBe(false);
    const e = thrown(() => assertTaskTransition(from, to, 'build'));
    expect(isTuttiError(e, 'ERR_INVALID_TRANSITION')).toBe(true);
    expect((e as InvalidTransitionError).details).toEqual({ entity: 'task', from, to, id: 'build' });
  });

  it('terminal tasks go nowhere', () => {
    const terminal = TASK_STATUSES.filter(isTerminalTaskStatus);
    expect(terminal).toEqual(['succeeded', 'failed', 'cancelled', 'skipped']);
    for (const from of terminal) for (const to of TASK_STATUSES) expect(canTransitionTask(from, to)).toBe(false);
  });
});

describe('attempt transitions', () => {
  it('a running attempt ends in any final status; a finished one never changes', () => {
    for (const to of ['succeeded', 'failed', 'cancelled', 'interrupted'] as const) expect(canTransitionAttempt('running', to)).toBe(true);
    for (const from of ATTEMPT_STATUSES.filter((s) => s !== 'running')) for (const to of ATTEMPT_STATUSES) expect(canTransitionAttempt(from, to)).toBe(false);
  });

  it('assertAttemptTransition throws ERR_INVALID_TRANSITION', () => {
    const e = thrown(() => assertAttemptTransition('succeeded', 'failed'));
    expect(e).toBeInstanceOf(InvalidTransitionError);
    expect((e as InvalidTransitionError).code).toBe('ERR_INVALID_TRANSITION');
    expect((e as Error).message).toBe("attempt cannot go from 'succeeded' to 'failed'");
    expect(() => assertAttemptTransition('running', 'interrupted')).not.toThrow();
  });
});

describe('helpers', () => {
  it('idempotencyKey is runId/taskId/attemptNo', () => {
    expect(idempotencyKey({ runId: 'run_1', taskId: 'build', n: 3 })).toBe('run_1/build/3');
  });

  it('progressOf is an integer percentage, 0 for an empty run', () => {
    expect(progressOf({ tasksTotal: 8, tasksFinished: 3 })).toBe(37);
    expect(progressOf({ tasksTotal: 0, tasksFinished: 0 })).toBe(0);
    expect(progressOf({ tasksTotal: 2, tasksFinished: 2 })).toBe(100);
  });
});
