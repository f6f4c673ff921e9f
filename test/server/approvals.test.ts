/** Approve and reject over HTTP: the gate succeeds, or an earlier task reruns with the feedback. */
import { describe, expect, it } from 'vitest';
import { attemptsResponse, runView } from '../../src/server/schemas/responses.js';
import { startServer } from './helpers.js';

const gatedPlan = {
  name: 'gated',
  tasks: [
    { id: 'draft', agent: 'test', input: { output: 'v1' } },
    { id: 'review', approval: { message: 'Is the draft good?' }, dependsOn: ['draft'] },
    { id: 'publish', agent: 'test', dependsOn: ['review'] },
  ],
};

async function waitForStatus(s: Awaited<ReturnType<typeof startServer>>, runId: string, status: string) {
  for (let i = 0; i < 200; i++) {
    const v = await s.call('GET', `/api/v1/runs/${runId}`);
    if (v.json.status === status) return v.json;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} never reached ${status}`);
}

describe('approvals API', () => {
  it('approves a gate and the run completes; approvals_total counts it', async () => {
    const s = await startServer();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: gatedPlan } })).json;
    const waiting = await waitForStatus(s, run.id, 'awaiting_approval');
    runView.parse(waiting);
    expect(waiting.approvals).toMatchObject([{ taskId: 'review', message: 'Is the draft good?' }]);
    const approved = await s.call('POST', `/api/v1/runs/${run.id}/approve`, { body: { comment: 'ship it', by: 'alice' } });
    expect(approved.status).toBe(200);
    const done = await s.engine.waitForRun(run.id);
    expect(done.status).toBe('completed');
    const events = (await s.call('GET', `/api/v1/runs/${run.id}/events?limit=1000`)).json.events;
    expect(events.find((e: { type: string }) => e.type === 'approval:granted').data).toEqual({ by: 'alice', comment: 'ship it' });
    const metrics = await s.call('GET', '/metrics');
    expect(metrics.text).toMatch(/^approvals_total 1$/m);
    expect(metrics.text).toMatch(/^rejections_total 0$/m);
  });

  it('rejects with feedback: the earlier task runs again and the gate waits again', async () => {
    const s = await startServer();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: gatedPlan } })).json;
    await waitForStatus(s, run.id, 'awaiting_approval');
    const rejected = await s.call('POST', `/api/v1/runs/${run.id}/reject`, { body: { feedback: 'more detail', rewindTo: 'draft' } });
    expect(rejected.status).toBe(200);
    const events = async () => (await s.call('GET', `/api/v1/runs/${run.id}/events?limit=1000`)).json.events as Array<{ type: string; data: unknown }>;
    for (let i = 0; i < 200 && (await events()).filter((e) => e.type === 'approval:requested').length < 2; i++) await new Promise((r) => setTimeout(r, 25));
    const view = await waitForStatus(s, run.id, 'awaiting_approval');
    expect(view.tasks.find((t: { id: string }) => t.id === 'draft').attempts).toHaveLength(2);
    // The rejected gate's attempt carries error kind 'rejected': the documented schemas accept it.
    const parsed = runView.parse(view);
    expect(parsed.tasks.find((t) => t.id === 'review')!.attempts[0]!.error).toMatchObject({ kind: 'rejected', message: 'more detail' });
    const attempts = await s.call('GET', `/api/v1/runs/${run.id}/attempts?taskId=review`);
    expect(attemptsResponse.parse(attempts.json).attempts[0]!.error!.kind).toBe('rejected');
    expect((await events()).find((e) => e.type === 'approval:rejected')!.data).toEqual({ by: 'api', feedback: 'more detail', rewindTo: 'draft' });
    expect((await s.call('GET', '/metrics')).text).toMatch(/^rejections_total 1$/m);
  });

  it('answers 409 when nothing waits, 400 without feedback, 404 for unknown runs', async () => {
    const s = await startServer();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'a', agent: 'test' }] } } })).json;
    await s.engine.waitForRun(run.id);
    const notWaiting = await s.call('POST', `/api/v1/runs/${run.id}/approve`, { body: {} });
    expect([notWaiting.status, notWaiting.json.error.code]).toEqual([409, 'ERR_NOT_AWAITING_APPROVAL']);
    const noFeedback = await s.call('POST', `/api/v1/runs/${run.id}/reject`, { body: { feedback: '   ' } });
    expect([noFeedback.status, noFeedback.json.error.details.issues[0].path]).toEqual([400, 'body.feedback']);
    const unknown = await s.call('POST', '/api/v1/runs/nope/approve', { body: {} });
    expect(unknown.status).toBe(404);
  });
});
