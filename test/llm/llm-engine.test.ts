/** The `llm` driver inside an engine: registered by createEngine, usage stored, rate limits park the task. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEngine, tempDir } from '../engine/helpers.js';
import { sseAnswer, startFakeLlm } from './server.js';

describe('llm agents in an engine', () => {
  it('answers a prompt task; usage, cost, log and answer are in the store', async () => {
    const fake = await startFakeLlm();
    fake.queue({ body: sseAnswer('# Release notes\n\nEverything is faster.', { prompt_tokens: 2000, completion_tokens: 1000 }) });
    const dir = tempDir();
    const engine = await startEngine({
      dataDir: dir,
      llm: { env: { KEY: 'sk-1' }, prices: { 'fake-model': { inputUsdPerMTok: 1, outputUsdPerMTok: 4 } } },
      agents: [{ id: 'writer', driver: 'llm', capabilities: ['writing'], config: { baseUrl: fake.url, model: 'fake-model', apiKeyEnv: 'KEY' } }],
    });
    const v = await engine.run({ tasks: [{ id: 'notes', agent: { capabilities: ['writing'] }, prompt: 'Write release notes.' }] });
    expect(v.status).toBe('completed');
    const [a] = v.tasks[0]!.attempts;
    expect(a).toMatchObject({ status: 'succeeded', agentId: 'writer', output: '# Release notes\n\nEverything is faster.', summary: 'Release notes', usage: { inputTokens: 2000, outputTokens: 1000, costUsd: 0.006 } });
    expect(a!.logPath).toBeTruthy();
    expect(readFileSync(join(dir, a!.logPath!), 'utf8')).toContain('Write release notes.');
    expect(fake.requests[0]!.headers.authorization).toBe('Bearer sk-1');
  });

  it('a rate limit that outlasts the retries parks the task (no failure counted) until Retry-After, then it succeeds', async () => {
    const fake = await startFakeLlm();
    fake.queue({ status: 429, headers: { 'retry-after': '1' }, fixture: 'error-429.json' }, { body: sseAnswer('done') });
    const engine = await startEngine({
      llm: { env: {} },
      agents: [{ id: 'writer', driver: 'llm', capabilities: ['writing'], config: { baseUrl: fake.url, model: 'fake-model', maxRetryDelayMs: 0 } }],
    });
    const blocked: unknown[] = [];
    engine.on('task:blocked', (e) => blocked.push(e.data.reason));
    const v = await engine.run({ tasks: [{ id: 't', agent: 'writer', prompt: 'go' }] });
    expect(v.status).toBe('completed');
    expect(blocked).toEqual([{ kind: 'rate_limited', until: expect.any(Number), agentId: 'writer', message: expect.stringContaining('HTTP 429') }]);
    expect(v.tasks[0]!.attempts.map((a) => [a.status, a.error?.kind ?? null])).toEqual([
      ['failed', 'rate_limited'],
      ['succeeded', null],
    ]);
    const task = await engine.store.getTask(v.id, 't');
    expect(task!.failures).toBe(0);
    expect(fake.requests).toHaveLength(2);
    // The second request came no sooner than the server asked.
    const first = v.tasks[0]!.attempts[0]!;
    const second = v.tasks[0]!.attempts[1]!;
    expect(Date.parse(second.startedAt) - Date.parse(first.finishedAt!)).toBeGreaterThanOrEqual(1000);
  });

  it('a plan naming an llm agent with a bad config is refused before it runs', async () => {
    const engine = await startEngine();
    await expect(engine.createRun({ agents: [{ id: 'w', driver: 'llm', config: { baseUrl: 'nope', model: 'm' } }], tasks: [{ id: 't', agent: 'w', prompt: 'x' }] })).rejects.toMatchObject({
      code: 'ERR_INVALID_INPUT',
      message: expect.stringContaining('baseUrl'),
    });
  });
});
