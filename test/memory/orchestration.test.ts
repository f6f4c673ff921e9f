/**
 * Seed 000 (`tutti/orchestration`): every example of the seed document, translated, and the
 * behaviours SEEDS.md lists — unknown run → phase 'unknown', cancel resolves undefined, artifacts
 * always arrays, memory seeded before the first task, scope isolation, durable statuses.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/create-engine.js';
import type { AttemptContext } from '../../src/agents/types.js';
import type { Engine } from '../../src/core/engine.js';
import {
  cancelRun,
  createHashEmbedder,
  createMemoryHooks,
  createOrchestrationClient,
  createOrchestrator,
  getRunArtifacts,
  getRunStatus,
  MEMORY_HEADING,
  MemoryPlane,
  recordLearning,
  searchMemory,
  seedMemory,
  type Orchestrator,
  type OrchestrateTaskInput,
  type RunHandle,
  type RunStatus,
  type StartRunInput,
} from '../../src/memory/orchestration/index.js';

const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!().catch(() => undefined);
});

function dataDir(): string {
  return mkdtempSync(join(tmpdir(), 'tutti-orch-'));
}

function testOrchestrator(dir = dataDir()): Orchestrator {
  const o = createOrchestrator({ backend: 'test', dataDir: dir, workDir: dir, embedder: createHashEmbedder() });
  closers.push(() => o.close());
  return o;
}

describe('seed 000: library-safe programmatic API', () => {
  it('the first example: createOrchestrator({ backend: "test" }), orchestrateTask with initialMemoryEntries, getRunStatus', async () => {
    const dir = dataDir();
    const orchestrator: Orchestrator = testOrchestrator(dir);
    const input: OrchestrateTaskInput = {
      description: 'Your task description',
      initialMemoryEntries: [{ key: 'ctx', value: 'some context', metadata: {} }],
    };
    const handle: RunHandle = await orchestrator.orchestrateTask(input);
    const { runId } = handle;
    const status: RunStatus = await getRunStatus(runId);
    // The test backend is deterministic and synchronous, as the reference's: done when orchestrateTask resolves.
    expect(status).toEqual({ phase: 'completed', progress: 100, finished: true });

    const done = await orchestrator.waitForRun(runId, { timeoutMs: 15_000 });
    expect(done).toEqual({ phase: 'completed', progress: 100, finished: true });
    // The memory was committed before the run existed, so before its first task.
    const artifacts = await getRunArtifacts(runId);
    expect(artifacts.memoryWrites).toEqual([expect.objectContaining({ kind: 'entry', key: 'ctx', text: 'some context', provenance: expect.objectContaining({ runId, source: 'seed' }) })]);
    expect(Date.parse(artifacts.memoryWrites[0]!.createdAt)).toBeLessThanOrEqual(await firstAttemptStart(dir, runId));
    expect(await searchMemory({ runId }, 'context', 3)).toEqual([expect.objectContaining({ value: 'some context', score: expect.any(Number), metadata: {} })]);
  });

  it('an unknown run: phase unknown, progress 0, not finished; cancel resolves undefined; artifacts are empty arrays', async () => {
    testOrchestrator();
    expect(await getRunStatus('run_does_not_exist')).toEqual({ phase: 'unknown', progress: 0, finished: false });
    expect(await getRunStatus('')).toEqual({ phase: 'unknown', progress: 0, finished: false });
    expect(await cancelRun('run_does_not_exist')).toBeUndefined();
    expect(await getRunArtifacts('run_does_not_exist')).toEqual({ commits: [], testLogs: [], memoryWrites: [] });
  });

  it('cancelRun: best effort on a running run (its process is stopped), a no-op on a finished one', async () => {
    const dir = dataDir();
    const engine = createEngine({ dataDir: dir, workDir: dir, pollMs: 25, killGraceMs: 200, agents: [{ id: 'sleeper', driver: 'exec', capabilities: ['code'], config: { command: ['sleep', '30'] } }] });
    closers.push(() => engine.stop());
    await engine.start();
    const orchestrator = createOrchestrator({ backend: 'safe-exec', engine, agent: 'sleeper', embedder: createHashEmbedder() });
    closers.push(() => orchestrator.close());
    const { runId } = await orchestrator.orchestrateTask({ description: 'sleep for a while' });
    await waitUntil(async () => (await engine.getRun(runId))!.tasks[0]!.status === 'running');
    expect(await cancelRun(runId)).toBeUndefined();
    const view = await engine.waitForRun(runId, { timeoutMs: 10_000 });
    expect(view.status).toBe('cancelled');
    expect(view.tasks[0]!.attempts[0]!.status).toBe('cancelled');
    expect(await getRunStatus(runId)).toMatchObject({ phase: 'cancelled', finished: true });

    const test = testOrchestrator();
    const done = await test.orchestrateTask({ description: 'finish first' });
    await test.waitForRun(done.runId, { timeoutMs: 15_000 });
    expect(await test.cancelRun(done.runId)).toBeUndefined();
    expect((await test.getRunStatus(done.runId)).phase).toBe('completed');
  });

  it('statuses are durable: a new orchestrator on the same data dir reads them from the store', async () => {
    const dir = dataDir();
    const first = createOrchestrator({ backend: 'test', dataDir: dir, workDir: dir, embedder: createHashEmbedder() });
    const { runId } = await first.orchestrateTask({ description: 'durable', initialMemoryEntries: [{ key: 'k', value: 'kept across processes' }] });
    await first.waitForRun(runId, { timeoutMs: 15_000 });
    await first.close();
    const second = testOrchestrator(dir);
    expect(await second.getRunStatus(runId)).toEqual({ phase: 'completed', progress: 100, finished: true });
    expect((await second.getRunArtifacts(runId)).memoryWrites.map((m) => m.key)).toEqual(['k']);
  });

  it('rejects bad input with typed errors and writes nothing', async () => {
    const o = testOrchestrator();
    await expect(o.orchestrateTask({ description: '  ' })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    await expect(o.orchestrateTask({ description: 'x', loopPolicy: { maxIterations: 0 } })).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT', message: expect.stringContaining('loopPolicy.maxIterations') });
    expect(() => createOrchestrator({ backend: 'nope' as 'test' })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTIONS' }));
    await expect(o.searchMemory({ runId: 'r' }, '', 3)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
    // safe-exec with no agent able to code says what to do, and creates no run.
    const dir = dataDir();
    const engine = createEngine({ dataDir: dir, workDir: dir, builtinAgents: false, drivers: [], agents: [] });
    closers.push(() => engine.stop());
    const safe = createOrchestrator({ backend: 'safe-exec', engine, embedder: createHashEmbedder() });
    await expect(safe.orchestrateTask({ description: 'code something', initialMemoryEntries: [{ value: 'x' }] })).rejects.toMatchObject({ code: 'ERR_NO_CAPABLE_AGENT', message: expect.stringContaining("needs a coding agent (capability 'code')") });
    expect(await engine.listRuns()).toEqual([]);
    expect(await engine.store.listMemories({})).toEqual([]); // nothing seeded for a run that was refused
  });
});

describe('seed 000: generic orchestration client', () => {
  it('the client example: startRun with cwd, memory seed, criteria, paths and provenance → runId, getStatus, cancel', async () => {
    const dir = dataDir();
    const client = createOrchestrationClient({ config: { backend: 'test', dataDir: dir, embedder: createHashEmbedder() } });
    closers.push(() => client.close());
    const input: StartRunInput = {
      taskDescription: 'Implement feature X',
      cwd: dir,
      memorySeed: [{ key: 'ctx', value: 'ref-123', namespace: 'app' }],
      acceptanceCriteria: ['Tests pass', 'Lint clean'],
      allowedPaths: ['src/'],
      forbiddenPaths: ['dist/'],
      provenance: { runId: 'build-1', cardId: 'card-42' },
    };
    const { runId } = await client.startRun(input);
    expect(runId).toMatch(/^run_/);
    const status = await client.getStatus(runId);
    expect(status).toMatchObject({ runId, status: 'completed', progress: 100, finished: true, summary: expect.stringContaining('Implement feature X') });
    expect(await client.cancel(runId)).toEqual({ success: true }); // best-effort, finished: no-op
    expect(await client.getStatus('run_unknown')).toEqual({ runId: 'run_unknown', status: 'unknown', progress: 0, finished: false });

    // The seed reached the run's memory with its namespace; the caller's provenance is kept.
    const hits = await searchMemory({ runId }, 'ref-123', 5);
    expect(hits[0]).toMatchObject({ value: 'ref-123', metadata: { namespace: 'app' }, provenance: { runId, source: 'seed', caller: { runId: 'build-1', cardId: 'card-42' } } });
  });
});

describe('seed 000: memory plane contract', () => {
  it('seedMemory / recordLearning / searchMemory: run scope sees only its run, global sees all, best first, at most topK', async () => {
    testOrchestrator();
    await seedMemory('run-a', [
      { key: 'db', value: 'The service stores users in PostgreSQL 15', metadata: { team: 'a' } },
      { key: 'auth', value: 'Sessions use signed cookies that expire after one hour' },
    ]);
    await seedMemory('run-b', [{ key: 'db', value: 'Run B keeps its users in MongoDB' }]);
    await recordLearning('run-a', 'Migrations must run before the users table is read', 0.9, { taskId: 'migrate' });
    await recordLearning('run-b', 'The users cache in run B is warmed at start');

    const a = await searchMemory({ runId: 'run-a' }, 'where are users stored', 10);
    expect(a.length).toBeGreaterThan(0);
    expect(a.every((r) => r.runId === 'run-a')).toBe(true);
    expect(a.map((r) => r.value)).not.toContain('Run B keeps its users in MongoDB');
    for (let i = 1; i < a.length; i++) expect(a[i - 1]!.score).toBeGreaterThanOrEqual(a[i]!.score);
    const learning = a.find((r) => r.kind === 'learning')!;
    expect(learning).toMatchObject({ value: 'Migrations must run before the users table is read', recordedScore: 0.9, provenance: { runId: 'run-a', taskId: 'migrate' } });

    const global = await searchMemory('global', 'users', 10);
    expect(new Set(global.map((r) => r.runId))).toEqual(new Set(['run-a', 'run-b']));
    expect(await searchMemory('global', 'users', 2)).toHaveLength(2);
    await expect(searchMemory({ runId: 'run-a' }, 'users', 0)).rejects.toMatchObject({ code: 'ERR_INVALID_INPUT' });
  });

  it('a seeded run gets its memory in the first task’s prompt; learnings in its output are recorded with provenance', async () => {
    const dir = dataDir();
    let plane: MemoryPlane | null = null;
    const hooks = createMemoryHooks(() => plane!);
    const prompts: string[] = [];
    const engine: Engine = createEngine({
      dataDir: dir,
      workDir: dir,
      pollMs: 25,
      attemptHooks: {
        async prepareAttempt(ctx: Readonly<AttemptContext>, signal: AbortSignal) {
          const prep = await hooks.prepareAttempt!(ctx, signal);
          prompts.push((prep && prep.task?.prompt) ?? ctx.task.prompt ?? '');
          return prep;
        },
        onAttemptFinished: hooks.onAttemptFinished!,
      },
      // The agent answers with a learning in the documented structured form.
      functions: { coder: async () => ({ done: true, learnings: [{ text: 'The flaky test needs TZ=UTC', score: 0.7 }] }) },
      agents: [{ id: 'coder-bot', driver: 'function', capabilities: ['code'], config: { function: 'coder' } }],
    });
    closers.push(() => engine.stop());
    await engine.start();
    plane = new MemoryPlane({ store: engine.store, embedder: createHashEmbedder() });
    const orchestrator = createOrchestrator({ backend: 'safe-exec', engine, agent: 'coder-bot', embedder: createHashEmbedder() });
    const { runId } = await orchestrator.orchestrateTask({
      description: 'Fix the flaky date test',
      initialMemoryEntries: [{ key: 'hint', value: 'The date test fails outside UTC' }],
    });
    const view = await engine.waitForRun(runId, { timeoutMs: 15_000 });
    expect(view.status).toBe('completed');
    expect(prompts[0]).toContain(MEMORY_HEADING);
    expect(prompts[0]).toContain('The date test fails outside UTC');
    expect(prompts[0]).toContain('Fix the flaky date test');
    const writes = (await orchestrator.getRunArtifacts(runId)).memoryWrites;
    expect(writes.map((w) => [w.kind, w.text])).toEqual([
      ['entry', 'The date test fails outside UTC'],
      ['learning', 'The flaky test needs TZ=UTC'],
    ]);
    expect(writes[1]!.provenance).toMatchObject({ runId, taskId: 'task', attempt: 1, agentId: 'coder-bot', source: 'agent-output' });
  });
});

/** When the run's first attempt started, read from the store by another engine (not started). */
async function firstAttemptStart(dir: string, runId: string): Promise<number> {
  const reader = createEngine({ dataDir: dir, workDir: dir });
  try {
    const view = await reader.getRun(runId);
    return Date.parse(view!.tasks[0]!.attempts[0]!.startedAt);
  } finally {
    await reader.stop();
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('seed 000 budgetLimits', () => {
  it('become the task’s budget (USD, tokens, wall ms) and its per-attempt timeout', async () => {
    const { orchestrationPlan, parseOrchestrateInput } = await import('../../src/memory/orchestration/orchestrator.js');
    const input = parseOrchestrateInput({ description: 'fix the flaky test', loopPolicy: { budgetLimits: { maxCostUsd: 0.5, maxTokens: 20_000, maxDurationMs: 60_000 } } });
    const task = orchestrationPlan(input, 'safe-exec', {}).tasks[0]!;
    expect(task.budget).toEqual({ usd: 0.5, tokens: 20_000, wallMs: 60_000 });
    expect(task.timeoutMs).toBe(60_000);
    expect(orchestrationPlan(parseOrchestrateInput({ description: 'x' }), 'safe-exec', {}).tasks[0]!.budget).toBeUndefined();
  });
});
