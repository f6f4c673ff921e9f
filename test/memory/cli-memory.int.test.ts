/** `tutti memory seed|search|list` as a real process over a SQLite file, with --json. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../helpers/cli.js';

const HASH = { TUTTI_EMBEDDER: 'hash' };

describe('tutti memory', () => {
  it('seeds run and global entries, searches with run scope and globally, lists, all as JSON', async () => {
    const dataDir = tempDir('tutti-mem-cli-');
    const file = join(dataDir, 'entries.yaml');
    writeFileSync(file, '- key: db\n  value: The users table lives in PostgreSQL\n  metadata: { team: data }\n- Deploys happen on Tuesdays\n');
    let r = await runCli(['memory', 'seed', 'run-a', '--file', file, '--json'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);
    const seeded = JSON.parse(r.stdout) as Array<{ runId: string; key: string | null; provenance: { source: string } }>;
    expect(seeded.map((m) => [m.runId, m.key, m.provenance.source])).toEqual([
      ['run-a', 'db', 'cli'],
      ['run-a', null, 'cli'],
    ]);
    r = await runCli(['memory', 'seed', 'run-b', '--text', 'Run B keeps users in SQLite', '--key', 'db'], { dataDir, env: HASH });
    expect(r.stdout).toBe('stored 1 entry in run run-b\n');
    r = await runCli(['memory', 'seed', '--global', '--text', 'Every service logs JSON lines'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);

    r = await runCli(['memory', 'search', 'where do users live', '--run', 'run-a', '--top', '1', '--json'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);
    const hits = JSON.parse(r.stdout) as Array<{ runId: string; key: string; value: string; score: number; metadata: unknown }>;
    expect(hits).toEqual([expect.objectContaining({ runId: 'run-a', key: 'db', value: 'The users table lives in PostgreSQL', metadata: { team: 'data' }, score: expect.any(Number) })]);
    r = await runCli(['memory', 'search', 'users', '--json', '--top', '10'], { dataDir, env: HASH });
    const runs = new Set((JSON.parse(r.stdout) as Array<{ runId: string | null }>).map((h) => h.runId));
    expect(runs.has('run-a') && runs.has('run-b')).toBe(true); // global scope spans runs
    r = await runCli(['memory', 'search', 'users'], { dataDir, env: HASH });
    expect(r.stdout).toMatch(/^\d\.\d{3}\s+mem_\S+\s+entry\s+run-\w/);

    r = await runCli(['memory', 'list', '--json'], { dataDir });
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(4);
    r = await runCli(['memory', 'list', '--global', '--json'], { dataDir });
    expect((JSON.parse(r.stdout) as Array<{ text: string }>).map((m) => m.text)).toEqual(['Every service logs JSON lines']);
    r = await runCli(['memory', 'list', '--run', 'run-b'], { dataDir });
    expect(r.stdout).toContain('Run B keeps users in SQLite');
  });

  it('bad usage is one line and exit 2; another embedding model than the stored one is a clear error', async () => {
    const dataDir = tempDir('tutti-mem-cli-');
    let r = await runCli(['memory', 'seed', '--text', 'x'], { dataDir, env: HASH });
    expect([r.code, r.stderr]).toEqual([2, 'tutti: tutti memory seed needs a run id, or --global\n']);
    r = await runCli(['memory', 'search', 'x', '--embedder', 'openai'], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--embedder openai needs --embeddings-url and --embeddings-model');
    r = await runCli(['memory', 'list', '--kind', 'nope'], { dataDir });
    expect(r.code).toBe(2);

    r = await runCli(['memory', 'seed', 'r', '--text', 'hashed'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);
    r = await runCli(['memory', 'search', 'hashed', '--json'], { dataDir, env: { TUTTI_EMBEDDER: 'openai', TUTTI_EMBEDDINGS_URL: 'http://127.0.0.1:9/v1', TUTTI_EMBEDDINGS_MODEL: 'm' } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("holds vectors of another embedding model: 1 of 'hash-256' (256 dimensions)");
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { code: 'ERR_EMBEDDING_MISMATCH' } });
  });

  it('tutti run: a task’s memory query reaches the agent’s prompt, and the learnings it prints are listed with provenance', async () => {
    const dataDir = tempDir('tutti-mem-cli-');
    let r = await runCli(['memory', 'seed', 'mem-run', '--text', 'The staging cluster is called blue-harbor', '--key', 'cluster'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);
    const script = "let s='';process.stdin.on('data',c=>s+=c);process.stdin.on('end',()=>{console.log('SAW '+s.split('\\n').join(' | '));console.log('TUTTI_LEARNING: blue-harbor needs a VPN')})";
    const plan = {
      agents: [{ id: 'reader', driver: 'exec', capabilities: ['read'], config: { command: [process.execPath, '-e', script] } }],
      tasks: [{ id: 'deploy', agent: 'reader', prompt: 'Deploy to staging', memory: { query: 'staging cluster name' } }],
    };
    writeFileSync(join(dataDir, 'plan.json'), JSON.stringify(plan));
    r = await runCli(['run', '--plan', join(dataDir, 'plan.json'), '--run-id', 'mem-run', '--json'], { dataDir, env: HASH });
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout) as { status: string; tasks: Array<{ attempts: Array<{ output: unknown }> }> };
    expect(view.status).toBe('completed');
    expect(String(view.tasks[0]!.attempts[0]!.output)).toMatch(/SAW ## Relevant memory \(retrieved by tutti\) \| - \[entry cluster · run mem-run · relevance [\d.]+\] The staging cluster is called blue-harbor \| {2}\| Deploy to staging/);
    r = await runCli(['memory', 'list', '--run', 'mem-run', '--kind', 'learning', '--json'], { dataDir });
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({ text: 'blue-harbor needs a VPN', provenance: { runId: 'mem-run', taskId: 'deploy', attempt: 1, agentId: 'reader', source: 'agent-output', status: 'succeeded' } }),
    ]);
  });
});
