/**
 * Seed 003 with an LLM configured: the planner agent drafts the plan with the model (through
 * `src/planner` and its check), the steps run on the `llm` driver, and each later step's request
 * carries the shared context enriched by the earlier answers. The model is a local fake.
 */
import { describe, expect, it } from 'vitest';
import { sseAnswer, startFakeLlm } from '../llm/server.js';
import { makeOrchestrator } from './orchestrator-helpers.js';

describe('seed 003 with an LLM', () => {
  it('plans with the model, runs the steps on it and propagates the answers', async () => {
    const fake = await startFakeLlm();
    fake.fallback = {
      respond: (req) => {
        const prompt = req.body.messages?.map((m) => m.content).join('\n') ?? '';
        if (prompt.includes('Answer with one JSON object and nothing else')) {
          const plan = {
            name: 'Haiku',
            tasks: [
              { id: 'research', title: 'Research haiku rules', prompt: 'List the rules of haiku.', agent: { type: 'researcher', capabilities: ['web_research'] } },
              { id: 'write', title: 'Write the haiku', prompt: 'Write a haiku about tea.', agent: { type: 'coder', capabilities: ['document_creation'] }, dependsOn: ['research'] },
            ],
          };
          return { body: sseAnswer(JSON.stringify(plan)) };
        }
        if (prompt.includes('List the rules of haiku.')) return { body: sseAnswer('Three lines: five, seven, five syllables.') };
        return { body: sseAnswer('Steam curls from the cup') };
      },
    };
    const o = makeOrchestrator({ llm: { baseUrl: fake.url, model: 'fake-model' } });
    const r = await o.orchestrate('Write a haiku about tea', { initialContext: { audience: 'children' } });
    expect(r.plan.steps).toEqual([
      { id: 'research', title: 'Research haiku rules', agentType: 'researcher', requiredCapabilities: ['web_research'], dependencies: [] },
      { id: 'write', title: 'Write the haiku', agentType: 'coder', requiredCapabilities: ['document_creation'], dependencies: ['research'] },
    ]);
    const done = await o.waitForSession(r.sessionId, { timeoutMs: 30_000 });
    expect(done).toMatchObject({ status: 'completed', results: { research: 'Three lines: five, seven, five syllables.', write: 'Steam curls from the cup' } });
    const agents = await o.listAgents();
    expect(agents.find((a) => a.id === 'planner-001')!.driver).toBe('llm');
    // The writing step's request carries the initial context and the research answer.
    const writeRequest = fake.requests.find((q) => q.body.messages!.some((m) => m.content.includes('Write a haiku about tea.')))!;
    const text = writeRequest.body.messages!.map((m) => m.content).join('\n');
    expect(text).toContain('Shared context (JSON):');
    expect(text).toContain('"audience":"children"');
    expect(text).toContain('"research":"Three lines: five, seven, five syllables."');
    expect(fake.requests.every((q) => q.body.model === 'fake-model')).toBe(true);
  });
});
