/**
 * Seed 000 against the reference implementation's public API (agentic-flow's
 * `src/orchestration`): its input shapes are accepted and enforced (successCriteria flags as
 * validation commands, backoffMs, onFailureClass, timeMs/tokens/costUsd, strategy, priority),
 * misspelt fields are refused, the test backend is synchronous, and the client answers
 * `{ success }`, `seed`, `recordLearning`, `search`, `harvest`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import {
  createHashEmbedder,
  createOrchestrationClient,
  createOrchestrator,
  getRunStatus,
  harvestMemory,
  type OrchestrateTaskInput,
  type Orchestrator,
} from '../../src/memory/orchestration/index.js';
import { orchestrationPlan, parseOrchestrateInput } from '../../src/memory/orchestration/input.js';
import type { CodingOutput } from '../../src/agents/drivers/cli/index.js';
import { codingEngine, gitRepo } from '../agents/helpers.js';
import { sim } from '../sim/helpers.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

const tmp = () => mkdtempSync(join(tmpdir(), 'tutti-orch-ref-'));

function testOrchestrator(dir = tmp(), extra: Parameters<typeof createOrchestrator>[0] = {}): Orchestrator {
  const o = createOrchestrator({ backend: 'test', dataDir: dir, workDir: dir, embedder: createHashEmbedder(), ...extra });
  closers.push(() => o.close());
  return o;
}

/** An orchestrator over an engine whose only coding agent runs `argv` (exec driver). */
async function execOrchestrator(argv: string[]): Promise<{ o: Orchestrator; engine: ReturnType<typeof createEngine> }> {
  const dir = tmp();
  const engine = createEngine({ dataDir: dir, workDir: dir, pollMs: 20, killGraceMs: 200, agents: [{ id: 'worker', driver: 'exec', capabilities: ['code'], config: { command: argv } }] });
  closers.push(() => engine.stop());
  await engine.start();
  const o = createOrchestrator({ backend: 'safe-exec', engine, agent: 'worker', embedder: createHashEmbedder() });
  closers.push(() => o.close());
  return { o, engine };
}

describe('the reference input shapes', () => {
  it('backend test is synchronous: the run has ended when orchestrateTask resolves', async () => {
    const o = testOrchestrator();
    const { runId } = await o.orchestrateTask({ description: 'Your task description', strategy: 'adaptive', priority: 'medium' });
    expect(await getRunStatus(runId)).toEqual({ phase: 'completed', progress: 100, finished: true });
  });

  it('misspelt or unknown fields are refused with their name, in the input, the loop policy and the config', async () => {
    const o = testOrchestrator();
    const bad = (input: unknown) => o.orchestrateTask(input as OrchestrateTaskInput);
    await expect(bad({ description: 'x', descripton: 'y' })).rejects.toThrow(/unknown field 'descripton'/);
    await expect(bad({ description: 'x', loopPolicy: { retryPolicy: { backoffMS: 10 } } })).rejects.toThrow(/loopPolicy\.retryPolicy: unknown field 'backoffMS'/);
    await expect(bad({ description: 'x', loopPolicy: { budgetLimits: { time: 10 } } })).rejects.toThrow(/loopPolicy\.budgetLimits: unknown field 'time'/);
    await expect(bad({ description: 'x', loopPolicy: { successCriteria: { test: true } } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('successCriteria') });
    await expect(bad({ description: 'x', loopPolicy: { retryPolicy: { onFailureClass: 'sometimes' } } })).rejects.toThrow(/onFailureClass/);
    await expect(bad({ description: 'x', loopPolicy: { budgetLimits: { timeMs: 10, maxDurationMs: 20 } } })).rejects.toThrow(/timeMs or maxDurationMs, not both/);
    await expect(bad({ description: 'x', strategy: 'greedy' })).rejects.toThrow(/strategy/);
    await expect(bad({ description: 'x', priority: 'urgent' })).rejects.toThrow(/priority/);
    await expect(bad({ description: 'x', loopPolicy: { retryPolicy: { onFailureClass: 'budget' } } })).rejects.toThrow(/set loopPolicy\.budgetLimits/);
    expect(() => createOrchestrator({ backend: 'test', dbPath: 'x' } as never)).toThrow(/unknown option 'dbPath'/);
    const client = createOrchestrationClient({ config: { backend: 'test', dataDir: tmp(), embedder: createHashEmbedder() } });
    closers.push(() => client.close());
    await expect(client.startRun({ taskDescription: 'x', memorySeeds: [] } as never)).rejects.toThrow(/unknown field 'memorySeeds'/);
  });

  it('retryPolicy: backoffMs is a fixed delay; onFailureClass transient is on timeouts and crashes, budget retries until the budget', () => {
    const plan = (loopPolicy: OrchestrateTaskInput['loopPolicy']) => orchestrationPlan(parseOrchestrateInput({ description: 'x', loopPolicy }), 'safe-exec', {}).tasks[0]!;
    expect(plan({ retryPolicy: { maxAttempts: 4, backoffMs: 250, onFailureClass: 'transient' } }).retry).toEqual({
      maxAttempts: 4,
      backoff: { initialMs: 250, factor: 1, maxMs: 250, jitter: 0 },
      retryOn: ['timeout', 'crashed', 'spawn', 'rate_limited', 'exception', 'output_limit'],
    });
    expect(plan({ retryPolicy: { onFailureClass: 'budget' }, budgetLimits: { costUsd: 2 } }).retry).toMatchObject({ maxAttempts: 1000 });
    expect(plan({ retryPolicy: { onFailureClass: 'permanent', maxAttempts: 3 } }).retry).not.toHaveProperty('retryOn');
    const budgeted = plan({ budgetLimits: { timeMs: 60_000, tokens: 20_000, costUsd: 0.5 } });
    expect(budgeted.budget).toEqual({ usd: 0.5, tokens: 20_000, wallMs: 60_000 });
    expect(budgeted.timeoutMs).toBe(60_000);
  });

  it('onFailureClass transient does not retry a failing command; permanent does', async () => {
    const { o, engine } = await execOrchestrator(['sh', '-c', 'echo broken >&2; exit 3']);
    const transient = await o.orchestrateTask({ description: 'fails for good', loopPolicy: { retryPolicy: { maxAttempts: 3, backoffMs: 0, onFailureClass: 'transient' } } });
    const permanent = await o.orchestrateTask({ description: 'fails for good', loopPolicy: { retryPolicy: { maxAttempts: 3, backoffMs: 0, onFailureClass: 'permanent' } } });
    const a = await engine.waitForRun(transient.runId, { timeoutMs: 20_000 });
    const b = await engine.waitForRun(permanent.runId, { timeoutMs: 20_000 });
    expect([a.status, a.tasks[0]!.attempts.length]).toEqual(['failed', 1]);
    expect([b.status, b.tasks[0]!.attempts.length]).toEqual(['failed', 3]);
    expect(a.tasks[0]!.attempts[0]!.error?.kind).toBe('exit_code');
  });

  it('budgetLimits.timeMs bounds the work: an attempt past it is killed and the run fails', async () => {
    const { o, engine } = await execOrchestrator(['sleep', '30']);
    const { runId } = await o.orchestrateTask({ description: 'takes too long', loopPolicy: { budgetLimits: { timeMs: 300 } } });
    const v = await engine.waitForRun(runId, { timeoutMs: 20_000 });
    expect(v.status).toBe('failed');
    expect(v.tasks[0]!.attempts[0]!.error?.kind).toBe('timeout');
  });

  it('priority becomes the run priority; strategy is kept in its metadata', async () => {
    const dir = tmp();
    const o = testOrchestrator(dir);
    const { runId } = await o.orchestrateTask({ description: 'urgent', priority: 'critical', strategy: 'parallel' });
    const reader = createEngine({ dataDir: dir, workDir: dir });
    closers.push(() => reader.stop());
    const run = await reader.store.getRun(runId);
    expect(run?.priority).toBe(2);
    expect(run?.metadata.strategy).toBe('parallel');
  });
});

describe('successCriteria flags', () => {
  it('test backend: each flag runs its package script after the task; a failing one fails the run', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', scripts: { test: 'node -e "process.exit(0)"', lint: 'node -e "console.error(\'2 lint errors\'); process.exit(1)"' } }));
    const o = testOrchestrator(dir);
    const ok = await o.orchestrateTask({ description: 'tested', cwd: dir, loopPolicy: { successCriteria: { tests: true } } });
    expect(await o.getRunStatus(ok.runId)).toEqual({ phase: 'completed', progress: 100, finished: true });
    const bad = await o.orchestrateTask({ description: 'linted', cwd: dir, loopPolicy: { successCriteria: { tests: true, lint: true } } });
    const status = await o.getRunStatus(bad.runId);
    expect(status).toMatchObject({ phase: 'failed', finished: true });
    expect(status.error).toMatch(/check-lint/);
  });

  it('a flag with no command is refused, naming it; a configured command is used instead of the script', async () => {
    const dir = tmp();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'p', scripts: { test: 'true' } }));
    const o = testOrchestrator(dir);
    await expect(o.orchestrateTask({ description: 'x', cwd: dir, loopPolicy: { successCriteria: { typecheck: true } } })).rejects.toMatchObject({
      code: 'ERR_INVALID_INPUT',
      message: expect.stringContaining('loopPolicy.successCriteria.typecheck: no command'),
    });
    const configured = testOrchestrator(dir, { validation: { typecheck: ['node', '-e', 'process.exit(0)'] } });
    const { runId } = await configured.orchestrateTask({ description: 'x', cwd: dir, loopPolicy: { successCriteria: { typecheck: true } } });
    expect((await configured.getRunStatus(runId)).phase).toBe('completed');
    const plan = orchestrationPlan(parseOrchestrateInput({ description: 'x', cwd: dir, loopPolicy: { successCriteria: { tests: true } } }), 'safe-exec', {});
    expect(plan.tasks[0]!.validate).toEqual([['npm', 'run', 'test']]);
  });

  it('custom is called with the result; false fails the attempt, which is retried', async () => {
    const o = testOrchestrator();
    const seen: unknown[] = [];
    const rejected = await o.orchestrateTask({ description: 'judged', loopPolicy: { maxIterations: 2, successCriteria: { custom: (r) => (seen.push(r), false) } } });
    const status = await o.getRunStatus(rejected.runId);
    expect(status).toMatchObject({ phase: 'failed' });
    expect(status.error).toMatch(/custom success criterion/);
    expect(seen).toHaveLength(2);
    expect(seen[0]).toMatchObject({ summary: expect.stringContaining('judged') });
    const accepted = await o.orchestrateTask({ description: 'fine', loopPolicy: { successCriteria: { custom: () => true } } });
    expect((await o.getRunStatus(accepted.runId)).phase).toBe('completed');
  });

  it('safe-exec: tests: true runs the repository’s test script in the worktree; artifacts have the reference’s shapes', async () => {
    const repo = gitRepo({
      'answer.js': 'module.exports = 0;\n',
      'test.js': "if (require('./answer.js') !== 42) { console.error('expected 42'); process.exit(1); }\n",
      'package.json': JSON.stringify({ name: 'r', scripts: { test: 'node test.js' } }),
    });
    const { env } = sim({ entries: [{ match: { cli: 'claude' }, actions: [{ write: 'answer.js', content: 'module.exports = 42;\n' }] }] }, ['claude']);
    const { engine } = await codingEngine(env, repo);
    closers.push(() => engine.stop());
    await engine.registerAgents([{ id: 'coder', driver: 'coding', capabilities: ['code'], config: { cli: ['claude'], cliTimeoutMs: 30_000 } }]);
    const o = createOrchestrator({ backend: 'safe-exec', engine, embedder: createHashEmbedder() });
    closers.push(() => o.close());
    const { runId } = await o.orchestrateTask({ description: 'make the test pass', cwd: repo, loopPolicy: { successCriteria: { tests: true } } });
    const v = await engine.waitForRun(runId, { timeoutMs: 60_000 });
    expect(v.status).toBe('completed');
    const out = v.tasks[0]!.attempts[0]!.output as CodingOutput;
    expect(out.validation.map((c) => c.command)).toEqual(['npm run test']);
    const artifacts = await o.getRunArtifacts(runId);
    expect(artifacts.commits).toEqual([{ sha: out.commits[0]!.sha, message: out.commits[0]!.subject, branch: out.branch }]);
    expect(artifacts.testLogs).toEqual([{ name: 'npm run test', path: out.testLog, passed: true }]);
  });
});

describe('the generic client', () => {
  it('cancel answers { success }, seed/recordLearning/search/harvest work on the run’s memory', async () => {
    const client = createOrchestrationClient({ config: { backend: 'test', dataDir: tmp(), embedder: createHashEmbedder() } });
    closers.push(() => client.close());
    const { runId } = await client.startRun({ taskDescription: 'Implement feature X', memorySeed: [{ key: 'ctx', value: 'ref-123', namespace: 'app' }] });
    expect((await client.getStatus(runId)).status).toBe('completed');
    expect(await client.cancel(runId)).toEqual({ success: true });
    expect(await client.cancel('run_unknown')).toEqual({ success: true });
    await client.seed(runId, [{ key: 'more', value: 'the API uses JWT', metadata: { source: 'doc' } }]);
    await client.recordLearning(runId, 'JWT secrets rotate monthly', 0.8, { taskId: 'task' });
    expect((await client.search({ runId }, 'JWT', 5)).map((r) => r.value)).toEqual(expect.arrayContaining(['the API uses JWT', 'JWT secrets rotate monthly']));
    expect((await client.search({}, 'JWT', 5)).length).toBeGreaterThan(0); // no runId: global
    const h = await client.harvest(runId);
    expect(h.entries).toEqual([
      { key: 'ctx', value: 'ref-123', metadata: { namespace: 'app' } },
      { key: 'more', value: 'the API uses JWT', metadata: { source: 'doc' } },
    ]);
    expect(h.learnings).toEqual([{ learning: 'JWT secrets rotate monthly', score: 0.8, provenance: expect.objectContaining({ runId, taskId: 'task' }) }]);
    expect(await harvestMemory(runId)).toEqual(h);
    const artifacts = await getArtifacts(client, runId);
    expect(artifacts.memoryWrites[0]).toMatchObject({ key: 'ctx', namespace: 'app' });
  });
});

async function getArtifacts(_client: unknown, runId: string) {
  const { getRunArtifacts } = await import('../../src/memory/orchestration/index.js');
  return getRunArtifacts(runId);
}
