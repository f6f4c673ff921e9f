/**
 * Seed 003 over REST as its users meet it: a fresh `tutti serve` (the built CLI, a real process)
 * answers the seed's literal `POST /api/orchestrator/orchestrate` with the seed's four agents;
 * without an LLM endpoint their steps fail with "no driver configured", with one
 * (TUTTI_LLM_URL, TUTTI_LLM_MODEL) they do the work.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sseAnswer, startFakeLlm } from '../llm/server.js';
import { startServe, type ServeProcess } from '../server/serve-process.js';

const SEED_BODY = {
  goal: 'Research and implement user authentication',
  userId: 'user-123',
  chatId: 'chat-456',
  initialContext: { framework: 'express', database: 'postgresql' },
  metadata: { priority: 'high' },
};

const running: ServeProcess[] = [];
afterEach(async () => {
  while (running.length) await running.pop()!.stop();
});

async function serve(env: Record<string, string> = {}): Promise<ServeProcess> {
  const s = await startServe(['--no-dashboard'], { dataDir: mkdtempSync(join(tmpdir(), 'tutti-seed003-')), env });
  running.push(s);
  return s;
}

async function post(url: string, body: unknown) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.status, json: (await r.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function sessionUntilFinished(url: string, id: string) {
  for (;;) {
    const s = (await (await fetch(`${url}/api/orchestrator/sessions/${id}`)).json()) as { status: string; errors: string[]; results: Record<string, unknown> };
    if (['completed', 'failed', 'cancelled'].includes(s.status)) return s;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('seed 003 through tutti serve', () => {
  it('a fresh server plans the seed’s request with its four agents; without an LLM the steps fail saying why', async () => {
    const s = await serve();
    const agents = (await (await fetch(`${s.url}/api/orchestrator/agents`)).json()) as { count: number };
    expect(agents.count).toBe(4);
    const res = await post(`${s.url}/api/orchestrator/orchestrate`, SEED_BODY);
    expect(res.status).toBe(201);
    expect(res.json.plan.steps.map((x: { agentType: string }) => x.agentType)).toEqual(['planner', 'researcher', 'coder', 'coder', 'reviewer']);
    const done = await sessionUntilFinished(s.url, res.json.sessionId);
    expect(done.status).toBe('failed');
    expect(done.errors.join('\n')).toContain('no driver configured');
  });

  it('with TUTTI_LLM_URL and TUTTI_LLM_MODEL the seed’s agents do the work on the model', async () => {
    const fake = await startFakeLlm();
    fake.fallback = {
      respond: (req) => {
        const prompt = req.body.messages?.map((m) => m.content).join('\n') ?? '';
        if (prompt.includes('Answer with one JSON object')) {
          return { body: sseAnswer(JSON.stringify({ name: 'auth', tasks: [{ id: 'research', title: 'Research auth', prompt: 'Compare JWT and sessions.', agent: { type: 'researcher' } }, { id: 'build', title: 'Build it', prompt: 'Write the login route.', agent: { type: 'coder' }, dependsOn: ['research'] }] })) };
        }
        return { body: sseAnswer(prompt.includes('Compare JWT and sessions.') ? 'JWT for the API, sessions for the web app' : 'app.post("/login", …)') };
      },
    };
    const s = await serve({ TUTTI_LLM_URL: fake.url, TUTTI_LLM_MODEL: 'fake-model' });
    const res = await post(`${s.url}/api/orchestrator/orchestrate`, SEED_BODY);
    expect(res.status).toBe(201);
    const done = await sessionUntilFinished(s.url, res.json.sessionId);
    expect(done).toMatchObject({ status: 'completed', results: { research: 'JWT for the API, sessions for the web app', build: 'app.post("/login", …)' } });
    expect(fake.requests.every((q) => q.body.model === 'fake-model')).toBe(true);
  });

  it('a half-configured endpoint is a usage error (exit 2), not a silent default', async () => {
    await expect(serve({ TUTTI_LLM_URL: 'http://127.0.0.1:9/v1' })).rejects.toThrow(/exited with 2.*TUTTI_LLM_URL, TUTTI_LLM_MODEL/s);
  });
});
