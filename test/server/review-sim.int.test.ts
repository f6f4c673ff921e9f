/**
 * The review endpoints on a real coding run: `tutti --agent-cli claude` in a git repository with
 * the CLI simulator on PATH (it edits a file and reports usage as Claude Code does), then
 * `tutti serve` over the same data dir answers the attempt's diff, transcript and cost.
 */
import { describe, expect, it } from 'vitest';
import { gitRepo, tmp } from '../agents/helpers.js';
import { runCli } from '../helpers/cli.js';
import { sim } from '../sim/helpers.js';
import { startServe } from './serve-process.js';

const TEST_JS = "const a = require('./answer.js');\nif (a !== 42) { console.error(`expected 42, got ${a}`); process.exit(1); }\n";

describe('review of a real coding attempt (CLI simulator)', () => {
  it('diff, transcript and cost of the attempt the coding driver made', { timeout: 120_000 }, async () => {
    const repo = gitRepo({ 'answer.js': 'module.exports = 0;\n', 'test.js': TEST_JS });
    const s = sim({ entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }], outcome: { kind: 'success', usage: { input: 100, cacheWrite: 0, cacheRead: 500, output: 50 } } }] }, ['claude']);
    const dataDir = tmp();
    const env = { ...s.env, HOME: tmp('tutti-home-') };
    const r = await runCli(['--agent-cli', 'claude', '--validate', 'node test.js', 'set the answer'], { dataDir, cwd: repo, env });
    expect(r.code, r.stderr).toBe(0);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    const serve = await startServe([], { dataDir, env });
    try {
      const get = async (path: string) => {
        const res = await fetch(`${serve.url}/api/v1${path}`);
        return { status: res.status, json: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
      };
      const review = await get(`/runs/${runId}/review`);
      expect(review.status).toBe(200);
      const task = review.json.tasks.find((t: { taskId: string }) => t.taskId === 'main');
      expect(task.attempts[0]).toMatchObject({ n: 1, status: 'succeeded', hasDiff: true });
      expect(task.spent.inputTokens).toBeGreaterThan(0);
      expect(task.spent.outputTokens).toBeGreaterThan(0);

      const diff = await get(`/runs/${runId}/tasks/main/attempts/1/diff`);
      expect(diff.status).toBe(200);
      expect(diff.json.ref).toBe(`refs/tutti/${runId}/main/1`);
      expect(diff.json.files).toEqual([{ path: 'answer.js', additions: 1, deletions: 1 }]);
      expect(diff.json.diff).toContain('-module.exports = 0;\n+module.exports = 42;');

      const transcript = await get(`/runs/${runId}/tasks/main/attempts/1/transcript`);
      expect(transcript.status).toBe(200);
      expect(transcript.json.clis).toEqual(['claude']);
      const kinds = (transcript.json.entries as Array<{ kind: string }>).map((e) => e.kind);
      expect(kinds[0]).toBe('run');
      expect(kinds).toContain('tool_call');
      expect(kinds.at(-1)).toBe('result');
      const write = (transcript.json.entries as Array<{ kind: string; args?: string }>).find((e) => e.kind === 'tool_call' && e.args?.includes('answer.js'));
      expect(write).toBeDefined();
    } finally {
      await serve.stop();
    }
  });
});
