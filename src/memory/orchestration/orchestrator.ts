/**
 * Seed 000's orchestrator over the one engine: a task description becomes a one-task run (the
 * test driver for `backend: 'test'`, a coding agent for `'safe-exec'`), memory lives in the
 * engine's store through a {@link MemoryPlane}, and every status or artifact is read from that
 * store — a new orchestrator on the same data dir sees the same runs. Nothing opens before the
 * first call.
 */
import { resolve } from 'node:path';
import { createEngine } from '../../create-engine.js';
import type { AttemptHooks } from '../../core/attempt-runner.js';
import type { Engine } from '../../core/engine.js';
import { TuttiError, errorMessage, isTuttiError } from '../../core/errors.js';
import { newRunId } from '../../core/ids.js';
import type { RunView } from '../../core/run-view.js';
import type { MemoryRecord, MemoryScope } from '../../store/memory-types.js';
import { createMemoryHooks } from '../context.js';
import { MemoryPlane } from '../memory-plane.js';
import { harvest, runArtifacts, toRunStatus } from './artifacts.js';
import { orchestrationPlan, parseOrchestrateInput } from './input.js';
import type { MemoryEntry, OrchestrateTaskInput, Orchestrator, OrchestratorConfig, RunHandle } from './types.js';

export { orchestrationPlan, parseOrchestrateInput } from './input.js';
export { runArtifacts, toRunStatus } from './artifacts.js';

const CONFIG_KEYS = new Set(['backend', 'dataDir', 'store', 'engine', 'embedder', 'agent', 'workDir', 'memoryTopK', 'validation']);

/** @throws TuttiError `ERR_INVALID_OPTIONS` naming an unknown option, an unknown backend, or a bad validation command. */
function checkConfig(config: OrchestratorConfig): void {
  if (config === null || typeof config !== 'object') throw new TuttiError('ERR_INVALID_OPTIONS', 'createOrchestrator(config): config is an object');
  const unknown = Object.keys(config).filter((k) => !CONFIG_KEYS.has(k));
  if (unknown.length) throw new TuttiError('ERR_INVALID_OPTIONS', `createOrchestrator: unknown option ${unknown.map((k) => `'${k}'`).join(', ')} (known: ${[...CONFIG_KEYS].join(', ')})`);
  const backend = config.backend ?? 'safe-exec';
  if (backend !== 'test' && backend !== 'safe-exec') throw new TuttiError('ERR_INVALID_OPTIONS', `unknown orchestrator backend '${String(backend)}': use 'test' or 'safe-exec'`);
  const v = config.validation;
  if (v !== undefined) {
    const bad = v === null || typeof v !== 'object' ? ['validation'] : Object.keys(v).filter((k) => !['tests', 'lint', 'typecheck'].includes(k)).map((k) => `validation.${k}`);
    if (bad.length) throw new TuttiError('ERR_INVALID_OPTIONS', `createOrchestrator: unknown option ${bad.map((k) => `'${k}'`).join(', ')} (validation takes tests, lint, typecheck)`);
  }
}

/** A `custom` success criterion that cannot be checked here: why. */
const CUSTOM_ELSEWHERE = 'its custom success criterion (loopPolicy.successCriteria.custom) is a function of the process that started the run, which this process cannot check';

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
  checkConfig(config);
  const backend = config.backend ?? 'safe-exec';
  let engine: Engine | null = null;
  let plane: MemoryPlane | null = null;
  let started: Promise<void> | null = null;
  let closed = false;
  /** `loopPolicy.successCriteria.custom` of the runs started here, by run id. */
  const customCriteria = new Map<string, (result: unknown) => boolean>();

  /** Checks a successful attempt's output against its run's custom criterion; a throw fails the attempt. */
  const criteriaHook: AttemptHooks = {
    async onAttemptFinished(ctx, result) {
      if (result.status !== 'succeeded') return;
      const check = customCriteria.get(ctx.runId);
      if (!check) {
        const run = await engine!.store.getRun(ctx.runId);
        if ((run?.metadata.successCriteria as { custom?: unknown } | undefined)?.custom === true) throw new Error(`run ${ctx.runId}: ${CUSTOM_ELSEWHERE}`);
        return;
      }
      let ok: unknown;
      try {
        ok = check(result.output);
      } catch (e) {
        throw new Error(`the custom success criterion threw: ${errorMessage(e)}`);
      }
      if (ok !== true) throw new Error('the custom success criterion (loopPolicy.successCriteria.custom) rejected the result');
    },
  };

  function open(): { engine: Engine; plane: MemoryPlane } {
    if (closed) throw new TuttiError('ERR_ENGINE_STOPPED', 'this orchestrator is closed');
    if (engine && plane) return { engine, plane };
    if (config.engine) {
      engine = config.engine;
      plane = new MemoryPlane({ store: engine.store, ...(config.embedder ? { embedder: config.embedder } : {}) });
    } else {
      // The plane and the engine share one store: the hooks need the plane, the plane the store.
      const memory = createMemoryHooks(() => plane!);
      const created = createEngine({
        ...(config.dataDir ? { dataDir: config.dataDir } : {}),
        ...(config.store ? { store: config.store } : {}),
        workDir: resolve(config.workDir ?? process.cwd()),
        runScope: 'own',
        attemptHooks: {
          ...(memory.prepareAttempt ? { prepareAttempt: memory.prepareAttempt } : {}),
          async onAttemptFinished(ctx, result) {
            await criteriaHook.onAttemptFinished!(ctx, result);
            await memory.onAttemptFinished?.(ctx, result);
          },
        },
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
      const sc = input.loopPolicy?.successCriteria;
      const custom = sc && !Array.isArray(sc) ? sc.custom : undefined;
      if (custom && config.engine) throw new TuttiError('ERR_INVALID_INPUT', 'orchestrateTask: loopPolicy.successCriteria.custom needs the orchestrator’s own engine (createOrchestrator without `engine`), whose attempts it checks');
      const plan = orchestrationPlan(input, backend, config);
      const e = await start();
      const { plane: p } = open();
      const runId = newRunId();
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
      if (custom) customCriteria.set(runId, custom);
      const lp = input.loopPolicy;
      await e.createRun(plan, {
        runId,
        ...(input.cwd ? { workDir: resolve(input.cwd) } : {}),
        metadata: {
          ...(plan.metadata ?? {}),
          orchestration: { backend },
          ...(input.provenance ? { provenance: input.provenance } : {}),
          ...(lp?.budgetLimits ? { budgetLimits: lp.budgetLimits } : {}),
        },
      });
      // The reference's test backend is synchronous: its run has ended when this resolves.
      if (backend === 'test') await e.waitForRun(runId);
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
    async harvestMemory(runId) {
      return harvest(typeof runId === 'string' && runId ? await memoriesOf(runId) : []);
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
