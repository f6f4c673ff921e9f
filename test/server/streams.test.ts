/** Server-Sent Events: replay, live delivery, Last-Event-ID resumption, other processes' events, live output. */
import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import { diamondPlan, startServer, TOKEN } from './helpers.js';
import { eventsOf, openStream } from './sse-client.js';

const auth = { authorization: `Bearer ${TOKEN}` };

describe('event streams', () => {
  it('replays a run from its first event, then streams new ones with ids = sequence numbers', async () => {
    const s = await startServer();
    const url = await s.listen();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan(30) } })).json;
    const stream = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, auth);
    expect(stream.status).toBe(200);
    await stream.until((f) => eventsOf(f).some((e) => e.type === 'run:completed'));
    stream.close();
    const stored = (await s.call('GET', `/api/v1/runs/${run.id}/events?limit=1000`)).json.events as Array<{ seq: number }>;
    const got = stream.frames.filter((f) => f.event === 'message');
    expect(got.map((f) => Number(f.id))).toEqual(stored.map((e) => e.seq));
    expect(eventsOf(got)).toEqual(stored);
  });

  it('resumes after Last-Event-ID without gaps or repeats', async () => {
    const s = await startServer();
    const url = await s.listen();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    await s.engine.waitForRun(run.id);
    const first = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, auth);
    await first.until((f) => f.length >= 5);
    first.close();
    const lastId = first.frames[4]!.id!;
    const second = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, { ...auth, 'last-event-id': lastId });
    const total = (await s.engine.listEvents(run.id)).length;
    await second.until((f) => eventsOf(f).length === total - 5);
    second.close();
    expect(eventsOf(second.frames).map((e) => e.seq)).toEqual(Array.from({ length: total - 5 }, (_, i) => i + 6));
    const byQuery = await openStream(`${url}/api/v1/runs/${run.id}/events/stream?after=${total - 1}`, auth);
    await byQuery.until((f) => f.length >= 1);
    byQuery.close();
    expect(eventsOf(byQuery.frames).map((e) => e.seq)).toEqual([total]);
  });

  it('the all-runs stream starts at the head, filters by type, and resumes by global id', async () => {
    const s = await startServer();
    const url = await s.listen();
    const old = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    await s.engine.waitForRun(old.id);
    const live = await openStream(`${url}/api/v1/events/stream?types=run:`, auth);
    const fresh = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    await live.until((f) => eventsOf(f).some((e) => e.type === 'run:completed'));
    live.close();
    const events = eventsOf(live.frames);
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([fresh.id]));
    expect(events.every((e) => e.type.startsWith('run:'))).toBe(true);
    expect(live.frames.map((f) => Number(f.id))).toEqual(events.map((e) => e.id));

    const replay = await openStream(`${url}/api/v1/events/stream`, { ...auth, 'last-event-id': '0' });
    const stored = [...(await s.engine.listEvents(old.id)), ...(await s.engine.listEvents(fresh.id))];
    await replay.until((f) => f.length >= stored.length);
    replay.close();
    const ids = eventsOf(replay.frames).map((e) => e.id);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids)).toEqual(new Set(stored.map((e) => e.id)));
  });

  it('the all-runs stream finds the head of a store written by another process (no replay of old events)', async () => {
    const s = await startServer({ start: false });
    // Another engine writes the history: a few runs, so the head is not a power of two by chance.
    const other = createEngine({ dataDir: s.dataDir, workDir: s.dataDir, pollMs: 20 });
    await other.start();
    try {
      for (let i = 0; i < 3; i++) await other.run(diamondPlan());
    } finally {
      await other.stop();
    }
    const history = await s.engine.store.listAllEvents({ limit: 100_000 });
    expect(history.length).toBeGreaterThan(20);
    await s.engine.start();
    const url = await s.listen();
    const live = await openStream(`${url}/api/v1/events/stream`, auth);
    const fresh = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    const frames = await live.until((f) => eventsOf(f).some((e) => e.type === 'run:completed'));
    live.close();
    const events = eventsOf(frames);
    expect(new Set(events.map((e) => e.runId))).toEqual(new Set([fresh.id]));
    expect(events[0]!.type).toBe('run:created');
    expect(events[0]!.id).toBeGreaterThan(history[history.length - 1]!.id);
  });

  it('delivers events written by another process (found by polling the store)', async () => {
    const s = await startServer();
    const url = await s.listen();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'wait', agent: 'test', input: { hang: true } }] } } })).json;
    const stream = await openStream(`${url}/api/v1/runs/${run.id}/events/stream?types=run:`, auth);
    await stream.until((f) => eventsOf(f).some((e) => e.type === 'run:started'));
    const other = createEngine({ dataDir: s.dataDir, workDir: s.dataDir });
    try {
      await other.cancelRun(run.id, 'from another process');
    } finally {
      await other.stop();
    }
    const frames = await stream.until((f) => eventsOf(f).some((e) => e.type === 'run:cancelled'));
    stream.close();
    expect(eventsOf(frames).find((e) => e.type === 'run:cancelled')!.data).toEqual({ reason: 'from another process' });
  });

  it('streams live attempt output as `output` frames without ids', async () => {
    const s = await startServer();
    const url = await s.listen();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'gate', agent: 'test', input: { sleepMs: 300 } }, { id: 'talk', agent: 'test', input: { emit: ['one', 'two'] }, dependsOn: ['gate'] }] } } })).json;
    const stream = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, auth);
    const frames = await stream.until((f) => f.filter((x) => x.event === 'output').length >= 2);
    stream.close();
    const output = frames.filter((f) => f.event === 'output');
    expect(output.map((f) => f.data)).toEqual([
      { taskId: 'talk', attempt: 1, stream: 'stdout', text: 'one' },
      { taskId: 'talk', attempt: 1, stream: 'stdout', text: 'two' },
    ]);
    expect(output.every((f) => f.id === undefined)).toBe(true);
  });

  it('redacts secrets in streamed events', async () => {
    const s = await startServer();
    const url = await s.listen();
    const message = `OPENAI_API_KEY=sk-abcdefghijklmnopqrstuvwx and ${TOKEN} leaked`;
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks: [{ id: 'leak', agent: 'test', input: { outcome: 'fail', message } }] } } })).json;
    const stream = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, auth);
    const frames = await stream.until((f) => eventsOf(f).some((e) => e.type === 'attempt:failed'));
    stream.close();
    const text = JSON.stringify(frames);
    expect(text).not.toContain('sk-abcdefghijklmnopqrstuvwx');
    expect(text).not.toContain(TOKEN);
    expect(eventsOf(frames).find((e) => e.type === 'attempt:failed')!.data!.message).toBe('OPENAI_API_KEY=[REDACTED] and [REDACTED] leaked (attempt 1)');
  });

  it('refuses bad cursors, unknown runs and missing tokens before streaming', async () => {
    const s = await startServer();
    const url = await s.listen();
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: diamondPlan() } })).json;
    const bad = await openStream(`${url}/api/v1/runs/${run.id}/events/stream`, { ...auth, 'last-event-id': 'abc' });
    expect([bad.status, (bad.body as { error: { code: string } }).error.code]).toEqual([400, 'ERR_INVALID_INPUT']);
    const unknown = await openStream(`${url}/api/v1/runs/nope/events/stream`, auth);
    expect(unknown.status).toBe(404);
    const anonymous = await openStream(`${url}/api/v1/events/stream`);
    expect(anonymous.status).toBe(401);
    const badTypes = await openStream(`${url}/api/v1/events/stream?types=%3Cscript%3E`, auth);
    expect(badTypes.status).toBe(400);
  });

  it('ends open streams when the server closes', async () => {
    const s = await startServer();
    const url = await s.listen();
    const stream = await openStream(`${url}/api/v1/events/stream`, auth);
    expect(stream.status).toBe(200);
    await s.server.close();
    const r = await fetch(`${url}/healthz`).then(() => 'answered', () => 'closed');
    expect(r).toBe('closed');
    stream.close();
  });
});
