/**
 * Seed 000's orchestrator over the one engine: a task description becomes a one-task run (the
 * test driver for `backend: 'test'`, a coding agent for `'safe-exec'`), memory lives in the
 * engine's store through a {@link MemoryPlane}, and every status or artifact is read from that
 * store — a new orchestrator on the same data dir sees the same runs. Nothing opens before the
 * first call.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { createEngine } from '../../create-engine.js';
import type { Engine } from '../../core/engine.js';
import { TuttiError, isTuttiError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import { isTerminalRunStatus } from '../../core/model.js';
import type { PlanInput } from '../../core/plan/schema.js';
import type { RunView } from '../../core/run-view.js';
import type { MemoryRecord, MemoryScope } from '../../store/memory-types.js';
import { createMemoryHooks } from '../context.js';
import { MemoryPlane } from '../memory-plane.js';
import type { MemoryEntry, OrchestrateTaskInput, Orchestrator, OrchestratorBackend, OrchestratorConfig, RunArtifacts, RunHandle, RunStatus } from './types.js';

const strings = z.array(z.string().min(1).max(10_000)).max(1000);
const globs = z.array(z.string().min(1).max(4096)).max(1000);
const inputSchema = z.object({
  description: z.string().trim().min(1, 'a task description is required').max(1_000_000),
  initialMemoryEntries: z.array(z.object({ key: z.string().optional(), value: z.unknown(), metadata: z.record(z.string(), z.unknown()).optional() }).passthrough()).max(10_000).optional(),
  loopPolicy: z
    .object({
      maxIterations: z.number().int().min(1).max(1000).optional(),
      successCriteria: strings.optional(),
      retryPolicy: z
        .object({
          maxAttempts: z.number().int().min(1).max(1000).optional(),
          initialDelayMs: z.number().int().min(0).optional(),
          maxDelayMs: z.number().int().min(0).optional(),
          factor: z.number().min(1).max(100).optional(),
        })
        .optional(),
      budgetLimits: z
        .object({ maxDurationMs: z.number().int().positive().optional(), maxCostUsd: z.number().positive().optional(), maxTokens: z.number().int().positive().optional() })
        .optional(),
    })
    .optional(),
  cwd: z.string().min(1).max(4096).optional(),
  allowedPaths: globs.optional(),
  forbiddenPaths: globs.optional(),
  acceptanceCriteria: strings.optional(),
  provenance: z.record(z.string(), z.unknown()).optional(),
  validate: z.array(z.union([z.string().min(1), z.array(z.string()).min(1)])).max(100).optional(),
});

/** @throws TuttiError `ERR_INVALID_INPUT` naming each bad field. */
export function parseOrchestrateInput(input: unknown): z.infer<typeof inputSchema> {
  const r = inputSchema.safeParse(input);
  if (!r.success) throw new TuttiError('ERR_INVALID_INPUT', `orchestrateTask: ${r.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
  return r.data;
}

const UNKNOWN: RunStatus = { phase: 'unknown', progress: 0, finished: false };

/** The run status of seed 000 for a run view (null: unknown). */
export function toRunStatus(view: Pick<RunView, 'status' | 'progress' | 'error'> | null): RunStatus {
  if (!view) return { ...UNKNOWN };
  const s: RunStatus = { phase: view.status, progress: view.progress, finished: isTerminalRunStatus(view.status) };
  if (view.error) s.error = view.error;
  return s;
}

/** Seed 000's `budgetLimits` as the task's budget (USD, tokens, wall ms), or null when it sets none. */
function budgetOf(b: { maxDurationMs?: number; maxCostUsd?: number; maxTokens?: number } | undefined): { usd?: number; tokens?: number; wallMs?: number } | null {
  if (!b || (b.maxCostUsd === undefined && b.maxTokens === undefined && b.maxDurationMs === undefined)) return null;
  return { ...(b.maxCostUsd !== undefined ? { usd: b.maxCostUsd } : {}), ...(b.maxTokens !== undefined ? { tokens: b.maxTokens } : {}), ...(b.maxDurationMs !== undefined ? { wallMs: b.maxDurationMs } : {}) };
}

/** The plan of one orchestrated task. */
export function orchestrationPlan(input: z.infer<typeof inputSchema>, backend: OrchestratorBackend, config: Pick<OrchestratorConfig, 'agent' | 'memoryTopK'>): PlanInput {
  const lp = input.loopPolicy ?? {};
  const criteria = [...(input.acceptanceCriteria ?? []), ...(lp.successCriteria ?? [])];
  const maxAttempts = lp.retryPolicy?.maxAttempts ?? lp.maxIterations ?? 1;
  const rp = lp.retryPolicy;
  const title = input.description.split('\n')[0]!.slice(0, 200);
  const task: PlanInput['tasks'][number] = {
    id: 'task',
    title,
    prompt: input.description,
    retry: {
      maxAttempts,
      backoff: { initialMs: rp?.initialDelayMs ?? 1000, factor: rp?.factor ?? 2, maxMs: rp?.maxDelayMs ?? 60_000, jitter: 0.2 },
    },
    ...(lp.budgetLimits?.maxDurationMs ? { timeoutMs: lp.budgetLimits.maxDurationMs } : {}),
    ...(budgetOf(lp.budgetLimits) ? { budget: budgetOf(lp.budgetLimits)! } : {}),
    ...(criteria.length ? { acceptanceCriteria: criteria } : {}),
    ...(input.allowedPaths ? { allowedPaths: input.allowedPaths } : {}),
    ...(input.forbiddenPaths ? { forbiddenPaths: input.forbiddenPaths } : {}),
    ...(input.initialMemoryEntries?.length ? { memory: { scope: 'run' as const, topK: config.memoryTopK ?? 5 } } : {}),
  };
  if (backend === 'test') {
    task.agent = 'test';
    task.input = { output: { summary: `test backend: '${title}' completed without doing work` } };
  } else {
    task.agent = config.agent ?? { capabilities: ['code'] };
    if (input.validate) task.validate = input.validate;
  }
  return { name: title, goal: input.description, tasks: [task] };
}

function memoryWrite(r: MemoryRecord) {
  return { id: r.id, kind: r.kind, key: r.key, text: r.text, provenance: r.provenance, createdAt: new Date(r.createdAt).toISOString() };
}

/** What coding attempts report in their output. */
function codingArtifacts(output: unknown): { commits: string[]; testLog: string | null } {
  if (!output || typeof output !== 'object') return { commits: [], testLog: null };
  const o = output as { commits?: unknown; testLog?: unknown };
  const commits = Array.isArray(o.commits) ? o.commits.flatMap((c) => (c && typeof c === 'object' && typeof (c as { sha?: unknown }).sha === 'string' ? [(c as { sha: string }).sha] : [])) : [];
  return { commits, testLog: typeof o.testLog === 'string' ? o.testLog : null };
}

/** The artifacts of a run view and its memories. */
export function runArtifacts(view: RunView | null, memories: readonly MemoryRecord[]): RunArtifacts {
  const commits: string[] = [];
  const testLogs: string[] = [];
  for (const t of view?.tasks ?? []) {
    for (const a of t.attempts) {
      const c = codingArtifacts(a.output);
      for (const sha of c.commits) if (!commits.includes(sha)) commits.push(sha);
      if (c.testLog && !testLogs.includes(c.testLog)) testLogs.push(c.testLog);
    }
  }
  return { commits, testLogs, memoryWrites: [...memories].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(memoryWrite) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates a seed 000 orchestrator. Nothing opens until the first call; `close()` releases it.
 * @example
 * const orchestrator = createOrchestrator({ backend: 'test' });
 * const { runId } = await orchestrator.orchestrateTask({ description: 'Your task description' });
 * const status = await orchestrator.getRunStatus(runId); // { phase: 'queued' | 'running' | 'completed' …, progress, finished }
 * @throws TuttiError `ERR_INVALID_OPTIONS` for an unknown backend.
 */
export function createOrchestratorInstance(config: OrchestratorConfig = {}): Orchestrator {
  const backend = config.backend ?? 'safe-exec';
  if (backend !== 'test' && backend !== 'safe-exec') throw new TuttiError('ERR_INVALID_OPTIONS', `unknown orchestrator backend '${String(backend)}': use 'test' or 'safe-exec'`);
  let engine: Engine | null = null;
  let plane: MemoryPlane | null = null;
  let started: Promise<void> | null = null;
  let closed = false;

  function open(): { engine: Engine; plane: MemoryPlane } {
    if (closed) throw new TuttiError('ERR_ENGINE_STOPPED', 'this orchestrator is closed');
    if (engine && plane) return { engine, plane };
    if (config.engine) {
      engine = config.engine;
      plane = new MemoryPlane({ store: engine.store, ...(config.embedder ? { embedder: config.embedder } : {}) });
    } else {
      // The plane and the engine share one store: the hooks need the plane, the plane the store.
      const created = createEngine({
        ...(config.dataDir ? { dataDir: config.dataDir } : {}),
        ...(config.store ? { store: config.store } : {}),
        workDir: resolve(config.workDir ?? process.cwd()),
        runScope: 'own',
        attemptHooks: createMemoryHooks(() => plane!),
      });
      engine = created;
      plane = new MemoryPlane({ store: created.store, ...(config.embedder ? { embedder: config.embedder } : {}) });
    }
    return { engine, plane };
  }

  async function start(): Promise<Engine> {
    const { engine: e } = open();
    if (config.engine) return e;
    started ??= (async () => {
      await e.start();
      // Runs this API started before a restart go on here (the engine only executes its own runs).
      const open = await e.listRuns({ status: ['queued', 'running', 'awaiting_approval'], limit: 1000 });
      for (const r of open) if ((r.metadata.orchestration as { backend?: string } | undefined)?.backend === backend) await e.resumeRun(r.id);
    })();
    await started;
    return e;
  }

  async function view(runId: string): Promise<RunView | null> {
    if (typeof runId !== 'string' || runId.length === 0) return null;
    return open().engine.getRun(runId);
  }

  async function memoriesOf(runId: string): Promise<MemoryRecord[]> {
    const out: MemoryRecord[] = [];
    let before: string | undefined;
    for (;;) {
      const page = await open().plane.list({ runId, limit: 500, ...(before ? { before } : {}) });
      out.push(...page);
      if (page.length < 500 || out.length >= 100_000) return out;
      before = page[page.length - 1]!.id;
    }
  }

  const orchestrator: Orchestrator = {
    backend,
    async orchestrateTask(raw: OrchestrateTaskInput): Promise<RunHandle> {
      const input = parseOrchestrateInput(raw);
      const e = await start();
      const { plane: p } = open();
      const runId = newRunId();
      const plan = orchestrationPlan(input, backend, config);
      // Validate the plan before writing anything, then seed: the run does not exist until its
      // memory is committed, so its first task always sees it.
      try {
        await e.validatePlan(plan);
      } catch (err) {
        if (backend === 'safe-exec' && !config.agent && isTuttiError(err, 'ERR_NO_CAPABLE_AGENT')) {
          throw new TuttiError('ERR_NO_CAPABLE_AGENT', `the 'safe-exec' backend needs a coding agent (capability 'code'): install and log in to a coding-agent CLI (tutti doctor lists them), register an agent with that capability, or pass createOrchestrator({ agent })`, { cause: err });
        }
        throw err;
      }
      if (input.initialMemoryEntries?.length) {
        await p.seed(runId, input.initialMemoryEntries as MemoryEntry[], { runId, source: 'seed', ...(input.provenance ? { caller: input.provenance } : {}) });
      }
      const lp = input.loopPolicy;
      await e.createRun(plan, {
        runId,
        ...(input.cwd ? { workDir: resolve(input.cwd) } : {}),
        metadata: {
          orchestration: { backend },
          ...(input.provenance ? { provenance: input.provenance } : {}),
          ...(lp?.budgetLimits ? { budgetLimits: lp.budgetLimits } : {}),
        },
      });
      return { runId };
    },
    async getRunStatus(runId) {
      return toRunStatus(await view(runId));
    },
    async cancelRun(runId) {
      if (typeof runId !== 'string' || !runId) return undefined;
      try {
        await open().engine.cancelRun(runId);
      } catch (e) {
        if (!isTuttiError(e, 'ERR_RUN_NOT_FOUND')) throw e;
      }
      return undefined;
    },
    async getRunArtifacts(runId) {
      const v = await view(runId);
      return runArtifacts(v, v ? await memoriesOf(runId) : []);
    },
    async getRunSummary(runId) {
      const v = await view(runId);
      const attempts = (v?.tasks ?? []).flatMap((t) => t.attempts).filter((a) => a.status === 'succeeded');
      for (const a of attempts.reverse()) {
        // What the agent said first; the driver's own summary ("test: succeeded") last.
        const o = a.output as { summary?: unknown; message?: unknown } | null;
        if (o && typeof o === 'object' && typeof (o.summary ?? o.message) === 'string') return String(o.summary ?? o.message);
        if (typeof a.output === 'string' && a.output.trim()) return a.output.trim().slice(0, 2000);
        if (a.summary) return a.summary;
      }
      return undefined;
    },
    async seedMemory(runId, entries) {
      await open().plane.seed(runId, entries);
    },
    async recordLearning(runId, learning, score, provenance) {
      await open().plane.recordLearning(runId, learning, score, { runId, source: 'api', ...(provenance ?? {}) });
    },
    async searchMemory(scope: MemoryScope, query: string, topK = 5) {
      return open().plane.search(scope, query, topK);
    },
    async waitForRun(runId, options = {}) {
      const e = await start();
      if (!(await e.store.getRun(runId))) throw new TuttiError('ERR_RUN_NOT_FOUND', `no run '${runId}'`, { details: { runId } });
      const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
      for (;;) {
        const s = toRunStatus(await view(runId));
        if (s.finished) return s;
        if (Date.now() >= deadline) throw new TuttiError('ERR_TIMEOUT', `run ${runId} did not end within ${options.timeoutMs} ms`);
        await sleep(25);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await plane?.close();
      if (engine && !config.engine) await engine.stop();
    },
  };
  return orchestrator;
}
