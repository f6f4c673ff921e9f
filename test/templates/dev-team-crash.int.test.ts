/**
 * `tutti run --template dev-team` as real processes in a real git repository: the pm and the
 * architect are `llm` agents (a local OpenAI-compatible server), the engineer an exec script.
 * The process is killed with SIGKILL twice while the run waits for approval; decisions are made
 * with `tutti reject` / `tutti approve` from other processes and `tutti resume` finishes the run:
 * rejection to the architect (its new attempt gets the feedback), approval, failing QA, fix,
 * passing QA, completed — with nothing lost or redone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { collect, runCli, startCli } from '../helpers/cli.js';
import { sseAnswer, startFakeLlm, type RecordedRequest } from '../llm/server.js';
import { SCAFFOLD, git, gitRepo, tempDir } from './helpers.js';

interface StatusJson {
  status: string;
  tasks: Array<{ id: string; status: string; attempts: Array<{ agentId: string; status: string; output: unknown; usage: { costUsd?: number } | null }> }>;
}

/** A fake model playing pm and architect: the answer depends on the prompt. */
function roleAnswer(req: RecordedRequest): string {
  const prompt = req.body.messages?.map((m) => m.content).join('\n') ?? '';
  if (prompt.includes('You are the product manager')) return '# PRD: greeter\n\n## Goals\n- Greet with hello\n';
  const feedback = /## Feedback on your previous answer\n\n([^\n]*)/.exec(prompt)?.[1];
  const prd = prompt.includes('## File docs/PRD.md') && prompt.includes('# PRD: greeter') ? 'read the PRD' : 'no PRD';
  return `# Tech spec${feedback ? ' (revised)' : ''}\n\nI ${prd}.${feedback ? `\n\nRevision: ${feedback}` : ''}\n\n\`\`\`sh scaffold.sh\n${SCAFFOLD}\`\`\`\n`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('dev-team through the CLI, killed while waiting for approval', () => {
  it('survives kill -9 at both approvals and completes with nothing lost', async () => {
    const repo = gitRepo();
    const dataDir = tempDir('tutti-devteam-data-');
    const fake = await startFakeLlm();
    fake.fallback = { respond: (req) => ({ body: sseAnswer(roleAnswer(req), { prompt_tokens: 1000, completion_tokens: 500 }) }) };
    const engineerScript = join(dataDir, 'engineer.sh');
    writeFileSync(engineerScript, 'mkdir -p src\nif [ -f docs/BUG_REPORT.md ]; then echo "hello, world" > src/greet.txt; else echo goodbye > src/greet.txt; fi\necho "engineer wrote src/greet.txt"\n');
    const config = join(dataDir, 'tutti.config.yaml');
    writeFileSync(
      config,
      [
        'agents:',
        '  - id: writer',
        '    driver: llm',
        '    capabilities: [pm, architect]',
        `    config: { baseUrl: "${fake.url}", model: fake-model, apiKeyEnv: FAKE_LLM_KEY, prices: { fake-model: { inputUsdPerMTok: 1, outputUsdPerMTok: 2 } } }`,
        '  - id: engineer',
        '    driver: exec',
        '    capabilities: [code]',
        `    config: { command: [sh, "${engineerScript}"] }`,
        '',
      ].join('\n'),
    );
    const opts = { dataDir, cwd: repo, env: { TUTTI_CONFIG: config, FAKE_LLM_KEY: 'sk-crash-test' } };
    const status = async (): Promise<StatusJson> => {
      const r = await runCli(['status', 'devteam1', '--json'], opts);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as StatusJson;
    };
    const until = async (ok: (s: StatusJson) => boolean, what: string): Promise<StatusJson> => {
      for (let i = 0; i < 150; i++) {
        // The run may not exist yet while the first process starts.
        const r = await runCli(['status', 'devteam1', '--json'], opts);
        if (r.code === 0 && ok(JSON.parse(r.stdout) as StatusJson)) return JSON.parse(r.stdout) as StatusJson;
        await sleep(100);
      }
      throw new Error(`timed out waiting for ${what}`);
    };
    const attemptsOf = (s: StatusJson, id: string) => s.tasks.find((t) => t.id === id)!.attempts;

    // 1. tutti run --template dev-team: pm and architect answer, then it waits for a person. Kill it.
    const first = startCli(['run', '--template', 'dev-team', 'Build a greeter that says hello', '--run-id', 'devteam1', '--param', 'maxIterations=3'], opts);
    const firstDone = collect(first);
    let s = await until((x) => x.status === 'awaiting_approval', 'the first approval');
    first.kill('SIGKILL');
    expect((await firstDone).signal).toBe('SIGKILL');
    expect(fake.requests).toHaveLength(2);
    expect(fake.requests.every((r) => r.headers.authorization === 'Bearer sk-crash-test')).toBe(true);
    expect(readFileSync(join(repo, 'docs/TECH_SPEC.md'), 'utf8')).toContain('I read the PRD.');

    // 2. Reject back to the architect from another process; resume; it waits again. Kill it again.
    const reject = await runCli(['reject', 'devteam1', '--feedback', 'Add rate limiting to the spec', '--to', 'architect', '--by', 'lead'], opts);
    expect(reject.code, reject.stderr).toBe(0);
    const second = startCli(['resume'], opts);
    const secondDone = collect(second);
    s = await until((x) => x.status === 'awaiting_approval' && attemptsOf(x, 'architect').length === 2, 'the second approval');
    second.kill('SIGKILL');
    await secondDone;
    expect(fake.requests).toHaveLength(3);
    expect(fake.requests[2]!.body.messages![0]!.content).toContain('## Feedback on your previous answer\n\nrejected by lead: Add rate limiting to the spec');
    expect(readFileSync(join(repo, 'docs/TECH_SPEC.md'), 'utf8')).toContain('Revision: rejected by lead: Add rate limiting to the spec');

    // 3. Approve, resume to the end: scaffold, a failing QA with a bug report, a fix, a passing QA.
    const approve = await runCli(['approve', 'devteam1', '--by', 'lead', '--comment', 'ship it'], opts);
    expect(approve.code, approve.stderr).toBe(0);
    const last = await runCli(['resume', '--json'], opts);
    expect(last.code, last.stderr).toBe(0);
    s = await status();
    expect(s.status).toBe('completed');
    expect(Object.fromEntries(s.tasks.map((t) => [t.id, t.attempts.map((a) => `${a.agentId}:${a.status}`)]))).toEqual({
      pm: ['writer:succeeded'],
      'pm-docs': ['function:succeeded'],
      architect: ['writer:succeeded', 'writer:succeeded'],
      'architect-docs': ['function:succeeded', 'function:succeeded'],
      approval: ['human:failed', 'human:succeeded'],
      scaffold: ['function:succeeded'],
      engineer: ['engineer:succeeded', 'engineer:succeeded'],
      qa: ['function:failed', 'function:succeeded'],
      merge: ['function:succeeded'],
    });
    // Nothing committed before a kill ran again: the model was asked three times in all.
    expect(fake.requests).toHaveLength(3);
    expect(attemptsOf(s, 'pm')[0]!.usage).toEqual({ inputTokens: 1000, outputTokens: 500, costUsd: 0.002 });
    expect(String(attemptsOf(s, 'architect')[0]!.output)).toContain('# Tech spec\n');
    expect(String(attemptsOf(s, 'architect')[1]!.output)).toContain('# Tech spec (revised)');
    expect(readFileSync(join(repo, 'docs/BUG_REPORT.md'), 'utf8')).toContain('FAIL: src/greet.txt does not greet');
    expect(readFileSync(join(repo, 'src/greet.txt'), 'utf8')).toBe('hello, world\n');
    expect(git(repo, 'log', '--format=%s').split('\n').filter((l) => l.startsWith('tutti: ')).length).toBe(5);

    // The event log has no gaps and records both decisions.
    const store = new SqliteStore({ path: join(dataDir, 'tutti.db') });
    try {
      const events = await store.listEvents('devteam1', { limit: 10_000 });
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.filter((e) => e.type.startsWith('approval:')).map((e) => e.type)).toEqual(['approval:requested', 'approval:rejected', 'approval:requested', 'approval:granted']);
    } finally {
      await store.close();
    }
  });
});
