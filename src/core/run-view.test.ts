import { describe, expect, it } from 'vitest';
import type { AgentRecord } from '../agents/types.js';
import type { AttemptRecord, RunRecord, TaskRecord } from './model.js';
import { DEFAULT_RETRY, type TaskSpec } from './plan/schema.js';
import { interruptionOf } from './interrupted.js';
import { endedRunOutcome } from './run-outcome.js';
import { buildRunView, countTasks, deriveBlockedReason, iso, runCounts, runSummary, type BlockedContext } from './run-view.js';
import type { AcceptsFn } from './scheduler/select.js';

const T = Date.UTC(2025, 0, 2, 3, 4, 5, 678);
const acceptAll: AcceptsFn = () => null;

function run(o: Partial<RunRecord> = {}): RunRecord {
  return {
    id: 'r1', status: 'running', name: 'demo', goal: null, priority: 0, maxConcurrency: null, createdAt: T, startedAt: T + 1, finishedAt: null, updatedAt: T + 2, error: null,
    tasksTotal: 3, tasksFinished: 1, tasksFailed: 0, running: 0, lastSeq: 5, idempotencyKey: null, workDir: null, expiresAt: null, metadata: {}, ...o,
  };
}
function task(id: string, o: Partial<TaskRecord> = {}, spec: Partial<TaskSpec> = {}): TaskRecord {
  return {
    runId: 'r1', id, seq: 0, status: 'ready', spec: { title: id, retry: DEFAULT_RETRY, timeoutMs: null, continueOnFailure: false, ...spec }, dependsOn: [], priority: 0, pendingDeps: 0,
    attempts: 0, failures: 0, readyAt: T, startedAt: null, finishedAt: null, blockedReason: null, failedAgents: [], feedback: null, iterations: 0, awaitingSince: null, ...o,
  };
}
function agent(id: string, o: Partial<AgentRecord> = {}): AgentRecord {
  return { id, name: id, type: 'worker', driver: 'function', capabilities: [], maxConcurrency: null, priority: 0, status: 'active', config: {}, running: 0, createdAt: 0, updatedAt: 0, ...o };
}
function ctx(o: Partial<BlockedContext> = {}, tasks: TaskRecord[] = []): BlockedContext {
  return { run: run(), tasksById: new Map(tasks.map((t) => [t.id, t])), agents: [agent('a1')], accepts: acceptAll, now: T + 10, ...o };
}

describe('deriveBlockedReason', () => {
  it('pending: waits on the dependencies that have not succeeded', () => {
    const deps = [task('a', { status: 'succeeded' }), task('b', { status: 'running' }), task('c', { status: 'pending' })];
    const t = task('d', { status: 'pending', dependsOn: ['a', 'b', 'c'], readyAt: null });
    expect(deriveBlockedReason(t, ctx({}, deps))).toEqual({ kind: 'dependencies', waitingOn: ['b', 'c'] });
  });

  it('ready with readyAt in the future: retry_backoff until then', () => {
    expect(deriveBlockedReason(task('a', { readyAt: T + 5000 }), ctx())).toEqual({ kind: 'retry_backoff', until: T + 5000 });
  });

  it('ready in a run at its limit: concurrency_limit', () => {
    expect(deriveBlockedReason(task('a'), ctx({ run: run({ maxConcurrency: 2, running: 2 }) }))).toEqual({ kind: 'concurrency_limit', scope: 'run', limit: 2 });
  });

  it('ready but every capable agent is busy: agent_capacity', () => {
    expect(deriveBlockedReason(task('a'), ctx({ agents: [agent('a1', { maxConcurrency: 1, running: 1 })] }))).toEqual({ kind: 'agent_capacity', agents: ['a1'] });
  });

  it('ready but no agent can run it: no_capable_agent', () => {
    const reason = deriveBlockedReason(task('a', {}, { agent: { capabilities: ['gpu'] } }), ctx());
    expect(reason).toEqual({ kind: 'no_capable_agent', message: 'no registered agent has capabilities [gpu]' });
  });

  it('ready and dispatchable: queued', () => {
    expect(deriveBlockedReason(task('a', { readyAt: T + 10 }), ctx({ run: run({ maxConcurrency: 3, running: 2 }) }))).toEqual({ kind: 'queued' });
  });

  it('blocked: the persisted reason; awaiting_approval: its own kind', () => {
    const blockedReason = { kind: 'budget_exhausted', message: 'over budget' } as const;
    expect(deriveBlockedReason(task('a', { status: 'blocked', blockedReason }), ctx())).toEqual(blockedReason);
    expect(deriveBlockedReason(task('a', { status: 'awaiting_approval' }), ctx())).toEqual({ kind: 'awaiting_approval' });
  });

  it('running and finished tasks have none', () => {
    for (const status of ['running', 'succeeded', 'failed', 'cancelled', 'skipped'] as const) expect(deriveBlockedReason(task('a', { status }), ctx())).toBeNull();
  });
});

describe('run views', () => {
  const attempt: AttemptRecord = {
    runId: 'r1', taskId: 'a', n: 1, token: 99, status: 'succeeded', agentId: 'a1', workerId: 'w1', startedAt: T + 1, finishedAt: T + 1001, exitCode: 0, error: null,
    output: { ok: true }, outputRef: null, summary: 'done', usage: { inputTokens: 3 }, logPath: 'logs/r1/a/1.log', pid: 123,
  };

  it('gives progress in percent of finished tasks, rounded down', () => {
    expect(runSummary(run({ tasksTotal: 3, tasksFinished: 1 }), runCounts({})).progress).toBe(33);
    expect(runSummary(run({ tasksTotal: 3, tasksFinished: 3 }), runCounts({})).progress).toBe(100);
    expect(runSummary(run({ tasksTotal: 0, tasksFinished: 0 }), runCounts({})).progress).toBe(0);
  });

  it('writes timestamps as ISO-8601 with milliseconds', () => {
    const s = runSummary(run(), runCounts({}));
    expect(s.createdAt).toBe('2025-01-02T03:04:05.678Z');
    expect(s.startedAt).toBe('2025-01-02T03:04:05.679Z');
    expect(s.finishedAt).toBeNull();
    expect(iso(0)).toBe('1970-01-01T00:00:00.000Z');
  });

  it('builds the full view: counts, tasks with reasons, attempts without tokens', () => {
    const tasks = [
      task('a', { status: 'succeeded', seq: 0, startedAt: T + 1, finishedAt: T + 1001 }),
      task('b', { status: 'ready', seq: 1, dependsOn: ['a'] }),
      task('c', { status: 'pending', seq: 2, dependsOn: ['b'], readyAt: null }),
    ];
    const view = buildRunView(run(), tasks, [attempt], { agents: [agent('a1')], accepts: acceptAll, now: T + 2000 });
    expect(view.counts).toMatchObject({ total: 3, succeeded: 1, ready: 1, pending: 1, running: 0 });
    expect(view.tasks.map((t) => [t.id, t.blockedReason])).toEqual([
      ['a', null],
      ['b', { kind: 'queued' }],
      ['c', { kind: 'dependencies', waitingOn: ['b'] }],
    ]);
    expect(view.tasks[0]).toMatchObject({ startedAt: '2025-01-02T03:04:05.679Z', finishedAt: '2025-01-02T03:04:06.679Z' });
    expect(view.tasks[0]!.attempts).toEqual([
      { n: 1, agentId: 'a1', status: 'succeeded', startedAt: '2025-01-02T03:04:05.679Z', finishedAt: '2025-01-02T03:04:06.679Z', exitCode: 0, error: null, summary: 'done', output: { ok: true }, outputRef: null, usage: { inputTokens: 3 }, logPath: 'logs/r1/a/1.log', workerId: 'w1' },
    ]);
    expect(view.tasks[1]!.attempts).toEqual([]);
  });

  it('counts every status, approval waits included', () => {
    const c = countTasks([{ status: 'awaiting_approval' }, { status: 'blocked' }, { status: 'blocked' }, { status: 'skipped' }]);
    expect(c).toMatchObject({ total: 4, awaitingApproval: 1, blocked: 2, skipped: 1, ready: 0 });
  });
});

describe('runCounts', () => {
  it('counts each status as it is: cancelled is not succeeded, pending and approvals are counted', () => {
    expect(runCounts({ succeeded: 2, cancelled: 3, pending: 1, awaiting_approval: 1, failed: 1 })).toEqual({
      total: 8, pending: 1, ready: 0, running: 0, blocked: 0, awaitingApproval: 1, succeeded: 2, failed: 1, skipped: 0, cancelled: 3,
    });
  });

  it('gives the same counts as a scan of the tasks', () => {
    const statuses = ['succeeded', 'failed', 'cancelled', 'skipped', 'pending', 'ready', 'running', 'blocked', 'awaiting_approval'] as const;
    const tasks = statuses.flatMap((status, i) => Array.from({ length: i + 1 }, () => ({ status })));
    const byStatus = Object.fromEntries(statuses.map((s, i) => [s, i + 1]));
    expect(runCounts(byStatus)).toEqual(countTasks(tasks));
  });
});

describe('endedRunOutcome (the run status rule)', () => {
  it('fails a run where every task failed, or every one that was not skipped', () => {
    expect(endedRunOutcome(2, 0)).toEqual({ status: 'failed', error: 'every task failed or was skipped (2 failed)' });
  });
  it('completes a run with optional failures when something succeeded, and a run without failures', () => {
    expect(endedRunOutcome(1, 1)).toEqual({ status: 'completed' });
    expect(endedRunOutcome(0, 0)).toEqual({ status: 'completed' });
  });
});

describe('interruptionOf', () => {
  const live = { id: 'w1', heartbeatAt: T, leaseMs: 30_000 };
  const stale = { id: 'w2', heartbeatAt: T - 600_000, leaseMs: 30_000 };
  it('a running attempt of a live worker holds the run', () => {
    expect(interruptionOf({ status: 'running' }, [{ workerId: 'w1' }], [live], T + 1000)).toBeNull();
  });
  it('attempts whose worker is stale or gone: interrupted, with the resume command', () => {
    expect(interruptionOf({ status: 'running' }, [{ workerId: 'w2' }], [live, stale], T)).toEqual({
      reason: "no live engine holds this run (its attempts' worker last seen 10m ago)",
      hint: 'resume with: tutti resume',
    });
    expect(interruptionOf({ status: 'running' }, [{ workerId: 'gone' }], [], T)?.reason).toContain('stopped');
  });
  it('no running attempt: interrupted only when no live worker is registered', () => {
    expect(interruptionOf({ status: 'queued' }, [], [live], T)).toBeNull();
    expect(interruptionOf({ status: 'running' }, [], [stale], T)?.hint).toBe('resume with: tutti resume');
  });
  it('ended runs and runs waiting for a person are never interrupted', () => {
    for (const status of ['completed', 'failed', 'cancelled', 'expired', 'awaiting_approval'] as const) expect(interruptionOf({ status }, [], [], T)).toBeNull();
  });
});
