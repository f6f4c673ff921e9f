/** `tutti run --template`: built-in and user templates through the real CLI; bad usage exits 2 with one line. */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tempDir } from './helpers.js';

const USER_TEMPLATE = `
description: Write a file, then check it
params:
  file: { default: out.txt }
  word: { required: true }
plan:
  tasks:
    - id: write
      command: [sh, -c, "echo '{{word}} for {{mission}}' > {{file}}"]
    - id: check
      command: [grep, -q, "{{word}}", "{{file}}"]
      dependsOn: [write]
`;

describe('tutti run --template', () => {
  it('runs a user template from a path and from .tutti/templates/, with --param', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'greet.yaml'), USER_TEMPLATE);
    const byPath = await runCli(['run', '--template', './greet.yaml', 'the docs', '--param', 'word=hello', '--json'], { dataDir: dir });
    expect(byPath.code, byPath.stderr).toBe(0);
    expect(JSON.parse(byPath.stdout)).toMatchObject({ status: 'completed', metadata: { template: 'greet', mission: 'the docs' } });
    expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toBe('hello for the docs\n');

    mkdirSync(join(dir, '.tutti', 'templates'), { recursive: true });
    writeFileSync(join(dir, '.tutti', 'templates', 'greet2.yml'), USER_TEMPLATE);
    const byName = await runCli(['run', '--template', 'greet2', 'the API', '--param', 'word=hi', '--param', 'file=api.txt'], { dataDir: dir });
    expect(byName.code, byName.stderr).toBe(0);
    expect(readFileSync(join(dir, 'api.txt'), 'utf8')).toBe('hi for the API\n');
  });

  it('runs the batch template with its parameters', async () => {
    const dir = tempDir();
    const r = await runCli(['run', '--template', 'batch', 'ignored', '--param', 'items=[{command: [sh, -c, "echo a > a.txt"]}, {command: [sh, -c, "echo b > b.txt"]}]', '--param', 'parallel=1', '--json'], { dataDir: dir });
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout) as { status: string; tasks: Array<{ id: string; status: string }> };
    expect(v.tasks.map((t) => [t.id, t.status])).toEqual([
      ['item-1', 'succeeded'],
      ['item-2', 'succeeded'],
    ]);
  });

  it('bad usage is one line on stderr and exit 2', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'greet.yaml'), USER_TEMPLATE);
    const cases: Array<[string[], RegExp]> = [
      [['run', '--template', 'nope', 'x'], /unknown template 'nope'/],
      [['run', '--param', 'a=1', 'x'], /--param needs --template/],
      [['run', '--template', 'dev-team', 'x', '--plan', 'p.yaml'], /give either --plan FILE or a goal/],
      [['run', '--template', './greet.yaml', 'x'], /missing parameter word/],
      [['run', '--template', './missing.yaml', 'x'], /cannot read template .*missing.yaml: no such file/],
      [['run', '--template', 'dev-team', 'x', '--param', 'maxIterations=zero'], /maxIterations/],
    ];
    for (const [args, message] of cases) {
      const r = await runCli(args, { dataDir: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
  });

  it('a template whose roles have no agent says which, and prints the agents to add', async () => {
    const r = await runCli(['run', '--template', 'dev-team', 'build a greeter'], { dataDir: tempDir() });
    expect(r.code).toBe(2);
    const [first, ...hint] = r.stderr.trim().split('\n');
    expect(first).toBe("tutti: no agent can play the dev-team template's roles: pm (capabilities [pm]), architect (capabilities [architect]), engineer (capabilities [code])");
    const snippet = hint.join('\n');
    expect(snippet).toContain('agents:\n  - id: pm\n    driver: coding');
    expect(snippet).toContain('    capabilities: [architect]');
    expect(snippet).toContain('  - id: engineer\n    driver: coding          # or llm (an HTTP model), exec (a command)\n    capabilities: [code]');
    // The snippet is a config that makes the plan valid.
    const config = join(tempDir(), 'tutti.config.yaml');
    writeFileSync(config, `${snippet.slice(snippet.indexOf('agents:'), snippet.lastIndexOf('\n\n'))}\n`);
    const ok = await runCli(['plan', 'validate', '--config', config, '-'], { dataDir: tempDir(), input: JSON.stringify({ agents: [], tasks: [{ id: 'x', agent: { capabilities: ['architect'] }, prompt: 'p' }] }) });
    expect(ok.code, ok.stderr).toBe(0);
  });
});
