import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NonRetryableError } from '../../core/errors.js';
import { agentRecord, attemptContext, describeDriverConformance, spec } from './conformance/index.js';
import { createExecDriver } from './exec.js';
import { builtinFunctions, createFunctionDriver } from './function.js';
import { createTestDriver } from './test.js';

describeDriverConformance({
  name: 'exec',
  createDriver: () => createExecDriver({ killGraceMs: 100 }),
  tasks: { succeed: { command: ['true'] }, fail: { command: ['sh', '-c', 'echo oops >&2; exit 4'] }, hang: { command: ['sleep', '30'] } },
});

const functions = new Map(builtinFunctions());
describeDriverConformance({
  name: 'function',
  createDriver: () => createFunctionDriver(functions),
  tasks: { succeed: { function: 'noop' }, fail: { function: 'fail' }, hang: { function: 'sleep', input: { ms: 30_000 } } },
});

describeDriverConformance({
  name: 'test',
  createDriver: createTestDriver,
  explicit: true,
  tasks: { succeed: {}, fail: { input: { outcome: 'fail' } }, hang: { input: { hang: true } } },
});

describe('exec driver', () => {
  const driver = createExecDriver({ killGraceMs: 100 });
  const agent = agentRecord('exec');
  const run = (task: Parameters<typeof spec>[0], a = agent) => {
    const ctx = attemptContext(spec(task), a);
    return driver.execute(ctx, new AbortController().signal).then((r) => ({ r, ctx }));
  };

  it('passes the attempt identity in the environment and the prompt on stdin', async () => {
    const { r } = await run({ command: ['sh', '-c', 'echo "$TUTTI_IDEMPOTENCY_KEY"; cat'], prompt: 'from stdin' });
    expect(r.status).toBe('succeeded');
    expect(r.output).toBe('run_test/task-1/1\nfrom stdin');
  });

  it('an agent command takes prompt-only tasks; {prompt} becomes one argv element', async () => {
    const echoer = agentRecord('exec', { config: { command: ['printf', '[%s]', '{prompt}'] } });
    expect(driver.accepts(spec({ prompt: 'a b; rm -rf /' }), echoer, false)).toBeNull();
    const { r } = await run({ prompt: 'a b; rm -rf /' }, echoer);
    expect(r.output).toBe('[a b; rm -rf /]');
    expect(driver.accepts(spec({ prompt: 'x' }), agent, false)).toMatch(/no command/);
  });

  it('a missing program is not_installed and not retryable', async () => {
    const { r } = await run({ command: ['definitely-not-a-program-xyz'] });
    expect(r.error).toMatchObject({ kind: 'not_installed', retryable: false });
  });

  it('a failure names the exit code and the last stderr line; output goes to the log', async () => {
    const { r, ctx } = await run({ command: ['sh', '-c', 'echo working; echo broken pipe >&2; exit 7'] });
    expect(r).toMatchObject({ status: 'failed', exitCode: 7, error: { kind: 'exit_code' } });
    expect(r.error!.message).toBe('sh exited with code 7: broken pipe');
    expect(readFileSync(ctx.logPath, 'utf8')).toContain('working');
    expect(ctx.lines.map((l) => l.stream)).toContain('stderr');
  });

  it('no output: no log file', async () => {
    const { r, ctx } = await run({ command: ['true'] });
    expect(r.logBytes).toBe(0);
    expect(existsSync(ctx.logPath)).toBe(false);
  });

  it('relative cwd resolves against the work dir; env merges', async () => {
    const { r } = await run({ command: ['sh', '-c', 'pwd; echo $GREETING'], cwd: '.', env: { GREETING: 'hi' } });
    expect(r.output).toMatch(/tutti-driver-.*\nhi\n$/);
  });
});

describe('function driver', () => {
  it('hands input, prompt, agent and identity to the function and returns its value', async () => {
    const fns = new Map([['inspect', (c: { input: unknown; prompt: string | undefined; agent: { id: string }; idempotencyKey: string }) => ({ ...(c.input as object), prompt: c.prompt, agent: c.agent.id, key: c.idempotencyKey })]]);
    const d = createFunctionDriver(fns as never);
    const r = await d.execute(attemptContext(spec({ function: 'inspect', input: { a: 1 }, prompt: 'p' }), agentRecord('function')), new AbortController().signal);
    expect(r).toEqual({ status: 'succeeded', output: { a: 1, prompt: 'p', agent: 'agent-1', key: 'run_test/task-1/1' } });
  });

  it('NonRetryableError is not retryable; unknown functions are refused', async () => {
    const d = createFunctionDriver(new Map([['no', () => { throw new NonRetryableError('never'); }]]));
    const r = await d.execute(attemptContext(spec({ function: 'no' }), agentRecord('function')), new AbortController().signal);
    expect(r.error).toMatchObject({ kind: 'non_retryable', retryable: false, message: 'never' });
    expect(d.accepts(spec({ function: 'ghost' }), agentRecord('function'), false)).toMatch(/no function 'ghost'/);
  });
});

describe('test driver', () => {
  it('fails the first failTimes attempts, then succeeds with its output', async () => {
    const d = createTestDriver();
    const task = spec({ input: { failTimes: 2, output: { done: true }, emit: ['one', 'two'] } });
    const results = [];
    for (const attempt of [1, 2, 3]) results.push(await d.execute(attemptContext(task, agentRecord('test'), { attempt }), new AbortController().signal));
    expect(results.map((r) => r.status)).toEqual(['failed', 'failed', 'succeeded']);
    expect(results[2]!.output).toEqual({ done: true });
    expect(d.accepts(task, agentRecord('test'), false)).toMatch(/only takes tasks that name its agent/);
    expect(d.accepts(spec({ input: { bogus: 1 } }), agentRecord('test'), true)).toMatch(/invalid test script/);
  });
});
