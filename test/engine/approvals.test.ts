/** Approval gates, rejections with rewinds, loops and expiry, through the engine. */
import { describe, expect, it } from 'vitest';
import { startEngine } from './helpers.js';

async function waitFor<T>(fn: () => Promise<T>, ok: (v: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await fn();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('approvals through the engine', () => {
  it('a rejection reruns the target with the feedback; approval completes the run', async () => {
    const seen: Array<{ task: string; attempt: number; feedback: string | null }> = [];
    const engine = await startEngine({
      functions: {
        work: ({ taskId, attempt, feedback }) => {
          seen.push({ task: taskId, attempt, feedback });
          return `${taskId} v${attempt}`;
        },
      },
    });
    const run = await engine.createRun({
      tasks: [
        { id: 'pm', function: 'work' },
        { id: 'architect', function: 'work', dependsOn: ['pm'] },
        { id: 'review', approval: { message: 'Is the spec good?' }, dependsOn: ['architect'] },
        { id: 'engineer', function: 'work', dependsOn: ['review'] },
      ],
    });
    let view = await waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval', 'the gate');
    expect(view!.approvals).toEqual([expect.objectContaining({ taskId: 'review', message: 'Is the spec good?' })]);
    expect(view!.tasks.find((t) => t.id === 'review')!.blockedReason).toEqual({ kind: 'awaiting_approval' });

    await engine.rejectRun(run.id, { feedback: 'add rate limiting', rewindTo: 'architect', by: 'ana' });
    view = await waitFor(() => engine.getRun(run.id), (v) => v!.status === 'awaiting_approval' && v!.tasks[1]!.attempts.length === 2, 'the second review');
    await expect(engine.approveRun(run.id, { taskId: 'nope' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await engine.approveRun(run.id, { by: 'ana', comment: 'ship it' });
    const done = await engine.waitForRun(run.id, { timeoutMs: 5000 });
    expect(done.status).toBe('completed');
    expect(seen.map((s) => `${s.task}#${s.attempt}`)).toEqual(['pm#1', 'architect#1', 'architect#2', 'engineer#1']);
    expect(seen[2]!.feedback).toContain('add rate limiting');
    expect(seen[3]!.feedback).toBeNull();
    const review = done.tasks.find((t) => t.id === 'review')!;
    expect(review.attempts.map((a) => [a.status, a.agentId, a.workerId, a.summary])).toEqual([
      ['failed', 'human', 'ana', 'add rate limiting'],
      ['succeeded', 'human', 'ana', 'ship it'],
    ]);
    expect(done.approvals).toEqual([]);
  });

  it('deciding a run that waits for nothing is refused', async () => {
    const engine = await startEngine();
    const v = await engine.run({ tasks: [{ id: 'a', function: 'noop' }] });
    await expect(engine.approveRun(v.id)).rejects.toMatchObject({ code: 'ERR_NOT_AWAITING_APPROVAL' });
    await expect(engine.rejectRun(v.id, { feedback: '' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('an engineer/qa loop iterates with the bug report as feedback until qa passes', async () => {
    let fixed = false;
    const engine = await startEngine({
      functions: {
        engineer: ({ attempt, feedback }) => {
          if (attempt === 3 && feedback?.includes('bug #2')) fixed = true;
          return `build ${attempt}`;
        },
        qa: ({ attempt }) => {
          if (!fixed) throw new Error(`bug #${attempt}`);
          return 'all tests pass';
        },
      },
    });
    const v = await engine.run({
      tasks: [
        { id: 'engineer', function: 'engineer' },
        { id: 'qa', function: 'qa', dependsOn: ['engineer'], loop: { rewindTo: 'engineer', maxIterations: 5 } },
      ],
    });
    expect(v.status).toBe('completed');
    expect(v.tasks[0]!.attempts).toHaveLength(3);
    expect(v.tasks[1]!.attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'succeeded']);
  });

  it('a run left waiting past its approval TTL expires', async () => {
    const engine = await startEngine({ pollMs: 20 });
    const run = await engine.createRun({ approvalTtlMs: 100, tasks: [{ id: 'gate', approval: true }, { id: 'after', function: 'noop', dependsOn: ['gate'] }] });
    const v = await engine.waitForRun(run.id, { timeoutMs: 5000 });
    expect(v.status).toBe('expired');
    expect(v.tasks.map((t) => t.status)).toEqual(['cancelled', 'cancelled']);
  });
});

describe('plans that grow', () => {
  it('a planner task adds work to its own run, which completes only when that work is done', async () => {
    const done: string[] = [];
    const engine: Awaited<ReturnType<typeof startEngine>> = await startEngine({
      functions: {
        planner: async ({ runId }) => {
          await engine.extendRun(runId, [
            { id: 'step-1', function: 'step' },
            { id: 'step-2', function: 'step', dependsOn: ['step-1', 'planner'] },
          ]);
          return 'planned 2 steps';
        },
        step: ({ taskId }) => void done.push(taskId),
      },
    });
    const v = await engine.run({ tasks: [{ id: 'planner', function: 'planner' }] });
    expect(v.status).toBe('completed');
    expect(v.tasks.map((t) => [t.id, t.status])).toEqual([
      ['planner', 'succeeded'],
      ['step-1', 'succeeded'],
      ['step-2', 'succeeded'],
    ]);
    expect(done).toEqual(['step-1', 'step-2']);
    await expect(engine.extendRun(v.id, [{ id: 'late', function: 'step' }])).rejects.toMatchObject({ code: 'ERR_INVALID_TRANSITION' });
    await expect(engine.extendRun(v.id, [{ id: 'a', function: 'step', dependsOn: ['b'] }, { id: 'b', function: 'step', dependsOn: ['a'] }])).rejects.toMatchObject({ code: 'ERR_CYCLE' });
  });
});
