/**
 * Context propagation through a real engine: a task's memory query puts retrieved items into the
 * prompt an exec agent reads on stdin (and `TUTTI_MEMORY`), and learnings the agent prints in the
 * documented forms are stored with provenance (run, task, attempt, agent).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryHooks, formatMemoryContext, MEMORY_HEADING } from '../../src/memory/context.js';
import { createHashEmbedder } from '../../src/memory/embedders/hash.js';
import type { Embedder } from '../../src/memory/embedders/types.js';
import { learningsFromOutput, learningsFromText } from '../../src/memory/learnings.js';
import { MemoryPlane } from '../../src/memory/memory-plane.js';
import { startEngine } from '../engine/helpers.js';

/** An exec agent that prints its prompt and TUTTI_MEMORY, then two learnings (text and JSON form). */
const AGENT_SCRIPT = `
let input = '';
process.stdin.on('data', (c) => (input += c));
process.stdin.on('end', () => {
  console.log('PROMPT<<' + input + '>>');
  console.log('ENV<<' + (process.env.TUTTI_MEMORY ?? 'none') + '>>');
  console.log('TUTTI_LEARNING: the staging database is read-only on Sundays');
  console.log('noise TUTTI_LEARNING: {"text": "retry uploads once on 502", "score": 0.6}');
  console.log('TUTTI_LEARNING: {broken json');
});`;

describe('context propagation', () => {
  it('a task’s memory query reaches an exec agent’s prompt; its TUTTI_LEARNING lines are recorded with provenance', async () => {
    let plane: MemoryPlane | null = null;
    const engine = await startEngine({
      attemptHooks: createMemoryHooks(() => plane!),
      agents: [{ id: 'scribe', driver: 'exec', capabilities: ['write'], config: { command: [process.execPath, '-e', AGENT_SCRIPT] } }],
    });
    plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder() });
    await plane.seed('ctx-run', [
      { key: 'db', value: 'Deployments write to the staging database first' },
      { key: 'lunch', value: 'The team orders pizza on Fridays' },
    ]);
    await plane.seed('other-run', [{ key: 'db', value: 'Other run: staging database moved to a new host' }]);

    const view = await engine.run(
      { tasks: [{ id: 'deploy', agent: 'scribe', prompt: 'Deploy to the staging database', memory: { query: 'staging database deployments', topK: 1 } }] },
      { runId: 'ctx-run' },
    );
    expect(view.status).toBe('completed');
    const out = String(view.tasks[0]!.attempts[0]!.output);
    const prompt = /PROMPT<<([\s\S]*?)>>/.exec(out)![1]!;
    expect(prompt.startsWith(MEMORY_HEADING)).toBe(true);
    expect(prompt).toContain('Deployments write to the staging database first');
    expect(prompt).not.toContain('Other run'); // run scope
    expect(prompt).not.toContain('pizza'); // topK 1
    expect(prompt.trimEnd().endsWith('Deploy to the staging database')).toBe(true);
    const env = JSON.parse(/ENV<<([\s\S]*?)>>/.exec(out)![1]!) as Array<{ text: string; key: string }>;
    expect(env).toEqual([expect.objectContaining({ key: 'db', text: 'Deployments write to the staging database first' })]);

    const learnings = await plane.list({ runId: 'ctx-run', kind: 'learning' });
    expect(learnings.map((l) => [l.text, l.score]).sort()).toEqual([
      ['retry uploads once on 502', 0.6],
      ['the staging database is read-only on Sundays', null],
    ]);
    for (const l of learnings) expect(l.provenance).toEqual({ runId: 'ctx-run', taskId: 'deploy', attempt: 1, agentId: 'scribe', source: 'agent-output', status: 'succeeded' });
  });

  it('learnings an exec agent printed before more output than its output keeps are read from the end of its log', async () => {
    let plane: MemoryPlane | null = null;
    // A learning, 64 KiB of noise (far past the output tail), another learning.
    const script = `console.log('TUTTI_LEARNING: early lesson'); for (let i = 0; i < 1024; i++) console.log('x'.repeat(63)); console.log('TUTTI_LEARNING: late lesson');`;
    const engine = await startEngine({
      // The scan reads only the last 8 KiB: the early lesson is out of reach, the late one is found.
      attemptHooks: createMemoryHooks(() => plane!, { maxLogScanBytes: 8192 }),
      agents: [{ id: 'noisy', driver: 'exec', capabilities: ['noise'], config: { command: [process.execPath, '-e', script] } }],
    });
    plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder() });
    expect((await engine.run({ tasks: [{ id: 'n', agent: 'noisy' }] }, { runId: 'log-run' })).status).toBe('completed');
    expect((await plane.list({ runId: 'log-run', kind: 'learning' })).map((l) => l.text)).toEqual(['late lesson']);

    let plane2: MemoryPlane | null = null;
    const whole = await startEngine({
      attemptHooks: createMemoryHooks(() => plane2!),
      agents: [{ id: 'noisy', driver: 'exec', capabilities: ['noise'], config: { command: [process.execPath, '-e', script] } }],
    });
    plane2 = new MemoryPlane({ store: whole.store, embedder: createHashEmbedder() });
    expect((await whole.run({ tasks: [{ id: 'n', agent: 'noisy' }] }, { runId: 'log-run-2' })).status).toBe('completed');
    expect((await plane2.list({ runId: 'log-run-2', kind: 'learning' })).map((l) => l.text).sort()).toEqual(['early lesson', 'late lesson']);
  });

  it('structured outputs carry learnings too, also from failed attempts; each attempt’s learnings are recorded once', async () => {
    let plane: MemoryPlane | null = null;
    let calls = 0;
    const engine = await startEngine({
      attemptHooks: createMemoryHooks(() => plane!),
      functions: {
        flaky: async () => {
          calls++;
          if (calls === 1) throw Object.assign(new Error('first try fails'), {});
          return { ok: true, learnings: ['second attempts pass after a cache clear', { text: 'scored lesson', score: 1, metadata: { area: 'ci' } }, { nope: 1 }] };
        },
      },
      agents: [{ id: 'fn', driver: 'function', capabilities: ['fn'], config: { function: 'flaky' } }],
    });
    plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder() });
    const view = await engine.run({ tasks: [{ id: 'job', agent: 'fn', retry: { maxAttempts: 2, backoff: { initialMs: 0, jitter: 0 } } }] }, { runId: 'structured' });
    expect(view.status).toBe('completed');
    const learnings = await plane.list({ runId: 'structured', kind: 'learning' });
    expect(learnings.map((l) => [l.text, l.provenance?.attempt, l.metadata]).sort()).toEqual([
      ['scored lesson', 2, { area: 'ci' }],
      ['second attempts pass after a cache clear', 2, {}],
    ]);
  });

  it('every engine made by createEngine has the memory hooks by default (plane created on first need); memory: false turns them off', async () => {
    const { createEngine } = await import('../../src/create-engine.js');
    const { tempDir } = await import('../engine/helpers.js');
    const embedder = createHashEmbedder();
    const agents = [{ id: 'coder', driver: 'function', capabilities: ['code'], config: { function: 'coder' } }];
    const functions = { coder: async ({ input }: { input: unknown }) => ({ agentMessage: `done\nTUTTI_LEARNING: lesson from ${String(input)}` }) };
    for (const memory of [{ embedder }, false as const]) {
      const dir = tempDir();
      const engine = createEngine({ dataDir: dir, workDir: dir, pollMs: 25, memory, functions, agents });
      try {
        await engine.start();
        const plane = new MemoryPlane({ store: engine.store, embedder });
        await plane.seed(null, [{ key: 'g', value: 'global hint for coders' }]);
        const prompts: string[] = [];
        engine.registerFunction('coder', async ({ input, prompt }: { input: unknown; prompt?: string }) => {
          prompts.push(prompt ?? '');
          return functions.coder({ input });
        });
        const view = await engine.run({ tasks: [{ id: 'code', agent: 'coder', prompt: 'write code', input: 'code-task', memory: { scope: 'global', query: 'hint for coders' } }] });
        expect(view.status).toBe('completed');
        const learnings = await plane.list({ kind: 'learning' });
        if (memory === false) {
          expect(prompts[0]).toBe('write code');
          expect(learnings).toEqual([]);
        } else {
          expect(prompts[0]).toContain('global hint for coders');
          expect(learnings.map((l) => [l.text, l.provenance?.agentId])).toEqual([['lesson from code-task', 'coder']]);
        }
      } finally {
        await engine.stop();
      }
    }
  });

  it('a learning that cannot be stored fails the attempt (retryable) instead of being reported stored', async () => {
    // The embedding provider is down for the first call only.
    let calls = 0;
    const flaky: Embedder = {
      model: 'flaky-8',
      dimension: 8,
      embed: async (texts) => {
        if (++calls === 1) throw new Error('provider down');
        return texts.map(() => new Float32Array(8).fill(1 / Math.sqrt(8)));
      },
    };
    let plane: MemoryPlane | null = null;
    const engine = await startEngine({
      attemptHooks: createMemoryHooks(() => plane!),
      functions: { teach: async () => ({ learnings: ['keep this'] }) },
      agents: [{ id: 'teacher', driver: 'function', capabilities: ['teach'], config: { function: 'teach' } }],
    });
    plane = new MemoryPlane({ store: engine.store, embedder: flaky });
    const view = await engine.run({ tasks: [{ id: 'lesson', agent: 'teacher', retry: { maxAttempts: 2, backoff: { initialMs: 0, jitter: 0 } } }] }, { runId: 'outage' });
    expect(view.status).toBe('completed');
    const [first, second] = view.tasks[0]!.attempts;
    expect(first).toMatchObject({ status: 'failed', error: { kind: 'exception', message: expect.stringContaining('recording the attempt output failed: provider down') } });
    expect(second!.status).toBe('succeeded');
    expect((await plane.list({ runId: 'outage', kind: 'learning' })).map((l) => [l.text, l.provenance?.attempt])).toEqual([['keep this', 2]]);
  });

  it('the documented forms parse strictly: malformed entries are skipped, never half-stored', () => {
    expect(learningsFromText('a\nTUTTI_LEARNING: one\nTUTTI_LEARNING:   \nx TUTTI_LEARNING: {"text":"two","score":0.5}\nTUTTI_LEARNING: {"score":1}')).toEqual([{ text: 'one' }, { text: 'two', score: 0.5 }]);
    expect(learningsFromOutput({ learnings: ['a', { text: 'b', score: 'high' }, 3] })).toEqual([{ text: 'a' }]);
    expect(learningsFromOutput({ learning: 'singular is not the form' })).toEqual([]);
    expect(formatMemoryContext([])).toBe('');
  });
});
