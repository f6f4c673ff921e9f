import { describe, expect, it } from 'vitest';
import type { AgentRecord } from '../agents/types.js';
import type { AttemptRecord, RunRecord, TaskRecord } from './model.js';
import { DEFAULT_RETRY, type TaskSpec } from './plan/schema.js';
import { buildRunView, countTasks, deriveBlockedReason, iso, runSummary, type BlockedContext } from './run-view.js';
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
    expect(runSummary(run({ tasksTotal: 3, tasksFinished: 1 })).progress).toBe(33);
    expect(runSummary(run({ tasksTotal: 3, tasksFinished: 3 })).progress).toBe(100);
    expect(runSummary(run({ tasksTotal: 0, tasksFinished: 0 })).progress).toBe(0);
  });

  it('writes timestamps as ISO-8601 with milliseconds', () => {
    const s = runSummary(run());
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
