/** The template steps: documents from answers or files, named fenced blocks, scaffold and check with bug reports. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockForFile, fencedBlocks, unwrapDocument } from '../../src/templates/steps/blocks.js';
import { splitCommandLine as splitCommand } from '../../src/workspace/argv.js';
import { startEngine } from '../engine/helpers.js';
import { git, gitRepo, tempDir } from './helpers.js';

describe('fenced blocks', () => {
  const answer = [
    '# Tech spec',
    '',
    '```ts',
    'const x = 1;',
    '```',
    '',
    '```sh scaffold.sh',
    'mkdir -p src',
    '```',
    '',
    '````bash title="scaffold.sh"',
    'mkdir -p src lib',
    '```not a close```',
    '````',
  ].join('\n');

  it('finds the last block named after the file (info string word, or title=)', () => {
    expect(fencedBlocks(answer).map((b) => b.info)).toEqual(['ts', 'sh scaffold.sh', 'bash title="scaffold.sh"']);
    expect(blockForFile(answer, 'scaffold.sh')).toBe('mkdir -p src lib\n```not a close```\n');
    expect(blockForFile(answer, 'missing.sh')).toBeNull();
  });

  it('falls back to a shell block that names the file in its first lines', () => {
    expect(blockForFile('Here:\n```bash\n#!/bin/sh\n# scaffold.sh\nmkdir a\n```\n', 'scaffold.sh')).toBe('#!/bin/sh\n# scaffold.sh\nmkdir a\n');
    expect(blockForFile('```python\n# scaffold.sh\n```', 'scaffold.sh')).toBeNull();
  });

  it('unwraps a document sent whole in a markdown fence', () => {
    expect(unwrapDocument('```markdown\n# PRD\ntext\n```')).toBe('# PRD\ntext\n');
    expect(unwrapDocument('# PRD\n\n```sh\nx\n```')).toBe('# PRD\n\n```sh\nx\n```\n');
  });

  it('splits command lines without a shell', () => {
    expect(splitCommand(`npm test -- --grep "two words" ''`)).toEqual(['npm', 'test', '--', '--grep', 'two words', '']);
    expect(() => splitCommand('echo "unclosed')).toThrow(/unclosed " quote/);
  });
});

function docsPlan(role: Record<string, unknown>, blocks: string[] = []) {
  return {
    tasks: [
      { id: 'role', ...role },
      { id: 'docs', function: 'tutti.documents', input: { from: 'role', document: 'docs/OUT.md', blocks }, dependsOn: ['role'] },
    ],
  };
}

describe('tutti.documents', () => {
  it('writes a text answer and its named blocks, and commits them in a git work dir', async () => {
    const repo = gitRepo();
    const engine = await startEngine({ workDir: repo, functions: { answer: () => '# Spec\n\n```sh run.sh\necho hi\n```\n' } });
    const v = await engine.run(docsPlan({ function: 'answer' }, ['run.sh']));
    expect(v.status).toBe('completed');
    expect(readFileSync(join(repo, 'docs/OUT.md'), 'utf8')).toContain('# Spec');
    expect(readFileSync(join(repo, 'run.sh'), 'utf8')).toBe('echo hi\n');
    expect(v.tasks[1]!.attempts[0]!.output).toMatchObject({ files: ['docs/OUT.md', 'run.sh'], written: ['docs/OUT.md', 'run.sh'], commit: expect.stringMatching(/^[0-9a-f]{40}$/) });
    expect(git(repo, 'log', '-1', '--name-only', '--format=%s')).toMatch(/^tutti: role writes docs\/OUT.md, run.sh[^\n]*\n\ndocs\/OUT.md\nrun.sh\n$/);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('takes structured answers ({ document, files })', async () => {
    const dir = tempDir();
    const engine = await startEngine({ workDir: dir, functions: { answer: () => ({ document: '# Doc', files: { 'run.sh': 'echo structured\n' } }) } });
    const v = await engine.run(docsPlan({ function: 'answer' }, ['run.sh']));
    expect(v.status).toBe('completed');
    expect(readFileSync(join(dir, 'docs/OUT.md'), 'utf8')).toBe('# Doc\n');
    expect(readFileSync(join(dir, 'run.sh'), 'utf8')).toBe('echo structured\n');
    // Not a git work dir: nothing to commit.
    expect(v.tasks[1]!.attempts[0]!.output).toMatchObject({ commit: null });
  });

  it('an answer without a required block fails with a message for the role (a loop sends it back)', async () => {
    const dir = tempDir();
    const seen: Array<string | null> = [];
    const engine = await startEngine({
      workDir: dir,
      functions: {
        answer: ({ attempt, feedback }) => {
          seen.push(feedback);
          return attempt === 1 ? '# Spec without a script' : '# Spec\n```sh run.sh\necho ok\n```';
        },
      },
    });
    const plan = docsPlan({ function: 'answer' }, ['run.sh']);
    (plan.tasks[1] as Record<string, unknown>).loop = { rewindTo: 'role', maxIterations: 2, onExhausted: 'fail' };
    const v = await engine.run(plan);
    expect(v.status).toBe('completed');
    expect(seen[1]).toContain('lacks run.sh');
    expect(seen[1]).toContain('```sh run.sh');
  });

  it('agents that edit files (exec) must have written them; their stdout is not a document', async () => {
    const dir = tempDir();
    const engine = await startEngine({ workDir: dir });
    const wrote = await engine.run(docsPlan({ command: ['sh', '-c', 'mkdir -p docs && echo "# From exec" > docs/OUT.md && echo some log line'] }));
    expect(wrote.status).toBe('completed');
    expect(readFileSync(join(dir, 'docs/OUT.md'), 'utf8')).toBe('# From exec\n');
    expect(wrote.tasks[1]!.attempts[0]!.output).toMatchObject({ written: [] });
    const dir2 = tempDir();
    const engine2 = await startEngine({ workDir: dir2 });
    const forgot = await engine2.run(docsPlan({ command: ['echo', '# only on stdout'] }));
    expect(forgot.status).toBe('failed');
    expect(forgot.tasks[1]!.attempts[0]!.error!.message).toMatch(/did not write docs\/OUT.md in the work dir/);
    expect(existsSync(join(dir2, 'docs/OUT.md'))).toBe(false);
  });

  it('refuses paths outside the work dir', async () => {
    const engine = await startEngine({ functions: { answer: () => 'x' } });
    const v = await engine.run({ tasks: [{ id: 'role', function: 'answer' }, { id: 'docs', function: 'tutti.documents', input: { from: 'role', document: '../escape.md' }, dependsOn: ['role'] }] });
    expect(v.status).toBe('failed');
    expect(v.tasks[1]!.attempts[0]!.error).toMatchObject({ kind: 'non_retryable', message: expect.stringContaining('not a file inside the work dir') });
  });
});

describe('tutti.check and tutti.scaffold', () => {
  it('a failing check writes and commits the bug report, and fails with the output tail', async () => {
    const repo = gitRepo();
    writeFileSync(join(repo, 'test.sh'), 'echo "1 passed"; echo "2) expected 4, got 5" >&2; exit 1\n');
    const dataDir = tempDir();
    const engine = await startEngine({ workDir: repo, dataDir });
    const v = await engine.run({ tasks: [{ id: 'qa', function: 'tutti.check', input: { command: 'sh test.sh', report: 'docs/BUG_REPORT.md' } }] });
    expect(v.status).toBe('failed');
    const error = v.tasks[0]!.attempts[0]!.error!.message;
    expect(error).toContain('sh test.sh exited with code 1 (report: docs/BUG_REPORT.md, commit ');
    expect(error).toContain('expected 4, got 5');
    const report = readFileSync(join(repo, 'docs/BUG_REPORT.md'), 'utf8');
    expect(report).toContain(`QA of run \`${v.id}\`, attempt 1: \`sh test.sh\` exited with code 1.`);
    expect(report).toContain('1 passed');
    expect(report).toContain('2) expected 4, got 5');
    expect(git(repo, 'log', '-1', '--format=%s')).toContain('tutti: QA failed, docs/BUG_REPORT.md');
    // The command's output is in the attempt's log file.
    expect(readFileSync(join(dataDir, 'logs', v.id, 'qa.1.log'), 'utf8')).toContain('expected 4, got 5');
  });

  it('a passing check reports it; a missing program is a failure that says so', async () => {
    const dir = tempDir();
    const engine = await startEngine({ workDir: dir });
    const ok = await engine.run({ tasks: [{ id: 'qa', function: 'tutti.check', input: { command: ['true'] } }] });
    expect(ok.tasks[0]!.attempts[0]!.output).toMatchObject({ passed: true, command: 'true' });
    const missing = await engine.run({ tasks: [{ id: 'qa', function: 'tutti.check', input: { command: ['no-such-program-xyz'] } }] });
    expect(missing.tasks[0]!.attempts[0]!.error!.message).toContain('command not found: no-such-program-xyz');
  });

  it('scaffold runs the script and commits only what it created', async () => {
    const repo = gitRepo();
    writeFileSync(join(repo, 'scaffold.sh'), 'mkdir -p src && echo "export {}" > src/index.ts\n');
    writeFileSync(join(repo, 'notes.txt'), 'the user’s own uncommitted file\n');
    const engine = await startEngine({ workDir: repo });
    const v = await engine.run({ tasks: [{ id: 'scaffold', function: 'tutti.scaffold', input: { script: 'scaffold.sh' } }] });
    expect(v.status).toBe('completed');
    expect(git(repo, 'show', '--name-only', '--format=%s', 'HEAD')).toMatch(/^tutti: scaffold.sh scaffolds the project[^\n]*\n\n(scaffold.sh\n)?src\/index.ts\n$/);
    expect(git(repo, 'status', '--porcelain')).toContain('?? notes.txt');
  });
});
