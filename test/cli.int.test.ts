/** The `tutti` CLI as a user runs it: real processes over a real SQLite file. */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { collect, runCli, startCli, tempDir } from './helpers/cli.js';

const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function writePlan(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OK_PLAN = `
name: demo
tasks:
  - id: hello
    command: [sh, -c, 'echo hello from $TUTTI_TASK_ID']
  - id: world
    command: [echo, world]
    dependsOn: [hello]
  - id: wait
    function: sleep
    input: { ms: 50 }
    dependsOn: [hello]
  - id: join
    function: noop
    dependsOn: [world, wait]
`;

describe('tutti run', () => {
  it('runs a YAML plan in the foreground and prints one JSON document with the documented fields', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, 'plan.yaml', OK_PLAN);
    const r = await runCli(['run', '--plan', plan, '--json'], { dataDir: dir });
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run).toMatchObject({ status: 'completed', progress: 100, name: 'demo' });
    for (const k of ['createdAt', 'startedAt', 'finishedAt']) expect(run[k]).toMatch(ISO_MS);
    expect(run.tasks.map((t: { id: string }) => t.id)).toEqual(['hello', 'world', 'wait', 'join']);
    const join_ = run.tasks.find((t: { id: string }) => t.id === 'join');
    expect(join_).toMatchObject({ status: 'succeeded', dependsOn: ['world', 'wait'], blockedReason: null });
    const attempt = run.tasks[0].attempts[0];
    expect(attempt).toMatchObject({ n: 1, agentId: 'shell', status: 'succeeded', exitCode: 0 });
    expect(attempt.startedAt).toMatch(ISO_MS);
    expect(attempt.finishedAt).toMatch(ISO_MS);
    expect(attempt.output).toContain('hello from hello');
  });

  it('exits 1 when the run fails; dependants are skipped and the error names the task', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, 'fail.yaml', `tasks:\n  - {id: boom, command: [sh, -c, 'echo bad >&2; exit 3']}\n  - {id: after, command: [echo, never], dependsOn: [boom]}\n`);
    const r = await runCli(['run', '--plan', plan, '--json'], { dataDir: dir });
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout);
    expect(run.status).toBe('failed');
    expect(run.error).toContain("task 'boom' failed");
    expect(run.tasks[0].attempts[0]).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(run.tasks[0].attempts[0].error.message).toContain('bad');
    expect(run.tasks[1].status).toBe('skipped');
  });

  it('runs a goal with one agent, also as the default command', async () => {
    const dir = tempDir();
    const a = await runCli(['run', 'write a haiku', '--agent', 'test', '--json'], { dataDir: dir });
    expect(a.code, a.stderr).toBe(0);
    expect(JSON.parse(a.stdout)).toMatchObject({ status: 'completed', goal: 'write a haiku', tasks: [{ id: 'main', status: 'succeeded' }] });
    const b = await runCli(['write', 'a', 'poem', '--agent', 'test', '--json'], { dataDir: dir });
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout).goal).toBe('write a poem');
  });

  it('prints plain progress lines when stderr is not a TTY', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, 'plan.yaml', OK_PLAN);
    const r = await runCli(['run', '--plan', plan], { dataDir: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/task hello succeeded/);
    expect(r.stderr).toMatch(/run run_\w+ completed/);
    expect(r.stdout).toMatch(/status completed/);
  });
});

describe('bad input: one line on stderr, exit code 2, nothing created', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['duplicate ids', `tasks:\n  - {id: a, command: [x]}\n  - {id: a, command: [y]}\n`, /duplicate task id 'a'/],
    ['unknown dependency', `tasks:\n  - {id: a, command: [x], dependsOn: [ghost]}\n`, /unknown task 'ghost'/],
    ['cycle', `tasks:\n  - {id: a, command: [x], dependsOn: [c]}\n  - {id: b, command: [x], dependsOn: [a]}\n  - {id: c, command: [x], dependsOn: [b]}\n  - {id: d, command: [x]}\n`, /cycle: .*a.*b.*c|cycle: .*b.*c.*a|cycle: .*c.*a.*b/],
    ['no capable agent', `tasks:\n  - {id: a, prompt: do it, agent: {capabilities: [quantum]}}\n`, /no agent can run task 'a'/],
    ['schema', `tasks:\n  - {id: a, command: [x], retry: {maxAttempts: 0}}\n`, /tasks\[0\]\.retry\.maxAttempts/],
    ['not YAML', `tasks: [ {id: a`, /neither valid JSON nor YAML/],
  ];
  for (const [name, text, message] of cases) {
    it(name, async () => {
      const dir = tempDir();
      const plan = writePlan(dir, 'bad.yaml', text);
      const r = await runCli(['run', '--plan', plan], { dataDir: dir });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
      const v = await runCli(['plan', 'validate', plan], { dataDir: dir });
      expect(v.code).toBe(2);
      const list = await runCli(['runs', '--json'], { dataDir: dir });
      expect(JSON.parse(list.stdout)).toEqual([]);
    });
  }

  it('the cycle message names exactly the tasks of the cycle', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, 'c.yaml', `tasks:\n  - {id: a, command: [x], dependsOn: [c]}\n  - {id: b, command: [x], dependsOn: [a]}\n  - {id: c, command: [x], dependsOn: [b]}\n  - {id: d, command: [x], dependsOn: [a]}\n`);
    const r = await runCli(['plan', 'validate', plan, '--json'], { dataDir: dir });
    expect(r.code).toBe(2);
    const err = JSON.parse(r.stdout).error;
    expect(err.code).toBe('ERR_CYCLE');
    expect([...err.details.issues[0].tasks].sort()).toEqual(['a', 'b', 'c']);
  });

  it('bad usage', async () => {
    const dir = tempDir();
    for (const args of [['run'], ['run', '--bogus'], ['status', 'run_nope'], ['runs', '--status', 'weird'], ['run', 'goal without agent'], ['run', '--plan', join(dir, 'missing.yaml')], ['run', '--plan', 'x', '--concurrency', '0']]) {
      const r = await runCli(args, { dataDir: dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split('\n'), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(/^tutti: /);
    }
  });
});

describe('inspecting and steering runs', () => {
  it('status, list, logs, agents, detach and resume', async () => {
    const dir = tempDir();
    const plan = writePlan(dir, 'plan.yaml', OK_PLAN);
    const created = await runCli(['run', '--plan', plan, '--detach'], { dataDir: dir });
    expect(created.code, created.stderr).toBe(0);
    const id = created.stdout.trim();
    expect(id).toMatch(/^run_/);

    const queued = JSON.parse((await runCli(['status', id, '--json'], { dataDir: dir })).stdout);
    expect(queued.status).toBe('queued');
    expect(queued.tasks.find((t: { id: string }) => t.id === 'world').blockedReason).toEqual({ kind: 'dependencies', waitingOn: ['hello'] });
    expect(queued.tasks.find((t: { id: string }) => t.id === 'hello').blockedReason).toEqual({ kind: 'queued' });

    const listed = JSON.parse((await runCli(['runs', '--status', 'queued', '--json'], { dataDir: dir })).stdout);
    expect(listed.map((r: { id: string }) => r.id)).toEqual([id]);

    const resumed = await runCli(['resume', '--json'], { dataDir: dir });
    expect(resumed.code, resumed.stderr).toBe(0);
    const views = JSON.parse(resumed.stdout);
    expect(views).toHaveLength(1);
    expect(views[0]).toMatchObject({ id, status: 'completed' });

    const none = JSON.parse((await runCli(['runs', '--status', 'queued,running', '--json'], { dataDir: dir })).stdout);
    expect(none).toEqual([]);

    const logs = await runCli(['logs', id], { dataDir: dir });
    expect(logs.code).toBe(0);
    const seqs = logs.stdout.trim().split('\n').map((l) => Number(l.split(/\s+/)[1]));
    expect(seqs).toEqual(seqs.map((_, i) => i + 1));
    expect(logs.stdout).toMatch(/run:completed/);
    const out = await runCli(['logs', id, '--task', 'hello'], { dataDir: dir });
    expect(out.stdout).toBe('hello from hello\n');

    const agents = JSON.parse((await runCli(['agents', 'list', '--json'], { dataDir: dir })).stdout);
    expect(agents.map((a: { id: string }) => a.id).sort()).toEqual(['function', 'shell', 'test']);
  });

  it('agents come from a config file', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'tutti.config.yaml'), `agents:\n  - id: echoer\n    driver: exec\n    capabilities: [echo]\n    config: { command: [cat] }\n`);
    const r = await runCli(['run', 'say this back', '--agent', 'echoer', '--json'], { dataDir: dir });
    expect(r.code, r.stderr).toBe(0);
    const run = JSON.parse(r.stdout);
    expect(run.tasks[0].attempts[0]).toMatchObject({ agentId: 'echoer', output: 'say this back' });
  });

  it('cancel from another process stops the run and kills the whole process group', async () => {
    const dir = tempDir();
    const marker = `tutti-cancel-${process.pid}-${Date.now()}`;
    writeFileSync(join(dir, 'tutti.config.yaml'), 'killGraceMs: 300\n');
    const plan = writePlan(
      dir,
      'long.yaml',
      `tasks:\n  - id: stubborn\n    command: [sh, -c, "trap '' TERM; sleep 1000 & sleep 1000; wait"]\n    env: { MARKER: ${marker} }\n  - {id: after, command: [echo, no], dependsOn: [stubborn]}\n`,
    );
    const runner = startCli(['run', '--plan', plan, '--json', '--run-id', 'run-to-cancel'], { dataDir: dir });
    const result = collect(runner);
    // Wait until the attempt is running.
    for (let i = 0; i < 100; i++) {
      const s = await runCli(['status', 'run-to-cancel', '--json'], { dataDir: dir });
      if (s.code === 0 && JSON.parse(s.stdout).tasks[0].status === 'running' && markedProcesses(marker).length >= 2) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(markedProcesses(marker).length).toBeGreaterThanOrEqual(2);
    const c = await runCli(['cancel', 'run-to-cancel'], { dataDir: dir });
    expect(c.code, c.stderr).toBe(0);
    const r = await result;
    expect(r.code).toBe(1);
    const run = JSON.parse(r.stdout);
    expect(run.status).toBe('cancelled');
    expect(run.tasks[0].attempts[0].status).toBe('cancelled');
    expect(run.tasks[1].status).toBe('cancelled');
    // The attempt was marked cancelled only after no process of its group remained.
    expect(markedProcesses(marker)).toEqual([]);
  });
});

/** Living processes whose environment carries the marker (Linux /proc). */
function markedProcesses(marker: string): number[] {
  const out: number[] = [];
  for (const name of readdirSafe('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').includes(`MARKER=${marker}`)) out.push(Number(name));
    } catch {
      // gone
    }
  }
  return out;
}

function readdirSafe(p: string): string[] {
  try {
    return readdirSync(p);
  } catch {
    return [];
  }
}

describe('plan commands', () => {
  it('plan schema prints the JSON Schema', async () => {
    const r = await runCli(['plan', 'schema'], { dataDir: tempDir() });
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.properties.tasks.type).toBe('array');
    expect(schema.properties.tasks.items.properties).toHaveProperty('dependsOn');
  });

  it('--version', async () => {
    const r = await runCli(['--version'], { dataDir: tempDir() });
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8')).version);
  });

  it('the package exposes tutti, orch and ai_orch, and the coding-agent CLI simulator tutti-sim', () => {
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ tutti: './dist/cli/bin.js', orch: './dist/cli/bin.js', ai_orch: './dist/cli/bin.js', 'tutti-sim': './dist/testing/sim/bin.js' });
  });
});
