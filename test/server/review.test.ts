/**
 * The review endpoints over a real git repository: an attempt's diff (files, counts, unified
 * diff, the cap), its transcript parsed from the log, and the run's spending against budgets.
 */
import { describe, expect, it } from 'vitest';
import { contractCoder, makeRepo } from '../review/contract-coder.js';
import { startServer } from './helpers.js';

const FIXED = 'export function sum(a, b) {\n  return a + b;\n}\n';

async function reviewedRun() {
  const repo = makeRepo();
  const s = await startServer({
    engine: { drivers: [contractCoder()], agents: [{ id: 'coder', driver: 'contract-coder', config: { repo, budget: { usd: 0.1 } } }] },
  });
  const run = await s.engine.run({
    name: 'fix sum',
    tasks: [
      { id: 'fix', agent: 'coder', input: { files: { 'src/sum.js': FIXED, 'NOTES.md': '# notes\n' }, message: 'sum: add, do not subtract', failAttempt: 1 }, retry: { maxAttempts: 2, backoff: { initialMs: 1, factor: 1, maxMs: 1, jitter: 0 } } },
      { id: 'docs', agent: 'coder', input: { files: { 'README.md': 'sum(a, b) adds.\n' }, message: 'docs' }, budget: { usd: 1, tokens: 100000 }, dependsOn: ['fix'] },
    ],
  });
  expect(run.status).toBe('completed');
  return { s, repo, runId: run.id };
}

describe('review API', () => {
  it("an attempt's diff: files with line counts and the unified diff from the repository", async () => {
    const { s, runId } = await reviewedRun();
    const res = await s.call('GET', `/api/v1/runs/${runId}/tasks/fix/attempts/2/diff`);
    expect(res.status).toBe(200);
    expect(res.json.ref).toBe(`refs/tutti/${runId}/fix/2`);
    expect(res.json.files).toEqual([
      { path: 'NOTES.md', additions: 1, deletions: 0 },
      { path: 'src/sum.js', additions: 1, deletions: 1 },
    ]);
    expect(res.json.diff).toContain('-  return a - b;\n+  return a + b;');
    expect(res.json.truncated).toBe(false);
    // The cap cuts at a line end and says so.
    const small = await s.call('GET', `/api/v1/runs/${runId}/tasks/fix/attempts/2/diff?maxBytes=1024`);
    expect(small.json.bytes).toBe(res.json.bytes);
    expect(res.json.bytes).toBeLessThan(1024);
    expect(small.json.truncated).toBe(false);
  });

  it('refuses what has no diff, and bad input, with typed errors', async () => {
    const { s, runId } = await reviewedRun();
    const plain = await s.engine.run({ tasks: [{ id: 'echo', command: ['true'] }] });
    const none = await s.call('GET', `/api/v1/runs/${plain.id}/tasks/echo/attempts/1/diff`);
    expect([none.status, none.json.error.code]).toEqual([409, 'ERR_WORKSPACE']);
    expect((await s.call('GET', `/api/v1/runs/${runId}/tasks/fix/attempts/9/diff`)).status).toBe(404);
    expect((await s.call('GET', `/api/v1/runs/${runId}/tasks/nope/attempts/1/diff`)).json.error.code).toBe('ERR_TASK_NOT_FOUND');
    expect((await s.call('GET', `/api/v1/runs/nope/review`)).json.error.code).toBe('ERR_RUN_NOT_FOUND');
    const bad = await s.call('GET', `/api/v1/runs/${runId}/tasks/fix/attempts/1/diff?maxBytes=12`);
    expect([bad.status, bad.json.error.code]).toEqual([400, 'ERR_INVALID_INPUT']);
    expect((await s.call('GET', `/api/v1/runs/${runId}/review`, { auth: false })).status).toBe(401);
  });

  it("an attempt's transcript: messages, tool calls with arguments and results, the result", async () => {
    const { s, runId } = await reviewedRun();
    const res = await s.call('GET', `/api/v1/runs/${runId}/tasks/fix/attempts/2/transcript`);
    expect(res.status).toBe(200);
    expect(res.json.clis).toEqual(['claude']);
    const kinds = res.json.entries.map((e: { kind: string }) => e.kind);
    expect(kinds[0]).toBe('run');
    expect(kinds).toContain('assistant');
    const call = res.json.entries.find((e: { kind: string; tool?: string }) => e.kind === 'tool_call' && e.tool === 'Bash');
    expect(JSON.parse(call.args)).toEqual({ command: 'npm test', description: 'Run the tests' });
    const result = res.json.entries.find((e: { kind: string; id?: string }) => e.kind === 'tool_result' && e.id === call.id);
    expect(result).toMatchObject({ ok: false, output: 'expected 3, got 2' });
    expect(res.json.entries.at(-1)).toMatchObject({ kind: 'result', ok: true });
    // Another driver's attempt has an empty transcript, not an error.
    const plain = await s.engine.run({ tasks: [{ id: 'echo', command: ['echo', 'hi'] }] });
    expect((await s.call('GET', `/api/v1/runs/${plain.id}/tasks/echo/attempts/1/transcript`)).json).toMatchObject({ clis: [], entries: [] });
  });

  it("a run's spending per attempt and task, against the task's and the agent's budgets", async () => {
    const { s, runId } = await reviewedRun();
    const res = await s.call('GET', `/api/v1/runs/${runId}/review`);
    expect(res.status).toBe(200);
    const r = res.json;
    // Tokens as budgets count them: new input + cache writes + output (cache reads are not counted).
    expect(r.spent).toMatchObject({ inputTokens: 3 * 4300, outputTokens: 3 * 145, tokens: 3 * 4445 + 2700, cacheReadTokens: 36000, cacheWriteTokens: 2700 });
    expect(r.spent.costUsd).toBeCloseTo(3 * 0.04217, 6);
    const fix = r.tasks.find((t: { taskId: string }) => t.taskId === 'fix');
    expect(fix.attempts.map((a: { n: number; status: string; hasDiff: boolean }) => [a.n, a.status, a.hasDiff])).toEqual([
      [1, 'failed', true],
      [2, 'succeeded', true],
    ]);
    // fix has no budget of its own: its agent's, which every attempt by coder in the run shares.
    expect(fix.budget).toMatchObject({ scope: 'agent', agentId: 'coder', limits: { usd: 0.1 } });
    expect(fix.budget.spent.costUsd).toBeCloseTo(3 * 0.04217, 6);
    const docs = r.tasks.find((t: { taskId: string }) => t.taskId === 'docs');
    expect(docs.budget).toMatchObject({ scope: 'task', taskId: 'docs', limits: { usd: 1, tokens: 100000 } });
    expect(docs.budget.spent.tokens).toBe(4445 + 900);
    expect(r.budgets.map((b: { scope: string }) => b.scope)).toEqual(['task', 'agent']);
    expect(r.merges).toEqual([]);
  });

  it('documents the review endpoints in OpenAPI', async () => {
    const { s } = await reviewedRun();
    const spec = (await s.call('GET', '/openapi.json')).json as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    for (const path of ['/api/v1/runs/{runId}/review', '/api/v1/runs/{runId}/tasks/{taskId}/attempts/{n}/diff', '/api/v1/runs/{runId}/tasks/{taskId}/attempts/{n}/transcript']) {
      expect(Object.keys(spec.paths[path]?.get?.responses ?? {}), path).toContain('200');
    }
  });
});
