/** `/api/v1/agents` and `/api/v1/stats`: register, update, pause, remove; loads; redacted configs. */
import { describe, expect, it } from 'vitest';
import { agentsResponse, agentView, statsResponse } from '../../src/server/schemas/responses.js';
import { startServer } from './helpers.js';

describe('agents API', () => {
  it('registers, lists, updates, pauses and removes agents', async () => {
    const s = await startServer();
    const created = await s.call('POST', '/api/v1/agents', {
      body: [
        { id: 'writer', driver: 'test', type: 'writer', capabilities: ['prose'], maxConcurrency: 2 },
        { id: 'runner', driver: 'exec', capabilities: ['shell'], config: { command: ['echo', '{prompt}'], env: { GITHUB_TOKEN: 'ghp_secretsecretsecretsecret1234' } } },
      ],
    });
    expect(created.status).toBe(201);
    agentsResponse.parse(created.json);
    expect(created.json.agents.map((a: { id: string }) => a.id).sort()).toEqual(['runner', 'writer']);
    const runner = created.json.agents.find((a: { id: string }) => a.id === 'runner');
    expect(runner.config.env.GITHUB_TOKEN).toBe('[REDACTED]');
    expect(JSON.stringify((await s.call('GET', '/api/v1/agents')).json)).not.toContain('ghp_secret');

    const one = await s.call('GET', '/api/v1/agents/writer');
    agentView.parse(one.json);
    expect(one.json).toMatchObject({ id: 'writer', type: 'writer', capabilities: ['prose'], maxConcurrency: 2, running: 0, load: 0, status: 'active' });

    const replaced = await s.call('PUT', '/api/v1/agents/writer', { body: { driver: 'test', type: 'writer', capabilities: ['prose', 'poetry'], maxConcurrency: 4 } });
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ capabilities: ['prose', 'poetry'], maxConcurrency: 4 });

    const paused = await s.call('PATCH', '/api/v1/agents/writer', { body: { status: 'paused' } });
    expect(paused.json.status).toBe('paused');
    expect((await s.call('DELETE', '/api/v1/agents/writer')).status).toBe(204);
    expect((await s.call('GET', '/api/v1/agents/writer')).status).toBe(404);
    expect((await s.call('DELETE', '/api/v1/agents/writer')).json.error.code).toBe('ERR_AGENT_NOT_FOUND');
    expect((await s.call('PATCH', '/api/v1/agents/ghost', { body: { status: 'active' } })).status).toBe(404);
  });

  it('rejects bad agent definitions with field errors and unknown drivers with a code', async () => {
    const s = await startServer();
    const badField = await s.call('POST', '/api/v1/agents', { body: { id: 'x', driver: 'test', maxConcurrency: -1 } });
    expect(badField.status).toBe(400);
    expect(badField.json.error.details.issues[0].path).toBe('body.maxConcurrency');
    const unknownDriver = await s.call('POST', '/api/v1/agents', { body: { id: 'x', driver: 'telepathy' } });
    expect([unknownDriver.status, unknownDriver.json.error.code]).toEqual([400, 'ERR_UNKNOWN_DRIVER']);
    const twice = await s.call('POST', '/api/v1/agents', { body: [{ id: 'x', driver: 'test' }, { id: 'x', driver: 'test' }] });
    expect(twice.status).toBe(400);
    const badConfig = await s.call('POST', '/api/v1/agents', { body: { id: 'x', driver: 'exec', config: { command: 'not an array' } } });
    expect([badConfig.status, badConfig.json.error.code]).toEqual([400, 'ERR_INVALID_INPUT']);
    expect((await s.call('GET', '/api/v1/agents/x')).status).toBe(404);
  });

  it('shows agent load and queue depth while tasks run', async () => {
    const s = await startServer();
    await s.call('POST', '/api/v1/agents', { body: { id: 'slow', driver: 'test', maxConcurrency: 1 } });
    const tasks = ['a', 'b', 'c'].map((id) => ({ id, agent: 'slow', input: { hang: true } }));
    const run = (await s.call('POST', '/api/v1/runs', { body: { plan: { tasks } } })).json;
    let stats = (await s.call('GET', '/api/v1/stats')).json;
    for (let i = 0; i < 100 && stats.agents.running < 1; i++) stats = (await s.call('GET', '/api/v1/stats')).json;
    statsResponse.parse(stats);
    expect(stats).toMatchObject({ runs: { running: 1 }, tasks: { running: 1, ready: 2 }, queueDepth: 2, agents: { busy: 1, running: 1 } });
    const slow = (await s.call('GET', '/api/v1/agents/slow')).json;
    expect([slow.running, slow.load]).toEqual([1, 1]);
    const view = (await s.call('GET', `/api/v1/runs/${run.id}`)).json;
    expect(view.tasks.filter((t: { status: string }) => t.status === 'ready').map((t: { blockedReason: { kind: string } }) => t.blockedReason.kind)).toEqual(['agent_capacity', 'agent_capacity']);
    await s.call('POST', `/api/v1/runs/${run.id}/cancel`, { body: {} });
  });
});
