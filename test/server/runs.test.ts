/** `/api/v1/runs`: create, list with filters and cursors, views, cancel, events, logs, outputs, artifacts. */
import { describe, expect, it } from 'vitest';
import { attemptsResponse, artifactsResponse, eventPage, logsResponse, runPage, runSummary, runView, taskView } from '../../src/server/schemas/responses.js';
import { diamondPlan, startServer } from './helpers.js';

describe('runs API', () => {
  it('creates a run from a plan, executes it, and shows it with tasks and attempts', async () => {
    const s = await startServer();
    const created = await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan(), metadata: { team: 'a' } } });
    expect(created.status).toBe(201);
    runSummary.parse(created.json);
    expect(created.json).toMatchObject({ name: 'diamond', metadata: { team: 'a' }, counts: { total: 4 } });
    await s.engine.waitForRun(created.json.id);

    const view = await s.call('GET', `/api/v1/runs/${created.json.id}`);
    expect(view.status).toBe(200);
    runView.parse(view.json);
    expect(view.json.status).toBe('completed');
    expect(view.json.tasks.map((t: { id: string; status: string }) => [t.id, t.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
      ['c', 'succeeded'],
      ['d', 'succeeded'],
    ]);

    const tasks = await s.call('GET', `/api/v1/runs/${created.json.id}/tasks`);
    expect(tasks.json.tasks).toHaveLength(4);
    const task = await s.call('GET', `/api/v1/runs/${created.json.id}/tasks/d`);
    taskView.parse(task.json);
    expect(task.json.dependsOn).toEqual(['b', 'c']);
    const attempts = await s.call('GET', `/api/v1/runs/${created.json.id}/attempts?taskId=b`);
    attemptsResponse.parse(attempts.json);
    expect(attempts.json.attempts).toMatchObject([{ taskId: 'b', n: 1, agentId: 'test', status: 'succeeded', output: { id: 'b' } }]);
    const output = await s.call('GET', `/api/v1/runs/${created.json.id}/tasks/b/attempts/1/output`);
    expect(output.json).toEqual({ id: 'b' });
    const artifacts = await s.call('GET', `/api/v1/runs/${created.json.id}/artifacts`);
    artifactsResponse.parse(artifacts.json);
    expect(artifacts.json.artifacts.filter((a: { kind: string }) => a.kind === 'output').map((a: { taskId: string }) => a.taskId)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('returns the same run for a repeated idempotency key and honours a given run id', async () => {
    const s = await startServer();
    const first = await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan(), idempotencyKey: 'k1', runId: 'my-run-1' } });
    const again = await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan(), idempotencyKey: 'k1' } });
    expect(first.json.id).toBe('my-run-1');
    expect(again.json.id).toBe('my-run-1');
    const page = await s.call('GET', '/api/v1/runs');
    expect(page.json.runs).toHaveLength(1);
  });

  it('pages through runs newest first with a cursor, and filters by status', async () => {
    const s = await startServer({ start: false });
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json.id);
    await s.engine.cancelRun(ids[2]!);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { status: number; json: { runs: Array<{ id: string }>; nextCursor: string | null } } = await s.call('GET', `/api/v1/runs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      runPage.parse(page.json);
      seen.push(...page.json.runs.map((r) => r.id));
      cursor = page.json.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const cancelled = await s.call('GET', '/api/v1/runs?status=cancelled');
    expect(cancelled.json.runs.map((r: { id: string }) => r.id)).toEqual([ids[2]]);
    const both = await s.call('GET', '/api/v1/runs?status=cancelled&status=queued');
    expect(both.json.runs).toHaveLength(7);
    const comma = await s.call('GET', '/api/v1/runs?status=cancelled,completed');
    expect(comma.json.runs).toHaveLength(1);
  });

  it('cancels a running run and keeps a finished one unchanged', async () => {
    const s = await startServer();
    const run = await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'hang', agent: 'test', input: { hang: true } }] } } });
    const cancelled = await s.call('POST', `/api/v1/runs/${run.json.id}/cancel`, { body: { reason: 'enough' } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json.status).toBe('cancelled');
    const view = await s.engine.waitForRun(run.json.id);
    expect(view.tasks[0]!.status).toBe('cancelled');
    const again = await s.call('POST', `/api/v1/runs/${run.json.id}/cancel`, { body: {} });
    expect(again.json.status).toBe('cancelled');
    const events = await s.call('GET', `/api/v1/runs/${run.json.id}/events`);
    expect(events.json.events.find((e: { type: string }) => e.type === 'run:cancelled').data).toEqual({ reason: 'enough' });
  });

  it('pages through the event history by sequence number', async () => {
    const s = await startServer();
    const run = await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } });
    await s.engine.waitForRun(run.json.id);
    const all: number[] = [];
    let after = 0;
    for (;;) {
      const page = await s.call('GET', `/api/v1/runs/${run.json.id}/events?after=${after}&limit=4`);
      eventPage.parse(page.json);
      all.push(...page.json.events.map((e: { seq: number }) => e.seq));
      if (page.json.nextCursor === null) break;
      after = page.json.nextCursor;
    }
    expect(all).toEqual(Array.from({ length: all.length }, (_, i) => i + 1));
    expect(all.length).toBeGreaterThan(10);
  });

  it('serves attempt logs as a tail and from an offset', async () => {
    const s = await startServer();
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i}`).join('\n');
    const run = await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'say', command: ['node', '-e', `console.log(${JSON.stringify(lines)})`] }] } } });
    await s.engine.waitForRun(run.json.id);
    const tail = await s.call('GET', `/api/v1/runs/${run.json.id}/logs?taskId=say&tail=20`);
    logsResponse.parse(tail.json);
    expect(tail.json.logs).toHaveLength(1);
    expect(tail.json.logs[0].text.endsWith('line 199\n')).toBe(true);
    expect(tail.json.logs[0].text.length).toBe(20);
    let offset = 0;
    let text = '';
    for (;;) {
      const chunk = await s.call('GET', `/api/v1/runs/${run.json.id}/logs?taskId=say&offset=${offset}`);
      const log = chunk.json.logs[0];
      text += log.text;
      if (log.nextOffset === offset) break;
      offset = log.nextOffset;
    }
    expect(text).toBe(`${lines}\n`);
    const all = await s.call('GET', `/api/v1/runs/${run.json.id}/logs`);
    expect(all.json.logs.map((l: { taskId: string }) => l.taskId)).toEqual(['say']);
    const artifacts = await s.call('GET', `/api/v1/runs/${run.json.id}/artifacts`);
    const log = artifacts.json.artifacts.find((a: { kind: string }) => a.kind === 'log');
    expect(log.bytes).toBe(lines.length + 1);
    expect((await s.call('GET', log.url)).json.logs[0].text).toBe(`${lines}\n`);
  });

  it('answers 404 with a code for unknown runs, tasks and attempts', async () => {
    const s = await startServer();
    const run = await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } });
    for (const [url, code] of [
      ['/api/v1/runs/nope', 'ERR_RUN_NOT_FOUND'],
      ['/api/v1/runs/nope/tasks', 'ERR_RUN_NOT_FOUND'],
      ['/api/v1/runs/nope/events', 'ERR_RUN_NOT_FOUND'],
      ['/api/v1/runs/nope/logs', 'ERR_RUN_NOT_FOUND'],
      ['/api/v1/runs/nope/artifacts', 'ERR_RUN_NOT_FOUND'],
      [`/api/v1/runs/${run.json.id}/tasks/zz`, 'ERR_TASK_NOT_FOUND'],
      [`/api/v1/runs/${run.json.id}/attempts?taskId=zz`, 'ERR_TASK_NOT_FOUND'],
      [`/api/v1/runs/${run.json.id}/logs?taskId=zz`, 'ERR_TASK_NOT_FOUND'],
      [`/api/v1/runs/${run.json.id}/tasks/a/attempts/9/output`, 'ERR_TASK_NOT_FOUND'],
      ['/api/v1/nothing-here', 'ERR_ROUTE_NOT_FOUND'],
    ] as const) {
      const r = await s.call('GET', url);
      expect([url, r.status, r.json?.error?.code]).toEqual([url, 404, code]);
    }
    const cancel = await s.call('POST', '/api/v1/runs/nope/cancel', { body: {} });
    expect(cancel.status).toBe(404);
  });
});
